"""Real-browser test of the "Dự án" page: selecting a table row moves the map to the object (offline)."""

import pytest
from browser import map_frame, offline_page, settled_map, still, streamlit_server

pytestmark = pytest.mark.browser

DONG_SON = (21.477361, 106.266039)  # approximate point of CCN Đông Sơn in geo/projects.geojson


def _map_center(page):
    """(lat, lon, zoom) of the Leaflet map in the streamlit-folium iframe (None while it is being replaced)."""
    frames = [f for f in page.frames if "streamlit_folium" in f.url and not f.is_detached()]
    if not frames:
        return None
    try:
        return frames[-1].evaluate(
            """() => { for (const k of Object.keys(window)) {
                 const v = window[k];
                 if (v && v instanceof L.Map) { const c = v.getCenter(); return [c.lat, c.lng, v.getZoom()]; } }
               return null; }"""
        )
    except Exception:  # the frame was detached between the lookup and the call (map remounting)
        return None


def test_select_row_moves_map_to_project(server, tmp_path):
    with offline_page() as page:
        page.goto(server + "/du-an")
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
        # an approximate object: the map shows its commune (Đông Sơn), which holds the point
        lat, lon, zoom = _map_center(page)
        assert abs(lat - DONG_SON[0]) < 0.03 and abs(lon - DONG_SON[1]) < 0.03
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

    from ktxh_geo.io.register import read_history
    from ktxh_geo.model.auth import hash_password

    c = gpd.GeoSeries([Point(106.266, 21.477)], crs="EPSG:4326").to_crs("EPSG:32648").iloc[0]
    square = gpd.GeoDataFrame(geometry=[box(c.x - 250, c.y - 250, c.x + 250, c.y + 250)], crs="EPSG:32648")
    path = tmp_path / "ccn_dong_son.geojson"
    square.to_crs("EPSG:4326").to_file(path, driver="GeoJSON", engine="pyogrio")
    state = tmp_path / "state"
    secrets = tmp_path / "secrets.toml"  # one configured editor: saving needs a signed-in editor
    secrets.write_text(f'[editors]\n"an" = "{hash_password("mat-khau-dai-1", 1_000)}"\n', encoding="utf-8")
    env = {"KTXH_STATE_DIR": str(state), "STREAMLIT_SECRETS_FILES": str(secrets)}
    with streamlit_server(env) as url, offline_page() as page:
        page.goto(url + "/du-an")
        map_frame(page)
        _select_first_row(page, "ccn dong son")
        page.frame_locator("iframe[title*='streamlit_folium']").first.locator(".leaflet-popup-content").wait_for()
        page.get_by_role("tab", name="Sửa vị trí").click()
        page.get_by_label("Tên đăng nhập").fill("an")
        page.get_by_label("Mật khẩu").fill("mat-khau-dai-1")
        page.get_by_role("button", name="Đăng nhập").click()
        page.get_by_text("Đang đăng nhập với quyền biên tập").first.wait_for(timeout=30_000)
        page.get_by_role("tab", name="Tải lên ranh giới").click()
        page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(path))
        valid = page.get_by_text("hợp lệ (").first
        valid.wait_for(timeout=30_000)
        assert "diện tích 25 ha" in valid.inner_text()
        page.get_by_role("button", name="Lưu ranh giới").click()
        page.get_by_text("Đã lưu ranh giới của “Cụm công nghiệp Đông Sơn”").wait_for(timeout=30_000)
        assert page.blocked == []
    hist = read_history(state)
    assert list(hist["who"]) == ["an"] and hist.at[0, "action"] == "upload_footprint"  # the signed-in identity
    assert hist.at[0, "new_geometry_wkt"].startswith("POLYGON ((")


def test_click_object_on_map_selects_its_row(server):
    with offline_page() as page:
        page.goto(server + "/du-an")
        frame = settled_map(page)  # clicked while refitting, the marker would move from under the pointer
        # the two CCN markers are drawn in the cluster colour; the first is CCN Đông Sơn (register order)
        # a click on the object selects it: the page reruns around it (its popup may close as the map is rebuilt)
        still(frame.locator("path.leaflet-interactive[stroke='#7b3294']").first).click(force=True)
        # the rerun selects the row and the map is rebuilt around the object
        page.get_by_role("tab", name="Đo khoảng cách").click()
        page.get_by_text("Ranh giới xã gần nhất").wait_for(timeout=30_000)
        for _ in range(60):
            center = _map_center(page)
            if center and abs(center[0] - DONG_SON[0]) < 0.03 and abs(center[1] - DONG_SON[1]) < 0.03:
                break
            page.wait_for_timeout(500)
        else:
            raise AssertionError(f"map did not move to the object: {center}")
        # the editor (fed by the selected row) now shows the object
        page.get_by_role("tab", name="Sửa vị trí").click()
        picker = page.locator("[data-testid='stMain'] [data-testid='stSelectbox']:visible").first  # not the locality
        assert picker.locator("input").input_value() == "Cụm công nghiệp Đông Sơn"  # its name, not its register id
        # and the table's row is selected (glide-data-grid's accessible table mirrors the canvas)
        selected_rows = page.locator("[data-testid='stDataFrame'] tr[aria-selected='true']")
        assert selected_rows.count() == 1 and selected_rows.first.inner_text().startswith("Cụm công nghiệp Đông Sơn")
        assert page.blocked == []
