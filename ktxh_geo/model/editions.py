"""The three administrative editions of Yên Thế's commune-level units."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Edition:
    id: str
    label: str
    filename: str
    n_units: int
    valid_from: date
    valid_to: date | None


EDITIONS: dict[str, Edition] = {
    e.id: e
    for e in (
        Edition(
            "2020-2024",
            "2020–2024 (19 đơn vị)",
            "communes_2020_2024.geojson",
            19,
            date(2020, 1, 1),
            date(2024, 12, 31),
        ),
        Edition(
            "2025-h1",
            "01/01–30/6/2025 (17 đơn vị)",
            "communes_2025_h1.geojson",
            17,
            date(2025, 1, 1),
            date(2025, 6, 30),
        ),
        Edition(
            "2025",
            "Từ 01/7/2025 (5 xã, tỉnh Bắc Ninh)",
            "communes_2025.geojson",
            5,
            date(2025, 7, 1),
            None,
        ),
    )
}
DEFAULT_EDITION = "2020-2024"
OUTLINE_FILE = "district_outline.geojson"


def get_edition(edition_id: str) -> Edition:
    """Return the edition or raise ``KeyError`` with the valid ids."""
    try:
        return EDITIONS[edition_id]
    except KeyError:
        raise KeyError(f"Unknown edition {edition_id!r}; expected one of {', '.join(EDITIONS)}") from None
