"""Map of the unit history: the 19 units of 2020–2024 coloured by their 2025 commune, new outlines on top."""

from __future__ import annotations

import html

import folium
import geopandas as gpd

from .crosswalk import UnitVersion, container, edition_units
from .mapview import STATIC_URL, _Control, offline_map

# Qualitative ColorBrewer "Set2" (colour-blind friendly), one colour per 2025 commune.
COLORS = ["#66c2a5", "#fc8d62", "#8da0cb", "#e78ac3", "#a6d854"]


def history_map(
    old: gpd.GeoDataFrame,
    new: gpd.GeoDataFrame,
    selected: list[str] | tuple[str, ...] = (),
    all_versions: tuple[UnitVersion, ...] | None = None,
    asset_base: str = STATIC_URL,
) -> folium.Map:
    """A fresh map: old units filled with their new commune's colour; ``selected`` old codes outlined in blue."""
    communes = edition_units("2025", all_versions)
    color = {c.code: COLORS[i % len(COLORS)] for i, c in enumerate(communes)}
    data = old[["code", "full_name", "geometry"]].copy()
    data["new_code"] = [container(c, "2025", all_versions).code for c in data["code"]]
    data["new_name"] = [container(c, "2025", all_versions).full_name for c in data["code"]]
    data["h1_name"] = [
        f"{container(c, '2025-h1', all_versions).full_name} ({container(c, '2025-h1', all_versions).code})"
        for c in data["code"]
    ]
    data["fill"] = data["new_code"].map(color)
    minx, miny, maxx, maxy = new.total_bounds
    m = offline_map(new.total_bounds, asset_base)
    folium.GeoJson(
        data,
        name="Đơn vị 2020–2024",
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "fillOpacity": 0.8,
            "color": "#555",
            "weight": 1,
        },
        highlight_function=lambda f: {"weight": 3, "color": "#000"},
        tooltip=folium.GeoJsonTooltip(
            fields=["full_name", "code", "h1_name", "new_name", "new_code"],
            aliases=["Đơn vị 2020–2024", "Mã", "01/01–30/6/2025", "Từ 01/7/2025", "Mã mới"],
            sticky=True,
        ),
    ).add_to(m)
    folium.GeoJson(
        new[["code", "full_name", "geometry"]],
        name="Xã mới (từ 01/7/2025)",
        style_function=lambda f: {"fill": False, "color": "#111", "weight": 3.5},
        interactive=False,
    ).add_to(m)
    if selected:
        folium.GeoJson(
            data[data["code"].isin(list(selected))][["geometry"]],
            name="Đơn vị tìm thấy",
            style_function=lambda f: {"fill": False, "color": "#0050ff", "weight": 4},
            interactive=False,
        ).add_to(m)
    for row in data.itertuples():
        pt = row.geometry.representative_point()
        folium.Marker(
            [pt.y, pt.x],
            icon=folium.DivIcon(
                html=f'<div class="ktxh-label">{html.escape(row.full_name.replace("Xã ", ""))}</div>',
                icon_size=(120, 16),
                icon_anchor=(60, 8),
            ),
            interactive=False,
        ).add_to(m)
    rows = ["<h4>Đơn vị 2020–2024 tô màu theo xã mới (từ 01/7/2025)</h4>"]
    rows += [
        f'<div class="row"><span class="sw" style="background-color:{color[c.code]}"></span>'
        f"{html.escape(c.full_name)} ({c.code}) — mục {c.nq1658_item} NQ 1658</div>"
        for c in communes
    ]
    rows.append('<div class="row"><span class="sw" style="border:3px solid #111"></span>Ranh giới xã mới</div>')
    m.add_child(_Control("".join(rows), "bottomright", "ktxh-legend"))
    m.fit_bounds([[miny, minx], [maxy, maxx]], padding=(10, 10))
    return m
