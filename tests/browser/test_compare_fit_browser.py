"""/so-sanh on a projector (1280×720, 1366×768): both maps fully visible above the fold, fitted to the district,
the titles clear of the district and the scale bars visible (issue 10)."""

from pathlib import Path

import pytest
from browser import offline_page, settled_map, wait_rerun

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
RECT = "e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; }"
DATA_BOX = """(_, sel) => { const bs = [...document.querySelectorAll(sel)].map(e => e.getBoundingClientRect());
  return [Math.min(...bs.map(b => b.left)), Math.min(...bs.map(b => b.top)),
          Math.max(...bs.map(b => b.right)), Math.max(...bs.map(b => b.bottom))]; }"""


def hit(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("width,height", [(1280, 720), (1366, 768), (1920, 1080)])
def test_both_maps_fit_the_window_and_the_district(server, width, height):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with offline_page(width, height) as page:
        page.goto(server + "/so-sanh")
        iframe = page.wait_for_selector("iframe[title*='streamlit_folium']", timeout=60_000)
        frame = iframe.content_frame()
        frame.wait_for_function("window.map_div && window.map_div2", timeout=60_000)
        frame.locator("#map_div2 path.leaflet-interactive").first.wait_for(timeout=60_000)
        wait_rerun(page)
        frame = settled_map(page)
        page.screenshot(path=str(SHOTS / f"so_sanh_{width}x{height}.png"))
        box = iframe.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= height, box  # above the fold
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
        assert box["height"] >= 0.55 * height, box
        for div in ("#map_div", "#map_div2"):
            m = frame.locator(div).evaluate(RECT)
            assert m[3] <= box["height"] + 1 and m[2] - m[0] >= 0.4 * box["width"], (div, m, box)  # not clipped
            data = frame.locator("body").evaluate(DATA_BOX, f"{div} path.leaflet-interactive")
            # fitted: the district fills a good share of its map (not a blob at zoom 9.5) …
            share = max((data[2] - data[0]) / (m[2] - m[0]), (data[3] - data[1]) / (m[3] - m[1]))
            assert share >= 0.5, (div, data, m)
            assert data[0] >= m[0] and data[2] <= m[2] and data[1] >= m[1] and data[3] <= m[3], (div, data, m)
            # … clear of its title and legend, with the scale bar inside the map
            for sel in (".ktxh-title", ".ktxh-legend"):
                assert not hit(frame.locator(f"{div} {sel}").evaluate(RECT), data), (div, sel)
            scale = frame.locator(f"{div} .leaflet-control-scale").evaluate(RECT)
            assert scale[3] <= m[3] and scale[1] >= m[1], (div, scale, m)
        zoom = frame.evaluate("window.map_div.getZoom()")
        assert zoom >= 10.25, zoom
        assert page.blocked == []
