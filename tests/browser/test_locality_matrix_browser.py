"""Every page as each locality's users see it (issue 18), in chromium, offline.

The matrix: every page of app.py × the three localities and one province of the national view × 1280×720,
1366×768 and a 390×844 phone. On each: no error page, no text of another locality (its labels, plan, editions and
unit codes, read from the other profiles), none of the wording that belonged to one district, no English word of
a list we keep, no raw id or file path — in the page, its placeholders and its embedded maps. A screenshot of each
goes to ``$KTXH_SHOTS_DIR`` (default: a temporary folder). Then the searches a provincial user makes: a ward of
the country (drills into its province), "P. Vũ Ninh" in Bắc Ninh, and the one locality selector kept in the URL.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from browser import block_outside as _offline
from browser import wait_run
from localities import foreign

from ktxh_geo.vocab import profile as profiles

pytestmark = pytest.mark.browser

PAGES = ["tong-quan", "ban-do", "du-an", "so-sanh", "don-vi", "nhap-lieu"]
LOCALITIES = {  # id → (profile, query string)
    "yen-the": ("yen-the-2024", ""),
    "bac-ninh": ("bac-ninh-2025", "profile=bac-ninh-2025"),
    "national": ("national-2025", "profile=national-2025"),
    "national-24": ("national-2025", "profile=national-2025&province=24"),
}
VIEWPORTS = [(1280, 720), (1366, 768), (390, 844)]
ENGLISH = [
    "Choose",
    "Select",
    "Upload",
    "per file",
    "Drag and drop",
    "Browse files",
    "empty",
    "No results",
    "Press Enter",
    "Running",
    "This app has encountered an error",
    "Page not found",
    "Traceback",
    "KeyError",
    "illustrative",
    "None",
    "NaN",
]
RAW = [
    re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b"),  # snake_case ids: indicator, dataset, object, column names
    re.compile(r"profiles/|SOURCES\.md|LICENSES\.md|\.py\b|/work/|/tmp/|\.venv"),  # paths
]
SHOTS = Path(os.environ.get("KTXH_SHOTS_DIR", "")) if os.environ.get("KTXH_SHOTS_DIR") else None


def visible_text(page) -> str:
    """The page's text as read, its empty fields' placeholders and its maps' text (icon ligatures left out)."""
    body = page.locator("body").inner_text()
    for icon in set(page.locator("[data-testid='stIconMaterial']").all_inner_texts()):  # "upload_file" is a glyph
        body = re.sub(rf"(?m)^{re.escape(icon)}$", "", body)
    texts = [body]
    texts += page.locator("body").evaluate(
        "b => [...b.querySelectorAll('[placeholder]')].filter(e => !e.value).map(e => e.getAttribute('placeholder'))"
    )
    for frame in page.frames[1:]:
        try:
            texts.append(frame.locator("body").inner_text(timeout=5_000))
        except Exception as exc:
            if "detached" not in str(exc).lower():
                raise
    return "\n".join(texts)


def problems(page, text: str, texts: set[str], codes: set[str]) -> list[str]:
    found = []
    if page.locator("[data-testid='stException']").count():
        found.append("error page")
    found += [f"error: {e}" for e in page.locator("[data-testid='stAlertContentError']").all_inner_texts()]
    found += [f"English: {w}" for w in ENGLISH if re.search(rf"(?<!\w){re.escape(w)}(?!\w)", text)]
    found += [f"other locality: {t}" for t in sorted(texts) if t in text]
    found += [f"other locality's code: {c}" for c in sorted(set(re.findall(r"(?<!\d)\d{5}(?!\d)", text)) & codes)]
    found += [f"raw: {m}" for pattern in RAW for m in sorted(set(pattern.findall(text)))]
    return found


def _check(page, page_name, locality, size, foreign_texts, codes, shots: Path) -> None:
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")  # laid out
    page.screenshot(path=str(shots / f"{page_name}_{locality}_{size[0]}x{size[1]}.png"))
    found = problems(page, visible_text(page), foreign_texts, codes)
    assert not found, (page_name, locality, size, found)


@pytest.mark.parametrize("locality", list(LOCALITIES))
@pytest.mark.parametrize("page_name", PAGES)
def test_every_page_reads_right_for_the_locality(server, browser, page_name, locality, tmp_path):
    """Opened at 1280×720 and widened to 1366×768 (a projector), then opened on a phone (the layout a phone gets
    when it loads the page: sidebar closed)."""
    profile_id, query = LOCALITIES[locality]
    texts, codes = foreign(profile_id)
    shots = SHOTS or tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    url = f"{server}/{page_name}" + (f"?{query}" if query else "")
    for sizes, mobile in ((VIEWPORTS[:2], False), (VIEWPORTS[2:], True)):
        context = browser.new_context(
            viewport={"width": sizes[0][0], "height": sizes[0][1]}, is_mobile=mobile, has_touch=mobile
        )
        blocked = _offline(context)
        page = context.new_page()
        try:
            page.goto(url)
            wait_run(page)
            for width, height in sizes:
                page.set_viewport_size({"width": width, "height": height})
                page.wait_for_function(f"() => window.innerWidth === {width}")
                _check(page, page_name, locality, (width, height), texts, codes, shots)
            if profile_id != profiles.DEFAULT_PROFILE:  # a copied link opens the same locality
                assert parse_qs(urlparse(page.url).query).get("profile") == [profile_id], page.url
            assert blocked == []
        finally:
            context.close()


def _search(page, query: str):
    box = page.locator(".st-key-v_query input")
    box.fill(query)
    box.press("Enter")


def test_national_search_drills_into_the_units_province(server, browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        page.goto(f"{server}/ban-do?profile=national-2025")
        n = wait_run(page)
        _search(page, "phuong Ba Dinh")
        wait_run(page, n)  # choosing a ward of another province reruns the whole page, drilled into it
        params = parse_qs(urlparse(page.url).query)
        assert params["province"] == ["01"] and params["commune"] == ["00004"], page.url
        assert page.get_by_role("heading", name=re.compile("thành phố Hà Nội")).count() == 1
        assert "Phường Ba Đình (mã 00004)" in page.locator("[data-testid='stMain']").inner_text()
        assert page.locator("[data-testid='stException']").count() == 0
    finally:
        context.close()


def test_bac_ninh_search_finds_wards_as_people_write_them(server, browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        page.goto(f"{server}/ban-do?profile=bac-ninh-2025")
        wait_run(page)
        for query, name in [
            ("P. Vũ Ninh", "Phường Vũ Ninh"),
            ("tu son", "Phường Từ Sơn"),
            ("Kinh Bắc", "Phường Kinh Bắc"),
        ]:
            _search(page, query)  # the search and the map are a fragment: they rerun alone, the result is the signal
            page.wait_for_function(
                "name => (document.querySelector('.st-key-v_pick input') || {}).value === name", arg=name
            )
            page.get_by_text(re.compile(rf"^{name} \(mã \d{{5}}\)")).wait_for(timeout=60_000)
        assert page.locator("[data-testid='stException']").count() == 0
    finally:
        context.close()


def test_one_locality_selector_kept_across_pages(server, browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        page.goto(f"{server}/tong-quan")
        n = wait_run(page)
        page.locator(".st-key-v_profile").click()
        page.get_by_role("option", name="Tỉnh Bắc Ninh (từ 01/7/2025)").click()
        n = wait_run(page, n)
        assert parse_qs(urlparse(page.url).query)["profile"] == ["bac-ninh-2025"]
        assert page.get_by_role("heading", name=re.compile("tỉnh Bắc Ninh")).count() == 1
        page.locator("[data-testid='stSidebarNav']").get_by_text("Đơn vị hành chính").click()
        wait_run(page, n)
        assert urlparse(page.url).path.endswith("/don-vi")
        assert parse_qs(urlparse(page.url).query)["profile"] == ["bac-ninh-2025"]
        assert "99 xã, phường" in page.locator("[data-testid='stMain']").inner_text()
    finally:
        context.close()


@pytest.mark.parametrize(
    ("query", "fmt_label", "suffix"),
    [("profile=bac-ninh-2025", "Báo cáo (.docx)", ".docx"), ("profile=national-2025&province=24", "PDF", ".pdf")],
)
def test_downloads_of_a_province_carry_its_words_and_frame(server, browser, tmp_path, query, fmt_label, suffix):
    """The Bắc Ninh report with its licences (refused before) and its own unit count; the province of the national
    view framed on it."""
    from docx import Document

    context = browser.new_context(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page = context.new_page()
    try:
        page.goto(f"{server}/ban-do?{query}")
        wait_run(page)
        page.get_by_text("Xuất bản đồ", exact=True).click()
        # the format inside this panel (the card's "In thẻ (PDF, Word)" and the atlas panel also say PDF)
        panel = page.locator("[data-testid='stExpander']").filter(has=page.get_by_text("Xuất bản đồ", exact=True))
        panel.get_by_text(fmt_label, exact=False).first.click()
        page.locator(".st-key-export_make button", has_text=suffix).click()  # the file is made in the page's run
        button = page.locator("[data-testid='stDownloadButton'] button", has_text=suffix)
        button.wait_for(timeout=60_000)
        with page.expect_download(timeout=180_000) as info:
            button.click()
        out = tmp_path / f"export{suffix}"
        info.value.save_as(out)
        if suffix == ".docx":
            doc = Document(str(out))
            text = "\n".join(p.text for p in doc.paragraphs)
            assert doc.paragraphs[0].text.startswith("Mật độ dân số") and "— tỉnh Bắc Ninh" in doc.paragraphs[0].text
            assert "99 xã, phường (từ 01/07/2025)" in text and "Giấy phép dữ liệu" in text
            assert len(doc.tables[0].rows) == 100 and not [t for t in foreign("bac-ninh-2025")[0] if t in text]
        else:
            import subprocess

            text = subprocess.run(["/usr/bin/pdftotext", str(out), "-"], capture_output=True, text=True).stdout
            assert "tỉnh Bắc Ninh" in text and "Lập bằng ktxh-geo, tỉnh Bắc Ninh" in " ".join(text.split())
            assert "Quần đảo Trường Sa" not in text  # framed on the province: the archipelagos are off the sheet
    finally:
        context.close()


def test_upload_fields_say_their_real_limit_in_vietnamese(server, browser, tmp_path):
    """Streamlit's "Upload" and "200MB per file" replaced by the real limit; a file just over it refused by the app
    in Vietnamese (file and limit named); one far too large refused by the browser with a Vietnamese line."""
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{server}/du-an")
        n = wait_run(page)
        page.get_by_role("tab", name="Tải lên ranh giới").click()
        field = page.locator(".st-key-up_file")
        field.locator("[data-testid='stFileUploaderDropzone']").wait_for()
        shown = field.evaluate(
            """f => {
              const after = (sel) => getComputedStyle(f.querySelector(sel), '::after').content;
              const size = (sel) => getComputedStyle(f.querySelector(sel)).fontSize;
              const hint = '[data-testid=stFileUploaderDropzoneInstructions] span';
              const button = '[data-testid=stFileUploaderDropzone] button [data-testid=stMarkdownContainer] p';
              return [after(hint), size(hint), after(button), size(button)];
            }"""
        )
        assert "tối đa 5 MB" in shown[0] and "GEOJSON" in shown[0] and shown[1] == "0px"
        assert shown[2] == '"Chọn tệp"' and shown[3] == "0px"  # "Upload" and "… per file" are not shown
        page.locator("[class*='st-key-up_pick']").click()  # the object the outline is for
        page.get_by_role("option").first.click()
        n = wait_run(page, n)
        big = tmp_path / "ranh-gioi.geojson"
        big.write_bytes(b" " * (6 * 1024 * 1024))
        page.locator(".st-key-up_file input[type=file]").set_input_files(str(big))
        wait_run(page, n)
        error = page.locator("[data-testid='stAlertContentError']").inner_text()
        assert "ranh-gioi.geojson" in error and "giới hạn 5 MB" in error
        huge = tmp_path / "qua-lon.geojson"
        huge.write_bytes(b" " * (12 * 1024 * 1024))
        page.locator(".st-key-up_file input[type=file]").set_input_files(str(huge))
        chip = field.locator("[data-testid='stFileChip']:has([data-testid='stFileChipIconError'])")
        chip.wait_for()
        line = chip.evaluate("c => getComputedStyle(c, '::after').content")
        assert line == '"Không nhận tệp này: chỉ nhận GEOJSON, JSON, ZIP, GPKG, KML, tối đa 5 MB."', line
    finally:
        context.close()
