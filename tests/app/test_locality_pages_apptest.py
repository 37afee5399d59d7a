"""The pages of a province and of the country (issue 18), run with AppTest: what they say, from which data."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _open(page: str, params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page(page)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_province_overview_units_population_area_density():
    at = _open("views/tong_quan.py", {"profile": "bac-ninh-2025"})
    assert at.title[0].value == "Đơn vị hành chính cấp xã từ 01/7/2025 — tỉnh Bắc Ninh"
    metrics = _metrics(at)
    assert metrics["Xã, phường"] == "99" and metrics["Diện tích (km²)"].endswith(",61")
    assert metrics["Dân số (người; 99 đơn vị có số liệu)"] == "3.619.442"
    types = at.dataframe[0].value.set_index("Loại đơn vị")
    assert types.at["Tổng cộng", "Số đơn vị"] == "99" and {"xã", "phường"} <= set(types.index)
    assert any("năm số liệu không được nêu" in c.value for c in at.caption)
    assert any("Chưa có số liệu nào được nhập" in c.value for c in at.caption)


def test_national_overview_then_one_province_by_link():
    at = _open("views/tong_quan.py", {"profile": "national-2025"})
    metrics = _metrics(at)
    assert metrics["Tỉnh, thành phố"] == "34" and metrics["Xã, phường, đặc khu"] == "3.321"
    assert len(at.dataframe[1].value) == 34  # the provinces table
    assert any(c.value.startswith("Ở ") and "khác số của tỉnh hơn 1 %" in c.value for c in at.caption)
    at = _open("views/tong_quan.py", {"profile": "national-2025", "province": "01"})
    assert at.title[0].value.endswith("— thành phố Hà Nội") and _metrics(at)["Xã, phường, đặc khu"] == "126"
    assert any("Thành phố Hà Nội: tổng dân số của 126/126" in c.value for c in at.caption)  # against its own figure


def test_units_page_of_a_province_finds_a_unit_by_a_former_units_name():
    at = _open("views/don_vi.py", {"profile": "bac-ninh-2025"})
    assert any("99 xã, phường" in m.value for m in at.markdown) and len(at.dataframe[0].value) == 99
    at.text_input(key="dv_query").set_value("Đồng Tâm").run()
    cards = [m.value for m in at.markdown]
    assert any(c.startswith("**Xã Yên Thế**") for c in cards)
    assert any("Xã Đồng Tâm" in c and c.startswith("Gồm:") for c in cards)
    assert any(c.startswith("Trụ sở:") for c in cards)


def test_projects_page_of_a_locality_without_objects_says_what_to_do():
    at = _open("views/du_an.py", {"profile": "national-2025"})
    (info,) = at.info
    assert "chưa có dự án, công trình nào" in info.value and "quản trị viên" in info.value
    assert not at.dataframe


def test_compare_page_of_a_province_of_the_country():
    at = _open("views/so_sanh.py", {"profile": "national-2025", "province": "24"})
    assert at.sidebar.selectbox(key="cmp_province").value == "24"
    assert at.sidebar.selectbox(key="cmp_left_edition").options == ["Xã, phường, đặc khu (từ 01/7/2025)"]
    assert not [c for c in at.sidebar.caption if "19 đơn vị" in c.value]
