"""Real-browser test of the side-by-side view: both maps draw offline and move together."""

import pytest
from browser import MAP_SETTLED, offline_page, wait_rerun
from playwright.sync_api import TimeoutError as PlaywrightTimeout

pytestmark = pytest.mark.browser

VIEW = "(() => { const c = window.{m}.getCenter(); return [c.lat, c.lng, window.{m}.getZoom()]; })()"


def _view(frame, name):
    return frame.evaluate(VIEW.replace("{m}", name))


def _compare_frame(page):
    """The component frame once both maps are drawn, the page has finished running and neither map will move by
    itself any more (each refits late for fonts and the iframe's size; the other follows)."""
    iframe = page.wait_for_selector("iframe[title*='streamlit_folium']", timeout=60_000)
    frame = iframe.content_frame()
    frame.wait_for_function("window.map_div && window.map_div2", timeout=60_000)
    frame.locator("#map_div path.leaflet-interactive").first.wait_for(timeout=60_000)
    frame.locator("#map_div2 path.leaflet-interactive").first.wait_for(timeout=60_000)
    wait_rerun(page)
    frame.wait_for_function(MAP_SETTLED, timeout=60_000)
    return frame


def _set_right_view(page, frame):
    """setView on the right map until it sticks (a late re-render of the component may reset the view)."""
    for _ in range(3):
        frame.evaluate("window.map_div2.setView([21.48, 106.20], 13, {animate: false})")
        try:
            frame.wait_for_function("Math.abs(window.map_div2.getCenter().lat - 21.48) < 1e-4", timeout=3_000)
            wait_rerun(page)  # a rerun started by the move would re-render the component
            if abs(_view(frame, "map_div2")[0] - 21.48) < 1e-4:
                return frame
        except PlaywrightTimeout:
            pass
        frame = _compare_frame(page)
    raise AssertionError("the right map never kept the new view")


def test_both_maps_draw_offline_with_their_own_legend(server):
    with offline_page() as page:
        page.goto(server + "/so-sanh")
        frame = _compare_frame(page)
        # left: 19 units of 2020–2024; right: the 5 communes of 2025 (values aggregated)
        assert frame.locator("#map_div path.leaflet-interactive[fill-opacity='0.85']").count() == 19
        assert frame.locator("#map_div2 path.leaflet-interactive[fill-opacity='0.85']").count() == 5
        left_legend = frame.locator("#map_div .ktxh-legend").inner_text()
        right_legend = frame.locator("#map_div2 .ktxh-legend").inner_text()
        assert "Số liệu gộp" not in left_legend
        assert "Số liệu gộp theo đơn vị mới (quy tắc: tổng)" in right_legend
        assert "3 thôn" in right_legend  # Tam Tiến = An Thượng 3 + Tam Tiến 0 + Tiến Thắng 0
        assert page.get_by_text("Page not found").count() == 0
        assert page.blocked == []  # Leaflet and Leaflet.Sync come from the app, no CDN


def test_moving_one_map_moves_the_other(server):
    with offline_page() as page:
        page.goto(server + "/so-sanh")
        frame = _compare_frame(page)
        start_left, start_right = _view(frame, "map_div"), _view(frame, "map_div2")
        assert start_left == pytest.approx(start_right, abs=1e-6)

        # programmatic move of the right map: the left follows (centre and zoom)
        frame = _set_right_view(page, frame)
        lat, lng, zoom = _view(frame, "map_div")
        assert (lat, lng, zoom) == pytest.approx((21.48, 106.20, 13), abs=1e-4)

        # a mouse drag on the left map: the right map pans by the same amount
        before = _view(frame, "map_div2")
        box = page.locator("iframe[title*='streamlit_folium']").bounding_box()
        x, y = box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.6
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x + 60, y + 40, steps=8)
        page.mouse.move(x + 120, y + 80, steps=8)
        page.mouse.up()
        frame.wait_for_function(MAP_SETTLED, timeout=10_000)  # the drag's inertia is over, on both maps
        frame.wait_for_function(  # the right map followed the drag: it moved, to where the left one is
            "lat => { const a = window.map_div.getCenter(), b = window.map_div2.getCenter();"
            " return b.lat !== lat && Math.abs(a.lat - b.lat) < 1e-6 && Math.abs(a.lng - b.lng) < 1e-6; }",
            arg=before[0],
            timeout=10_000,
        )
        left, right = _view(frame, "map_div"), _view(frame, "map_div2")
        assert right != pytest.approx(before, abs=1e-6)  # it moved
        assert right == pytest.approx(left, abs=1e-6)  # and it shows the same view as the dragged map
        assert right[0] > before[0] and right[1] < before[1]  # dragged down-right: view moves north-west
