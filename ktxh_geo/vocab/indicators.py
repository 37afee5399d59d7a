"""An indicator of a profile's catalogue (data/indicators.csv): the type every layer passes around.

``io.shipped.load_indicators`` reads the catalogue into these; model, render and ui only read them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Indicator:
    """One indicator of the catalogue (data/indicators.csv)."""

    id: str
    name: str
    unit: str
    kind: str  # "numeric" or "category"
    level: str  # "district", "commune" or "both"
    applies_to: str  # "all", "xa" (xã only) or "" for district-only
    group: str
    aggregation: str
    denominator: str
    min: float | None
    max: float | None
    decimals: int
    scheme: str
    breaks: tuple[float, ...]
    palette: str
    categories: tuple[str, ...]
    map: bool
    description: str = ""
    extra: dict = field(default_factory=dict, compare=False)
    # What is known of the figures' year when the source states none (e.g. "năm số liệu không được nêu; công bố
    # 17/7/2025"): titles, tooltips and exports say this instead of "năm <year>" (column ``year_label``, optional).
    year_label: str = ""

    @property
    def is_categorical(self) -> bool:
        return self.kind == "category"
