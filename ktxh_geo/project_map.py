"""The project page's map: communes, district outline and every located object, zoomed to the selection.

Offline like the thematic map (vendored Leaflet via ``use_local_leaflet``). The selected object is
highlighted, the map fits to it and its popup opens on load; clicks come back through st_folium's
``last_object_clicked`` and are matched to an object with ``object_at``.
"""

from __future__ import annotations

import html
import json

import folium
import geopandas as gpd
import shapely
from branca.element import MacroElement
from jinja2 import Template
from shapely.geometry import Point

from .mapview import STATIC_URL, offline_map
from .projects import CATEGORY_COLORS, object_html

UTM48N = "EPSG:32648"
SELECTED_COLOR = "#0050ff"
PREVIEW_COLOR = "#e00000"
ZOOM_PAD_M = 700.0
CLICK_TOLERANCE_M = 250.0
POPUP_CSS = ".leaflet-popup-content { font-size: 13px; line-height: 1.4; }"


class _Popup(MacroElement):
    """``bindPopup`` on the parent layer with plain Leaflet (folium.Popup needs jQuery, which we do not ship)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.bindPopup({{ this.html_json }}, {maxWidth: 320});
        {% if this.show %}{{ this._parent.get_name() }}.openPopup();{% endif %}
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str, show: bool = False):
        super().__init__()
        self._name = "Popup"
        self.html_json = json.dumps(html_text, ensure_ascii=False).replace("</", "<\\/")
        self.show = show


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
    folium.GeoJson(
        communes[["code", "full_name", "geometry"]],
        name="Xã, thị trấn",
        style_function=lambda f: {"fillColor": "#ffffff", "fillOpacity": 0.6, "color": "#777", "weight": 1},
        tooltip=folium.GeoJsonTooltip(fields=["full_name"], aliases=["Đơn vị"], sticky=True),
    ).add_to(m)
    folium.GeoJson(
        outline[["geometry"]],
        name="Ranh giới huyện",
        style_function=lambda f: {"fill": False, "color": "#111", "weight": 3},
        interactive=False,
    ).add_to(m)

    located = projects[projects.geometry.notna()]
    fit = outline.total_bounds
    for row in located.to_dict("records"):
        is_sel = row["id"] == selected
        color = SELECTED_COLOR if is_sel else CATEGORY_COLORS.get(row["category"], "#333")
        approx = row["location_precision"] != "exact"
        popup = _Popup(object_html(row), show=is_sel)
        for part in shapely.get_parts(row["geometry"]):
            if part.geom_type == "Point":
                layer = folium.CircleMarker(
                    [part.y, part.x],
                    radius=11 if is_sel else 8,
                    color=color,
                    weight=4 if is_sel else 2.5,
                    dash_array="4 3" if approx else None,
                    fill=True,
                    fill_color=color,
                    fill_opacity=0.35 if approx else 0.8,
                    tooltip=html.escape(row["name"]),
                )
            else:
                layer = folium.GeoJson(
                    gpd.GeoSeries([part], crs="EPSG:4326").__geo_interface__,
                    style_function=lambda f, c=color, s=is_sel: {
                        "color": c,
                        "weight": 4 if s else 2,
                        "fillOpacity": 0.3,
                    },
                    tooltip=html.escape(row["name"]),
                )
            layer.add_to(m)
            if popup is not None:  # one popup per object, on its first part
                layer.add_child(popup)
                popup = None
        if is_sel:
            fit = selection_bounds(row["geometry"])
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
