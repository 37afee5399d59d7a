"""Localities (issue 13): the app opens on Yên Thế; Bắc Ninh and the national view work from the URL and the sidebar."""

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _open(params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("views/ban_do.py")
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def _map_script(at: AppTest) -> str:
    comps = [c for c in at.get("component_instance") if c.proto.component_name.endswith("st_folium")]
    args = json.loads(comps[0].proto.json_args)
    return args["script"] + (args.get("feature_group") or "")  # base map and its restyle (issue 24)


def _codes(at: AppTest) -> set[str]:
    return set(re.findall(r'"(\d{5}|\d{2})":\[\d+,\[', _map_script(at)))


def test_default_is_yen_the_and_the_url_carries_no_profile():
    at = _open({})
    assert "huyện Yên Thế" in at.subheader[0].value and "profile" not in at.query_params
    assert at.sidebar.selectbox(key="v_profile").value == "yen-the-2024"
    assert len(_codes(at)) == 19


def test_bac_ninh_shows_its_99_communes_with_sourced_values():
    at = _open({"profile": "bac-ninh-2025"})
    assert at.query_params["profile"] == "bac-ninh-2025"
    assert "tỉnh Bắc Ninh" in at.subheader[0].value
    codes = _codes(at)
    assert len(codes) == 99 and {"07246", "07264", "07282", "07288", "07294"} <= codes  # the former Yên Thế
    script = _map_script(at)
    assert "Tran Ngoc Minh Hieu" in script or "vietnamadminunits" in script  # sources in tooltips and legend
    assert "Số liệu minh họa" not in script  # official figures only


@pytest.mark.parametrize("indicator", ["population", "area_km2", "density", "unit_type"])
def test_national_provinces_then_drill_down_to_a_province(indicator):
    at = _open({"profile": "national-2025", "indicator": indicator})
    assert len(_codes(at)) == 34
    at.sidebar.selectbox(key="v_province").set_value("24").run()
    assert not at.exception
    assert at.query_params["province"] == "24"
    assert len(_codes(at)) == 99 and "tỉnh Bắc Ninh" in at.subheader[0].value
    at.sidebar.selectbox(key="v_province").set_value("").run()  # back up to the country
    assert "province" not in at.query_params and len(_codes(at)) == 34


def test_switching_locality_in_the_sidebar_applies_its_defaults():
    at = _open({})
    at.sidebar.selectbox(key="v_profile").set_value("bac-ninh-2025").run()
    at.run()
    assert at.query_params["profile"] == "bac-ninh-2025"
    assert "tỉnh Bắc Ninh" in at.subheader[0].value and len(_codes(at)) == 99


def test_unknown_profile_falls_back_with_a_notice():
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["profile"] = "no-such-place"
    at.run()
    assert any("no-such-place" in w.value.replace("\\", "") for w in at.warning)  # as rendered


def test_province_map_marks_the_former_district():
    at = _open({"profile": "bac-ninh-2025"})
    script = _map_script(at)
    assert "Huyện Yên Thế (cũ, đến 30/6/2025)" in script and '"dashArray":"8 5"' in script
