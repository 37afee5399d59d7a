"""Browser: the store's faults as editors and visitors meet them, on every locality and viewport (screenshots kept).

1. Editor Bình uploads a file on /nhap-lieu; meanwhile An (another app server) saves the same figure; Bình's
   confirm shows who changed what with "Tải lại" / "Lưu đè"; saving over it is recorded. Yên Thế at 1280×720,
   1366×768 and a 390×844 phone; Bắc Ninh at 1280×720.
2. The database is unreachable: /ban-do of every locality (and a province of the national view) still draws its
   map with the shipped data and says saving is unavailable; the page never shows the password or the database.
"""

import socket
from pathlib import Path

import pytest
from browser import map_frame, offline_page, streamlit_server
from import_corpus import csv_bytes
from playwright.sync_api import expect

from ktxh_geo.io import db, store
from ktxh_geo.model.auth import hash_password
from ktxh_geo.vocab import signed_in

pytestmark = pytest.mark.browser
SHOTS = Path("/work/notes/shots/w20")
PASSWORD = "mat-khau-thu"
UPLOADS = {  # the file Bình uploads and the cell in it, per locality (the page's default dataset and year)
    "yen-the-2024": (
        [["Tên xã", "Tỷ lệ hộ nghèo (%)"], ["xa dong son", "1,75"]],
        ("poverty_rate", "07273", "2020-2024", 2024),
    ),
    "bac-ninh-2025": (
        [["Tên đơn vị", "Dân số (người)"], ["Phường Bắc Giang", "41234"]],
        ("population", "07210", "2025", 2025),
    ),
}
WALKS = [
    ("yen-the-2024", 1280, 720),
    ("yen-the-2024", 1366, 768),
    ("yen-the-2024", 390, 844),
    ("bac-ninh-2025", 1280, 720),
]


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def editors_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("store-browser")
    secrets = folder / "secrets.toml"
    secrets.write_text(f'[editors]\n"Bình" = "{hash_password(PASSWORD, 1_000)}"\n', encoding="utf-8")
    state = folder / "state"
    with streamlit_server({"KTXH_STATE_DIR": str(state), "STREAMLIT_SECRETS_FILES": str(secrets)}) as url:
        yield url, state / store.STORE_FILE


@pytest.mark.parametrize("profile,width,height", WALKS, ids=[f"{p}-{w}x{h}" for p, w, h in WALKS])
def test_an_editor_meets_a_conflict_on_nhap_lieu(editors_server, tmp_path, profile, width, height):
    url, path = editors_server
    rows, (indicator, code, edition, year) = UPLOADS[profile]
    upload = tmp_path / "so_lieu.csv"
    upload.write_bytes(csv_bytes(rows))
    with offline_page(width, height) as page:
        page.goto(f"{url}/nhap-lieu?profile={profile}")
        page.get_by_label("Tên đăng nhập").fill("Bình")
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        page.get_by_text("Đang đăng nhập với quyền biên tập: Bình").wait_for(timeout=30_000)
        page.get_by_role("tab", name="Nhập từ tệp").click()
        panel = page.get_by_role("tabpanel", name="Nhập từ tệp")
        panel.locator("input[type=file]").set_input_files(str(upload))
        panel.get_by_text("Tệp hợp lệ: 1 giá trị").wait_for(timeout=30_000)
        source = panel.get_by_label("Nguồn số liệu (bắt buộc)", exact=False)
        source.fill("Báo cáo rà soát của Bình")
        source.press("Enter")
        confirm = panel.get_by_role("button", name="Xác nhận và lưu")
        expect(confirm).to_be_enabled(timeout=30_000)  # the rerun that took the source has finished
        # meanwhile An saves the same figure on another app server
        before = store.latest_version(path)
        cell = store.Cell(indicator, code, edition, year, 5.0 + before)
        an = signed_in("An", "password")
        store.save([cell], editor=an, source="Báo cáo của An", action="edit", dataset=indicator, path=path)
        confirm.click()
        message = panel.get_by_text("đã được người khác thay đổi sau khi bạn mở biểu mẫu")
        message.wait_for(timeout=30_000)
        assert f"phiên bản {before + 1}" in message.inner_text() and "An" in message.inner_text()
        reload = panel.get_by_role("button", name="Tải lại số liệu mới nhất")
        overwrite = panel.get_by_role("button", name="Lưu đè (ghi vào lịch sử là lưu đè)")
        assert reload.is_visible() and overwrite.is_visible()
        assert store.latest_version(path) == before + 1  # An's figure is what is saved
        overwrite.scroll_into_view_if_needed()
        _shot(page, f"conflict-{profile}-{width}x{height}")
        overwrite.click()
        panel.get_by_text(f"Đã lưu phiên bản {before + 2}").wait_for(timeout=30_000)
        assert panel.get_by_text("đã được người khác thay đổi").count() == 0
        _shot(page, f"conflict-saved-{profile}-{width}x{height}")
        assert page.blocked == []
    history = store.versions(path).set_index("id")
    assert history.at[before + 2, "overwrote"] == str(before + 1) and history.at[before + 2, "user"] == "Bình"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SECRET = "Bi-Mat-Trinh-Duyet-7"
DOWN = [
    ("yen-the-2024", 1280, 720, ""),
    ("yen-the-2024", 390, 844, ""),
    ("bac-ninh-2025", 1366, 768, ""),
    ("national-2025", 1280, 720, ""),
    ("national-2025", 1280, 720, "&province=24"),
]


@pytest.fixture(scope="module")
def down_server(tmp_path_factory):
    url = f"postgresql+psycopg://ktxh_app:{SECRET}@127.0.0.1:{_closed_port()}/kho_du_lieu?sslpassword={SECRET}"
    env = {db.ENV_URL: url, "KTXH_STATE_DIR": str(tmp_path_factory.mktemp("down-state"))}
    with streamlit_server(env) as base:
        yield base


@pytest.mark.parametrize("profile,width,height,extra", DOWN, ids=[f"{p}{e}-{w}x{h}" for p, w, h, e in DOWN])
def test_with_the_database_down_the_map_shows_its_data_and_says_so(down_server, profile, width, height, extra):
    with offline_page(width, height) as page:
        page.goto(f"{down_server}/ban-do?profile={profile}{extra}")
        frame = map_frame(page)
        assert frame.locator("path.leaflet-interactive").count() > 0
        notice = page.get_by_text("tạm thời chưa lưu được thay đổi nào")
        notice.wait_for(timeout=30_000)
        text = page.locator("body").inner_text()
        assert "Không đọc được cơ sở dữ liệu PostgreSQL" in text and "Hãy thử lại sau" in text
        html = page.content()  # (the page itself is served from 127.0.0.1: only its text is checked for the host)
        for hidden in (SECRET, "ktxh_app", "kho_du_lieu", "127.0.0.1", "Traceback", "psycopg"):
            assert hidden not in text, hidden
        for hidden in (SECRET, "ktxh_app", "kho_du_lieu", "Traceback", "psycopg"):
            assert hidden not in html, hidden
        assert page.get_by_text("Đã có lỗi không mong muốn").count() == 0
        _shot(page, f"store-down-{profile}{extra.replace('&', '-').replace('=', '')}-{width}x{height}")
        assert page.blocked == []
