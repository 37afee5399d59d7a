"""Figures over time: an indicator's maps of several years with the same classes, and the change between two years.

``series`` builds one ``ThematicMap`` per year (exactly as the map page builds one) and classifies them all with
breaks computed over every year's values, so a colour means the same range in each year. ``change`` is the map of
the difference between two years: in points for a rate ("điểm %"), in the unit and in per cent for other figures,
coloured with a diverging palette centred on zero (blue: up, red: down) whose legend says so.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd

from ktxh_geo.model.aggregate import mark_derived
from ktxh_geo.model.classify import NO_DATA_COLOR, Classification, LegendItem, classify, palette
from ktxh_geo.model.join import NO_DATA, weakest_status
from ktxh_geo.model.thematic import MapRequest, ThematicMap, build, years
from ktxh_geo.text import format_number
from ktxh_geo.vocab.indicators import Indicator

DIVERGING = "RdBu"  # ColorBrewer, colour-blind safe: red for a fall, blue for a rise
DIVERGING_SCHEME = "phân kỳ quanh 0"  # the subtitle says "Phân loại: phân kỳ quanh 0, 6 lớp"
CHANGE_MODES = {"absolute": "Chênh lệch tuyệt đối", "relative": "Chênh lệch tương đối (%)"}
NO_VALUE = ("missing", "not_applicable")


def series(
    request: MapRequest, indicators: dict[str, Indicator], values: pd.DataFrame, communes: gpd.GeoDataFrame
) -> list[ThematicMap]:
    """The request's indicator in every year with figures, each classified with breaks over all the years."""
    found = years(values, request.indicator, request.edition)
    maps = [build(dataclasses.replace(request, year=y), indicators, values, communes) for y in found]
    return fixed_classes(maps, request.scheme, request.k, request.breaks)


def fixed_classes(
    maps: list[ThematicMap], scheme: str | None, k: int = 5, breaks: tuple[float, ...] | None = None
) -> list[ThematicMap]:
    """The maps reclassified with breaks computed over all their values (categories are left as they are)."""
    if not maps or maps[0].shown.is_categorical:
        return maps
    pool = np.concatenate([_classed(tm) for tm in maps])
    out = []
    for tm in maps:
        classification = classify(tm.joined, tm.shown, scheme, k, breaks, pool=pool)
        out.append(dataclasses.replace(tm, classification=mark_derived(classification, tm.joined)))
    return out


def _classed(tm: ThematicMap) -> np.ndarray:
    """The values of a map that take part in its classes (not missing, not flagged, not "không áp dụng")."""
    j = tm.joined
    has = j["value"].notna() & ~j["status"].isin([*NO_VALUE, "nghi_van"])
    return j.loc[has, "value"].to_numpy(dtype=float)


def change_unit(indicator: Indicator, mode: str) -> str:
    """The unit of a change: points for a rate ("điểm %"), per cent for a relative change, else the unit."""
    if mode == "relative":
        return "%"
    return f"điểm {indicator.unit}" if indicator.unit == "%" else indicator.unit


def change(before: ThematicMap, after: ThematicMap, mode: str = "absolute", k: int = 6) -> ThematicMap:
    """The change of each unit from ``before`` to ``after`` (same indicator and units) as a map of its own.

    ``mode`` "absolute": after − before (points for a rate); "relative": (after − before) / before in per cent
    (a unit whose earlier figure is 0 gets no relative change). Units without both figures show "Chưa có số liệu".
    """
    if mode not in CHANGE_MODES:
        raise ValueError(f"unknown change mode {mode!r}")
    if before.shown.is_categorical:
        raise ValueError("a category has no change")
    a = before.joined.set_index("code")
    b = after.joined.set_index("code")
    joined = after.joined.copy()
    ind = after.shown
    unit = change_unit(ind, mode)
    decimals = 1 if mode == "relative" else ind.decimals
    values, displays, statuses, sources, notes = [], [], [], [], []
    for code in joined["code"]:
        x, y = a.at[code, "value"] if code in a.index else np.nan, b.at[code, "value"]
        ok = (
            code in a.index
            and pd.notna(x)
            and pd.notna(y)
            and a.at[code, "status"] not in NO_VALUE
            and b.at[code, "status"] not in NO_VALUE
        )
        if ok and mode == "relative" and x == 0:
            ok = False
        if not ok:
            values.append(np.nan)
            displays.append(NO_DATA)
            statuses.append("missing")
            sources.append("")
            notes.append("")
            continue
        d = (y - x) if mode == "absolute" else (y - x) / abs(x) * 100
        values.append(d)
        displays.append(f"{'+' if d > 0 else ''}{format_number(d, decimals, strip=False)} {unit}".strip())
        statuses.append(weakest_status([a.at[code, "status"], b.at[code, "status"]]))
        sources.append("; ".join(dict.fromkeys(s for s in (a.at[code, "source"], b.at[code, "source"]) if s)))
        notes.append(f"năm {before.year}: {a.at[code, 'display']}; năm {after.year}: {b.at[code, 'display']}")
    joined["value"], joined["display"], joined["status"] = values, displays, statuses
    joined["source"], joined["value_note"], joined["value_text"] = sources, notes, ""
    name = f"Thay đổi {ind.name[:1].lower()}{ind.name[1:]}"
    period = f"từ năm {before.year} đến năm {after.year}"  # the title says it in brackets, as a year label
    shown = dataclasses.replace(
        ind, name=name, unit=unit, decimals=decimals, palette=DIVERGING, min=None, max=None, year_label=period
    )
    classification = diverging(joined, shown, k)
    srcs = tuple(sorted({s for s in joined["source"] if s}))
    return dataclasses.replace(
        after, shown=shown, joined=gpd.GeoDataFrame(joined, geometry="geometry", crs=after.joined.crs),
        classification=classification, sources=srcs,
    )  # fmt: skip


def diverging(joined: pd.DataFrame, indicator: Indicator, k: int = 6) -> Classification:
    """Classes symmetric around zero (``k`` even: k/2 falls in red, k/2 rises in blue); the legend says so."""
    k = max(2, k - k % 2)
    status = joined["status"].to_numpy()
    has = joined["value"].notna().to_numpy() & ~np.isin(status, NO_VALUE)
    values = joined["value"].to_numpy(dtype=float)
    colors = np.full(len(joined), NO_DATA_COLOR, dtype=object)
    labels = np.full(len(joined), NO_DATA, dtype=object)
    title = f"{indicator.name} ({indicator.unit}) — màu phân kỳ quanh 0: đỏ giảm, xanh tăng"
    legend: list[LegendItem] = []
    bins: tuple[float, ...] = ()
    if has.any():
        top = float(np.abs(values[has]).max()) or 1.0
        half = k // 2
        edges = np.array([top * i / half for i in range(-half + 1, half + 1)])  # upper edges; the last is +top
        class_colors = palette(DIVERGING, k)
        idx = np.clip(np.searchsorted(edges, values[has], side="left"), 0, k - 1)
        lowers = [-top, *edges[:-1]]
        names = []
        for lo, hi in zip(lowers, edges, strict=True):
            lo_t = format_number(lo, indicator.decimals, strip=False)
            hi_t = format_number(hi, indicator.decimals, strip=False)
            names.append(f"{'+' if lo >= 0 and lo > 0 else ''}{lo_t} – {'+' if hi > 0 else ''}{hi_t} {indicator.unit}")
        colors[has] = [class_colors[i] for i in idx]
        labels[has] = [names[i] for i in idx]
        legend = [LegendItem(n, c) for n, c in zip(names, class_colors, strict=True)]
        bins = tuple(float(e) for e in edges)
    legend.append(LegendItem(NO_DATA, NO_DATA_COLOR, "no_data"))
    return Classification(list(colors), list(labels), legend, title, bins, DIVERGING_SCHEME)
