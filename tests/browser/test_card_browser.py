"""The commune card in chromium (issue 23): pick a unit on the map page of each locality → the card below the map
shows its values, years, ranks and sources, and prints. Screenshots go to ``$KTXH_SHOTS_DIR`` (else a temp folder).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from browser import streamlit_server

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ["KTXH_SHOTS_DIR"]) if os.environ.get("KTXH_SHOTS_DIR") else None


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from ktxh_geo.model.auth import hash_password

    folder = tmp_path_factory.mktemp("state")
    secrets = folder / "secrets.toml"  # an editor, for the import page's tab
    secrets.write_text(f'[editors]\nan = "{hash_password("mat-khau-thu", 1_000)}"\n', encoding="utf-8")
    with streamlit_server({"KTXH_STATE_DIR": str(folder / "state"), "STREAMLIT_SECRETS_FILES": str(secrets)}) as url:
        yield url


def _card(page, title: str):
    """The card once it shows ``title`` (the search and the map rerun as a fragment: the card is the signal)."""
    card = page.locator(".st-key-ktxh_card")
    card.get_by_text(title, exact=False).first.wait_for(timeout=90_000)
    card.locator(".st-key-card_print, .st-key-card_pdf").first.wait_for(timeout=90_000)  # the card's last element
    card.scroll_into_view_if_needed()
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return card


def _shot(page, card, name: str, tmp_path) -> None:
    folder = SHOTS or tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    card.evaluate("e => e.scrollIntoView({block: 'start'})")  # the page scrolls inside Streamlit's main block
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.screenshot(path=str(folder / f"card_{name}.png"))


CASES = {  # name → (URL query, search, title, texts the card must show)
    "yen-the": (
        "indicator=model_villages",
        "An Thượng",
        "Xã An Thượng (mã 07285)",
        ["3 thôn", "năm 2023", "hạng 1/17 xã, thị trấn", "Nguồn: Dự thảo Kế hoạch KT-XH 2024", "Thôn An Châu"],
    ),
    "bac-ninh": (
        "profile=bac-ninh-2025",
        "Yên Thế",
        "Xã Yên Thế (mã 07288)",
        ["30.651 người", "hạng 55/99 xã, phường", "Gồm các đơn vị trước sắp xếp", "Nguồn: Dân số: sapnhap"],
    ),
    "national-01": (
        "profile=national-2025&province=01",
        "Ba Đình",
        "Phường Ba Đình (mã 00004)",
        ["65.023 người", "hạng 63/126", "Trụ sở: Số 2, phố Trúc Bạch", "phần còn lại sau khi sáp nhập"],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_search_opens_the_card_with_values_years_and_sources(server, browser, name, tmp_path):
    query, search, title, texts = CASES[name]
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        page.goto(f"{server}/ban-do?{query}")
        box = page.locator(".st-key-v_query input")
        box.wait_for(timeout=90_000)
        box.fill(search)
        box.press("Enter")
        card = _card(page, title)
        text = card.inner_text()
        for expected in texts:
            assert expected in text, (expected, text)
        assert page.locator("[data-testid='stException']").count() == 0
        _shot(page, card, f"{name}_1366x768", tmp_path)
        page.locator(".st-key-card_print button").click()
        pdf = page.locator(".st-key-card_pdf button")
        pdf.wait_for(timeout=90_000)
        assert re.fullmatch(r"Tải the-don-vi_\d{5}\.pdf", pdf.inner_text().strip().splitlines()[-1])
        with page.expect_download() as download:
            pdf.click()
        assert download.value.suggested_filename.endswith(".pdf")
    finally:
        context.close()


def test_a_province_of_the_country_has_its_card(server, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        page.goto(f"{server}/ban-do?profile=national-2025&province=24")
        card = _card(page, "Tỉnh Bắc Ninh (mã 24)")
        text = card.inner_text()
        assert "3.619.433 người" in text and "hạng 13/34 tỉnh, thành phố" in text, text
        _shot(page, card, "national-24_1366x768", tmp_path)
    finally:
        context.close()


def test_card_reads_on_a_phone_from_a_link(server, browser, tmp_path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(f"{server}/ban-do?profile=bac-ninh-2025&commune=07288")
        card = _card(page, "Xã Yên Thế (mã 07288)")
        assert "30.651 người" in card.inner_text()
        box = card.bounding_box()
        assert box and box["width"] <= 390, box  # no sideways scrolling on a phone
        _shot(page, card, "bac-ninh_390x844", tmp_path)
    finally:
        context.close()


def test_a_click_on_a_commune_opens_its_card(server, browser, tmp_path):
    """Yên Thế at 1366×768: a real mouse click inside Xã An Thượng → its card, values, rank and source."""
    from ktxh_geo.io import shipped
    from ktxh_geo.vocab import profile as profiles

    with profiles.use("yen-the-2024"):
        point = shipped.load_communes().set_index("code").loc["07285", "geometry"].representative_point()
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        page.goto(f"{server}/ban-do?indicator=model_villages")
        frame_el = page.locator("iframe[title*='streamlit_folium']").first
        frame_el.wait_for(timeout=90_000)
        frame = frame_el.element_handle().content_frame()
        frame.wait_for_function("() => window.map && document.querySelector('path.leaflet-interactive')")
        frame_el.scroll_into_view_if_needed()
        x, y = frame.evaluate(
            "([lat, lon]) => { const p = window.map.latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
            [point.y, point.x],
        )
        box = frame_el.bounding_box()
        page.mouse.click(box["x"] + x, box["y"] + y)
        card = _card(page, "Xã An Thượng (mã 07285)")
        text = card.inner_text()
        assert "3 thôn" in text and "hạng 1/17" in text and "Nguồn: Dự thảo Kế hoạch KT-XH 2024" in text, text
        _shot(page, card, "yen-the_click_1366x768", tmp_path)
    finally:
        context.close()


def test_old_communes_sheet_lands_on_a_provinces_new_units(server, browser, tmp_path):
    """Cần Thơ (92) of the country at 1366×768: a sheet of 2024 population and area by old wards → the new
    wards' sums and the area-weighted density, the split ward refused and listed, the unknown row reported."""
    sheet = tmp_path / "xa-cu-can-tho.csv"
    sheet.write_text(
        "Mã xã,Tên xã,Huyện cũ,Dân số,Diện tích tự nhiên,Mật độ dân số\n"
        "31123,Phường Thới Bình,Quận Ninh Kiều,10000,1,10000\n"
        "31135,Phường Tân An,Quận Ninh Kiều,20000,2,10000\n"
        "31144,Phường Xuân Khánh,Quận Ninh Kiều,30000,1,30000\n"
        "31178,Phường Bùi Hữu Nghĩa,Quận Bình Thủy,5000,1,5000\n"
        ",Xã Không Có,Huyện Nào Đó,1,1,1\n",
        encoding="utf-8",
    )
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        page.goto(f"{server}/nhap-lieu?profile=national-2025&province=92")
        page.get_by_label("Tên đăng nhập").fill("an")
        page.get_by_label("Mật khẩu").fill("mat-khau-thu")
        page.get_by_role("button", name="Đăng nhập").click()
        page.get_by_text("Đang đăng nhập với quyền biên tập: an").wait_for(timeout=30_000)
        page.get_by_role("tab", name="Số liệu theo xã cũ").click()
        panel = page.get_by_role("tabpanel", name="Số liệu theo xã cũ")
        panel.locator("input[type=file]").set_input_files(str(sheet))
        report = page.locator(".st-key-old_report")
        report.get_by_text("Gộp: Phường Ninh Kiều (31135)").wait_for(timeout=90_000)
        text = report.inner_text()
        assert "Không đặt (xã cũ bị chia cho nhiều đơn vị mới): Phường Bùi Hữu Nghĩa" in text, text
        assert "không tìm thấy xã cũ “Xã Không Có”" in text, text
        table = page.locator(".st-key-old_placed")
        table.wait_for()
        page.locator(".st-key-old_download").wait_for()
        report.scroll_into_view_if_needed()
        folder = SHOTS or tmp_path
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / "old_communes_can-tho_1366x768.png"))
        with page.expect_download() as download:
            page.locator(".st-key-old_download button").click()
        rows = download.value.path().read_text(encoding="utf-8-sig").splitlines()
        placed = {tuple(r.split(",")[:3]): r for r in rows[1:]}
        assert placed[("population", "commune", "31135")].split(",")[5] == "60000.0"  # 10 000 + 20 000 + 30 000
        assert placed[("density", "commune", "31135")].split(",")[5] == "15000.0"  # 60 000 people on 4 km²
    finally:
        context.close()
