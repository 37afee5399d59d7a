"""Targets as data: rules read from the plan's wording, verdicts, percentages, the shipped Yên Thế targets."""

from pathlib import Path

import pandas as pd
import pytest

from ktxh_geo.errors import DataError
from ktxh_geo.model import targets as tg

DATA = Path(__file__).resolve().parents[2] / "profiles" / "yen-the-2024" / "data"


def _t(text: str, default: str = "at_least") -> tg.Target:
    return tg.Target("x", "commune", "1", 2024, **tg.parse_rule(text, default))


@pytest.mark.parametrize(
    ("text", "rule", "value", "strict"),
    [
        ("9,2", "at_least", 9.2, False),
        ("1.350", "at_least", 1350.0, False),
        ("≥2", "at_least", 2.0, False),
        ("> 98", "at_least", 98.0, True),
        ("<10", "at_most", 10.0, True),
        ("giảm còn 1,93", "at_most", 1.93, False),
        ("02 xã", "count", 2.0, False),
    ],
)
def test_rules_read_from_the_plans_words(text, rule, value, strict):
    t = _t(text)
    assert (t.rule, t.value, t.strict) == (rule, value, strict)


def test_range_and_milestone_and_bad_text():
    r = _t("4–4,2")
    assert (r.rule, r.low, r.high) == ("range", 4.0, 4.2)
    assert _t("có").rule == "milestone"
    with pytest.raises(ValueError, match="Không đọc được chỉ tiêu"):
        tg.parse_rule("nhiều")
    with pytest.raises(ValueError, match="không hợp lệ"):
        tg.parse_rule("5-4")


def test_verdicts_by_rule():
    at_least, at_most, below = _t("100"), _t("giảm còn 1,93"), _t("< 10")
    assert tg.verdict(at_least, 101).key == tg.EXCEEDED
    assert tg.verdict(at_least, 100).key == tg.REACHED
    assert tg.verdict(at_least, 99.9).key == tg.NOT_REACHED
    assert tg.verdict(at_least, None).key == tg.NO_DATA
    assert tg.verdict(at_most, 1.5).key == tg.EXCEEDED  # fewer poor households than planned
    assert tg.verdict(at_most, 1.93).key == tg.REACHED
    assert tg.verdict(at_most, 2.1).key == tg.NOT_REACHED
    assert tg.verdict(below, 9.9).key == tg.REACHED  # a strict bound is reached, never "exceeded"
    assert tg.verdict(below, 10).key == tg.NOT_REACHED
    rng = _t("4–4,2")
    assert [tg.verdict(rng, v).key for v in (3.9, 4.0, 4.2, 4.3)] == [
        tg.NOT_REACHED,
        tg.REACHED,
        tg.REACHED,
        tg.EXCEEDED,
    ]
    done = _t("có")
    assert tg.verdict(done, "Hoàn thành").key == tg.REACHED and tg.verdict(done, "không").key == tg.NOT_REACHED
    assert tg.percent(at_most, 1.5) is None  # no "% KH" for a ceiling
    assert tg.rule_text(at_most, "%") == "≤ 1,93 %" and tg.rule_text(below, "%") == "< 10 %"
    assert tg.rule_text(rng, "triệu con") == "4–4,2 triệu con"


def test_headline_counts_every_target():
    verdicts = [tg.Verdict(k, None) for k in (tg.EXCEEDED, tg.REACHED, tg.NOT_REACHED, tg.NO_DATA)]
    assert tg.headline(verdicts) == (2, 4)


def test_yen_the_2024_targets_are_the_plans():
    """targets.csv repeats the plan's 2024 targets of values.csv (same value, same source); each cites the plan."""
    shipped = {t.indicator_id: t for t in tg.locality_targets(DATA, 2024)}
    values = pd.read_csv(DATA / "values.csv", dtype=str, keep_default_na=False)
    rows = values[(values.status == "target") & ~values.indicator_id.str.startswith("structure_")]
    assert set(rows.indicator_id) == set(shipped)
    for row in rows.to_dict("records"):
        t = shipped[row["indicator_id"]]
        assert t.source == row["source"] and t.source.startswith("Dự thảo Kế hoạch KT-XH 2024")
        if t.rule != "range":
            assert t.value == float(row["value"])
    assert shipped["poverty_rate"].rule == "at_most" and "giảm còn 1,93" in shipped["poverty_rate"].wording
    assert (shipped["child_malnutrition"].rule, shipped["child_malnutrition"].strict) == ("at_most", True)
    assert (shipped["poultry"].low, shipped["poultry"].high) == (4.0, 4.2)
    assert shipped["ntm_communes"].rule == "count"


def test_yen_the_2023_results_against_the_2023_targets_as_the_plan_writes_them():
    """The plan states the 2023 result and the % of plan it reached; our percentage gives the plan's own words."""
    targets = {t.indicator_id: t for t in tg.locality_targets(DATA, 2023)}
    values = pd.read_csv(DATA / "values.csv", dtype=str, keep_default_na=False)
    rows = values[values.year == "2023"].to_dict("records")
    results = {r["indicator_id"]: float(r["value"]) for r in rows if r["value"]}
    said = {
        "investment_total": "đạt 149,95 % KH",
        "ntm_model_villages_district": "đạt 150 % KH",
        "budget_revenue": "đạt 116,63 % KH",
    }
    assert set(targets) == set(said)
    for indicator, words in said.items():
        v = tg.verdict(targets[indicator], results[indicator])
        assert v.key == tg.EXCEEDED and tg.percent_text(v.percent) == words
        assert targets[indicator].status == "inferred" and "suy ra" in targets[indicator].note


def test_no_2024_result_is_invented():
    """The 2024 targets have no shipped result: every verdict is "chưa có số liệu"."""
    values = pd.read_csv(DATA / "values.csv", dtype=str, keep_default_na=False)
    assert values[(values.year == "2024") & (values.status != "target")].empty


def test_bad_targets_file_names_file_and_row(tmp_path):
    path = tmp_path / "targets.csv"
    pd.DataFrame([{c: "" for c in tg.TARGET_COLUMNS} | {"rule": "more", "level": "locality"}]).to_csv(path, index=False)
    with pytest.raises(DataError, match="targets.csv, dòng 2"):
        tg.read_targets(path)
