"""The project page's map: communes, district outline and every located object, zoomed to the selection.

Offline like the thematic map (vendored Leaflet via ``use_local_leaflet``). The selected object is
highlighted, the map fits to it (to its commune when only approximately located) and its popup opens on load;
clicks come back through st_folium's
``last_object_clicked`` and are matched to an object with ``object_at``.
"""

from __future__ import annotations

import folium
import geopandas as gpd
from shapely.geometry import LineString, Point
from shapely.ops import nearest_points

from ktxh_geo.model.projects import CATEGORIES, CATEGORY_COLORS, commune_codes
from ktxh_geo.render.escape import html_text
from ktxh_geo.render.maps import STATIC_URL, control, fit_clear, geo_layer, object_layer, offline_map

UTM48N = "EPSG:32648"
PREVIEW_COLOR = "#e00000"
ZOOM_PAD_M = 700.0
CLICK_TOLERANCE_M = 250.0
POPUP_CSS = ".leaflet-popup-content { font-size: 13px; line-height: 1.4; } .ktxh-obj-name { font-weight: bold; }"


def selection_bounds(geometry, pad_m: float = ZOOM_PAD_M) -> tuple[float, float, float, float]:
    """WGS84 bounds (minx, miny, maxx, maxy) of a geometry padded by ``pad_m`` metres."""
    metric = gpd.GeoSeries([geometry], crs="EPSG:4326").to_crs(UTM48N).buffer(pad_m)
    return tuple(metric.to_crs("EPSG:4326").total_bounds)


def focus_bounds(row, communes: gpd.GeoDataFrame) -> tuple[float, float, float, float]:
    """Where to look at one object: the object itself when exactly located, else its declared commune(s)
    (an approximate point only says "somewhere in this commune"; zooming on it shows nothing useful)."""
    if row["location_precision"] != "exact":
        own = communes[communes["code"].isin(commune_codes(row["commune_codes"]))]
        if len(own):
            return tuple(float(v) for v in own.to_crs("EPSG:4326").total_bounds)
    return selection_bounds(row["geometry"])


def legend_html(located: gpd.GeoDataFrame) -> str:
    """Category colours of the objects drawn, and the solid (exact) / dashed (approximate) symbols."""
    rows = ["<h4>Đối tượng của kế hoạch</h4>"]
    for cat in [c for c in CATEGORIES if c in set(located["category"])]:
        color = CATEGORY_COLORS[cat]
        rows.append(
            f'<div class="row"><span class="dot" style="border-color:{color};background:{color}"></span>'
            f"{html_text(CATEGORIES[cat])}</div>"
        )
    rows.append(
        '<div class="row"><span class="dot" style="border-color:#555;background:#555"></span>Vị trí chính xác</div>'
    )
    rows.append(
        '<div class="row"><span class="dot approx" style="border-color:#555"></span>Vị trí gần đúng (chỉ biết xã)</div>'
    )
    return "".join(rows)


def build_project_map(
    projects: gpd.GeoDataFrame,
    communes: gpd.GeoDataFrame,
    outline: gpd.GeoDataFrame,
    selected: str | None = None,
    asset_base: str = STATIC_URL,
    preview: Point | None = None,
    refused: Point | None = None,
    refused_note: str = "",
) -> folium.Map:
    """A fresh map of all located objects; with ``selected`` it fits to that object (to its commune when the
    object is only approximately located) and opens its popup.

    ``preview`` (WGS84) is an unsaved point from the location editor, drawn as a red cross-hair marker and
    included in the view, so the planner sees where the typed coordinates land before saving. ``refused`` is a
    typed point outside the area: drawn with a dashed line to the nearest point of the boundary (``refused_note``
    in its tooltip: the distance) and included in the view.
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
    m.add_child(control(legend_html(located), "bottomright", "ktxh-legend"))
    fit = tuple(outline.total_bounds)
    if selected in set(located["id"]):
        fit = focus_bounds(located.set_index("id").loc[selected], communes)
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
        fit = _union(fit, selection_bounds(preview))
    if refused is not None:
        area = outline.to_crs("EPSG:4326").union_all()
        near = nearest_points(area.boundary, refused)[0]
        shapes = gpd.GeoDataFrame(geometry=[LineString([refused, near]), refused], crs="EPSG:4326")
        tip = [["", f"Điểm bị từ chối (ngoài địa bàn). {refused_note}".strip(), ""]]
        red = {"color": PREVIEW_COLOR, "fillColor": PREVIEW_COLOR}
        m.add_child(
            geo_layer(
                shapes,
                [
                    {"_s": red | {"weight": 2, "dashArray": "6 4", "className": "ktxh-refused-line"}, "_t": tip},
                    {
                        "_s": red | {"weight": 3, "radius": 8, "fillOpacity": 0.35, "className": "ktxh-refused"},
                        "_t": tip,
                    },
                ],
            )
        )
        fit = _union(outline.total_bounds, selection_bounds(refused, 300))
    m.add_child(fit_clear(fit))  # last: clear of the legend and the zoom buttons
    return m


def _union(a, b) -> tuple[float, float, float, float]:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


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
