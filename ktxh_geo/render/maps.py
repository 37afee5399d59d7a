"""Build the interactive folium map: choropleth, labels, object layers, legend — all offline.

Leaflet is served by the app itself (static/vendor); nothing on the map loads from a CDN.
The legend is our own HTML control, so streamlit-folium never pulls d3 for a branca colormap.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache

import folium
import geopandas as gpd
import shapely
from branca.element import Figure, MacroElement
from jinja2 import Template

from ktxh_geo.model.classify import Classification, LegendItem
from ktxh_geo.model.join import ILLUSTRATIVE_MARK, STATUS_LABELS
from ktxh_geo.model.projects import CATEGORIES, CATEGORY_COLORS, layer_objects, object_rows
from ktxh_geo.render.escape import harden_jinja, html_text, script_json
from ktxh_geo.render.geometry import simplify_coverage
from ktxh_geo.settings import STATIC_DIR
from ktxh_geo.vocab import FLAGGED

LEAFLET_VERSION = "1.9.4"
STATIC_URL = f"/app/static/vendor/leaflet-{LEAFLET_VERSION}"
BASEMAPS = {"none": "Không dùng bản đồ nền (ngoại tuyến)", "osm": "OpenStreetMap (cần Internet)"}
OSM_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = "&copy; Những người đóng góp OpenStreetMap"
LEAFLET_CREDIT = '<a href="https://leafletjs.com" title="Thư viện bản đồ Leaflet">Leaflet</a>'  # no flag
DEFAULT_LAYERS = ("cluster", "village", "residential")
BACKGROUND = "#f4f3ee"
SELECTED_COLOR = "#0050ff"
OVERLAY_STYLE = {"fill": False, "color": "#5b2c6f", "weight": 3, "dashArray": "8 5"}
FLAG_HATCH = "#c0392b"  # lines over a flagged unit (status nghi_van), on screen as in print (layout.FLAG_HATCH)
# An SVG pattern the map's fills can point at (fill="url(#ktxh-flag)"): a flagged unit's own hatch.
FLAG_PATTERN = (
    '<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>'
    '<pattern id="ktxh-flag" width="7" height="7" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)">'
    f'<rect width="7" height="7" fill="#fbe3d3"/><rect width="2.4" height="7" fill="{FLAG_HATCH}"/></pattern>'
    "</defs></svg>"
)
harden_jinja()


MAP_JS = STATIC_DIR / "js" / "ktxh-map.js"


@lru_cache(maxsize=1)
def map_js_url() -> str:
    """URL of the map helpers (static/js/ktxh-map.js) carrying a hash of their content: a browser that cached an
    older file fetches the new one."""
    digest = hashlib.sha256(MAP_JS.read_bytes()).hexdigest()[:12]
    return f"/app/static/js/ktxh-map.js?v={digest}"


def map_js() -> str:
    """The map helpers' source, for a page that must carry them inline (an exported HTML file)."""
    return MAP_JS.read_text(encoding="utf-8")


def use_local_leaflet(m: folium.Map, base_url: str = STATIC_URL) -> folium.Map:
    """Point the map's scripts and stylesheet at the vendored Leaflet and our helpers (loaded in this order)."""
    m.default_js = [("leaflet", f"{base_url}/leaflet.js"), ("ktxh_map", map_js_url())]
    m.default_css = [("leaflet_css", f"{base_url}/leaflet.css")]
    # marker images (Leaflet's guess drops a "/" in the iframe); Leaflet credited without the flag Leaflet 1.9 puts
    # in its attribution prefix: an official Vietnamese map carries no flag
    m.add_child(Call("iconPath", {"path": f"{base_url}/images/", "prefix": LEAFLET_CREDIT}))
    return m


# The helpers of static/js/ktxh-map.js a map may call (``Call``).
HELPERS = (
    "geo",
    "labels",
    "control",
    "fitClear",
    "fullscreen",
    "restyle",
    "scale",
    "iconPath",
    "tileNotice",
    "urlSync",
    "keyForward",
)


class Call(MacroElement):
    """``var <name> = ktxh.<helper>(map, <spec>)``: one helper call with its data as an inert JSON literal."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = ktxh.{{ this.helper }}({{ this.map_name() }}, {{ this.spec }});"
        "{% endmacro %}"
    )

    def __init__(self, helper: str, spec: dict, bounds=None):
        super().__init__()
        if helper not in HELPERS:
            raise ValueError(f"unknown map helper {helper!r}")
        self._name = f"Ktxh_{helper}"
        self.helper = helper
        self.spec = script_json(spec)
        self._bounds = bounds

    def map_name(self) -> str:
        """The JS name of the map this call acts on (its nearest map ancestor: a restyle sits in a feature group)."""
        node = self._parent
        while node is not None and not isinstance(node, folium.Map) and node._parent is not None:
            node = node._parent
        if node is None:
            raise ValueError("a map call outside any map")
        return node.get_name()

    def _get_self_bounds(self):
        """streamlit-folium asks every element for its bounds; ours are known (never walk coordinates)."""
        if self._bounds is None:
            return [[None, None], [None, None]]
        minx, miny, maxx, maxy = (float(v) for v in self._bounds)
        return [[miny, minx], [maxy, maxx]]


def control(html_text_: str, position: str, css_class: str) -> Call:
    """A Leaflet control holding HTML built on the server (every piece of data in it escaped with html_text)."""
    return Call("control", {"position": position, "cls": css_class, "html": html_text_})


CSS = f"""
.leaflet-container {{ background: {BACKGROUND}; font-family: 'DejaVu Sans', Arial, sans-serif; }}
.ktxh-legend, .ktxh-title, .ktxh-banner, .ktxh-notice {{
  background: rgba(255,255,255,.94); padding: 6px 9px; border-radius: 4px;
  box-shadow: 0 1px 4px rgba(0,0,0,.35); font-size: 13px; line-height: 1.35; color: #222; }}
.ktxh-legend h4 {{ margin: 0 0 4px; font-size: 13px; max-width: 260px; }}
.ktxh-legend .row {{ display: flex; align-items: center; gap: 6px; margin: 2px 0; }}
.ktxh-legend .sw {{ width: 18px; height: 13px; border: 1px solid #555; flex: none; }}
.ktxh-legend .sw.no_data {{ background-image: repeating-linear-gradient(45deg, #888 0 1.5px, transparent 1.5px 5px); }}
.ktxh-legend .sw.flagged {{
  background-image: repeating-linear-gradient(-45deg, {FLAG_HATCH} 0 2px, transparent 2px 5px); }}
.ktxh-legend .dot {{ width: 11px; height: 11px; border-radius: 50%; border: 2px solid; flex: none; }}
.ktxh-legend .sw.overlay {{ background: transparent; border: 0; border-top: 3px dashed #5b2c6f; height: 0; }}
.ktxh-legend .dot.approx {{ border-style: dashed; background: transparent !important; }}
.ktxh-legend .src {{ margin-top: 4px; font-size: 11px; color: #555; max-width: 260px; }}
.ktxh-title {{ font-weight: bold; font-size: 15px; max-width: 60vw; }}
.ktxh-banner {{ background: #fff3cd; border: 1px solid #d39e00; font-weight: bold; color: #7a5a00; }}
.ktxh-notice {{ background: #fdecea; color: #8a1c1c; font-size: 12px; }}
.ktxh-label {{ position: absolute; transform: translate(-50%, -50%); font-size: 11px; font-weight: bold;
  color: #222; text-align: center; white-space: nowrap; line-height: 1.2;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 3px #fff; pointer-events: none; }}
.ktxh-label.ktxh-fixed {{ font-style: italic; color: #0b3d91; font-size: 12px; }}
.ktxh-toggle {{ background: #fff; padding: 3px 7px; font-size: 12px; cursor: pointer; user-select: none; }}
.ktxh-toggle input {{ margin: 0 3px 0 0; vertical-align: middle; }}
"""


# The full-screen button's icon: four corner marks.
_CORNER = "linear-gradient(#333,#333) {0}/6px 2px no-repeat, linear-gradient(#333,#333) {0}/2px 6px no-repeat"
FULLSCREEN_CSS = (
    ".ktxh-fullscreen a { display: flex; align-items: center; justify-content: center; }"
    ".ktxh-fs-icon { display: block; width: 14px; height: 14px; background: "
    + ", ".join(_CORNER.format(c) for c in ("top left", "top right", "bottom left", "bottom right"))
    + "; }"
)

# Half-width maps (comparison): smaller title and legend, so the district keeps most of the map.
COMPACT_CSS = """
.ktxh-compact.ktxh-legend, .ktxh-compact.ktxh-title, .ktxh-compact.ktxh-banner { font-size: 11px; padding: 4px 6px; }
.ktxh-compact.ktxh-legend h4 { font-size: 11px; max-width: 170px; }
.ktxh-compact.ktxh-legend .sw { width: 13px; height: 10px; }
.ktxh-compact.ktxh-legend .src { display: none; }
.ktxh-compact.ktxh-title { font-size: 12px; max-width: 85%; }
"""

# High contrast (projectors in bright rooms): thicker boundaries (set in build_map), larger black labels,
# larger legend text.
CONTRAST_CSS = """
.ktxh-contrast .ktxh-label { font-size: 15px; color: #000;
  text-shadow: 0 0 2px #fff, 0 0 3px #fff, 0 0 4px #fff, 0 0 5px #fff; }
.ktxh-contrast.ktxh-legend, .ktxh-contrast.ktxh-title { font-size: 16px; color: #000; background: #fff; }
.ktxh-contrast.ktxh-legend .sw { border: 2px solid #000; }
"""

# Presentation mode: legend, title, banner and labels get class ktxh-present (readable from the back of a room).
PRESENT_CSS = """
.ktxh-present.ktxh-legend, .ktxh-present.ktxh-banner { font-size: 22px; padding: 10px 14px; }
.ktxh-present.ktxh-legend h4 { font-size: 24px; max-width: 440px; }
.ktxh-present.ktxh-legend .sw { width: 30px; height: 22px; }
.ktxh-present.ktxh-legend .dot { width: 18px; height: 18px; }
.ktxh-present.ktxh-legend .src { font-size: 16px; max-width: 440px; }
.ktxh-present.ktxh-title { font-size: 30px; max-width: 70vw; }
.ktxh-present.ktxh-label { font-size: 17px; }
.ktxh-notice { font-size: 18px; }
.ktxh-contrast .ktxh-present.ktxh-label { font-size: 20px; }
.ktxh-present.ktxh-contrast.ktxh-legend { font-size: 24px; }
#root, #parent, .float-child, #map_div, .folium-map { height: 100vh !important; }
"""


@lru_cache(maxsize=32)
def _geometries(wkbs: tuple[bytes, ...]) -> tuple[dict, ...]:
    """GeoJSON geometry dicts of WGS84 geometries, coverage-simplified (cached: boundaries rarely change)."""
    geoms = simplify_coverage(gpd.GeoSeries(shapely.from_wkb(list(wkbs)), crs="EPSG:4326"))
    return tuple(json.loads(g) for g in shapely.to_geojson(geoms))


def feature_collection(gdf: gpd.GeoDataFrame, properties: list[dict] | None = None) -> dict:
    """A GeoJSON FeatureCollection dict in EPSG:4326 with the given per-feature ``properties``.

    Geometry is simplified once and cached (``_geometries``); properties are plain data (strings, numbers,
    lists of tooltip rows) that reach the browser only through ``script_json``.
    """
    wgs = _wgs84(gdf)
    geoms = _geometries(tuple(shapely.to_wkb(wgs.geometry.values)))
    props = properties if properties is not None else [{} for _ in geoms]
    return {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in zip(props, geoms, strict=True)],
    }


def _wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gdf.to_crs("EPSG:4326") if gdf.crs is not None and gdf.crs.to_epsg() != 4326 else gdf


def geo_layer(gdf: gpd.GeoDataFrame, properties: list[dict] | None = None, url: str | None = None, **spec) -> Call:
    """A GeoJSON layer drawn by ``ktxh.geo`` (style, highlight, tooltip/popup rows per feature as data).

    With ``url`` (a static file from ``geometry.publish``, features keyed by ``code``) the browser fetches the
    geometry once and the map's script carries only ``properties`` by code: a rerun sends values and styles.
    """
    wgs = _wgs84(gdf)
    if url is not None:
        props = {p["code"]: {k: v for k, v in p.items() if k != "code"} for p in properties or []}
        return Call("geo", {"url": url, "props": props, **spec}, bounds=wgs.total_bounds)
    return Call("geo", {"data": feature_collection(wgs, properties), **spec}, bounds=wgs.total_bounds)


def page(m: folium.Map) -> Figure:
    """The HTML page a map is drawn on (its root: a branca ``Figure`` with header, html and script)."""
    root = m.get_root()
    if not isinstance(root, Figure):
        raise TypeError("the map is not on a page")
    return root


def offline_map(bounds, asset_base: str = STATIC_URL, extra_css: str = "", height: str = "100%") -> folium.Map:
    """An empty map centred on ``bounds`` (minx, miny, maxx, maxy): no tiles, vendored Leaflet, our CSS."""
    minx, miny, maxx, maxy = bounds
    m = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=11,
        tiles=None,
        height=height,
        zoom_snap=0.25,
    )
    use_local_leaflet(m, asset_base)  # with static/js/ktxh-map.js: every data-bearing element calls its helpers
    page(m).header.add_child(folium.Element(f"<style>{CSS}{COMPACT_CSS}{FULLSCREEN_CSS}{extra_css}</style>"))
    return m


def legend_html(
    classification: Classification,
    layers: list[str],
    sources: list[str],
    objects: gpd.GeoDataFrame | None = None,
    overlays: list[str] | tuple[str, ...] = (),
) -> str:
    """The legend as HTML: every class with its range, the no-data class, overlays, object layers (exact and
    approximate locations told apart, as on print), sources. Every piece of data text is escaped."""
    rows = [f"<h4>{html_text(classification.title)}</h4>"]
    rows += [_legend_row(item) for item in classification.legend]
    rows += [f'<div class="row"><span class="sw overlay"></span>{html_text(label)}</div>' for label in overlays]
    for cat in layers:
        color = CATEGORY_COLORS[cat]
        kinds = ("approx",) if objects is None else _precisions(objects, cat)
        for kind in kinds:
            note = " (vị trí gần đúng)" if kind == "approx" else ""
            style = f"border-color:{color}" + ("" if kind == "approx" else f";background:{color}")
            rows.append(
                f'<div class="row"><span class="dot {kind}" style="{style}"></span>'
                f"{html_text(CATEGORIES[cat])}{note}</div>"
            )
    if sources:
        rows.append('<div class="src">Nguồn: ' + html_text("; ".join(sources)) + "</div>")
    return "".join(rows)


def _precisions(objects: gpd.GeoDataFrame, category: str) -> tuple[str, ...]:
    """ "exact" and/or "approx" for the located objects of a category (what its legend entries must show)."""
    rows = objects[(objects["category"] == category) & objects.geometry.notna()]
    approx = rows["location_precision"] != "exact"
    return tuple(k for k, present in (("exact", (~approx).any()), ("approx", approx.any())) if present)


def _legend_row(item: LegendItem) -> str:
    return (
        f'<div class="row" data-kind="{item.kind}"><span class="sw {item.kind}" '
        f'style="background-color:{item.color}"></span>{html_text(item.label)}</div>'
    )


def build_map(
    joined: gpd.GeoDataFrame,
    classification: Classification,
    outline: gpd.GeoDataFrame,
    projects: gpd.GeoDataFrame | None = None,
    layers: list[str] | tuple[str, ...] = DEFAULT_LAYERS,
    basemap: str = "none",
    selected: str | None = None,
    title: str | None = None,
    asset_base: str = STATIC_URL,
    labels: bool = True,
    height: str = "100%",
    presentation: bool = False,
    center: tuple[float, float] | None = None,
    zoom: float | None = None,
    sync_url: bool = False,
    geometry_url: str | None = None,
    compact: bool = False,
    high_contrast: bool = False,
    overlays: list[tuple[str, gpd.GeoDataFrame]] | tuple = (),
    fixed_labels: tuple[tuple[str, float, float], ...] = (),
    label_first: tuple[str, ...] = (),
) -> folium.Map:
    """A fresh folium map of one joined indicator, complete (exports, the comparison page): ``map_parts``'s base
    map with its restyle inside. The map page sends the two apart (``restyle_group``), so that a new indicator,
    year, classification or contrast restyles the map already on screen instead of building a new one.

    ``outline`` is the area shown and fitted (a whole locality, or one chosen province of the country).
    ``fixed_labels`` (the profile's map labels) and ``label_first`` (codes named first) go to ``label_layer``.

    ``overlays`` are (label, outline) pairs drawn dashed over the units, e.g. a former district on a province map.

    With ``geometry_url`` (``geometry.publish`` of the same communes) the commune shapes are fetched by the
    browser once and the script carries only values, styles and tooltips; without it they are inline (exports).

    ``presentation`` enlarges legend, labels and title (class ``ktxh-present``) for a projector; ``compact``
    shrinks them (class ``ktxh-compact``) for a half-width map (the comparison page); ``high_contrast`` draws
    thicker boundaries and larger black labels (class ``ktxh-contrast``) for a projector in a bright room;
    outside presentation a full-screen button sits under the zoom buttons;
    ``center`` (lat, lon) with ``zoom`` replaces fitting the district/selected commune; ``sync_url``
    mirrors the live centre/zoom into the parent page's URL (no Streamlit rerun), so the address bar
    always holds a link to exactly this view.
    """
    m, spec = map_parts(**{k: v for k, v in locals().items()})
    m.add_child(Call("restyle", spec))
    return m


def map_parts(
    joined: gpd.GeoDataFrame,
    classification: Classification,
    outline: gpd.GeoDataFrame,
    projects: gpd.GeoDataFrame | None = None,
    layers: list[str] | tuple[str, ...] = DEFAULT_LAYERS,
    basemap: str = "none",
    selected: str | None = None,
    title: str | None = None,
    asset_base: str = STATIC_URL,
    labels: bool = True,
    height: str = "100%",
    presentation: bool = False,
    center: tuple[float, float] | None = None,
    zoom: float | None = None,
    sync_url: bool = False,
    geometry_url: str | None = None,
    compact: bool = False,
    high_contrast: bool = False,
    overlays: list[tuple[str, gpd.GeoDataFrame]] | tuple = (),
    fixed_labels: tuple[tuple[str, float, float], ...] = (),
    label_first: tuple[str, ...] = (),
    outline_url: str | None = None,
    overlay_urls: tuple[str, ...] | list[str] = (),
) -> tuple[folium.Map, dict]:
    """(base map, restyle spec) of ``build_map``'s arguments.

    The base map holds what stays while the units stay (vendored Leaflet and our helpers, the communes' shapes
    by URL, outline, overlays, labels, objects, scale, buttons), and is the same text, byte for byte, whatever
    the indicator, year, classification, contrast, title, selected unit or view once numbered by ``stable_ids``
    (the map page does; two maps of one page, as on the comparison page, keep folium's own ids). The spec (plain
    data, sent by ``script_json``) holds what changes: each unit's fill and tooltip rows, the base styles, the
    legend, title and banner as escaped HTML, the selected unit, the view. ``outline_url``/``overlay_urls``: the
    same shapes as static files (``geometry.publish``), so the base map carries only their URLs.
    """
    pc = " ktxh-present" if presentation else (" ktxh-compact" if compact else "")
    m = offline_map(outline.total_bounds, asset_base, extra_css=CONTRAST_CSS, height=height)
    page(m).html.add_child(folium.Element(FLAG_PATTERN))
    m.add_child(Call("scale", {}))
    if not presentation:  # on a half-width map, top right (the title needs the left side's height)
        where = "topright" if compact else "topleft"
        m.add_child(Call("fullscreen", {"title": "Toàn màn hình (bấm lại hoặc Esc để thoát)", "position": where}))
    if presentation:
        page(m).header.add_child(folium.Element(f"<style>{PRESENT_CSS}</style>"))
        m.add_child(Call("keyForward", {}))
        m.options["keyboard"] = False  # ←/→ step slides (forwarded to the page), never pan the map
        m.options["zoomAnimation"] = False  # projectors and slow laptops: no half-scaled frames
    if basemap == "osm":
        folium.TileLayer(OSM_URL, attr=OSM_ATTRIBUTION, name="OpenStreetMap", max_zoom=19).add_to(m)
        m.add_child(Call("tileNotice", {"html": TILE_ERROR}))

    codes = [{"code": str(c)} for c in joined["code"]]
    m.add_child(
        geo_layer(
            joined,
            None if geometry_url else codes,
            url=geometry_url,
            name="communes",
            restyle=True,
            style=COMMUNE_STYLE,
            highlight={"weight": 3, "color": "#000"},
            sticky=True,
            smooth=0.5,
        )
    )
    m.add_child(geo_layer(outline, None, url=outline_url, interactive=False, style=OUTLINE_STYLE, name="outline"))
    urls: list[str | None] = list(overlay_urls) or [None] * len(overlays)
    for (_, shape), url in zip(overlays, urls, strict=True):
        m.add_child(geo_layer(shape, None, url=url, interactive=False, style=OVERLAY_STYLE))
    if labels:
        m.add_child(
            label_layer(
                joined, joined["name"], "ktxh-label" + pc, not presentation, first=label_first, fixed=fixed_labels
            )
        )
    shown_layers = [c for c in layers if c in CATEGORIES]
    if projects is not None:
        for cat in shown_layers:
            m.add_child(object_layer(layer_objects(projects, [cat])))
    # clear of the title, legend, banner, scale bar and (presenting) the slide bar, measured in the browser;
    # the restyle names what to fit (a unit) or the centre/zoom to keep
    m.add_child(
        fit_clear(outline.total_bounds, PRESENT_OVERLAYS if presentation else None, gap=14 if presentation else 8)
    )
    if sync_url:
        m.add_child(Call("urlSync", {}))

    spec = restyle_spec(
        joined, classification, shown_layers, projects, [label for label, _ in overlays], title, pc, high_contrast
    )
    if selected and selected in set(joined["code"]):
        sel = joined[joined["code"] == selected]
        spec["selected"] = {"code": str(selected), "style": {"fill": False, "color": SELECTED_COLOR, "weight": 4}}
        minx, miny, maxx, maxy = (float(v) for v in _wgs84(sel).total_bounds)
        spec["fit"] = [[miny, minx], [maxy, maxx]]
    if center is not None and zoom is not None:
        spec["view"] = [float(center[0]), float(center[1]), float(zoom)]
    return m, spec


COMMUNE_STYLE = {"fillOpacity": 0.85, "color": "#444", "weight": 1.2}
OUTLINE_STYLE = {"fill": False, "color": "#111", "weight": 3}
TILE_ERROR = "Bản đồ nền không tải được (không có Internet). Ranh giới xã vẫn hiển thị."


def restyle_spec(
    joined: gpd.GeoDataFrame,
    classification: Classification,
    shown_layers: list[str],
    projects: gpd.GeoDataFrame | None,
    overlay_labels: list[str],
    title: str | None,
    pc: str = "",
    high_contrast: bool = False,
) -> dict:
    """What ``ktxh.restyle`` changes on a map already drawn: per code its fill and tooltip rows, base styles,
    contrast, and the title, banner and legend controls (server-escaped HTML)."""
    status_labels = joined["status"].map(STATUS_LABELS).fillna("")
    flagged = (joined["status"] == FLAGGED).to_numpy()
    props = {
        str(code): {
            "_s": {"fillColor": "url(#ktxh-flag)" if flag else fill},
            "_t": [
                ["Đơn vị", name],
                ["Giá trị", display],
                ["Năm", str(year)],
                ["Loại số liệu", status],
                *([["Cần kiểm tra", note]] if flag else []),
                ["Nguồn", src],
            ],
        }
        for code, name, display, year, status, src, fill, flag, note in zip(
            joined["code"],
            joined["full_name"],
            joined["display"],
            joined["year_text"] if "year_text" in joined else joined["year"],
            status_labels,
            joined["source"],
            classification.colors,
            flagged,
            joined["value_note"] if "value_note" in joined else [""] * len(joined),
            strict=True,
        )
    }
    if high_contrast:
        pc += " ktxh-contrast"
    controls = []
    if title:
        controls.append({"position": "topleft", "cls": "ktxh-title" + pc, "html": html_text(title)})
    if (joined["status"] == "illustrative").any():
        banner = f"{ILLUSTRATIVE_MARK} — không phải số liệu chính thức"
        controls.append({"position": "topright", "cls": "ktxh-banner" + pc, "html": banner})
    sources = sorted(set(s for s in joined["source"] if s))
    legend = legend_html(classification, shown_layers, sources, projects, overlay_labels)
    controls.append({"position": "bottomright", "cls": "ktxh-legend" + pc, "html": legend})
    return {
        **compact_props(props),
        "style": {**COMMUNE_STYLE, "color": "#000", "weight": 2.4} if high_contrast else COMMUNE_STYLE,
        "outline": {**OUTLINE_STYLE, "color": "#000", "weight": 5} if high_contrast else OUTLINE_STYLE,
        "contrast": high_contrast,
        "controls": controls,
    }


def compact_props(props: dict[str, dict]) -> dict:
    """Per-unit fill and tooltip rows with every text written once: ``texts`` (distinct strings) and ``units``
    (code → [fill index, [row label index, row value index, …]]); ``ktxh.restyle`` expands them. A source or a
    status shared by a province's hundred communes travels once, not a hundred times."""
    index: dict[str, int] = {}

    def at(text) -> int:
        return index.setdefault(str(text), len(index))

    units = {code: [at(p["_s"]["fillColor"]), [at(t) for row in p["_t"] for t in row]] for code, p in props.items()}
    return {"texts": list(index), "units": units}


def expand_props(spec: dict) -> dict[str, dict]:
    """``compact_props`` undone (what the browser rebuilds): code → {"_s": {fillColor}, "_t": rows}."""
    t = spec["texts"]
    return {
        code: {"_s": {"fillColor": t[fill]}, "_t": [[t[a], t[b]] for a, b in zip(rows[::2], rows[1::2], strict=True)]}
        for code, (fill, rows) in spec["units"].items()
    }


def restyle_group(spec: dict) -> folium.FeatureGroup:
    """The restyle as streamlit-folium's ``feature_group_to_add``: re-sent alone on every rerun and evaluated in
    the map already on screen (same frame, same Leaflet, same shapes)."""
    group = folium.FeatureGroup(name="ktxh-restyle", control=False)
    group.add_child(Call("restyle", spec))
    return group


def stable_ids(m: folium.Map) -> folium.Map:
    """Number the map's elements in order instead of folium's random ids, so the same map is the same text
    (one map per page: two numbered maps in one page would share names)."""
    count = 0

    def walk(el) -> None:
        nonlocal count
        el._id = f"{count:04d}"
        count += 1
        for child in list(getattr(el, "_children", {}).values()):
            walk(child)

    walk(m)
    return m


# Floating elements of the app page that lie over the map in presentation mode (see ui.view.PRESENT_CSS).
PRESENT_OVERLAYS = ".st-key-ktxh_slidebar, .st-key-ktxh_notices"


def fit_clear(bounds, parent_overlays: str | None = None, gap: int = 8, max_zoom: float | None = None) -> Call:
    """Fit ``bounds`` (minx, miny, maxx, maxy) clear of every control on the map (and of ``parent_overlays``,
    a CSS selector on the app page); added last, once the controls exist. Refits while the user has not
    touched the map (late fonts, iframe resize)."""
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    spec = {"bounds": [[miny, minx], [maxy, maxx]], "gap": gap}
    if parent_overlays:
        spec["parentSel"] = parent_overlays
    if max_zoom is not None:
        spec["maxZoom"] = max_zoom
    return Call("fitClear", spec)


FIRST = 1e15  # a label's placing weight above any unit's area (m²): placed first, never crowded out


def label_layer(
    gdf: gpd.GeoDataFrame,
    names,
    css_class: str = "ktxh-label",
    toggle: bool = True,
    min_zoom: float | None = None,
    first: tuple[str, ...] = (),
    fixed: tuple[tuple[str, float, float], ...] = (),
) -> Call:
    """Unit names at a point inside each unit, placed without collisions (largest unit first; a label that
    cannot be placed is hidden), hidden below ``min_zoom``; ``toggle`` adds the "Nhãn" switch on the map.

    ``fixed`` labels (text, lon, lat: the archipelagos on a map of the country) are placed before everything, in
    italics; then the units whose codes are in ``first`` (the capitals); then the others by size."""
    wgs = _wgs84(gdf)
    points = wgs.geometry.representative_point()
    areas = wgs.to_crs("EPSG:32648").area if wgs.crs is not None else wgs.geometry.area
    codes = wgs["code"] if "code" in wgs else [None] * len(wgs)
    weight = [FIRST if c in first else round(float(a)) for c, a in zip(codes, areas, strict=True)]
    items = [[lat, lon, str(text), 2 * FIRST, "ktxh-fixed"] for text, lon, lat in fixed]
    items += [[p.y, p.x, str(n), w] for p, n, w in zip(points, names, weight, strict=True)]
    spec: dict[str, object] = {"cls": css_class, "items": items}
    if toggle:
        spec["toggle"] = "Nhãn"
    if min_zoom is not None:
        spec["minZoom"] = min_zoom
    return Call("labels", spec)


def object_style(category: str, precision: str, selected: bool = False) -> dict:
    """Leaflet style of one object: its category colour, dashed and hollow when only approximately located."""
    approx = precision != "exact"
    color = SELECTED_COLOR if selected else CATEGORY_COLORS.get(category, "#333333")
    return {
        "color": color,
        "weight": 4 if selected else 2.5,
        "radius": 11 if selected else 8,
        "dashArray": "4 3" if approx else None,
        "fillColor": color,
        "fillOpacity": 0.3 if approx else 0.8,
    }


def object_layer(objects: gpd.GeoDataFrame, popups: bool = False, selected: str | None = None) -> Call:
    """Objects as one layer: points as circle markers, footprints as outlines; tooltip (or popup) rows as data.

    With ``popups`` each object gets a popup with its details and a tooltip with its name (the project map);
    otherwise the details are in the tooltip (the thematic map). ``selected`` is highlighted and its popup opens.
    """
    properties = []
    for row in objects.to_dict("records"):
        rows = object_rows(row)
        props = {"id": row["id"], "_s": object_style(row["category"], row["location_precision"], row["id"] == selected)}
        if popups:
            props |= {"_p": rows, "_t": [["", str(row["name"]), ""]]}
        else:
            props["_t"] = rows
        properties.append(props)
    # Own pane: always above the commune fills (which may arrive later, fetched), each symbol on a white halo.
    return geo_layer(objects, properties, open=selected if popups else None, halo=True, pane="ktxhObjects")


def geojson_codes(m: folium.Map) -> list[str]:
    """Codes of the communes drawn on a built map (for tests and checks): those its restyle styles."""
    for child in m._children.values():
        if isinstance(child, Call) and child.helper == "restyle":
            return list(json.loads(child.spec)["units"])
    return []


_Control = control  # kept for ktxh_geo.render.export until the render package replaces both
