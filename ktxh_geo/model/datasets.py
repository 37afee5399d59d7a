"""Import datasets: which commune-level indicators a file may carry, with their types and allowed values.

Ranges and categories come from data/indicators.csv; the kind of each column (rate, criteria, count,
category) decides how a cell is parsed (rates may be decimal, counts and criteria are whole numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from ktxh_geo.io import shipped as load

YEARS = tuple(range(2020, 2026))


@dataclass(frozen=True)
class Column:
    """One value column of a dataset: an indicator of data/indicators.csv."""

    indicator_id: str
    label: str  # header in the template, e.g. "Tỷ lệ hộ nghèo (%)"
    kind: str  # "rate", "criteria", "count" or "category"
    required: bool
    min: float | None = None
    max: float | None = None
    categories: tuple[str, ...] = ()
    unit: str = ""

    @property
    def integer(self) -> bool:
        return self.kind in ("criteria", "count")

    def range_text(self) -> str:
        """ "từ 0 đến 100" or "≥ 0"."""
        if self.max is not None:
            return f"từ {self.min:g} đến {self.max:g}"
        return f"≥ {self.min:g}"

    def allowed_text(self) -> str:
        """The allowed values in Vietnamese, e.g. "số từ 0 đến 100" or "một trong: chưa đạt, …"."""
        if self.kind == "category":
            return "một trong: " + ", ".join(self.categories)
        number = "số nguyên" if self.integer else "số (dấu phẩy thập phân, ví dụ 2,83)"
        if self.max is not None:
            return f"{number} từ {self.min:g} đến {self.max:g}"
        return f"{number} không âm (≥ {self.min:g})"


@dataclass(frozen=True)
class Dataset:
    id: str
    title: str
    columns: tuple[Column, ...]
    xa_only: bool  # thị trấn are not assessed (NTM programme covers xã only)
    description: str

    def column(self, indicator_id: str) -> Column:
        return next(c for c in self.columns if c.indicator_id == indicator_id)


# dataset id -> (title, [(indicator id, kind, required)], description)
_SPEC: dict[str, tuple[str, list[tuple[str, str, bool]], str]] = {
    "poverty_rate": (
        "Tỷ lệ hộ nghèo theo xã",
        [("poverty_rate", "rate", True), ("households", "count", False), ("poor_households", "count", False)],
        "Kết quả rà soát hộ nghèo cuối năm: tỷ lệ (%), tổng số hộ và số hộ nghèo của từng xã, thị trấn.",
    ),
    "ntm_criteria": (
        "Số tiêu chí nông thôn mới đạt",
        [("ntm_criteria", "criteria", True)],
        "Số tiêu chí của Bộ tiêu chí quốc gia xã nông thôn mới (19 tiêu chí) mà xã đạt.",
    ),
    "ntm_status": (
        "Tình trạng nông thôn mới",
        [("ntm_status", "category", True)],
        "Mức đạt chuẩn nông thôn mới của xã.",
    ),
    "model_villages": (
        "Số thôn đạt chuẩn NTM kiểu mẫu",
        [("model_villages", "count", True)],
        "Số thôn của xã được công nhận đạt chuẩn nông thôn mới kiểu mẫu trong năm (không cộng dồn các năm trước).",
    ),
}


def load_datasets(indicators: dict[str, load.Indicator] | None = None) -> dict[str, Dataset]:
    """The import datasets, with ranges and categories read from the indicator catalogue."""
    indicators = indicators or load.load_indicators()
    out: dict[str, Dataset] = {}
    for ds_id, (title, cols, description) in _SPEC.items():
        columns = []
        for ind_id, kind, required in cols:
            ind = indicators[ind_id]
            low = ind.min if ind.min is not None else 0.0
            high = ind.max if kind in ("rate", "criteria") else None
            label = f"{ind.name} ({ind.unit})" if ind.unit else ind.name
            columns.append(Column(ind_id, label, kind, required, low, high, ind.categories, ind.unit))
        xa_only = any(indicators[i].applies_to == "xa" for i, _, _ in cols)
        out[ds_id] = Dataset(ds_id, title, tuple(columns), xa_only, description)
    return out


def edition_for_year(year: int) -> str:
    """The administrative edition a year's figures are recorded in (2025 → the 17 units of 2025-H1)."""
    return "2025-h1" if year >= 2025 else "2020-2024"


def _parse_date(text: str, default: date) -> date:
    try:
        return date.fromisoformat(str(text).strip()[:10])
    except ValueError:
        return default


def units_in_year(units: pd.DataFrame, year: int) -> pd.DataFrame:
    """Rows of data/units.csv whose validity overlaps the calendar year (Tam Hiệp ends 2024-12-31)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    keep = [
        _parse_date(r.valid_from, date.min) <= end and _parse_date(r.valid_to, date.max) >= start
        for r in units.itertuples()
    ]
    return units[keep].drop_duplicates("gso_code", keep="last").sort_values("gso_code").reset_index(drop=True)


def validity_text(row) -> str:
    """ "01/01/2020–31/12/2024" for a units.csv row."""
    start = _parse_date(row.valid_from, date.min)
    end = _parse_date(row.valid_to, date.max)
    return f"{start:%d/%m/%Y}–{end:%d/%m/%Y}"
