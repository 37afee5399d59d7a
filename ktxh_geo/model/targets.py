"""Targets of the plan as data, and the verdict of a result against its target.

A target has its indicator, level (``locality``: the whole area, as the plan's table states it; ``commune``: assigned
to one commune by the planning office), year, value and a comparison rule read from how the plan states it:

- ``at_least`` (≥; "> 98" is the strict form): more is better;
- ``at_most`` (≤, "giảm còn 1,93 %"; "< 10" is the strict form): less is better;
- ``range`` ("4–4,2 triệu con"): inside the range is reached, above it exceeded;
- ``count`` ("02 xã"): a number of units or objects, at least that many;
- ``milestone``: done or not (a result of 1 / "có" / "hoàn thành").

``verdict`` answers vượt / đạt / chưa đạt / chưa có số liệu with the rule shown, and ``percent`` the share of the
target as the plan writes it ("đạt 116,63 % KH"). Locality targets ship with the profile (``data/targets.csv``, each
row citing where the plan writes it); nothing here invents a target or a result.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ktxh_geo.errors import DataError
from ktxh_geo.text import format_number

RULES = {
    "at_least": "tối thiểu (≥)",
    "at_most": "tối đa (≤)",
    "range": "trong khoảng",
    "count": "số lượng (≥)",
    "milestone": "hoàn thành (có/không)",
}
LEVELS = ("locality", "commune")
EXCEEDED, REACHED, NOT_REACHED, NO_DATA = "vuot", "dat", "chua_dat", "chua_co"
VERDICTS = {EXCEEDED: "Vượt kế hoạch", REACHED: "Đạt kế hoạch", NOT_REACHED: "Chưa đạt", NO_DATA: "Chưa có số liệu"}
VERDICT_COLORS = {EXCEEDED: "#1a9850", REACHED: "#91cf60", NOT_REACHED: "#d73027", NO_DATA: "#bdbdbd"}
MET = (EXCEEDED, REACHED)  # "đạt và vượt kế hoạch"
DONE_WORDS = {"co", "1", "dat", "hoan thanh", "da hoan thanh", "xong"}
TARGET_COLUMNS = [
    "indicator_id",
    "level",
    "code",
    "year",
    "value",
    "rule",
    "low",
    "high",
    "strict",
    "wording",
    "status",
    "source",
    "note",
]
EPS = 1e-9


@dataclass(frozen=True)
class Target:
    """One target: ``value`` for at_least / at_most / count; ``low``–``high`` for a range; nothing for a milestone."""

    indicator_id: str
    level: str
    code: str
    year: int
    rule: str
    value: float | None = None
    low: float | None = None
    high: float | None = None
    strict: bool = False  # "> 98", "< 10": the bound itself does not reach the target
    wording: str = ""  # the plan's words, when transcribed
    source: str = ""
    status: str = "target"  # "inferred": read from a percentage the plan states (the note says how)
    note: str = ""


@dataclass(frozen=True)
class Verdict:
    key: str  # EXCEEDED, REACHED, NOT_REACHED or NO_DATA
    percent: float | None  # result as a share of the target, where the plan would write one

    @property
    def label(self) -> str:
        return VERDICTS[self.key]

    @property
    def met(self) -> bool:
        return self.key in MET


def _num(raw) -> float | None:
    """A number written the Vietnamese way ("1.350", "1,93", "02") or a float; None when empty."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    if isinstance(raw, int | float):
        return float(raw)
    text = str(raw).strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"\d{1,3}(\.\d{3})+", text):
        text = text.replace(".", "")
    return float(text)


_RANGE = re.compile(r"^\s*([\d.,]+)\s*[-–—]\s*([\d.,]+)")
_BOUND = re.compile(r"^\s*(>=|<=|≥|≤|>|<)\s*([\d.,]+)")


def parse_rule(text: str, default: str = "at_least") -> dict:
    """Read a target as the plan writes it: "≥2", "> 98", "< 10", "giảm còn 1,93", "4–4,2", "02 xã", "có".

    Returns ``{"rule", "value", "low", "high", "strict"}``; ``ValueError`` (Vietnamese) when it is not a target.
    """
    raw = str(text or "").strip()
    low = raw.casefold()
    if not raw:
        raise ValueError("Chỉ tiêu trống.")
    if low in ("có", "co", "hoàn thành", "hoan thanh"):
        return {"rule": "milestone", "value": None, "low": None, "high": None, "strict": False}
    if m := _RANGE.match(raw):
        a, b = _num(m.group(1)), _num(m.group(2))
        if a is None or b is None or a > b:
            raise ValueError(f"Khoảng chỉ tiêu “{raw}” không hợp lệ (số đầu phải nhỏ hơn số sau).")
        return {"rule": "range", "value": None, "low": a, "high": b, "strict": False}
    if m := _BOUND.match(raw):
        sign, value = m.group(1), _num(m.group(2))
        rule = "at_least" if sign in (">", ">=", "≥") else "at_most"
        return {"rule": rule, "value": value, "low": None, "high": None, "strict": sign in (">", "<")}
    if low.startswith(("giảm còn", "giam con", "dưới", "không quá", "tối đa")):
        words = re.sub(r"^(giảm còn|giam con|dưới|không quá|tối đa)\s*", "", low)
        strict = low.startswith("dưới")
        return {"rule": "at_most", "value": _number_in(words, raw), "low": None, "high": None, "strict": strict}
    if m := re.match(r"^\s*([\d.,]+)\s+(xã|thôn|sản phẩm|dự án|trường|đơn vị)", low):
        return {"rule": "count", "value": _num(m.group(1)), "low": None, "high": None, "strict": False}
    value = _number_in(low, raw)
    return {"rule": default, "value": value, "low": None, "high": None, "strict": False}


def _number_in(text: str, raw: str) -> float:
    m = re.match(r"^\s*([\d.,]+)", text)
    try:
        value = _num(m.group(1)) if m else None
    except ValueError:
        value = None
    if value is None:
        raise ValueError(
            f"Không đọc được chỉ tiêu “{raw}”: cần một số, “≥ 2”, “< 10”, “giảm còn 1,93”, “4–4,2” hoặc “có”."
        )
    return value


def number_text(value: float | None) -> str:
    """A number as the plan writes it: Vietnamese separators, no trailing zeros (4,2; 1.350; 149,95)."""
    text = format_number(value, 4)
    return text.rstrip("0").rstrip(",") if "," in text else text


def rule_text(target: Target, unit: str = "") -> str:
    """The rule as shown beside a verdict: "≥ 9,2 %", "≤ 1,93 % (giảm còn)", "< 10 %", "4–4,2 triệu con"."""
    u = f" {unit}" if unit else ""
    if target.rule == "range":
        return f"{number_text(target.low)}–{number_text(target.high)}{u}"
    if target.rule == "milestone":
        return "hoàn thành (có/không)"
    sign = {"at_least": (">", "≥"), "count": (">", "≥"), "at_most": ("<", "≤")}[target.rule][0 if target.strict else 1]
    return f"{sign} {number_text(target.value)}{u}"


def percent(target: Target, result: float | None) -> float | None:
    """Result as a percentage of the target, as the plan writes "đạt 149,95% kế hoạch": for at_least and count
    targets only (a share of a ceiling or a range says nothing the verdict does not)."""
    if result is None or target.rule not in ("at_least", "count") or not target.value:
        return None
    return float(result) / float(target.value) * 100.0


def _bound(value: float | None) -> float:
    """A bound the target's rule needs; a target without it is a programming error (as ``float(None)`` was)."""
    if value is None:
        raise TypeError("target has no value for its rule")
    return float(value)


def _done(result) -> bool:
    from ktxh_geo.text import fold

    if isinstance(result, int | float):
        return not math.isnan(result) and result >= 1
    return fold(str(result or "")).strip() in DONE_WORDS


def verdict(target: Target, result) -> Verdict:
    """vượt / đạt / chưa đạt / chưa có số liệu for ``result`` (None: not reported) by the target's rule.

    Strict bounds ("> 98", "< 10") are reached only beyond the bound and never "vượt" (the plan states a bound, not
    a level to exceed); a range is exceeded above its upper end.
    """
    if result is None or (isinstance(result, float) and math.isnan(result)) or result == "":
        return Verdict(NO_DATA, None)
    if target.rule == "milestone":
        return Verdict(REACHED if _done(result) else NOT_REACHED, None)
    r = float(result)
    if target.rule == "range":
        if r > _bound(target.high) + EPS:
            return Verdict(EXCEEDED, None)
        return Verdict(REACHED if r >= _bound(target.low) - EPS else NOT_REACHED, None)
    t = _bound(target.value)
    better = r - t if target.rule in ("at_least", "count") else t - r
    if target.strict:
        key = REACHED if better > EPS else NOT_REACHED
    else:
        key = EXCEEDED if better > EPS else REACHED if better >= -EPS else NOT_REACHED
    return Verdict(key, percent(target, r))


def percent_text(value: float | None) -> str:
    """ "đạt 149,95 % KH" (two decimals at most, as the plan writes them); "" when no percentage applies."""
    if value is None:
        return ""
    return f"đạt {number_text(round(value, 2))} % KH"


def headline(verdicts: list[Verdict]) -> tuple[int, int]:
    """(met, counted): "X/Y chỉ tiêu đạt và vượt kế hoạch" counts every target, reported or not."""
    return sum(v.met for v in verdicts), len(verdicts)


# ---------------------------------------------------------------- the shipped targets of a locality


def _cell(row: dict, name: str) -> str:
    value = row.get(name)
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value).strip()


def read_targets(path: Path) -> list[Target]:
    """The locality's targets (``data/targets.csv``: one row per target, with its source); [] when there is none.

    ``DataError`` naming the file and row for a bad rule, level or number.
    """
    if not path.exists():
        return []
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in TARGET_COLUMNS if c not in frame.columns]
    if missing:
        raise DataError(f"{path.name}: thiếu cột {', '.join(missing)}.")
    out = []
    for i, row in enumerate(frame.to_dict("records"), start=2):
        where = f"{path.name}, dòng {i}"
        rule, level = _cell(row, "rule"), _cell(row, "level")
        if rule not in RULES or level not in LEVELS:
            raise DataError(f"{where}: cách so sánh “{rule}” hoặc cấp “{level}” không hợp lệ.")
        if not _cell(row, "source"):
            raise DataError(f"{where}: chỉ tiêu không ghi nguồn.")
        try:
            value, low, high = (_num(_cell(row, n)) for n in ("value", "low", "high"))
        except ValueError:
            raise DataError(f"{where}: giá trị không phải là số.") from None
        no_range = rule == "range" and (low is None or high is None)
        if no_range or (rule not in ("range", "milestone") and value is None):
            raise DataError(f"{where}: thiếu giá trị chỉ tiêu cho cách so sánh {RULES[rule]}.")
        out.append(
            Target(
                indicator_id=_cell(row, "indicator_id"),
                level=level,
                code=_cell(row, "code"),
                year=int(_cell(row, "year")),
                rule=rule,
                value=value,
                low=low,
                high=high,
                strict=_cell(row, "strict").lower() in ("1", "true", "x"),
                wording=_cell(row, "wording"),
                source=_cell(row, "source"),
                status=_cell(row, "status") or "target",
                note=_cell(row, "note"),
            )
        )
    return out


def locality_targets(data_dir: Path, year: int | None = None) -> list[Target]:
    """The shipped locality targets of a profile (``data/targets.csv``), of ``year`` when given."""
    targets = read_targets(Path(data_dir) / "targets.csv")
    return [t for t in targets if year is None or t.year == year]
