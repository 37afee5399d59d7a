"""Import in the national profile (issue 13): names matched in the chosen province first; homonyms elsewhere named."""

import pandas as pd
import pytest

from ktxh_geo.io import shipped as load
from ktxh_geo.model.datasets import load_datasets
from ktxh_geo.model.imports import check_file
from ktxh_geo.render.xlsx_template import template_rows
from ktxh_geo.vocab import profile


def _csv(rows: list[tuple[str, str]]) -> bytes:
    frame = pd.DataFrame(rows, columns=["Tên xã", "Dân số (người)"])
    return frame.to_csv(index=False).encode("utf-8")


@pytest.fixture(scope="module")
def national():
    with profile.use("national-2025"):
        units = load.load_units()
        yield units, load_datasets()["population"]


def test_template_for_one_province_lists_its_99_communes(national):
    units, ds = national
    with profile.use("national-2025"):
        rows = template_rows(ds, 2025, units[units["province_code"] == "24"])
    assert len(rows) == 99 and "Xã Bố Hạ" in set(rows["name_full"])


def test_names_match_in_the_chosen_province_first(national):
    units, ds = national
    bac_ninh = units[units["province_code"] == "24"]
    homonyms = units[units["name"] == "Tân Tiến"]
    assert len(homonyms) > 1  # a name many provinces share
    with profile.use("national-2025"):
        report = check_file(
            _csv([("Bố Hạ", "27517"), ("Yên Thế", "30651")]), "dan_so.csv", ds, 2025, bac_ninh, None, units
        )
    assert report.ok and {c.code for c in report.cells} == {"07294", "07288"}


def test_a_name_only_found_in_another_province_is_reported_with_where_it_is(national):
    units, ds = national
    bac_ninh = units[units["province_code"] == "24"]
    with profile.use("national-2025"):
        report = check_file(_csv([("Ba Đình", "65023")]), "dan_so.csv", ds, 2025, bac_ninh, None, units)
    assert not report.ok
    message = " ".join(str(i) for i in report.errors)
    assert "không có trong phạm vi đã chọn" in message and "Phường Ba Đình, Thành phố Hà Nội" in message
