"""Import datasets: which commune-level indicators a file may carry, with their types and allowed values.

The datasets, the years offered and the edition each year's figures are recorded on come from the active
locality profile (``[[datasets]]``, ``[datasets_editions]``). Ranges and categories come from
data/indicators.csv; the kind of each column (rate, criteria, count, category) decides how a cell is parsed
(rates may be decimal, counts and criteria are whole numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from ktxh_geo.io import shipped as load
from ktxh_geo.text import format_date_vn
from ktxh_geo.vocab.indicators import Indicator
from ktxh_geo.vocab.profile import active


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


def load_datasets(indicators: dict[str, Indicator] | None = None) -> dict[str, Dataset]:
    """The active profile's import datasets (``[[datasets]]``), ranges and categories from the indicator catalogue.

    A profile without datasets has none (nothing to import).
    """
    specs = active().datasets
    if not specs:
        return {}
    indicators = indicators or load.load_indicators()
    out: dict[str, Dataset] = {}
    for spec in specs:
        columns = []
        for col in spec.columns:
            ind = indicators[col.indicator]
            low = ind.min if ind.min is not None else 0.0
            high = ind.max if col.kind in ("rate", "criteria") else None
            label = f"{ind.name} ({ind.unit})" if ind.unit else ind.name
            columns.append(Column(col.indicator, label, col.kind, col.required, low, high, ind.categories, ind.unit))
        xa_only = any(indicators[c.indicator].applies_to == "xa" for c in spec.columns)
        out[spec.id] = Dataset(spec.id, spec.title, tuple(columns), xa_only, spec.description)
    return out


def years() -> tuple[int, ...]:
    """The years figures may be imported for (profile ``[datasets_editions] edition_by_year``), ascending."""
    return tuple(sorted({y for rule in active().edition_by_year for y in range(rule.first, rule.last + 1)}))


def default_year() -> int | None:
    """The year the import page proposes: the profile's ``default_year``, else the latest importable year."""
    offered = years()
    chosen = active().default_import_year
    return chosen if chosen in offered else (offered[-1] if offered else None)


def edition_for_year(year: int) -> str:
    """The administrative edition a year's figures are recorded in (profile ``edition_by_year``).

    ``ValueError`` for a year the profile does not import.
    """
    for rule in active().edition_by_year:
        if rule.first <= year <= rule.last:
            return rule.edition
    raise ValueError(f"Năm {year} không nằm trong các năm nhập số liệu của {active().area_name}.")


def _parse_date(text: str, default: date) -> date:
    try:
        return date.fromisoformat(str(text).strip()[:10])
    except ValueError:
        return default


def units_in_year(units: pd.DataFrame, year: int) -> pd.DataFrame:
    """Rows of data/units.csv whose validity overlaps the calendar year (a unit merged away is absent after)."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    keep = [
        _parse_date(r.valid_from, date.min) <= end and _parse_date(r.valid_to, date.max) >= start
        for r in units.itertuples()
    ]
    return units[keep].drop_duplicates("gso_code", keep="last").sort_values("gso_code").reset_index(drop=True)


def validity_text(row) -> str:
    """The validity of a units.csv row as "dd/mm/yyyy–dd/mm/yyyy"."""
    start = _parse_date(row.valid_from, date.min)
    end = _parse_date(row.valid_to, date.max)
    return f"{format_date_vn(start)}–{format_date_vn(end)}"
