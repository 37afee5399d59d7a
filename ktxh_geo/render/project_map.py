"""The project page's map: communes, district outline and every located object, zoomed to the selection.

Offline like the thematic map (vendored Leaflet via ``use_local_leaflet``). The selected object is
highlighted, the map fits to it and its popup opens on load; clicks come back through st_folium's
``last_object_clicked`` and are matched to an object with ``object_at``.
"""

from __future__ import annotations

import folium
import geopandas as gpd
from shapely.geometry import Point

from ktxh_geo.render.maps import STATIC_URL, geo_layer, object_layer, offline_map

UTM48N = "EPSG:32648"
PREVIEW_COLOR = "#e00000"
ZOOM_PAD_M = 700.0
CLICK_TOLERANCE_M = 250.0
POPUP_CSS = ".leaflet-popup-content { font-size: 13px; line-height: 1.4; } .ktxh-obj-name { font-weight: bold; }"


def selection_bounds(geometry, pad_m: float = ZOOM_PAD_M) -> tuple[float, float, float, float]:
    """WGS84 bounds (minx, miny, maxx, maxy) of a geometry padded by ``pad_m`` metres."""
    metric = gpd.GeoSeries([geometry], crs="EPSG:4326").to_crs(UTM48N).buffer(pad_m)
    return tuple(metric.to_crs("EPSG:4326").total_bounds)


def build_project_map(
    projects: gpd.GeoDataFrame,
    communes: gpd.GeoDataFrame,
    outline: gpd.GeoDataFrame,
    selected: str | None = None,
    asset_base: str = STATIC_URL,
    preview: Point | None = None,
) -> folium.Map:
    """A fresh map of all located objects; with ``selected`` it fits to that object and opens its popup.

    ``preview`` (WGS84) is an unsaved point from the location editor, drawn as a red cross-hair marker and
    included in the view, so the planner sees where the typed coordinates land before saving.
    """
    m = offline_map(outline.total_bounds, asset_base, extra_css=POPUP_CSS)
    m.add_child(
        geo_layer(
            communes,
            [
                {"code": c, "_t": [["Đơn vị", n, ""]]}
                for c, n in zip(communes["code"], communes["full_name"], strict=True)
            ],
            style={"fillColor": "#ffffff", "fillOpacity": 0.6, "color": "#777", "weight": 1},
            sticky=True,
        )
    )
    m.add_child(geo_layer(outline, None, interactive=False, style={"fill": False, "color": "#111", "weight": 3}))
    located = projects[projects.geometry.notna()]
    m.add_child(object_layer(located, popups=True, selected=selected))
    fit = outline.total_bounds
    if selected in set(located["id"]):
        fit = selection_bounds(located.set_index("id").at[selected, "geometry"])
    if preview is not None:
        folium.CircleMarker(
            [preview.y, preview.x],
            radius=7,
            color=PREVIEW_COLOR,
            weight=3,
            fill=True,
            fill_color="#ffffff",
            fill_opacity=1,
            tooltip="Điểm xem trước (chưa lưu)",
            class_name="ktxh-preview",
        ).add_to(m)
        pb = selection_bounds(preview)
        fit = (min(fit[0], pb[0]), min(fit[1], pb[1]), max(fit[2], pb[2]), max(fit[3], pb[3]))
    m.fit_bounds([[fit[1], fit[0]], [fit[3], fit[2]]])
    return m


def object_at(projects: gpd.GeoDataFrame, lon: float, lat: float, tolerance_m: float = CLICK_TOLERANCE_M) -> str | None:
    """Id of the located object nearest to a clicked point, if within ``tolerance_m`` metres."""
    located = projects[projects.geometry.notna()]
    if located.empty:
        return None
    metric = located.to_crs(UTM48N)
    click = gpd.GeoSeries([Point(lon, lat)], crs="EPSG:4326").to_crs(UTM48N).iloc[0]
    dists = metric.geometry.distance(click)
    i = dists.idxmin()
    return str(located.at[i, "id"]) if dists[i] <= tolerance_m else None
