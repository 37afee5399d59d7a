"""Map of the unit history: the base edition's units coloured by their reform-edition unit, new outlines on top."""

from __future__ import annotations

import folium
import geopandas as gpd

from ktxh_geo.model.crosswalk import UnitVersion, container, edition_units
from ktxh_geo.render.escape import html_text
from ktxh_geo.render.maps import STATIC_URL, control, fit_clear, geo_layer, label_layer, offline_map
from ktxh_geo.vocab.profile import active

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
    profile = active()
    reform, interim = profile.reform_edition, profile.interim_edition
    base = profile.editions[profile.base_edition]
    base_short, interim_short = base.short, profile.editions.get(interim, base).short
    reform_short = profile.editions[reform].short
    communes = edition_units(reform, all_versions)
    color = {c.code: COLORS[i % len(COLORS)] for i, c in enumerate(communes)}
    data = old[["code", "full_name", "geometry"]].copy()
    data["new_code"] = [container(c, reform, all_versions).code for c in data["code"]]
    data["new_name"] = [container(c, reform, all_versions).full_name for c in data["code"]]
    data["h1_name"] = [
        f"{container(c, interim, all_versions).full_name} ({container(c, interim, all_versions).code})"
        for c in data["code"]
    ]
    data["fill"] = data["new_code"].map(color)
    m = offline_map(new.total_bounds, asset_base)
    tips = [
        {
            "code": r.code,
            "_s": {"fillColor": r.fill},
            "_t": [
                [f"Đơn vị {base_short}", r.full_name, ""],
                ["Mã", r.code, ""],
                [interim_short, r.h1_name, ""],
                [reform_short[:1].upper() + reform_short[1:], r.new_name, ""],
                ["Mã mới", r.new_code, ""],
            ],
        }
        for r in data.itertuples()
    ]
    style = {"fillOpacity": 0.8, "color": "#555", "weight": 1}
    m.add_child(geo_layer(data, tips, style=style, highlight={"weight": 3, "color": "#000"}, sticky=True))
    m.add_child(geo_layer(new, None, interactive=False, style={"fill": False, "color": "#111", "weight": 3.5}))
    if selected:
        found = data[data["code"].isin(list(selected))]
        m.add_child(geo_layer(found, None, interactive=False, style={"fill": False, "color": "#0050ff", "weight": 4}))
    names = [n.replace("Xã ", "") for n in data["full_name"]]
    m.add_child(label_layer(data, names))
    rows = [f"<h4>Đơn vị {html_text(base_short)} tô màu theo xã mới ({html_text(reform_short)})</h4>"]
    rows += [
        f'<div class="row"><span class="sw" style="background-color:{color[c.code]}"></span>'
        f"{html_text(c.full_name)} ({html_text(c.code)}) — mục {html_text(c.nq1658_item)} NQ 1658</div>"
        for c in communes
    ]
    rows.append('<div class="row"><span class="sw" style="border:3px solid #111"></span>Ranh giới xã mới</div>')
    m.add_child(control("".join(rows), "bottomright", "ktxh-legend"))
    m.add_child(fit_clear(new.total_bounds))  # last: clear of the legend and the label switch
    return m
