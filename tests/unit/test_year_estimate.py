"""The year-end estimate from the 6- or 9-month figures: the rule chosen and stated, verdicts marked "(ước)"."""

from ktxh_geo.model import estimate as est
from ktxh_geo.model import targets as tg

NAMES = {"thu": ("Thu ngân sách (minh họa)", "tỷ đồng"), "ngheo": ("Tỷ lệ hộ nghèo (minh họa)", "%")}
TARGETS = [
    tg.Target("thu", "locality", "", 2025, "at_least", value=100.0),
    tg.Target("ngheo", "locality", "", 2025, "at_most", value=2.0),
    tg.Target("nt", "locality", "", 2025, "milestone"),
]


def _rows(results, rules, stage="6_thang"):
    return est.rows(TARGETS, results, NAMES, stage, rules).set_index("indicator_id")


def test_a_flow_is_doubled_a_rate_kept_with_the_rule_stated():
    results = {"thu": {"value": 55.0, "status": "estimate"}, "ngheo": {"value": 1.8, "status": "official"}}
    rows = _rows(results, {"thu": est.SCALE, "ngheo": est.KEEP})
    assert "nt" not in rows.index  # a milestone is not estimated
    assert rows.loc["thu", "Ước cả năm"] == "110 tỷ đồng" and rows.loc["thu", "Cách ước"] == "số 6 tháng × 2"
    assert rows.loc["thu", "Tỷ lệ"] == "đạt 110 % KH" and rows.loc["thu", "Đánh giá"] == "Vượt kế hoạch (ước)"
    assert rows.loc["ngheo", "Ước cả năm"] == "1,8 %" and rows.loc["ngheo", "Cách ước"] == "giữ nguyên số 6 tháng"
    assert rows.loc["ngheo", "Đánh giá"] == "Vượt kế hoạch (ước)"
    assert set(rows["Loại số liệu"]) == {"ước tính"}
    assert est.headline(rows.reset_index()).startswith("Ước cả năm: 2/2 chỉ tiêu đạt")


def test_nine_months_scale_by_four_thirds_and_fall_short():
    rows = _rows({"thu": {"value": 60.0}}, {"thu": est.SCALE}, "9_thang")
    assert rows.loc["thu", "Ước cả năm"] == "80 tỷ đồng" and rows.loc["thu", "Cách ước"] == "số 9 tháng × 4/3"
    assert rows.loc["thu", "Đánh giá"] == "Chưa đạt (ước)" and rows.loc["thu", "verdict"] == tg.NOT_REACHED


def test_no_estimate_without_figures_or_without_a_chosen_rule():
    rows = _rows({"ngheo": {"value": 1.5}}, {"thu": est.SCALE})  # no 6-month figure for thu; no rule for ngheo
    assert rows.loc["thu", "Ước cả năm"] == "" and rows.loc["thu", "Đánh giá"] == "Chưa có số liệu 6 tháng"
    assert rows.loc["ngheo", "Ước cả năm"] == "" and rows.loc["ngheo", "Đánh giá"].startswith("Chưa ước")
    assert set(rows["verdict"]) == {tg.NO_DATA} and set(rows["Loại số liệu"]) == {""}


def test_a_default_only_where_the_catalogue_says_it_is_a_rate():
    assert est.default_rule("weighted_mean", "%") == est.KEEP and est.default_rule("none", "%") == est.KEEP
    assert est.default_rule("mean", "tuổi") == est.KEEP
    assert est.default_rule("sum", "con") == est.NONE  # a stock (tổng đàn) or a flow: the office chooses
    assert est.applies("6_thang") and est.applies("9_thang") and not est.applies("ca_nam")
    assert est.estimate(3.0, est.SCALE, "ca_nam") is None
