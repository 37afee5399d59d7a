"""Browser: sign in → upload a filled file → report → confirm → the map shows the new figures (offline)."""

import pytest
from browser import map_frame, offline_page, settled_map, streamlit_server
from import_corpus import csv_bytes
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from ktxh_geo.io import store
from ktxh_geo.model.auth import hash_password

pytestmark = pytest.mark.browser
SOURCE = "Quyết định công nhận thôn NTM kiểu mẫu năm 2024 (thử nghiệm)"


@pytest.fixture()
def server(tmp_path):
    secrets = tmp_path / "secrets.toml"  # test secrets, injected without touching .streamlit/
    secrets.write_text(f'[editors]\nan = "{hash_password("mat-khau-thu", 1_000)}"\n', encoding="utf-8")
    state = tmp_path / "state"
    env = {"KTXH_STATE_DIR": str(state), "STREAMLIT_SECRETS_FILES": str(secrets)}
    with streamlit_server(env) as url:
        yield url, state


def test_upload_report_confirm_then_map_shows_values(server, tmp_path, monkeypatch):
    url, state = server
    rows = [
        ["STT", "Xã, thị trấn", "Số thôn được công nhận đạt chuẩn NTM kiểu mẫu"],
        ["1", "xa tan soi", "7"],
        ["2", "X. An Thượng", "6"],
    ]
    upload = tmp_path / "thon_kieu_mau_2024.csv"
    upload.write_bytes(csv_bytes(rows))
    with offline_page() as page:
        page.goto(url + "/nhap-lieu")
        page.get_by_label("Tên đăng nhập").fill("an")
        page.get_by_label("Mật khẩu").fill("mat-khau-thu")
        page.get_by_role("button", name="Đăng nhập").click()
        page.get_by_text("Đang đăng nhập với quyền biên tập: an").wait_for(timeout=30_000)

        page.get_by_role("tab", name="Nhập từ tệp").click()
        panel = page.get_by_role("tabpanel", name="Nhập từ tệp")
        panel.get_by_role("combobox", name="Bộ số liệu").click()
        page.get_by_role("option", name="Số thôn đạt chuẩn NTM kiểu mẫu").click()
        panel.locator("input[type=file]").set_input_files(str(upload))
        panel.get_by_text("Tệp hợp lệ: 2 giá trị cho 2 đơn vị, năm 2024.").wait_for(timeout=30_000)
        assert panel.get_by_text("Xem trước").count() == 1
        assert store.latest_version(state / store.STORE_FILE) == 0  # nothing saved before confirming

        source = panel.get_by_label("Nguồn số liệu (bắt buộc)", exact=False)
        source.fill(SOURCE)
        source.press("Enter")
        panel.get_by_role("button", name="Xác nhận và lưu").click()
        panel.get_by_text("Đã lưu phiên bản 1").wait_for(timeout=30_000)
        snap = store.snapshot(path=state / store.STORE_FILE).set_index("code")
        assert snap.loc[["07285", "07291"], "value"].tolist() == [6.0, 7.0]

        page.goto(url + "/ban-do")  # default indicator: model villages, newest year (now 2024)
        frame = map_frame(page)
        page.get_by_text(
            "Số thôn được công nhận đạt chuẩn NTM kiểu mẫu (công nhận trong năm) năm 2024"
        ).first.wait_for()
        frame = settled_map(page)  # hovered while refitting, the commune would move from under the pointer
        label = frame.locator(".ktxh-label", has_text="An Thượng")
        tip = frame.locator(".leaflet-tooltip", has_text="Xã An Thượng")
        for dx, dy in ((0, 6), (-25, 10), (25, 10), (0, 18), (-40, 4), (0, -20)):  # around the label, in the commune
            box = label.bounding_box()  # (an object marker may sit right under the first spot)
            page.mouse.move(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] + dy, steps=3)
            try:
                tip.wait_for(timeout=1_000)
                break
            except PlaywrightTimeout:
                continue
        tip.wait_for(timeout=5_000)
        text = tip.inner_text()
        assert "Xã An Thượng" in text and "6 thôn" in text and "2024" in text and SOURCE in text
        assert "minh họa" not in text
        assert page.blocked == []
