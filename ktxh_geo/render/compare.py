"""Two thematic maps side by side with synchronised pan and zoom (folium DualMap, offline).

folium's DualMap loads Leaflet.Sync from a CDN; here it is served by the app (static/vendor/leaflet.sync-0.2.4).
Each side is a complete map from ``mapview.build_map`` (own legend, title, tooltips), so the two sides may show
the same indicator on two editions, two indicators or two years.
"""

from __future__ import annotations

import folium
from branca.element import Element, MacroElement
from folium.plugins import DualMap

from ktxh_geo.render.maps import page

LEAFLET_SYNC_VERSION = "0.2.4"
LEAFLET_SYNC_URL = f"/app/static/vendor/leaflet.sync-{LEAFLET_SYNC_VERSION}/L.Map.Sync.js"


FILL_CSS = (
    "body { margin: 0 !important; overflow: hidden; } "
    "html, body, #root, #parent, .float-child, #map_div, #map_div2 { height: 100vh !important; }"
)


class SyncedMaps(DualMap):
    """Two ready-built maps shown as one DualMap: moving one moves the other (both directions)."""

    def __init__(self, left: folium.Map, right: folium.Map, sync_js: str = LEAFLET_SYNC_URL, fill: bool = False):
        """``fill``: both maps take the whole height of their frame (the app page sizes the frame to the window)."""
        MacroElement.__init__(self)
        self._name = "DualMap"
        self.default_js = [("Leaflet.Sync", sync_js)]  # never the CDN default
        for m, x in ((left, 0.0), (right, 50.0)):  # layout when rendered as a standalone page
            m.width, m.height, m.left, m.top, m.position = (50.0, "%"), (100.0, "%"), (x, "%"), (0.0, "%"), "absolute"
        figure = page(left)  # keeps the CSS that build_map put into the left map's page header
        figure.add_child(right)
        if fill:
            figure.header.add_child(Element(f"<style>{FILL_CSS}</style>"), name="ktxh_fill")
        figure.add_child(self)  # last, so its sync script runs after both maps exist
        self.m1, self.m2 = left, right
        self.children_for_m2 = []
        self.children_for_m2_copied = []


def sync_links(maps: SyncedMaps) -> list[str]:
    """Every script and stylesheet the pair asks the browser to load (for offline checks)."""
    links = []
    for element in (maps.m1, maps.m2, maps):
        links += [src for _, src in getattr(element, "default_js", [])]
        links += [href for _, href in getattr(element, "default_css", [])]
    return links
