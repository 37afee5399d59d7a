"""Classes, colours and legend entries for thematic maps (mapclassify + ColorBrewer via branca)."""

from __future__ import annotations

from dataclasses import dataclass

import mapclassify
import numpy as np
import pandas as pd
from branca.utilities import color_brewer

from ktxh_geo.model.join import ILLUSTRATIVE_MARK, NO_DATA, NOT_APPLICABLE
from ktxh_geo.text import format_number
from ktxh_geo.vocab import FLAGGED, FLAGGED_LEGEND
from ktxh_geo.vocab.indicators import Indicator

SCHEMES = {
    "natural_breaks": "Ngắt tự nhiên (Jenks)",
    "quantiles": "Phân vị",
    "equal_interval": "Khoảng đều",
    "user": "Ngưỡng do người dùng đặt",
}
NO_DATA_COLOR = "#bdbdbd"
NOT_APPLICABLE_COLOR = "#ffffff"
FLAGGED_COLOR = "#fbe3d3"  # under its own hatch (screen and print): a figure a plausibility rule flags
# Colour-blind-safe sequential ColorBrewer scheme for NTM status (ordered categories).
CATEGORY_PALETTE = "YlGn"


@dataclass(frozen=True)
class LegendItem:
    label: str
    color: str
    kind: str = "fill"  # "fill", "no_data" (grey, hatched on print), "not_applicable", "flagged" (own hatch)


@dataclass(frozen=True)
class Classification:
    """Per-row colours and class labels, plus the legend that explains them."""

    colors: list[str]
    class_labels: list[str]
    legend: list[LegendItem]
    title: str
    bins: tuple[float, ...] = ()
    scheme: str = ""


def palette(name: str, n: int) -> list[str]:
    """``n`` ColorBrewer colours (branca returns at least 3, so cut for n < 3)."""
    colors = color_brewer(name or "YlOrRd", max(n, 3))
    if n < 3:
        colors = [colors[0], colors[-1]][:n] if n == 2 else [colors[len(colors) // 2]]
    return colors


def _bins(values: np.ndarray, scheme: str, k: int, breaks: tuple[float, ...]) -> np.ndarray:
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; expected one of {', '.join(SCHEMES)}")
    unique = np.unique(values)
    if scheme == "user":
        if not breaks:
            raise ValueError("scheme 'user' needs breaks")
        upper = max(values.max(), breaks[-1])
        edges = sorted(set(breaks) | {upper})
        return np.asarray(mapclassify.UserDefined(values, edges).bins)
    k = max(1, min(k, len(unique)))
    if k == len(unique):
        return unique.astype(float)
    if scheme == "natural_breaks":
        return np.asarray(mapclassify.NaturalBreaks(values, k=k).bins)
    if scheme == "quantiles":
        return np.unique(mapclassify.Quantiles(values, k=k).bins)
    return np.asarray(mapclassify.EqualInterval(values, k=k).bins)


def class_labels(edges: np.ndarray, lowest: float, decimals: int, unit: str) -> list[str]:
    """Legend labels for classes with upper ``edges``: "1,50 – 2,00 %"; counts read "14 – 15"."""
    labels, lower = [], lowest
    for i, upper in enumerate(edges):
        if decimals == 0:
            start = lower if i == 0 else lower + 1
            lo, hi = format_number(start, 0), format_number(upper, 0)
            text = hi if start >= upper else f"{lo} – {hi}"
        else:
            lo, hi = format_number(lower, decimals, strip=False), format_number(upper, decimals, strip=False)
            text = hi if lo == hi else f"{lo} – {hi}"
        labels.append(f"{text} {unit}".strip())
        lower = upper
    return labels


def classify(
    joined: pd.DataFrame,
    indicator: Indicator,
    scheme: str | None = None,
    k: int = 5,
    breaks: tuple[float, ...] | None = None,
    pool: np.ndarray | None = None,
) -> Classification:
    """Classify a joined table (see ``join_indicator``) into coloured classes and a legend.

    ``pool``: the values the class breaks are computed from, when not this table's own (the values of every year
    of a series, so that one colour means the same range in each year's map).

    Rows without a value get the grey "Chưa có số liệu" class, never a colour class; thị trấn
    for xã-only indicators get "Không áp dụng"; a figure the plausibility rules flag (status nghi_van) gets its own
    hatched class "Cần kiểm tra" and takes no part in the class breaks.
    """
    title = f"{indicator.name}" + (f" ({indicator.unit})" if indicator.unit else "")
    if (joined["status"] == "illustrative").any():
        title += f" — {ILLUSTRATIVE_MARK}"
    status = joined["status"].to_numpy()
    colors = np.where(status == "not_applicable", NOT_APPLICABLE_COLOR, NO_DATA_COLOR).astype(object)
    labels = np.where(status == "not_applicable", NOT_APPLICABLE, NO_DATA).astype(object)
    legend: list[LegendItem] = []
    bins: tuple[float, ...] = ()
    scheme = scheme or indicator.scheme or "natural_breaks"

    if indicator.is_categorical:
        cats = list(indicator.categories)
        cat_colors = palette(CATEGORY_PALETTE, len(cats))
        for cat, color in zip(cats, cat_colors, strict=True):
            mask = (joined["value_text"] == cat).to_numpy() & (status != "not_applicable") & (status != "missing")
            colors[mask] = color
            labels[mask] = cat
            legend.append(LegendItem(cat, color))
    else:
        flagged = status == FLAGGED
        colors[flagged] = FLAGGED_COLOR
        labels[flagged] = FLAGGED_LEGEND
        has = joined["value"].notna().to_numpy() & (status != "not_applicable") & ~flagged
        values = joined["value"].to_numpy(dtype=float)[has]
        if len(values):
            basis = values if pool is None or not len(pool) else np.asarray(pool, dtype=float)
            edges = _bins(basis, scheme, k, breaks or indicator.breaks)
            class_colors = palette(indicator.palette, len(edges))
            idx = np.searchsorted(edges, values, side="left")
            idx = np.clip(idx, 0, len(edges) - 1)
            lowest = indicator.min if scheme == "user" and indicator.min is not None else basis.min()
            range_labels = class_labels(edges, lowest, indicator.decimals, indicator.unit)
            colors[has] = [class_colors[i] for i in idx]
            labels[has] = [range_labels[i] for i in idx]
            legend = [LegendItem(lab, col) for lab, col in zip(range_labels, class_colors, strict=True)]
            bins = tuple(float(b) for b in edges)

    if (status == FLAGGED).any():
        legend.append(LegendItem(FLAGGED_LEGEND, FLAGGED_COLOR, "flagged"))
    legend.append(LegendItem(NO_DATA, NO_DATA_COLOR, "no_data"))
    if indicator.applies_to == "xa" and (status == "not_applicable").any():
        legend.append(LegendItem(NOT_APPLICABLE, NOT_APPLICABLE_COLOR, "not_applicable"))
    return Classification(list(colors), list(labels), legend, title, bins, scheme)
