"""The unit history page /don-vi (AppTest): history, new communes, search by old or new name."""

from pathlib import Path

import pytest


def _units_page():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("views/don_vi.py").run()
    assert not at.exception, at.exception
    return at


def test_units_page_shows_history_and_new_communes():
    at = _units_page()
    history, communes = at.dataframe[0].value, at.dataframe[1].value
    assert len(history) == 19
    row = history.set_index("Mã 2020–2024").loc["07276"]
    assert row["Mã 01/01–30/6/2025"] == "07261" and row["Xã mới"] == "Xã Yên Thế"
    assert "1658" in row["Căn cứ (01/7/2025)"] and row["Mục của nghị quyết"] == "51"
    new = communes.set_index("Mã")
    assert new.at["07288", "Diện tích (km²)"] == "43,67" and new.at["07288", "Dân số (người)"] == "30.651"
    assert len(new) == 5


@pytest.mark.parametrize(
    "query,old_codes",
    [("Tân Hiệp", {"07261", "07276"}), ("xa yen the", {"07260", "07261", "07270", "07276", "07288", "07291"})],
)
def test_units_page_search_by_old_or_new_name(query, old_codes):
    at = _units_page()
    at.text_input[0].set_value(query).run()
    assert not at.exception
    assert set(at.dataframe[0].value["Mã 2020–2024"]) == old_codes


def test_units_page_search_never_matches_a_homonym():
    at = _units_page()
    at.text_input[0].set_value("07816").run()
    assert any("Không tìm thấy" in w.value for w in at.warning)
