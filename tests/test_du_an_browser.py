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


def _select_first_row(page, query: str) -> None:
    search = page.get_by_label("Tìm dự án (có dấu hoặc không dấu)")
    search.fill(query)
    search.press("Enter")
    page.get_by_text("1 / 28 đối tượng").wait_for(timeout=30_000)
    box = page.locator("[data-testid='stDataFrame']").first.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 18)


def test_upload_footprint_and_save_with_history(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point, box

    from ktxh_geo.register_store import read_history

    c = gpd.GeoSeries([Point(106.266, 21.477)], crs="EPSG:4326").to_crs("EPSG:32648").iloc[0]
    square = gpd.GeoDataFrame(geometry=[box(c.x - 250, c.y - 250, c.x + 250, c.y + 250)], crs="EPSG:32648")
    path = tmp_path / "ccn_dong_son.geojson"
    square.to_crs("EPSG:4326").to_file(path, driver="GeoJSON", engine="pyogrio")
    state = tmp_path / "state"
    with streamlit_server({"KTXH_STATE_DIR": str(state)}) as url, offline_page() as page:
        page.goto(url + "/du-an")
        map_frame(page)
        _select_first_row(page, "ccn dong son")
        page.frame_locator("iframe[title*='streamlit_folium']").first.locator(".leaflet-popup-content").wait_for()
        page.get_by_role("tab", name="Tải lên ranh giới").click()
        page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(path))
        page.get_by_text("Tệp hợp lệ").wait_for(timeout=30_000)
        assert "diện tích 25 ha" in page.get_by_text("Tệp hợp lệ").inner_text()
        page.get_by_label("Người sửa (bắt buộc)").last.fill("Cán bộ B")
        page.get_by_label("Người sửa (bắt buộc)").last.press("Enter")
        page.get_by_role("button", name="Lưu ranh giới").click()
        page.get_by_text("Đã lưu ranh giới của “Cụm công nghiệp Đông Sơn”").wait_for(timeout=30_000)
        assert page.blocked == []
    hist = read_history(state)
    assert list(hist["who"]) == ["Cán bộ B"] and hist.at[0, "action"] == "upload_footprint"
    assert hist.at[0, "new_geometry_wkt"].startswith("POLYGON ((")
