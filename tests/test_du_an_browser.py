"""Real-browser test of the "Dự án" page: selecting a table row moves the map to the object (offline)."""

import pytest
from browser import map_frame, offline_page, streamlit_server

pytestmark = pytest.mark.browser

DONG_SON = (21.477361, 106.266039)  # approximate point of CCN Đông Sơn in geo/projects.geojson


def _map_center(page):
    frame = next(f for f in page.frames if "streamlit_folium" in f.url)
    return frame.evaluate(
        """() => { for (const k of Object.keys(window)) {
                 const v = window[k];
                 if (v && v instanceof L.Map) { const c = v.getCenter(); return [c.lat, c.lng, v.getZoom()]; } }
               return null; }"""
    )


def test_select_row_moves_map_to_project(tmp_path):
    with streamlit_server({"KTXH_STATE_DIR": str(tmp_path)}) as url, offline_page() as page:
        page.goto(url + "/du-an")
        map_frame(page)
        lat0, lon0, zoom0 = _map_center(page)
        assert abs(lat0 - DONG_SON[0]) > 0.01 or abs(lon0 - DONG_SON[1]) > 0.05  # starts on the whole district

        search = page.get_by_label("Tìm dự án (có dấu hoặc không dấu)")
        search.fill("cum cong nghiep dong son")
        search.press("Enter")
        page.get_by_text("1 / 28 đối tượng").wait_for(timeout=30_000)

        grid = page.locator("[data-testid='stDataFrame']").first
        box = grid.bounding_box()
        # first data row, in the row-marker (checkbox) column at the far left
        page.mouse.click(box["x"] + 18, box["y"] + 35 + 18)

        frame = page.frame_locator("iframe[title*='streamlit_folium']").first
        popup = frame.locator(".leaflet-popup-content")
        popup.wait_for(timeout=30_000)
        assert "Cụm công nghiệp Đông Sơn" in popup.inner_text()
        lat, lon, zoom = _map_center(page)
        assert abs(lat - DONG_SON[0]) < 0.01 and abs(lon - DONG_SON[1]) < 0.01
        assert zoom > zoom0
        page.screenshot(path=str(tmp_path / "du_an_selected.png"))
        assert page.blocked == []
