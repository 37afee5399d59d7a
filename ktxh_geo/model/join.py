"""Join indicator values to commune polygons on GSO codes (never on names)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from ktxh_geo.text import format_value
from ktxh_geo.vocab import STATUS_LABELS, STATUS_ORDER  # noqa: F401  (re-exported for the layers above)
from ktxh_geo.vocab.indicators import Indicator

NO_DATA = "Chưa có số liệu"
NOT_APPLICABLE = "Không áp dụng"
ILLUSTRATIVE_MARK = "Số liệu minh họa"
STATUS_RANK = {status: rank for rank, status in enumerate(STATUS_ORDER)}
UNKNOWN_RANK = len(STATUS_ORDER)


def weakest_status(statuses) -> str:
    """The weakest of ``statuses`` in STATUS_ORDER ("missing" when there are none)."""
    statuses = list(statuses)
    return max(statuses, key=lambda s: STATUS_RANK.get(s, UNKNOWN_RANK)) if statuses else "missing"


def commune_values(
    values: pd.DataFrame,
    indicator_id: str,
    year: int,
    edition: str,
    include_illustrative: bool = True,
) -> pd.DataFrame:
    """One row per commune code: the best-sourced value of the indicator for that year."""
    rows = values[
        (values["indicator_id"] == indicator_id)
        & (values["level"] == "commune")
        & (values["edition"] == edition)
        & (values["year"] == year)
    ]
    if not include_illustrative:
        rows = rows[rows["status"] != "illustrative"]
    rows = rows.assign(_p=rows["status"].map(STATUS_RANK).fillna(UNKNOWN_RANK))
    rows = rows.sort_values(["code", "_p"]).drop_duplicates("code")
    return rows.drop(columns="_p")


def join_indicator(
    communes: gpd.GeoDataFrame,
    values: pd.DataFrame,
    indicator: Indicator,
    year: int,
    include_illustrative: bool = True,
) -> gpd.GeoDataFrame:
    """Communes of one edition with the indicator's value, display text and provenance.

    Adds ``value``, ``value_text``, ``status``, ``source``, ``year``, ``value_note`` and ``display``
    (e.g. "2,83 %", "đã thẩm tra", "Không áp dụng", "Chưa có số liệu"). Values whose code is
    not a unit of this edition are ignored here; ``python -m ktxh_geo validate`` reports them.
    """
    edition = communes["edition"].iloc[0]
    vals = commune_values(values, indicator.id, year, edition, include_illustrative)
    keep = ["code", "value", "value_text", "status", "source", "note"]
    vals = vals[keep].rename(columns={"note": "value_note"})
    joined = communes.merge(vals, on="code", how="left", validate="one_to_one")
    joined["year"] = year
    joined["year_text"] = indicator.year_label or str(year)  # what is known of the year (shown, never "năm" alone)
    joined["indicator_id"] = indicator.id

    not_applicable = (
        joined["unit_type"].eq("thị trấn") if indicator.applies_to == "xa" else pd.Series(False, index=joined.index)
    )
    has_value = joined["value"].notna() | joined["value_text"].fillna("").ne("")
    joined.loc[not_applicable, ["value", "value_text"]] = [float("nan"), ""]
    joined.loc[not_applicable, "status"] = "not_applicable"
    joined.loc[not_applicable, "source"] = "Chương trình MTQG xây dựng NTM chỉ áp dụng cho xã"
    joined.loc[~not_applicable & ~has_value, "status"] = "missing"
    joined["status"] = joined["status"].fillna("missing")
    joined[["value_text", "source", "value_note"]] = joined[["value_text", "source", "value_note"]].fillna("")

    joined["display"] = [_display(row, indicator) for row in joined[["value", "value_text", "status"]].itertuples()]
    return joined


def _display(row, indicator: Indicator) -> str:
    if row.status == "not_applicable":
        return NOT_APPLICABLE
    if row.status == "missing":
        return NO_DATA
    if indicator.is_categorical:
        return row.value_text
    return row.value_text or format_value(row.value, indicator.unit, indicator.decimals)


def has_illustrative(joined: pd.DataFrame) -> bool:
    """True when any value shown comes from the illustrative dataset."""
    return bool((joined["status"] == "illustrative").any())


def available_years(values: pd.DataFrame, indicator_id: str, edition: str | None = None) -> list[int]:
    """Years with commune-level values for the indicator (newest last)."""
    rows = values[(values["indicator_id"] == indicator_id) & (values["level"] == "commune")]
    if edition is not None:
        rows = rows[rows["edition"] == edition]
    return sorted(int(y) for y in rows["year"].dropna().unique())
