import pandas as pd
import pytest

from ktxh_geo.io import shipped as load
from ktxh_geo.model.join import NO_DATA, NOT_APPLICABLE, commune_values, has_illustrative, join_indicator
from ktxh_geo.vocab.editions import EDITIONS


@pytest.mark.parametrize("edition", list(EDITIONS))
def test_each_edition_loads_with_string_codes(edition, units):
    gdf = load.load_communes(edition)
    assert len(gdf) == EDITIONS[edition].n_units
    assert gdf.crs.to_epsg() == 4326
    assert all(isinstance(c, str) and len(c) == 5 for c in gdf["code"])
    assert gdf["code"].is_unique


def test_2020_edition_has_two_towns_and_seventeen_xa(communes):
    assert (communes["unit_type"] == "thị trấn").sum() == 2
    assert (communes["unit_type"] == "xã").sum() == 17


def test_model_villages_join_official_values(communes, values, indicators):
    joined = join_indicator(communes, values, indicators["model_villages"], 2023).set_index("code")
    assert joined.at["07285", "value"] == 3  # An Thượng: thôn An Châu, Hồng Lĩnh, Tân An
    assert joined.at["07260", "value"] == 1  # Đồng Tâm ("xã Đông Tâm" in the plan)
    assert joined.at["07273", "value"] == 0  # Đông Sơn: not confused with Đồng Tâm
    assert joined.at["07267", "value"] == 1  # Hồng Kỳ: bản Làng Ba
    assert joined["value"].sum() == 6
    assert joined.at["07294", "display"] == NOT_APPLICABLE  # thị trấn
    assert joined.at["07285", "source"].startswith("Dự thảo Kế hoạch KT-XH 2024, mục A, chú thích 1")
    assert joined.at["07285", "status"] == "official"  # the plan names An Thượng's 3 villages
    assert joined.at["07273", "status"] == "inferred"  # 0 read from Đông Sơn's absence in footnote 1
    assert not has_illustrative(joined.reset_index())


def test_every_commune_matched_once(communes, values, indicators):
    joined = join_indicator(communes, values, indicators["poverty_rate"], 2023)
    assert len(joined) == 19
    assert joined["status"].eq("illustrative").all()
    assert round(joined["value"].mean(), 2) == 2.83  # consistent with the district figure


def test_without_illustrative_values_poverty_is_missing(communes, indicators):
    vals = load.load_values(include_illustrative=False)
    joined = join_indicator(communes, vals, indicators["poverty_rate"], 2023, include_illustrative=False)
    assert joined["display"].eq(NO_DATA).all()
    assert joined["status"].eq("missing").all()


def test_official_status_wins_over_illustrative(communes, values, indicators):
    joined = join_indicator(communes, values, indicators["ntm_status"], 2023).set_index("code")
    assert joined.at["07273", "value_text"] == "đã thẩm tra"
    assert joined.at["07273", "status"] == "official"
    assert joined.at["07291", "status"] == "official"
    assert joined.at["07243", "status"] == "illustrative"
    assert joined.at["07288", "status"] == "not_applicable"


def test_ntm_criteria_mean_matches_plan(communes, values, indicators):
    joined = join_indicator(communes, values, indicators["ntm_criteria"], 2023)
    xa = joined[joined["unit_type"] == "xã"]
    assert round(xa["value"].mean(), 2) == 15.06


def test_values_never_join_on_names(communes, indicators):
    # A value row for Đồng Tâm (07260) must not land on Đông Sơn (07273), although both fold to "Dong ...".
    row = dict(
        indicator_id="model_villages",
        level="commune",
        code="07260",
        edition="2020-2024",
        year=2023,
        value=5.0,
        value_text="",
        status="official",
        source="test",
        note="",
    )
    vals = pd.DataFrame([row])
    vals["year"] = vals["year"].astype("Int64")
    joined = join_indicator(communes, vals, indicators["model_villages"], 2023).set_index("code")
    assert joined.at["07260", "value"] == 5
    assert joined.at["07273", "display"] == NO_DATA


def test_commune_values_prefers_official(values):
    rows = commune_values(values, "ntm_status", 2023, "2020-2024")
    assert rows["code"].is_unique


@pytest.mark.parametrize(
    "statuses,winner",
    [
        (["illustrative", "inferred"], "inferred"),
        (["inferred", "target"], "target"),
        (["target", "official"], "official"),
    ],
)
def test_commune_values_follows_the_status_order(statuses, winner):
    rows = pd.DataFrame(
        [
            dict(
                indicator_id="x",
                level="commune",
                code="07243",
                edition="2020-2024",
                year=2023,
                value=float(i),
                value_text="",
                status=s,
                source="test",
                note="rule",
            )
            for i, s in enumerate(statuses)
        ]
    )
    rows["year"] = rows["year"].astype("Int64")
    assert commune_values(rows, "x", 2023, "2020-2024")["status"].tolist() == [winner]


def test_load_values_keeps_the_decimals_written():
    vals = load.load_values(include_illustrative=True, include_entered=False)
    assert "decimals_written" in vals.columns
    assert load.decimals_written("9.2") == 1 and load.decimals_written("41.0") == 1
    assert load.decimals_written("7784") == 0 and load.decimals_written("") is None
    poverty = vals[(vals["indicator_id"] == "poverty_rate") & (vals["level"] == "district")]
    assert set(poverty["decimals_written"]) == {2}


def test_projects_register_loads_with_geometry():
    projects = load.load_projects()
    assert {"ccn_dong_son", "ccn_tan_soi"} <= set(projects["id"])
    ccn = projects.set_index("id").loc["ccn_dong_son"]
    assert ccn["area_ha"] == 25 and ccn["decision_no"] == "1050/QĐ-UBND" and ccn["capital_bn"] == 257
    assert ccn["location_precision"] == "commune"
    assert projects.set_index("id").loc["nm_vien_nen_go"].geometry is None
