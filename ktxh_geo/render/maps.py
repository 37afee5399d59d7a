"""Build the interactive folium map: choropleth, labels, object layers, legend — all offline.

Leaflet is served by the app itself (static/vendor); nothing on the map loads from a CDN.
The legend is our own HTML control, so streamlit-folium never pulls d3 for a branca colormap.
"""

from __future__ import annotations

import json
from functools import lru_cache

import folium
import geopandas as gpd
import shapely
from branca.element import MacroElement
from jinja2 import Template

from ktxh_geo.model.classify import Classification, LegendItem
from ktxh_geo.model.join import ILLUSTRATIVE_MARK, STATUS_LABELS
from ktxh_geo.model.projects import CATEGORIES, CATEGORY_COLORS, layer_objects, object_rows
from ktxh_geo.render.escape import harden_jinja, html_text, script_json
from ktxh_geo.render.geometry import simplify_coverage
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


def use_local_leaflet(m: folium.Map, base_url: str = STATIC_URL) -> folium.Map:
    """Point the map's only script and stylesheet at the vendored Leaflet."""
    m.default_js = [("leaflet", f"{base_url}/leaflet.js")]
    m.default_css = [("leaflet_css", f"{base_url}/leaflet.css")]
    m.add_child(_IconPath(f"{base_url}/images/"))
    return m


class _IconPath(MacroElement):
    """Tell Leaflet where its marker images are: its guess from the stylesheet URL drops a "/" inside
    the streamlit-folium iframe (404 on .../leaflet-1.9.4marker-icon.png for every marker). Also credit Leaflet
    without the flag Leaflet 1.9 puts in its attribution prefix: an official Vietnamese map carries no flag."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.Icon.Default.imagePath = {{ this.path|tojson }};
        if ({{ this._parent.get_name() }}.attributionControl) {
          {{ this._parent.get_name() }}.attributionControl.setPrefix({{ this.prefix|tojson }});
        }
        {% endmacro %}
        """
    )
    prefix = LEAFLET_CREDIT

    def __init__(self, path: str):
        super().__init__()
        self._name = "IconPath"
        self.path = path


# Map helpers, defined once per map page. Static code (no data); every data-bearing call below passes its data
# as one ``script_json`` literal, and text reaches the page only through ``textContent`` (tooltips, popups,
# labels) or as HTML escaped on the server (legend, title). No ``{{``, ``{%`` or ``{#`` may appear here.
HELPERS_JS = """
window.ktxh = window.ktxh || {};
(function (K) {
  K.rows = function (rows) {
    var box = document.createElement('div');
    rows.forEach(function (r) {
      var line = document.createElement('div');
      if (r[2]) line.className = r[2];
      if (r[0]) { var b = document.createElement('b'); b.textContent = r[0] + ': '; line.appendChild(b); }
      line.appendChild(document.createTextNode(r[1]));
      box.appendChild(line);
    });
    return box;
  };
  K.fetchJSON = function (url) {
    K.cache = K.cache || {};
    if (!K.cache[url]) K.cache[url] = fetch(url).then(function (r) { return r.json(); });
    return K.cache[url];
  };
  K.halo = function (map, f, l, pane) {
    // A white ring under an object symbol, so it stays visible on a fill of its own colour.
    var own = (f.properties && f.properties._s) || {}, o = Object.assign({}, l.options || {}, own);
    var style = { color: '#fff', weight: (o.weight || 2) + 4, opacity: 0.95, fill: false, interactive: false,
      className: 'ktxh-halo', radius: o.radius || 8 };
    if (pane) style.pane = pane;
    var h = L.geoJSON(f.geometry, { interactive: false, style: style, pane: pane || 'overlayPane',
      pointToLayer: function (g, latlng) { return L.circleMarker(latlng, style); } });
    return h.addTo(map);
  };
  K.geo = function (map, spec) {
    var pane = spec.pane || 'overlayPane';
    if (!map.getPane(pane)) map.createPane(pane).style.zIndex = 450;  // above the communes, under the labels
    var layer = L.geoJSON(null, {
      pane: pane,
      interactive: spec.interactive !== false,
      smoothFactor: spec.smooth || 1,
      style: function (f) {
        var own = (f && f.properties && f.properties._s) || {};
        return Object.assign({}, spec.style || {}, own);
      },
      pointToLayer: function (f, latlng) { return L.circleMarker(latlng, { radius: 8, pane: pane }); },
      onEachFeature: function (f, l) {
        var p = f.properties || {};
        if (spec.halo) K.halo(map, f, l, pane);
        if (p._t) l.bindTooltip(function () { return K.rows(p._t); }, { sticky: !!spec.sticky });
        if (p._p) l.bindPopup(function () { return K.rows(p._p); }, { maxWidth: 320 });
        if (spec.highlight) {
          l.on('mouseover', function () { l.setStyle(spec.highlight); if (l.bringToFront) l.bringToFront(); });
          l.on('mouseout', function () { layer.resetStyle(l); });
        }
      }
    }).addTo(map);
    function show(fc) {
      if (spec.props) {
        fc = { type: 'FeatureCollection', features: fc.features.map(function (f) {
          var own = spec.props[f.properties.code];
          if (!own) return f;
          return { type: 'Feature', geometry: f.geometry, properties: Object.assign({ code: f.properties.code }, own) };
        }) };
      }
      layer.addData(fc);
      if (spec.open) {
        layer.eachLayer(function (l) { if (l.feature && l.feature.properties.id === spec.open) l.openPopup(); });
      }
    }
    if (spec.url) K.fetchJSON(spec.url).then(show); else show(spec.data);
    return layer;
  };
  // Labels placed greedily (items in the given order: largest unit first), each at its point or at one of a
  // few offsets; a label that would overlap one already placed (or an overlay) is hidden. Recomputed on zoom.
  K.labels = function (map, spec) {
    var group = L.layerGroup(), items = [], shown = spec.show !== false;
    var OFFS = [[0, 0], [0, -0.9], [0, 0.9], [-0.45, 0], [0.45, 0], [-0.35, -0.8], [0.35, -0.8], [-0.35, 0.8],
      [0.35, 0.8], [0, -1.7], [0, 1.7]];
    spec.items.forEach(function (it) {
      var el = document.createElement('div');
      el.className = spec.cls + (it[4] ? ' ' + it[4] : '');
      el.textContent = it[2];
      var icon = L.divIcon({ html: el, className: 'ktxh-label-icon', iconSize: [0, 0], iconAnchor: [0, 0] });
      var mk = L.marker([it[0], it[1]], { icon: icon, interactive: false, keyboard: false }).addTo(group);
      items.push({ el: el, marker: mk, area: it[3] || 0 });
    });
    items.sort(function (a, b) { return b.area - a.area; });
    function hit(a, b) { return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]; }
    function place() {
      if (!map.hasLayer(group)) return;
      var off = map.getZoom() < (spec.minZoom || 0);
      var busy = K.overlayRects ? K.overlayRects(map).map(function (r) { return [r.x0, r.y0, r.x1, r.y1]; }) : [];
      items.forEach(function (it) {
        var el = it.el;
        el.style.left = '0px'; el.style.top = '0px';
        if (off) { el.style.visibility = 'hidden'; return; }
        var w = el.offsetWidth, h = el.offsetHeight, p = map.latLngToContainerPoint(it.marker.getLatLng());
        var m = 2, done = false;
        for (var i = 0; i < OFFS.length && !done; i++) {
          var dx = Math.round(OFFS[i][0] * w), dy = Math.round(OFFS[i][1] * h);
          var r = [p.x + dx - w / 2 - m, p.y + dy - h / 2 - m, p.x + dx + w / 2 + m, p.y + dy + h / 2 + m];
          if (busy.some(function (b) { return hit(r, b); })) continue;
          busy.push(r);
          el.style.left = dx + 'px'; el.style.top = dy + 'px';
          done = true;
        }
        el.style.visibility = done ? '' : 'hidden';
      });
    }
    group.place = place;
    if (shown) group.addTo(map);
    map.on('zoomend viewreset resize', place);
    map.whenReady(function () { place(); setTimeout(place, 300); setTimeout(place, 1500); });
    if (spec.toggle) {
      var ctl = L.control({ position: 'topright' });
      ctl.onAdd = function () {
        var d = L.DomUtil.create('label', 'ktxh-toggle leaflet-bar');
        var box = document.createElement('input');
        box.type = 'checkbox'; box.checked = shown;
        d.appendChild(box); d.appendChild(document.createTextNode(' ' + spec.toggle));
        L.DomEvent.disableClickPropagation(d);
        L.DomEvent.on(box, 'change', function () {
          if (box.checked) { group.addTo(map); place(); } else { map.removeLayer(group); }
        });
        return d;
      };
      ctl.addTo(map);
    }
    return group;
  };
  // Rectangles (container pixels) of what lies over the map: its controls and, when embedded, the parent page's
  // floating elements (spec.parentSel, e.g. the presentation slide bar).
  K.overlayRects = function (map) {
    var c = map.getContainer(), cr = c.getBoundingClientRect(), out = [];
    function add(r, dx, dy) {
      var x0 = r.left + dx - cr.left, y0 = r.top + dy - cr.top;
      var x1 = r.right + dx - cr.left, y1 = r.bottom + dy - cr.top;
      if (r.width < 1 || r.height < 1 || x1 <= 0 || y1 <= 0 || x0 >= cr.width || y0 >= cr.height) return;
      out.push({ x0: x0, y0: y0, x1: x1, y1: y1 });
    }
    c.querySelectorAll('.leaflet-control').forEach(function (e) {
      if (!e.classList.contains('leaflet-control-attribution')) add(e.getBoundingClientRect(), 0, 0);
    });
    try {
      var fe = window.frameElement;
      if (fe && K.parentSel) {
        var fr = fe.getBoundingClientRect();
        window.parent.document.querySelectorAll(K.parentSel).forEach(function (e) {
          add(e.getBoundingClientRect(), -fr.left, -fr.top);
        });
      }
    } catch (err) { /* not embedded */ }
    return out;
  };
  // Fit bounds in the part of the map that no overlay covers: each overlay is avoided by padding the side
  // (left/right or top/bottom, by the corner it sits in) that keeps the largest zoom.
  K.fitClear = function (map, spec) {
    if (spec.parentSel) K.parentSel = spec.parentSel;
    var b = L.latLngBounds(spec.bounds), gap = spec.gap || 8;
    function fit() {
      if (K.touched) return;  // the user moved a map of this page: never take the view back
      var size = map.getSize(), rects = K.overlayRects(map), best = null;
      var n = Math.min(rects.length, 10);
      for (var mask = 0; mask < (1 << n); mask++) {
        var pad = [gap, gap, gap, gap];  // top, right, bottom, left
        rects.slice(0, n).forEach(function (r, i) {
          var cx = (r.x0 + r.x1) / 2, cy = (r.y0 + r.y1) / 2;
          if (mask & (1 << i)) {
            if (cy < size.y / 2) pad[0] = Math.max(pad[0], r.y1 + gap);
            else pad[2] = Math.max(pad[2], size.y - r.y0 + gap);
          } else if (cx < size.x / 2) pad[3] = Math.max(pad[3], r.x1 + gap);
          else pad[1] = Math.max(pad[1], size.x - r.x0 + gap);
        });
        if (pad[1] + pad[3] > size.x - 40 || pad[0] + pad[2] > size.y - 40) continue;
        var z = map.getBoundsZoom(b, false, L.point(pad[1] + pad[3], pad[0] + pad[2]));
        if (!best || z > best.z) best = { z: z, pad: pad };
      }
      var pad = best ? best.pad : [gap, gap, gap, gap];
      K.fitting = true;  // the URL keeps no centre/zoom for a fitted view (a rerun fits again)
      try {
        map.fitBounds(b, { paddingTopLeft: [pad[3], pad[0]], paddingBottomRight: [pad[1], pad[2]],
          maxZoom: spec.maxZoom || 18, animate: false });
      } finally { K.fitting = false; }
    }
    var c = map.getContainer();
    ['mousedown', 'wheel', 'touchstart', 'keydown'].forEach(function (ev) {
      c.addEventListener(ev, function () { K.touched = true; }, { capture: true, passive: true });
    });
    fit();
    map.on('resize', fit);
    [200, 800, 2000].forEach(function (t) { setTimeout(fit, t); });
    if (document.fonts && document.fonts.ready) document.fonts.ready.then(fit);
    return { refit: fit };
  };
  // A full-screen button (outside presentation mode): the map's frame, else the map itself, fills the screen.
  K.fullscreen = function (map, spec) {
    var ctl = L.control({ position: spec.position || 'topleft' });
    function target() {
      try { if (window.frameElement && window.frameElement.requestFullscreen) return window.frameElement; }
      catch (err) { /* cross-origin: use the map */ }
      return map.getContainer();
    }
    function current() {
      var d = document.fullscreenElement;
      try { d = d || window.parent.document.fullscreenElement; } catch (err) { /* not embedded */ }
      return d;
    }
    ctl.onAdd = function () {
      var bar = L.DomUtil.create('div', 'leaflet-bar ktxh-fullscreen');
      var a = L.DomUtil.create('a', '', bar);
      a.href = '#'; a.setAttribute('role', 'button');
      a.title = spec.title; a.setAttribute('aria-label', spec.title);
      L.DomUtil.create('span', 'ktxh-fs-icon', a);  // four corners drawn in CSS (no font has the glyph)
      L.DomEvent.disableClickPropagation(bar);
      L.DomEvent.on(a, 'click', function (e) {
        L.DomEvent.preventDefault(e);
        var doc = current();
        if (doc) { (doc.ownerDocument || document).exitFullscreen(); return; }
        var t = target(), p = t.requestFullscreen();
        var own = map.getContainer();
        if (p && p.catch) p.catch(function () { if (t !== own) own.requestFullscreen(); });
      });
      return bar;
    };
    ctl.addTo(map);
    window.addEventListener('resize', function () { map.invalidateSize(); });
    return ctl;
  };
  K.control = function (map, spec) {
    var ctl = L.control({ position: spec.position });
    ctl.onAdd = function () {
      var div = L.DomUtil.create('div', spec.cls);
      div.innerHTML = spec.html;
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    ctl.addTo(map);
    return ctl;
  };
})(window.ktxh);
"""


class _Helpers(MacroElement):
    """The static helper functions (``HELPERS_JS``), first in the map's script."""

    _template = Template("{% macro script(this, kwargs) %}" + HELPERS_JS + "{% endmacro %}")

    def __init__(self):
        super().__init__()
        self._name = "KtxhHelpers"


class Call(MacroElement):
    """``var <name> = ktxh.<helper>(map, <spec>)``: one helper call with its data as an inert JSON literal."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = ktxh.{{ this.helper }}({{ this._parent.get_name() }}, {{ this.spec }});"
        "{% endmacro %}"
    )

    def __init__(self, helper: str, spec: dict, bounds=None):
        super().__init__()
        if helper not in ("geo", "labels", "control", "fitClear", "fullscreen"):
            raise ValueError(f"unknown map helper {helper!r}")
        self._name = f"Ktxh_{helper}"
        self.helper = helper
        self.spec = script_json(spec)
        self._bounds = bounds

    def _get_self_bounds(self):
        """streamlit-folium asks every element for its bounds; ours are known (never walk coordinates)."""
        if self._bounds is None:
            return [[None, None], [None, None]]
        minx, miny, maxx, maxy = (float(v) for v in self._bounds)
        return [[miny, minx], [maxy, maxx]]


def control(html_text_: str, position: str, css_class: str) -> Call:
    """A Leaflet control holding HTML built on the server (every piece of data in it escaped with html_text)."""
    return Call("control", {"position": position, "cls": css_class, "html": html_text_})


class _MetricScale(MacroElement):
    """Scale bar in metres/kilometres only (Leaflet's default adds miles)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, maxWidth: 160}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )


class _TileErrorNotice(MacroElement):
    """Show a small notice on the map when base tiles cannot load (no internet)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var shown = false;
            {{ this.layer }}.on('tileerror', function() {
                if (shown) return; shown = true;
                var ctl = L.control({position: 'bottomleft'});
                ctl.onAdd = function() {
                    var d = L.DomUtil.create('div', 'ktxh-notice');
                    d.innerHTML = 'Bản đồ nền không tải được (không có Internet). Ranh giới xã vẫn hiển thị.';
                    return d;
                };
                ctl.addTo({{ this._parent.get_name() }});
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, layer_name: str):
        super().__init__()
        self.layer = layer_name


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
.ktxh-contrast.ktxh-label { font-size: 15px; color: #000;
  text-shadow: 0 0 2px #fff, 0 0 3px #fff, 0 0 4px #fff, 0 0 5px #fff; }
.ktxh-contrast.ktxh-legend, .ktxh-contrast.ktxh-title { font-size: 16px; color: #000; background: #fff; }
.ktxh-contrast.ktxh-legend .sw { border: 2px solid #000; }
.ktxh-present.ktxh-contrast.ktxh-label { font-size: 20px; }
.ktxh-present.ktxh-contrast.ktxh-legend { font-size: 24px; }
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
#root, #parent, .float-child, #map_div, .folium-map { height: 100vh !important; }
"""


class _UrlSync(MacroElement):
    """Mirror the live centre/zoom into the parent page's URL on every move (history.replaceState).

    Runs in the streamlit-folium iframe (same origin as the app). It never talks to Streamlit, so
    panning and zooming cause no rerun; copying the address bar gives a link to exactly this view.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.on('moveend', function(e) {
            if (window.ktxh && window.ktxh.fitting) return;  // fitted by the app, not moved by the user
            try {
                var m = e.target, c = m.getCenter(), loc = window.parent.location;
                var q = new URLSearchParams(loc.search);
                q.set('center', c.lat.toFixed(5) + ',' + c.lng.toFixed(5));
                q.set('zoom', String(Math.round(m.getZoom() * 100) / 100));
                window.parent.history.replaceState(window.parent.history.state, '',
                    loc.pathname + '?' + q.toString().replace(/%2C/g, ','));
            } catch (err) { /* not embedded in the app page: nothing to sync */ }
        });
        {% endmacro %}
        """
    )


class _KeyForward(MacroElement):
    """Presentation mode: the slide keys (←/→, a presenter clicker's PageUp/PageDown) and Esc pressed while the
    map has focus (after any click on it) reach the app page (which steps through slides or leaves presentation)
    instead of stopping in this iframe; the map itself has no keyboard handler then (arrows never pan)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        document.addEventListener('keydown', function(e) {
            var keys = ['ArrowLeft', 'ArrowRight', 'PageUp', 'PageDown', 'Escape'];
            if (keys.indexOf(e.key) < 0) return;
            try {
                e.preventDefault();
                window.parent.document.dispatchEvent(new KeyboardEvent('keydown', {key: e.key, bubbles: true}));
            } catch (err) { /* not embedded */ }
        });
        {% endmacro %}
        """
    )


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
    use_local_leaflet(m, asset_base)
    m.add_child(_Helpers())  # first: every data-bearing element below calls these helpers
    m.get_root().header.add_child(folium.Element(f"<style>{CSS}{COMPACT_CSS}{FULLSCREEN_CSS}{extra_css}</style>"))
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
    """A fresh folium map of one joined indicator (build per run; cache the data, not the map).

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
    m = offline_map(outline.total_bounds, asset_base, height=height)
    m.add_child(_MetricScale())
    pc = " ktxh-present" if presentation else (" ktxh-compact" if compact else "")
    if high_contrast:
        pc += " ktxh-contrast"
        m.get_root().header.add_child(folium.Element(f"<style>{CONTRAST_CSS}</style>"))
    if not presentation:  # on a half-width map, top right (the title needs the left side's height)
        where = "topright" if compact else "topleft"
        m.add_child(Call("fullscreen", {"title": "Toàn màn hình (bấm lại hoặc Esc để thoát)", "position": where}))
    if presentation:
        m.get_root().header.add_child(folium.Element(f"<style>{PRESENT_CSS}</style>"))
        m.add_child(_KeyForward())
        m.options["keyboard"] = False  # ←/→ step slides (forwarded to the page), never pan the map
        m.options["zoomAnimation"] = False  # projectors and slow laptops: no half-scaled frames

    if basemap == "osm":
        tiles = folium.TileLayer(OSM_URL, attr=OSM_ATTRIBUTION, name="OpenStreetMap", max_zoom=19)
        tiles.add_to(m)
        m.add_child(_TileErrorNotice(tiles.get_name()))

    status_labels = joined["status"].map(STATUS_LABELS).fillna("")
    flagged = (joined["status"] == FLAGGED).to_numpy()
    properties = [
        {
            "code": code,
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
    ]
    if flagged.any():
        m.get_root().html.add_child(folium.Element(FLAG_PATTERN))
    m.add_child(
        geo_layer(
            joined,
            properties,
            url=geometry_url,
            name="communes",
            style={
                "fillOpacity": 0.85,
                "color": "#000" if high_contrast else "#444",
                "weight": 2.4 if high_contrast else 1.2,
            },
            highlight={"weight": 3, "color": "#000"},
            sticky=True,
            smooth=0.5,
        )
    )
    outline_style = {"fill": False, "color": "#000" if high_contrast else "#111", "weight": 5 if high_contrast else 3}
    m.add_child(geo_layer(outline, None, interactive=False, style=outline_style))
    for _, shape in overlays:
        m.add_child(geo_layer(shape, None, interactive=False, style=OVERLAY_STYLE))

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

    sources = sorted(set(s for s in joined["source"] if s))
    if title:
        m.add_child(control(html_text(title), "topleft", "ktxh-title" + pc))
    if (joined["status"] == "illustrative").any():
        m.add_child(control(f"{ILLUSTRATIVE_MARK} — không phải số liệu chính thức", "topright", "ktxh-banner" + pc))
    legend = legend_html(classification, shown_layers, sources, projects, [label for label, _ in overlays])
    m.add_child(control(legend, "bottomright", "ktxh-legend" + pc))

    if selected and selected in set(joined["code"]):
        sel = joined[joined["code"] == selected]
        m.add_child(geo_layer(sel, None, interactive=False, style={"fill": False, "color": "#0050ff", "weight": 4}))
        fit = sel.total_bounds
    else:
        fit = outline.total_bounds
    if center is not None and zoom is not None:
        m.location, m.options["zoom"] = [center[0], center[1]], zoom
    else:  # clear of the title, legend, banner, scale bar and (presenting) the slide bar, measured in the browser
        m.add_child(fit_clear(fit, PRESENT_OVERLAYS if presentation else None, gap=14 if presentation else 8))
    if sync_url:
        m.add_child(_UrlSync())
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
    spec = {"cls": css_class, "items": items}
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
    """Codes of the communes drawn on a built map (for tests and checks)."""
    for child in m._children.values():
        if isinstance(child, Call) and child.helper == "geo":
            spec = json.loads(child.spec)
            if spec.get("name") == "communes":
                return (
                    list(spec["props"])
                    if "url" in spec
                    else [f["properties"]["code"] for f in spec["data"]["features"]]
                )
    return []


_Control = control  # kept for ktxh_geo.render.export until the render package replaces both
