"""Each validation rule has a failing case on a broken copy of the shipped data."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from ktxh_geo.model.validate import validate

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def copy(tmp_path):
    shutil.copytree(ROOT / "profiles" / "yen-the-2024" / "data", tmp_path / "data")
    shutil.copytree(ROOT / "profiles" / "yen-the-2024" / "geo", tmp_path / "geo")
    return tmp_path


def _edit_csv(path: Path, line: int, **changes):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    for field, value in changes.items():
        df.at[line - 2, field] = value
    df.to_csv(path, index=False)


def _messages(tmp):
    report = validate(tmp / "data", tmp / "geo")
    return [str(p) for p in report.problems]


def test_shipped_data_is_valid():
    report = validate(ROOT / "profiles" / "yen-the-2024" / "data", ROOT / "profiles" / "yen-the-2024" / "geo")
    assert report.ok, "\n".join(map(str, report.problems))


@pytest.mark.parametrize(
    "line,changes,expected",
    [
        (2, {"indicator_id": "no_such"}, "data/values.csv:2: indicator_id: unknown indicator 'no_such'"),
        (2, {"source": " "}, "data/values.csv:2: source: missing provenance"),
        (2, {"status": "guess"}, "data/values.csv:2: status: 'guess' is not one of"),
        (2, {"status": "illustrative"}, "data/values.csv:2: status: illustrative values belong only in"),
        (2, {"year": "20x3"}, "data/values.csv:2: year: '20x3' is not a year"),
        (2, {"value": "abc"}, "data/values.csv:2: value: 'abc' is not a number"),
        (2, {"code": "07288"}, "data/values.csv:2: code: district values use code 215"),
        (2, {"level": "province"}, "data/values.csv:2: level: 'province' is not district or commune"),
    ],
)
def test_value_rules(copy, line, changes, expected):
    _edit_csv(copy / "data/values.csv", line, **changes)
    assert any(m.startswith(expected) for m in _messages(copy)), _messages(copy)


def test_inferred_value_needs_its_rule(copy):
    path = copy / "data/values.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    line = int(df.index[df["status"] == "inferred"][0]) + 2
    _edit_csv(path, line, note=" ")
    assert f"data/values.csv:{line}: note: giá trị “inferred” phải ghi quy tắc suy ra" in " ".join(_messages(copy))
    _edit_csv(path, 2, status="inferred", note="")
    assert any(m.startswith("data/values.csv:2: note: giá trị “inferred”") for m in _messages(copy))
    _edit_csv(path, 2, status="nghi_van", note="")
    assert any(
        m.startswith("data/values.csv:2: note: giá trị “nghi_van” phải ghi quy tắc kiểm tra") for m in _messages(copy)
    )


def test_inferred_values_do_not_belong_in_the_illustrative_file(copy):
    _edit_csv(copy / "data/illustrative_commune_values.csv", 2, status="inferred")
    msgs = _messages(copy)
    assert any(m.startswith("data/illustrative_commune_values.csv:2: status: illustrative values belong") for m in msgs)


def test_ratio_to_plan_may_exceed_100_percent_but_shares_may_not(copy):
    path = copy / "data/values.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    ratio = int(df.index[df["indicator_id"] == "budget_vs_province_estimate"][0]) + 2
    share = int(df.index[df["indicator_id"] == "health_insurance"][0]) + 2
    _edit_csv(path, ratio, value="250")
    _edit_csv(path, share, value="101")
    msgs = _messages(copy)
    assert not any(m.startswith(f"data/values.csv:{ratio}:") for m in msgs)
    assert f"data/values.csv:{share}: value: 101 is outside 0–100 for health_insurance (%)" in msgs


def test_percentage_out_of_range(copy):
    path = copy / "data/illustrative_commune_values.csv"
    _edit_csv(path, 2, value="120")
    assert "data/illustrative_commune_values.csv:2: value: 120 is outside 0–100 for poverty_rate (%)" in _messages(copy)


def test_criteria_out_of_range(copy):
    path = copy / "data/illustrative_commune_values.csv"
    df = pd.read_csv(path, dtype=str)
    line = int(df.index[df["indicator_id"] == "ntm_criteria"][0]) + 2
    _edit_csv(path, line, value="23")
    assert f"data/illustrative_commune_values.csv:{line}: value: 23 is outside 0–19 for ntm_criteria (tiêu chí)" in (
        _messages(copy)
    )


def test_code_not_in_edition(copy):
    path = copy / "data/values.csv"
    df = pd.read_csv(path, dtype=str)
    line = int(df.index[df["indicator_id"] == "ntm_status"][0]) + 2
    _edit_csv(path, line, code="07999")
    assert f"data/values.csv:{line}: code: '07999' is not a unit of edition 2020-2024" in _messages(copy)
    # 07276 (old Tân Hiệp) exists in 2020–2024 but was retired on 2025-01-01
    _edit_csv(path, line, code="07276", edition="2025-h1")
    assert f"data/values.csv:{line}: code: '07276' is not a unit of edition 2025-h1" in _messages(copy)


def test_category_not_allowed(copy):
    path = copy / "data/values.csv"
    df = pd.read_csv(path, dtype=str)
    line = int(df.index[df["indicator_id"] == "ntm_status"][0]) + 2
    _edit_csv(path, line, value_text="xong")
    assert any(m.startswith(f"data/values.csv:{line}: value_text: 'xong' is not one of") for m in _messages(copy))


def test_duplicate_value_rows(copy):
    path = copy / "data/values.csv"
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    pd.concat([df, df.iloc[[0]]]).to_csv(path, index=False)
    assert f"data/values.csv:{len(df) + 2}: code: duplicate value for indicator, code, year and status" in (
        _messages(copy)
    )


def test_missing_header(copy):
    path = copy / "data/values.csv"
    pd.read_csv(path, dtype=str).drop(columns=["source"]).to_csv(path, index=False)
    assert "data/values.csv:1: header: missing columns source" in _messages(copy)


def test_indicator_rules(copy):
    _edit_csv(copy / "data/indicators.csv", 3, kind="colour")
    assert "data/indicators.csv:3: kind: 'colour' is not numeric or category" in _messages(copy)


def _edit_geojson(path: Path, fn):
    data = json.loads(path.read_text(encoding="utf-8"))
    fn(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_code_must_be_a_string(copy):
    def numeric_code(d):
        d["features"][0]["properties"]["code"] = 7243

    _edit_geojson(copy / "geo/communes_2020_2024.geojson", numeric_code)
    msgs = _messages(copy)
    assert any(m.startswith("geo/communes_2020_2024.geojson: code: feature 1:") and "5-digit" in m for m in msgs)


def test_invalid_geometry(copy):
    def bowtie(d):
        d["features"][3]["geometry"] = {
            "type": "Polygon",
            "coordinates": [[[106.1, 21.5], [106.11, 21.51], [106.11, 21.5], [106.1, 21.51], [106.1, 21.5]]],
        }

    _edit_geojson(copy / "geo/communes_2020_2024.geojson", bowtie)
    msgs = _messages(copy)
    assert any(
        "geo/communes_2020_2024.geojson: geometry: feature 4 (07252): invalid (Self-intersection" in m for m in msgs
    )


def test_overlap_and_gap(copy):
    path = copy / "geo/communes_2025.geojson"
    gdf = gpd.read_file(path)
    metric = gdf.to_crs("EPSG:32648")
    metric.loc[0, "geometry"] = metric.geometry.iloc[0].buffer(200)  # grows into its neighbours
    metric.loc[1, "geometry"] = metric.geometry.iloc[1].buffer(-200)  # leaves a gap
    metric.to_crs("EPSG:4326").to_file(path, driver="GeoJSON")
    msgs = _messages(copy)
    assert any("geo/communes_2025.geojson: geometry: units 07288 / " in m and "overlap by" in m for m in msgs)
    assert any("geo/communes_2025.geojson: geometry: gap of" in m for m in msgs)


def test_wrong_crs(copy):
    path = copy / "geo/communes_2025.geojson"
    gpd.read_file(path).to_crs("EPSG:32648").to_file(path, driver="GeoJSON")
    assert any(m.startswith("geo/communes_2025.geojson: crs: expected EPSG:4326") for m in _messages(copy))


def test_missing_layer_and_unit_count(copy):
    (copy / "geo/communes_2025_h1.geojson").unlink()
    path = copy / "geo/communes_2025.geojson"
    gpd.read_file(path).iloc[:4].to_file(path, driver="GeoJSON")
    msgs = _messages(copy)
    assert "geo/communes_2025_h1.geojson: file: missing" in msgs
    assert "geo/communes_2025.geojson: features: 4 units, expected 5" in msgs


def test_project_rules(copy):
    _edit_csv(copy / "data/projects.csv", 2, category="mall", commune_codes="07999", source="")
    msgs = _messages(copy)
    assert any(m.startswith("data/projects.csv:2: category: 'mall' is not one of") for m in msgs)
    assert "data/projects.csv:2: commune_codes: '07999' is not a 2020–2024 unit" in msgs
    assert "data/projects.csv:2: source: missing provenance" in msgs


def test_project_point_outside_or_in_wrong_commune(copy):
    path = copy / "geo/projects.geojson"
    gdf = gpd.read_file(path)
    gdf.loc[gdf["id"] == "ccn_dong_son", "geometry"] = Point(105.5, 21.0)
    gdf.loc[gdf["id"] == "ccn_tan_soi", "geometry"] = Point(106.08, 21.60)  # in Xuân Lương's area
    gdf.to_file(path, driver="GeoJSON")
    msgs = _messages(copy)
    assert "geo/projects.geojson: geometry: ccn_dong_son: outside the district" in msgs
    assert any(
        m.startswith("geo/projects.geojson: geometry: ccn_tan_soi: lies in") and "declared 07291" in m for m in msgs
    )


@pytest.mark.slow
def test_cli_exit_codes(copy):
    ok = subprocess.run([sys.executable, "-m", "ktxh_geo", "validate"], cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.startswith("OK: ")
    _edit_csv(copy / "data/values.csv", 2, source="", indicator_id="no_such")
    _edit_csv(copy / "data/values.csv", 3, source="")
    bad = subprocess.run(
        [sys.executable, "-m", "ktxh_geo", "validate", "--data", str(copy / "data"), "--geo", str(copy / "geo")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1
    lines = bad.stdout.strip().splitlines()
    assert lines == [
        "data/values.csv:2: indicator_id: unknown indicator 'no_such'",
        "data/values.csv:3: source: missing provenance (document and section)",
    ]


# ---- the official list of 01/7/2025 (Công văn 1027/CTK-CSCL; profiles/national-2025/data/official_units_…) ----

NATIONAL = ROOT / "profiles" / "national-2025"
JULY_1 = pd.Timestamp("2025-07-01").date()


@pytest.fixture(scope="module")
def official():
    return pd.read_csv(NATIONAL / "data/official_units_2025-07-01.csv", dtype=str, keep_default_na=False)


@pytest.fixture()
def communes_layer():
    import pyogrio

    return pyogrio.read_dataframe(NATIONAL / "geo/vn_communes_2025.fgb", read_geometry=False)


def _official_messages(layer, official):
    from ktxh_geo.model.validate import official_mismatches

    return [str(p) for p in official_mismatches(layer, official, "geo/vn_communes_2025.fgb", JULY_1)]


def test_shipped_layer_matches_the_official_list(communes_layer, official):
    assert _official_messages(communes_layer, official) == []
    assert official["unit_type"].value_counts().to_dict() == {"xã": 2621, "phường": 687, "đặc khu": 13}


def test_a_reintroduced_wrong_code_fails(communes_layer, official):
    communes_layer.loc[communes_layer["code"] == "06970", "code"] = "06978"  # Xã Ba Chẽ, as the upstream layer had it
    messages = _official_messages(communes_layer, official)
    assert any("code: feature" in m and "(06978 Xã Ba Chẽ): mã không có trong danh mục" in m for m in messages)
    assert any("06970 Xã Ba Chẽ (danh mục ngày 01/07/2025) không có trong lớp" in m for m in messages)


def test_a_reintroduced_later_type_fails(communes_layer, official):
    communes_layer.loc[communes_layer["code"] == "25270", "full_name"] = "Phường Lộc Ninh"  # a type of 2026
    messages = _official_messages(communes_layer, official)
    assert messages == [
        m for m in messages if "unit_type: feature" in m and "(25270 Phường Lộc Ninh)" in m and "ghi “Xã Lộc Ninh”" in m
    ]
    assert len(messages) == 1


def test_a_wrong_province_and_a_wrong_name_fail_and_tone_position_does_not(communes_layer, official):
    communes_layer.loc[communes_layer["code"] == "06970", "province_code"] = "24"
    communes_layer.loc[communes_layer["code"] == "07288", "full_name"] = "Xã Yên Thê"  # another tone: another name
    communes_layer.loc[communes_layer["code"] == "11848", "full_name"] = "Xã Vĩnh Hoà"  # list: Vĩnh Hòa (one name)
    messages = _official_messages(communes_layer, official)
    assert len(messages) == 2
    assert any("province_code: feature" in m and "06970" in m and "mã tỉnh 22" in m for m in messages)
    assert any("name: feature" in m and "(07288 Xã Yên Thê)" in m for m in messages)


def test_the_province_layer_is_checked_against_the_lists_provinces(official):
    import pyogrio

    provinces = pyogrio.read_dataframe(NATIONAL / "geo/vn_provinces_2025.fgb", read_geometry=False)
    assert _official_messages(provinces, official) == []
    provinces.loc[provinces["code"] == "75", "full_name"] = "Thành phố Đồng Nai"  # the 2026 name
    assert [
        m for m in _official_messages(provinces, official) if "(75 Thành phố Đồng Nai)" in m and "Tỉnh Đồng Nai" in m
    ]
