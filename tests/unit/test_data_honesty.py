"""The shipped data says no more than the plan: statuses, inferred values, draft estimates, the plan's decimals."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from ktxh_geo.io import shipped as load
from ktxh_geo.model import aggregate, join
from ktxh_geo.model.overview import RESULT_2023, district_table, shown_value
from ktxh_geo.text import format_number

ROOT = Path(__file__).resolve().parents[2]
PLAN = (ROOT / "profiles/yen-the-2024/data/ke-hoach-ktxh-2024-yen-the.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def shipped():
    return load.load_values(include_illustrative=False, include_entered=False)


# ---- statuses ----


def test_status_order_is_defined_once_and_known_everywhere():
    from ktxh_geo import vocab

    assert join.STATUS_ORDER is vocab.STATUS_ORDER and load.STATUSES is vocab.STATUSES
    assert vocab.STATUS_ORDER == ("official", "computed", "estimate", "target", "inferred", "nghi_van", "illustrative")
    assert join.STATUS_LABELS is vocab.STATUS_LABELS and set(vocab.STATUS_ORDER) <= set(vocab.STATUS_LABELS)
    assert vocab.STATUS_LABELS["inferred"] == "suy ra từ văn bản" and vocab.STATUS_LABELS["estimate"] == "ước tính"
    assert vocab.STATUS_LABELS["computed"] == "tính từ số liệu công bố"
    assert vocab.STATUS_LABELS["nghi_van"] == "cần kiểm tra"
    assert not hasattr(aggregate, "_STATUS_ORDER")  # aggregate.py uses join's order
    assert aggregate.weakest_status is join.weakest_status
    assert join.weakest_status(["official", "inferred"]) == "inferred"
    assert join.weakest_status(["official", "nghi_van"]) == "nghi_van"  # an aggregate of a flagged figure is flagged
    assert join.weakest_status(["inferred", "illustrative", "target"]) == "illustrative"
    assert join.weakest_status([]) == "missing"


def test_the_plans_estimates_are_estimates(shipped):
    said = shipped["source"].str.contains(r"\(ước thực hiện 2023\)")
    assert said.sum() == 27 and set(shipped.loc[said, "status"]) == {"estimate"}
    assert "estimate" not in set(shipped.loc[~said, "status"])


def test_inferred_rows_state_their_rule(shipped):
    inferred = shipped[shipped["status"] == "inferred"]
    assert len(inferred) == 13
    assert inferred["note"].str.strip().ne("").all()
    assert inferred["note"].str.contains("suy ra, không phải số liệu văn bản nêu").all()


def test_model_villages_zero_is_inferred_and_named_villages_are_official(shipped):
    mv = shipped[(shipped["indicator_id"] == "model_villages") & (shipped["year"] == 2023)].set_index("code")
    assert set(mv.loc[mv["value"] == 0, "status"]) == {"inferred"}
    assert set(mv.loc[mv["value"] > 0, "status"]) == {"official"}
    assert mv["value"].sum() == 6  # the 6 villages of footnote 1
    for village in ("An Châu", "Hồng Lĩnh", "Tân An", "Đề Thám", "Nam Cầu", "Làng Ba"):
        assert village in PLAN.split("<sup>1</sup>")[2]  # footnote 1 names them
    name = load.load_indicators()["model_villages"].name
    assert "trong năm" in name  # recognitions of the year, not a cumulative total


def test_inferred_status_is_shown_on_the_map_and_survives_aggregation(communes, shipped, indicators):
    joined = join.join_indicator(communes, shipped, indicators["model_villages"], 2023).set_index("code")
    assert joined.at["07273", "status"] == "inferred"  # Đông Sơn: not in footnote 1
    assert joined.at["07285", "status"] == "official"  # An Thượng: 3 villages named
    assert "chú thích 1" in joined.at["07273", "value_note"]
    new, _, _ = aggregate.join_for_edition(
        load.load_communes("2025"), shipped, indicators["model_villages"], 2023, include_illustrative=False
    )
    by = new.set_index("code")
    assert by.at["07264", "status"] == "inferred"  # An Thượng 3 (official) + Tam Tiến 0, Tiến Thắng 0 (inferred)
    assert "suy ra từ văn bản" in by.at["07264", "derived_rule"]
    assert "Không có tên trong chú thích 1" in by.at["07264", "derived_rule"]


# ---- draft plan: 2023 figures are estimates ----


def test_every_source_names_the_draft_and_2023_says_estimate_or_date(shipped):
    assert shipped["source"].str.startswith("Dự thảo Kế hoạch KT-XH 2024, ").all()
    y2023 = shipped[shipped["year"] == 2023]
    said = y2023["source"].str.contains(r"\(ước thực hiện 2023\)|\(đến thời điểm lập dự thảo, tháng 11/2023\)")
    assert said.all(), y2023.loc[~said, ["indicator_id", "source"]]


def test_overview_column_says_estimate(shipped, indicators):
    table = district_table(shipped, indicators)
    assert RESULT_2023 == "Ước thực hiện 2023" and RESULT_2023 in table.columns
    assert "Kết quả 2023" not in table.columns


# ---- the plan's own decimals ----


@pytest.mark.parametrize(
    "text,expected",
    [
        ("9.2", "9,2"),
        ("36.1", "36,1"),
        ("1783.39", "1.783,39"),
        ("7124.8", "7.124,8"),
        ("41.0", "41,0"),
        ("7784", "7.784"),
        ("277.268", "277,268"),
        ("2.83", "2,83"),
    ],
)
def test_shown_value_keeps_the_written_decimals(text, expected):
    row = {"value": float(text), "value_text": "", "decimals_written": load.decimals_written(text)}
    assert shown_value(row, 2) == expected


def test_decimals_written_is_kept_when_loading(shipped):
    rows = shipped[shipped["level"] == "district"].set_index(["indicator_id", "year"])
    assert rows.at[("gtsx_growth", 2024), "decimals_written"] == 1
    assert rows.at[("structure_nln", 2024), "decimals_written"] == 1  # "41,0" in the plan
    assert rows.at[("gtsx_total", 2024), "decimals_written"] == 0
    assert rows.at[("investment_capital_cumulative", 2023), "decimals_written"] == 2


def test_overview_shows_the_plans_decimals(shipped, indicators):
    table = district_table(shipped, indicators).set_index("id")
    assert table.at["gtsx_growth", "Kế hoạch 2024"] == "9,2"
    assert table.at["structure_cnxd", "Kế hoạch 2024"] == "36,1"
    assert table.at["structure_nln", "Kế hoạch 2024"] == "41,0"
    assert table.at["gtsx_total", RESULT_2023] == "7.124,8"
    assert table.at["investment_capital_cumulative", RESULT_2023] == "1.783,39"
    assert table.at["it_spending_share", "Kế hoạch 2024"] == "≥2"


# ---- every figure is in the plan ----

# Figures the data converts: the plan writes the budget in triệu đồng, the data in tỷ đồng.
CONVERTED = {("budget_revenue", 2023): "277.268", ("budget_revenue_excl_land", 2023): "147.268"}


def _plan_forms(row) -> set[str]:
    if (row.indicator_id, row.year) in CONVERTED:
        return {CONVERTED[(row.indicator_id, row.year)]}
    written = row.decimals_written
    number = format_number(row.value, 0 if pd.isna(written) else int(written), strip=False)
    forms = {number, number.replace(".", "")}  # the plan writes 1627,8 as well as 2.389,8
    if re.fullmatch(r"\d", number):
        forms.add(f"0{number}")  # "02 xã", "03 dự án"
    return forms


def test_every_official_or_target_number_is_written_in_the_plan(shipped):
    numeric = shipped[shipped["status"].isin(["official", "estimate", "target"]) & shipped["value"].notna()]
    missing = []
    for row in numeric.itertuples():
        forms = _plan_forms(row)
        if not any(re.search(rf"(?<![\d,.]){re.escape(f)}(?![\d]|,\d)", PLAN) for f in forms):
            missing.append((row.indicator_id, row.year, sorted(forms)))
    assert not missing


@pytest.mark.parametrize(
    "indicator_id,year,value,section",
    [
        ("investment_projects_approved", 2023, 3, "chú thích 3"),
        ("investment_projects_capital", 2023, 555.107, "chú thích 3"),
        ("investment_projects_cumulative", 2023, 55, "chú thích 3"),
        ("investment_capital_cumulative", 2023, 1783.39, "chú thích 3"),
        ("investment_vs_2022", 2023, 110.33, "mục A"),
        ("budget_vs_province_estimate", 2023, 116.63, "mục A"),
        ("budget_vs_district_estimate", 2023, 109.02, "mục A"),
        ("budget_vs_2022", 2023, 102.09, "mục A"),
        ("budget_excl_land_vs_province_estimate", 2023, 125.09, "mục A"),
        ("budget_excl_land_vs_district_estimate", 2023, 118.46, "mục A"),
        ("schools_level2", 2023, 15, "mục A"),
        ("schools_level2_increase", 2023, 3, "mục A"),
        ("universal_education", 2023, 19, "mục A"),
        ("military_recruitment", 2023, 100, "mục A"),
        ("ddci_rank_change", 2024, 1, "mục B.III.3.3"),
        ("it_spending_share", 2024, 2, "mục B.III.3.6.3"),
    ],
)
def test_added_figures_cite_their_section(shipped, indicator_id, year, value, section):
    row = shipped[(shipped["indicator_id"] == indicator_id) & (shipped["year"] == year)]
    assert len(row) == 1
    assert row["value"].iloc[0] == pytest.approx(value)
    assert section in row["source"].iloc[0]


# ---- national 2025: seats, points and predecessors (tools/build_national_units.py) ----

NATIONAL = ROOT / "profiles/national-2025/data"


@pytest.fixture(scope="module")
def origin():
    return pd.read_csv(NATIONAL / "units_2025_origin.csv", dtype=str, keep_default_na=False)


def test_origin_has_one_row_per_unit_with_the_agreed_columns(origin):
    assert list(origin.columns) == ["code", "seat", "seat_lon", "seat_lat", "predecessors"]
    units = pd.read_csv(NATIONAL / "units_2025.csv", dtype=str, keep_default_na=False)
    assert origin["code"].is_unique and set(origin["code"]) == set(units["code"])
    assert not origin["seat"].str.casefold().str.contains("đang cập nhật").any()  # "being updated" is no value
    assert (
        (origin[["seat", "predecessors"]] == origin[["seat", "predecessors"]].apply(lambda s: s.str.strip()))
        .all()
        .all()
    )


def test_origin_points_are_numbers_in_the_country_or_empty_and_every_gap_is_listed(origin):
    point = origin["seat_lon"] != ""
    assert (point == (origin["seat_lat"] != "")).all()
    lon, lat = pd.to_numeric(origin.loc[point, "seat_lon"]), pd.to_numeric(origin.loc[point, "seat_lat"])
    assert lon.between(102.0, 117.0).all() and lat.between(8.0, 23.5).all()
    sources = (NATIONAL / "SOURCES.md").read_text(encoding="utf-8")
    withheld = sources.split("**Points withheld")[1].split("**Points outside")[0]
    listed = set(re.findall(r"^\| (\d{5}) \|", withheld, flags=re.MULTILINE))
    assert listed == set(origin.loc[~point, "code"]) and len(listed) == 20


def test_origin_matches_the_sources_for_a_known_unit_and_withholds_swapped_points(origin):
    by = origin.set_index("code")
    # Xã Yên Thế (07288): NQ 1658 item 51 and the bando point of the shared FACTS.md §2 and §3b
    assert by.at["07288", "predecessors"] == "Thị trấn Phồn Xương, Xã Đồng Lạc, Xã Đồng Tâm, Xã Tân Hiệp, Xã Tân Sỏi"
    assert "Phồn Xương" in by.at["07288", "seat"]
    assert (by.at["07288", "seat_lon"], by.at["07288", "seat_lat"]) == ("106.132", "21.471")
    # the "phần còn lại" notes are kept as published
    assert "(phần còn lại sau khi sáp nhập vào phường Hoàn Kiếm)" in by.at["00004", "predecessors"]
    # Lương Sơn / Sơn Lương (Phú Thọ): each published point lies in the other unit, 80 km away: withheld
    for code in ("04924", "08296"):
        assert by.at[code, "seat_lon"] == by.at[code, "seat_lat"] == "" and by.at[code, "seat"]


def test_national_tables_follow_the_official_list():
    """units_2025.csv (and the importer's unit list) carry the codes, types and provinces of 01/7/2025."""
    from ktxh_geo.text import name_key

    official = pd.read_csv(NATIONAL / "official_units_2025-07-01.csv", dtype=str, keep_default_na=False)
    units = pd.read_csv(NATIONAL / "units_2025.csv", dtype=str, keep_default_na=False)
    both = units.merge(official, on="code", how="outer", suffixes=("", "_official"), indicator=True)
    assert (both["_merge"] == "both").all(), both.loc[both["_merge"] != "both", ["code", "full_name"]]
    assert (both["unit_type"] == both["unit_type_official"]).all()
    assert (both["province_code"] == both["province_code_official"]).all()
    assert (both["full_name"].map(name_key) == both["full_name_official"].map(name_key)).all()
    assert (both["province"].map(name_key) == both["province_official"].map(name_key)).all()
    assert units["unit_type"].value_counts().to_dict() == {"xã": 2621, "phường": 687, "đặc khu": 13}
    importer = pd.read_csv(NATIONAL / "units.csv", dtype=str, keep_default_na=False)
    assert set(importer["gso_code"]) == set(official["code"]) and "06978" not in set(importer["gso_code"])


# ---- the province and the country: statuses, plausibility flags, the year the source does not state ----


@pytest.fixture(scope="module")
def national_values():
    return pd.read_csv(NATIONAL / "values.csv", dtype=str, keep_default_na=False)


def test_densities_are_computed_with_their_formula(national_values):
    density = national_values[(national_values["indicator_id"] == "density") & (national_values["edition"] == "2025")]
    assert set(density["status"]) == {"computed", "nghi_van"}
    assert density["note"].str.startswith("Tính = dân số / diện tích công bố").all()
    assert "inferred" not in set(national_values["status"])


def test_flagged_units_and_their_rules(national_values):
    flagged = national_values[national_values["status"] == "nghi_van"]
    pop = flagged[flagged["indicator_id"] == "population"].set_index("code")["note"]
    assert len(pop) == 45 and set(flagged[flagged["indicator_id"] == "density"]["code"]) == set(pop.index)
    # Phường Minh Xuân 72 people: low against its neighbours, a ward, a merger of six units
    assert all(f"Quy tắc {rule}" in pop["02215"] for rule in ("DS1", "DS2", "DS3")) and "72 người" in pop["02215"]
    # Xã An Nhơn Tây (Gia Lai) carries the Hồ Chí Minh unit's figure; the Hồ Chí Minh one keeps its own
    assert "Quy tắc BS1" in pop["21940"] and "Thành phố Hồ Chí Minh" in pop["21940"] and "27508" not in pop.index
    # island units with no neighbour and no merger are not flagged (Xã Cái Chiên 752, Đặc khu Cồn Cỏ 139)
    assert not {"06967", "19742"} & set(pop.index)
    table = pd.read_csv(NATIONAL / "plausibility_flags.csv", dtype=str, keep_default_na=False)
    assert set(table["code"]) == set(pop.index) and table["reason"].str.len().gt(10).all()


def test_population_never_claims_a_year():
    from ktxh_geo.io.shipped import load_indicators
    from ktxh_geo.model import thematic
    from ktxh_geo.vocab import profile

    for profile_id in ("national-2025", "bac-ninh-2025"):
        with profile.use(profile_id) as p:
            indicators = load_indicators(p.data_dir / "indicators.csv")
            assert indicators["population"].year_label == "năm số liệu không được nêu; công bố 17/7/2025"
            assert indicators["density"].year_label == indicators["population"].year_label
            communes = load.load_communes()
            values = load.load_values(include_entered=False)
            built = thematic.build(thematic.MapRequest("population"), indicators, values, communes)
            assert "năm 2025" not in built.title
            assert "Dân số (năm số liệu không được nêu; công bố 17/7/2025)" in built.title
            assert set(built.joined["year_text"]) == {"năm số liệu không được nêu; công bố 17/7/2025"}


def test_province_sums_that_disagree_are_disclosed():
    conflicts = pd.read_csv(NATIONAL / "province_sum_conflicts.csv", dtype={"province_code": str})
    assert (conflicts["gap"].abs() > 0.01 * conflicts["province_figure"]).all()
    assert (conflicts["measure"] == "population").sum() == 30
    ca_mau = conflicts[(conflicts["province_code"] == "96") & (conflicts["measure"] == "area_km2")].iloc[0]
    assert ca_mau["gap_pct"] == pytest.approx(-20.5, abs=0.1)


def test_a_flagged_unit_is_drawn_hatched_with_its_rule_in_legend_tooltip_and_table():
    from ktxh_geo.model import thematic
    from ktxh_geo.model.plausibility import flagged_rows
    from ktxh_geo.render import maps
    from ktxh_geo.vocab import profile

    with profile.use("national-2025"):
        communes = load.load_communes("2025", where={"province_code": "08"})
        request = thematic.MapRequest("population", edition="2025", where=(("province_code", "08"),))
        built = thematic.build(request, load.load_indicators(), load.load_values(include_entered=False), communes)
        legend = {item.kind: item.label for item in built.classification.legend}
        assert legend["flagged"] == "Cần kiểm tra (không phải số liệu chính thức)"
        assert "Số liệu cần kiểm tra" in built.subtitle
        minh_xuan = built.joined.index[built.joined["code"] == "02215"][0]
        assert built.classification.class_labels[minh_xuan] == legend["flagged"]
        assert 72 < min(built.classification.bins)  # a flagged figure takes no part in the class breaks
        table = flagged_rows(built.joined)
        assert "02215" in set(table["Mã"]) and table["Quy tắc kiểm tra và lý do"].str.contains("Quy tắc DS").all()
        m = maps.build_map(built.joined, built.classification, load.load_outline())
        html = m.get_root().render()
        (restyle,) = [c for c in m._children.values() if isinstance(c, maps.Call) and c.helper == "restyle"]
        fills = [p["_s"]["fillColor"] for p in maps.expand_props(json.loads(restyle.spec)).values()]
        assert fills.count("url(#ktxh-flag)") == len(table) and '<pattern id="ktxh-flag"' in html
        assert "Cần kiểm tra" in html and "cần kiểm tra" in html  # tooltip row and status label


def test_an_import_that_would_publish_an_implausible_value_says_so():
    from ktxh_geo.model import datasets, imports
    from ktxh_geo.vocab import profile

    with profile.use("national-2025"):
        dataset = datasets.load_datasets()["population"]
        csv = "Mã xã,Tên đơn vị,Dân số (người)\n02215,Phường Minh Xuân,72\n00004,Phường Ba Đình,65023\n"
        report = imports.check(imports.read_table(csv.encode(), "dan_so.csv"), dataset, 2025, load.load_units())
        warnings = [str(i) for i in report.issues if i.level == "warning"]
        assert report.ok and len(warnings) == 2
        assert all(w.startswith("dan_so.csv, dòng 2, cột Dân số (người): giá trị sẽ bị gắn cờ") for w in warnings)
        assert "Quy tắc DS1" in warnings[0] and "Quy tắc DS2" in warnings[1]
