"""The year-end estimate ("ước cả năm") from the 6- or 9-month figures, by a rule the office chooses and states.

A cumulative flow (sản lượng, thu ngân sách …) is scaled to the year ("6 tháng × 2", "9 tháng × 4/3"); a level or
rate (tỷ lệ, độ che phủ …) is kept as it is ("giữ nguyên số 6 tháng"). A rule is proposed only where the indicator's
catalogue entry says what it is (a rate or an average: kept); for a summed indicator the catalogue cannot tell a
flow from a stock (tổng đàn lợn is summed but not scaled), so the office chooses. Estimates are computed on the fly,
never stored as a result; each is labelled "ước tính" and its verdict carries "(ước)".
"""

from __future__ import annotations

import math

import pandas as pd

from ktxh_geo.model import targets as tg
from ktxh_geo.vocab import STAGES, VALUE_STATUSES

SCALE, KEEP, NONE = "scale", "keep", ""
FACTORS = {"6_thang": 2.0, "9_thang": 4.0 / 3.0}  # stages an estimate can start from
FACTOR_TEXT = {"6_thang": "× 2", "9_thang": "× 4/3"}
MARK = " (ước)"
COLUMNS = [
    "indicator_id",
    "Chỉ tiêu",
    "Đơn vị tính",
    "Kế hoạch",
    "Số kỳ báo cáo",
    "Cách ước",
    "Ước cả năm",
    "Loại số liệu",
    "Tỷ lệ",
    "Đánh giá",
    "verdict",
]


def applies(stage: str) -> bool:
    """Whether a year-end estimate can be made from this period's figures (6 or 9 months)."""
    return stage in FACTORS


def rule_text(rule: str, stage: str) -> str:
    """The rule as the report states it: "số 6 tháng × 2", "giữ nguyên số 9 tháng", or that none was chosen."""
    months = STAGES[stage]
    if rule == SCALE:
        return f"số {months} {FACTOR_TEXT[stage]}"
    if rule == KEEP:
        return f"giữ nguyên số {months}"
    return "chưa chọn cách ước"


def rule_options(stage: str) -> dict[str, str]:
    """The rules the office can choose for one indicator, with their text (empty key: not estimated)."""
    return {NONE: "Không ước", SCALE: rule_text(SCALE, stage), KEEP: rule_text(KEEP, stage)}


def default_rule(aggregation: str, unit: str) -> str:
    """KEEP for a rate or an average (the catalogue says so); NONE otherwise: the office chooses, nothing guessed."""
    if str(unit).strip() == "%" or aggregation in ("mean", "weighted_mean"):
        return KEEP
    return NONE


def _number(value) -> float | None:
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None  # a text result ("có", "hoàn thành") is not estimated


def estimate(value: float | None, rule: str, stage: str) -> float | None:
    """The year's estimate of one period figure by ``rule``; None when there is no figure or no rule."""
    if value is None or rule not in (SCALE, KEEP) or not applies(stage):
        return None
    return value * FACTORS[stage] if rule == SCALE else value


def rows(
    targets: list[tg.Target],
    results: dict[str, dict],
    indicators: dict[str, tuple[str, str]],
    stage: str,
    rules: dict[str, str],
) -> pd.DataFrame:
    """One row per locality target (not milestones): the period's figure, the rule, the estimate, its verdict against
    the year's target marked "(ước)". ``results`` as for ``progress.locality_rows``; ``rules[indicator]``: the rule
    chosen (missing or NONE: no estimate)."""
    out = []
    for t in targets:
        if t.rule == "milestone":
            continue
        name, unit = indicators.get(t.indicator_id, (t.indicator_id, ""))
        got = results.get(t.indicator_id) or {}
        figure = None if got.get("value_text") else _number(got.get("value"))
        rule = rules.get(t.indicator_id, NONE)
        value = estimate(figure, rule, stage)
        v = tg.verdict(t, value)
        if figure is None:
            judged = f"Chưa có số liệu {STAGES[stage]}"
        elif value is None:
            judged = "Chưa ước (chưa chọn cách ước)"
        else:
            judged = v.label + MARK
        out.append(
            {
                "indicator_id": t.indicator_id,
                "Chỉ tiêu": name,
                "Đơn vị tính": unit,
                "Kế hoạch": tg.rule_text(t, unit),
                "Số kỳ báo cáo": "" if figure is None else f"{tg.number_text(figure)} {unit}".strip(),
                "Cách ước": rule_text(rule, stage) if figure is not None else "",
                "Ước cả năm": "" if value is None else f"{tg.number_text(round(value, 4))} {unit}".strip(),
                "Loại số liệu": VALUE_STATUSES["estimate"] if value is not None else "",
                "Tỷ lệ": tg.percent_text(v.percent),
                "Đánh giá": judged,
                "verdict": v.key,
            }
        )
    return pd.DataFrame(out, columns=COLUMNS)


def headline(frame: pd.DataFrame) -> str:
    """ "Ước cả năm: X/Y chỉ tiêu đạt và vượt kế hoạch (Z chỉ tiêu được ước)"."""
    estimated = int((frame["Ước cả năm"] != "").sum()) if len(frame) else 0
    met = int(frame["verdict"].isin(tg.MET).sum()) if len(frame) else 0
    return f"Ước cả năm: {met}/{len(frame)} chỉ tiêu đạt và vượt kế hoạch ({estimated} chỉ tiêu được ước)"
