"""The planner's desk at 1280×720 (issue 10): approximate objects zoom to their commune, exact ones to the
object; a legend of the category colours; the table shows every column and no empty rows; a refused coordinate
is drawn with its distance; VN-2000 inputs in Vietnamese number format."""

import re

import pytest
from browser import map_frame, offline_page

pytestmark = pytest.mark.browser
BOUNDS = """() => { for (const k of Object.keys(window)) { const v = window[k];
  if (v && v instanceof L.Map) { const b = v.getBounds();
    return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast(), v.getZoom()]; } } return null; }"""
TAN_SOI_POINT = (21.444415, 106.166337)  # CCN Tân Sỏi: approximate point in xã Tân Sỏi


def _live_bounds(page):
    frames = [f for f in page.frames if "streamlit_folium" in f.url and not f.is_detached()]
    try:
        return frames[-1].evaluate(BOUNDS) if frames else None
    except Exception:
        return None


def _search(page, query, expect):
    search = page.get_by_label("Tìm dự án (có dấu hoặc không dấu)")
    search.fill(query)
    search.press("Enter")
    page.get_by_text(expect).wait_for(timeout=30_000)


def test_table_legend_and_approximate_selection(server):
    with offline_page(1280, 720) as page:
        page.goto(server + "/du-an")
        frame = map_frame(page)
        legend = frame.locator(".ktxh-legend").inner_text()
        assert "Cụm công nghiệp (CCN)" in legend and "Vị trí gần đúng" in legend and "Vị trí chính xác" in legend
        # every column in view: no horizontal scrolling in the grid
        grid = page.locator("[data-testid='stDataFrame']").first
        scroll = grid.locator(".dvn-scroller").evaluate("e => [e.scrollWidth, e.clientWidth]")
        assert scroll[0] <= scroll[1] + 1, scroll
        # a filtered table is as tall as its rows
        _search(page, "cum cong nghiep", "2 / 28 đối tượng")
        page.wait_for_function(  # the grid takes its new height (or the assertion below says how tall it stayed)
            "document.querySelector(\"[data-testid='stDataFrame']\").getBoundingClientRect().height <= 38 + 3 * 35 + 8",
            timeout=10_000,
        )
        box = grid.bounding_box()
        assert box["height"] <= 38 + 3 * 35 + 8, box
        # selecting an approximate object shows its commune, not a blank zoom-15 view around a guessed point
        b0 = _live_bounds(page)
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 52)  # second row: CCN Tân Sỏi
        frame.locator(".leaflet-popup-content").wait_for(timeout=30_000)
        for _ in range(60):
            b = _live_bounds(page)
            if b and b != b0 and b[0] < TAN_SOI_POINT[0] < b[2] and b[1] < TAN_SOI_POINT[1] < b[3]:
                break
            page.wait_for_timeout(500)
        s, w, n, e, zoom = b
        assert n - s > 0.04 and zoom <= 14, b  # the whole commune (about 6 km), not ~1 km around the point
        assert page.blocked == []


def test_refused_coordinate_is_drawn_and_inputs_are_vietnamese(server):
    with offline_page(1280, 720) as page:
        page.goto(server + "/du-an")
        map_frame(page)
        page.get_by_role("tab", name="Sửa vị trí").click()
        panel = page.get_by_role("tabpanel", name="Sửa vị trí")
        # the page's own picker, not the sidebar's locality selector
        panel.locator("[data-testid='stSelectbox']").first.click()
        page.get_by_role("option", name=re.compile("Cụm công nghiệp Tân Sỏi")).click()
        panel.get_by_text("WGS84 (kinh độ, vĩ độ)").wait_for(timeout=30_000)
        panel.get_by_text("X, Y (mét)").click()
        x = page.get_by_role("textbox", name="X (hướng Bắc, m)")
        x.wait_for(timeout=30_000)
        assert re.fullmatch(r"\d{1,3}(\.\d{3})+,\d{2}", x.input_value()), x.input_value()
        y = page.get_by_role("textbox", name="Y (hướng Đông, m)")
        y.fill("440.000,00")  # ~26 km east of the district
        y.press("Enter")
        err = page.locator("[data-testid='stAlert']").filter(has_text="nằm ngoài")
        err.wait_for(timeout=30_000)
        assert "kinh độ" in err.inner_text() and "vĩ độ" in err.inner_text()
        frame = page.frame_locator("iframe[title*='streamlit_folium']").first
        frame.locator("path.ktxh-refused").wait_for(timeout=30_000)
        assert frame.locator("path.ktxh-refused-line").count() == 1
        assert page.get_by_text("Cách ranh giới khoảng").count() >= 1
        assert page.blocked == []
