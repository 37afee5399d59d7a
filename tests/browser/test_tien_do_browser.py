"""Browser: the plan-following cycle on Bắc Ninh (1366x768) and a commune reporter's form on a phone (390x844).

The office opens a period and imports commune targets from the Excel template; two scoped reporters submit (one
on a phone); the office returns one with a reason, the reporter sees it and submits again; the office accepts both;
the progress and reporting-status maps show it. Screenshots go to /work/notes/shots/h22/ when that folder exists.
"""

from pathlib import Path

import pytest
from browser import offline_page, streamlit_server
from playwright.sync_api import expect
from progress_helpers import filled_targets

from ktxh_geo.io import reports as rp
from ktxh_geo.model.auth import hash_password
from ktxh_geo.ui.progress import today

pytestmark = pytest.mark.browser
PASSWORD = "mat-khau-thu"
SHOTS = Path("/work/notes/shots/h22")
P = "bac-ninh-2025"


@pytest.fixture()
def server(tmp_path):
    secrets = tmp_path / "secrets.toml"
    lines = ["[editors]"] + [f'"{n}" = "{hash_password(PASSWORD, 1_000)}"' for n in ("vp", "xa.bg", "xa.dm")]
    lines += ["[editor_scopes]", '"xa.bg" = ["07210"]', '"xa.dm" = ["07228"]']
    secrets.write_text("\n".join(lines) + "\n", encoding="utf-8")
    state = tmp_path / "state"
    env = {"KTXH_STATE_DIR": str(state), "STREAMLIT_SECRETS_FILES": str(secrets)}
    with streamlit_server(env) as url:
        yield url, state / "ktxh_store.sqlite"


def _shot(page, name: str) -> None:
    if SHOTS.parent.exists():
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def _open(page, url: str, name: str) -> None:
    page.goto(f"{url}/tien-do?profile={P}")
    page.get_by_text("Đăng nhập để báo cáo, duyệt hoặc giao chỉ tiêu").click()
    page.get_by_label("Tên đăng nhập").fill(name)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_text(f"Đang đăng nhập với quyền biên tập: {name}").wait_for(timeout=60_000)


def _tab(page, name: str):
    page.get_by_role("tab", name=name).click()
    return page.get_by_role("tabpanel", name=name)


def _report(page, values: tuple[str, str], source: str) -> None:
    panel = _tab(page, "Báo cáo của đơn vị")
    panel.get_by_label("Thu ngân sách trên địa bàn", exact=False).fill(values[0])
    panel.get_by_label("Tỷ lệ hộ nghèo", exact=False).fill(values[1])
    panel.get_by_label("Nguồn số liệu", exact=False).fill(source)
    panel.get_by_role("button", name="Gửi báo cáo").click()
    page.get_by_text("Đã gửi báo cáo.").wait_for(timeout=30_000)


def _review(page, unit: str, code: str, accept: bool, reason: str = "") -> None:
    panel = _tab(page, "Duyệt báo cáo")
    panel.get_by_role("combobox", name="Báo cáo").click()
    page.get_by_role("option", name=unit).click()
    box = panel.locator(f".st-key-td_reason_{code} textarea")  # this report's own reason field, once it is shown
    box.wait_for(timeout=30_000)
    if reason:
        box.fill(reason)
    panel.locator(f".st-key-td_{'accept' if accept else 'return'}_{code} button").click()
    page.get_by_text(f"Đã {'duyệt' if accept else 'trả lại'} báo cáo của {unit}.").wait_for(timeout=30_000)


def test_cycle_on_bac_ninh_in_a_browser(server, tmp_path):
    url, store_file = server
    year = today().year
    targets = tmp_path / "giao_chi_tieu.xlsx"
    targets.write_bytes(filled_targets())
    with offline_page(1366, 768) as page:  # the office: a period and the communes' targets
        _open(page, url, "vp")
        panel = _tab(page, "Kỳ báo cáo và chỉ tiêu giao")
        panel.get_by_role("button", name="Mở kỳ báo cáo").click()
        page.get_by_text(f"Đã mở kỳ 6 tháng năm {year}.").wait_for(timeout=30_000)
        panel = _tab(page, "Kỳ báo cáo và chỉ tiêu giao")
        panel.locator("input[type=file]").set_input_files(str(targets))
        panel.get_by_text("HỢP LỆ — 198 chỉ tiêu giao cho 99 đơn vị", exact=False).wait_for(timeout=30_000)
        panel.get_by_label("Nguồn của chỉ tiêu giao", exact=False).fill("QĐ giao chỉ tiêu (Số liệu minh họa)")
        panel.get_by_label("Nguồn của chỉ tiêu giao", exact=False).press("Enter")
        panel.get_by_role("button", name="Lưu chỉ tiêu giao").click()
        page.get_by_text(f"Đã lưu 198 chỉ tiêu giao cho xã năm {year}.").wait_for(timeout=30_000)
        assert len(rp.commune_targets(P, year, path=store_file)) == 198
        assert page.blocked == []

    with offline_page(390, 844) as phone:  # Bắc Giang's reporter, on a phone
        _open(phone, url, "xa.bg")
        panel = _tab(phone, "Báo cáo của đơn vị")
        first = panel.get_by_label("Thu ngân sách trên địa bàn", exact=False)
        first.wait_for()
        first.scroll_into_view_if_needed()
        panel.get_by_role("button", name="Gửi báo cáo").wait_for()
        _shot(phone, "reporter_form_390x844")
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, width  # nothing sideways on the phone
        _report(phone, ("58.3", "1.5"), "Báo cáo 6 tháng của UBND phường (minh họa)")
        _shot(phone, "reporter_sent_390x844")

    with offline_page(1366, 768) as page:  # Đa Mai's reporter; returned, corrected, sent again
        _open(page, url, "xa.dm")
        _report(page, ("45", "2.5"), "Báo cáo 6 tháng (minh họa)")
        _open(page, url, "vp")
        _review(page, "Phường Đa Mai", "07228", accept=False, reason="Tỷ lệ hộ nghèo chưa khớp số của phòng Thống kê")
        _open(page, url, "xa.dm")
        _tab(page, "Báo cáo của đơn vị")
        page.get_by_text("Lý do: Tỷ lệ hộ nghèo chưa khớp số của phòng Thống kê", exact=False).wait_for(timeout=30_000)
        _shot(page, "returned_1366x768")
        _report(page, ("45", "2"), "Báo cáo 6 tháng, đã sửa (minh họa)")
        _open(page, url, "vp")
        _review(page, "Phường Bắc Giang", "07210", accept=True)
        _review(page, "Phường Đa Mai", "07228", accept=True)
        assert set(rp.reports(P, year, "6_thang", path=store_file)["state"]) == {"accepted"}

        _tab(page, "Tiến độ")
        page.get_by_text("3/198 lượt chỉ tiêu giao cho xã đạt và vượt kế hoạch").wait_for(timeout=30_000)
        page.get_by_text("2/99 đơn vị đã gửi báo cáo").wait_for()
        frames = page.locator(".st-key-td_progress_map iframe[title*='streamlit_folium']")
        expect(frames).to_have_count(1, timeout=30_000)  # the previous run's map is gone
        progress = page.locator(".st-key-td_progress_map").frame_locator("iframe[title*='streamlit_folium']")
        progress.locator("path.leaflet-interactive").first.wait_for(timeout=60_000)
        assert progress.locator(".ktxh-legend", has_text="Vượt kế hoạch").count() == 1
        page.locator(".st-key-td_progress_map").scroll_into_view_if_needed()
        page.wait_for_timeout(300)  # the scroll settles (no signal to await)
        _shot(page, "progress_map_1366x768")
        page.get_by_text("Tình trạng báo cáo", exact=True).click()
        frames = page.locator(".st-key-td_status_map iframe[title*='streamlit_folium']")
        expect(frames).to_have_count(1, timeout=30_000)
        status = page.locator(".st-key-td_status_map").frame_locator("iframe[title*='streamlit_folium']")
        status.locator("path.leaflet-interactive").first.wait_for(timeout=60_000)
        assert status.locator(".ktxh-legend", has_text="Đã duyệt").count() == 1
        assert status.locator(".ktxh-legend", has_text="Chưa gửi").count() == 1
        page.locator(".st-key-td_status_map").scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        _shot(page, "status_map_1366x768")
        assert page.blocked == []
