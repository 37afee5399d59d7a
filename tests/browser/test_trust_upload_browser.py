"""Issue 17 in a real browser: a GDAL VRT named .geojson, uploaded on /du-an "Tải lên ranh giới" by an anonymous
visitor (and then by a signed-in editor), is refused in Vietnamese and nothing of the server file it points at
reaches the page."""

import os
import sys
from pathlib import Path

import pytest
from browser import map_frame, offline_page, streamlit_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import hostile_uploads as H  # noqa: E402

pytestmark = pytest.mark.browser

SECRET = "HEMMELIG-browser-5c1d"
SHOTS = Path(os.environ.get("KTXH_SHOTS_DIR", "/work/notes/shots/w17"))


def _select_ccn_dong_son(page) -> None:
    search = page.get_by_label("Tìm dự án (có dấu hoặc không dấu)")
    search.fill("ccn dong son")
    search.press("Enter")
    page.get_by_text("1 / 28 đối tượng").wait_for(timeout=30_000)
    box = page.locator("[data-testid='stDataFrame']").first.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 18)
    page.frame_locator("iframe[title*='streamlit_folium']").first.locator(".leaflet-popup-content").wait_for()


def _upload_and_read_refusal(page, path: Path) -> str:
    page.get_by_role("tab", name="Tải lên ranh giới").click()
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(path))
    refusal = page.locator("[data-testid='stAlertContentError']", has_text=f"Tệp “{path.name}”").first
    refusal.wait_for(timeout=60_000)
    refusal.scroll_into_view_if_needed()  # for the screenshot: the message on screen, as the visitor sees it
    return refusal.inner_text()


def test_vrt_named_geojson_is_refused_for_an_anonymous_visitor_and_an_editor(tmp_path):
    from ktxh_geo.model.auth import hash_password

    planted = H.planted_csv(tmp_path, SECRET)
    upload = tmp_path / "ranh_gioi.geojson"
    upload.write_bytes(H.vrt_reading(f"CSV:{planted}"))  # the old reader drew a 26 ha footprint from this file
    state = tmp_path / "state"
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[editors]\n"an" = "{hash_password("mat-khau-dai-1", 1_000)}"\n', encoding="utf-8")
    env = {"KTXH_STATE_DIR": str(state), "STREAMLIT_SECRETS_FILES": str(secrets)}
    SHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server(env) as url, offline_page(1366, 768) as page:
        page.goto(url + "/du-an")
        map_frame(page)
        _select_ccn_dong_son(page)
        text = _upload_and_read_refusal(page, upload)  # nobody signed in
        assert text.startswith("Tệp “ranh_gioi.geojson”: không đọc được dữ liệu không gian")
        body = page.locator("body").inner_text()
        for leak in (SECRET, str(tmp_path), "planted", "OGRVRT", "SELECT", "Traceback", "Error"):
            assert leak not in body, leak
        assert page.get_by_role("button", name="Lưu ranh giới").count() == 0
        page.screenshot(path=str(SHOTS / "du_an_vrt_anonymous_1366x768.png"), full_page=False)

        page.get_by_role("tab", name="Sửa vị trí").click()  # now as a signed-in editor
        page.get_by_label("Tên đăng nhập").fill("an")
        page.get_by_label("Mật khẩu").fill("mat-khau-dai-1")
        page.get_by_role("button", name="Đăng nhập").click()
        page.get_by_text("Đang đăng nhập với quyền biên tập").first.wait_for(timeout=30_000)
        gdalg = tmp_path / "ranh_gioi_2.json"
        gdalg.write_bytes(H.gdalg(f"CSV:{planted}"))
        text = _upload_and_read_refusal(page, gdalg)
        assert "nội dung không phải GeoJSON" in text and SECRET not in page.locator("body").inner_text()
        assert page.get_by_role("button", name="Lưu ranh giới").count() == 0
        page.screenshot(path=str(SHOTS / "du_an_gdalg_editor_1366x768.png"), full_page=False)
        assert page.blocked == []
    from ktxh_geo.io.register import read_history

    assert read_history(state).empty  # nothing was saved
