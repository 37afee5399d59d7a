"""Presentation mode in a real browser (offline): chrome hidden, map fills the screen, larger legend,
slides stepped with the keyboard; and a shared link restoring centre and zoom."""

from pathlib import Path

import pytest
from browser import map_frame, offline_page, settled_map

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
LEGEND_TITLE = ".ktxh-legend h4"


def legend_font_px(frame) -> float:
    size = frame.locator(".ktxh-legend").evaluate("e => getComputedStyle(e).fontSize")
    return float(size.removesuffix("px"))


def wait_for_legend_title(page, previous: str, timeout_ms: int = 60_000) -> str:
    """Wait until the (possibly re-created) map shows a legend title other than ``previous``."""
    for _ in range(timeout_ms // 500):
        page.wait_for_timeout(500)
        try:
            frame = map_frame(page, timeout=5_000)
            title = frame.locator(LEGEND_TITLE).inner_text(timeout=2_000)
        except Exception:  # the map iframe is being replaced
            continue
        if title != previous:
            return title
    raise AssertionError(f"legend title stayed {previous!r}")


@pytest.mark.parametrize("width,height", [(1920, 1080), (1280, 720)])
def test_presentation_mode_fills_screen_with_larger_legend(server, width, height):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with offline_page(width, height) as page:
        page.goto(server + "/ban-do")
        frame = map_frame(page)
        normal = legend_font_px(frame)
        assert page.locator("[data-testid='stSidebar']").is_visible()
        page.screenshot(path=str(SHOTS / f"normal_{width}x{height}.png"))

        page.goto(server + "/ban-do?present=1")
        frame = map_frame(page)
        frame.locator(".ktxh-legend.ktxh-present").wait_for()
        present = legend_font_px(frame)
        assert present > normal * 1.4, (normal, present)
        title_px = frame.locator(".ktxh-title").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        label_px = frame.locator(".ktxh-label").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
        assert title_px >= 28 and label_px >= 16
        assert not page.locator("[data-testid='stSidebar']").is_visible()
        assert not page.locator("header[data-testid='stHeader']").is_visible()
        box = page.locator("iframe[title*='streamlit_folium']").bounding_box()
        assert (box["x"], box["y"]) == (0, 0)
        assert (box["width"], box["height"]) == (width, height)
        # the legend is inside the screen, not cut off below it
        legend = frame.locator(".ktxh-legend").bounding_box()
        assert legend["y"] >= 0 and legend["y"] + legend["height"] <= height
        page.screenshot(path=str(SHOTS / f"present_{width}x{height}.png"))
        assert page.blocked == []


def test_keyboard_steps_through_slides(server):
    with offline_page(1280, 720) as page:
        # slide 0 of the shipped deck (data/slides.json): model villages 2023
        page.goto(server + "/ban-do?indicator=model_villages&year=2023&layers=village&slide=0&present=1")
        frame = map_frame(page)
        first = frame.locator(LEGEND_TITLE).inner_text()
        assert "kiểu mẫu" in first
        settled_map(page)
        page.keyboard.press("PageDown")  # presenter clicker: slide 1, NTM status
        second = wait_for_legend_title(page, first)
        assert "Tình trạng nông thôn mới" in second
        assert "slide=1" in page.url and "present=1" in page.url and "indicator=ntm_status" in page.url
        page.keyboard.press("ArrowRight")  # slide 2: the industrial clusters (model villages map)
        third = wait_for_legend_title(page, second)
        assert "kiểu mẫu" in third and "slide=2" in page.url and "layers=cluster" in page.url
        page.keyboard.press("PageUp")
        back = wait_for_legend_title(page, third)
        assert back == second and "slide=1" in page.url
        page.keyboard.press("ArrowLeft")
        assert wait_for_legend_title(page, back) == first and "slide=0" in page.url
        # the clicker still works when the map (its own iframe) has the focus
        page.mouse.click(1100, 120)
        page.keyboard.press("PageDown")
        assert wait_for_legend_title(page, first) == second and "slide=1" in page.url
        page.locator(".st-key-ktxh_slidebar").get_by_text("Tình trạng nông thôn mới năm 2023").click()  # focus: page
        page.keyboard.press("Escape")  # leave presentation mode
        page.locator("[data-testid='stSidebar']").wait_for(state="visible", timeout=60_000)
        page.wait_for_function("!location.search.includes('present=1')", timeout=30_000)
        assert page.blocked == []


def test_shared_link_restores_centre_and_zoom_and_panning_updates_the_url(server):
    with offline_page(1280, 800) as page:
        page.goto(server + "/ban-do?indicator=ntm_status&center=21.55000,106.10000&zoom=13")
        frame = map_frame(page)
        frame.locator(".ktxh-legend").wait_for()
        view = frame.locator("body").evaluate(
            "() => { for (const k in window) { const v = window[k];"
            " if (v && v instanceof L.Map) { const c = v.getCenter(); return [c.lat, c.lng, v.getZoom()]; } } }"
        )
        assert view == pytest.approx([21.55, 106.10, 13], abs=1e-4)
        assert page.get_by_text("không hợp lệ").count() == 0
        # panning the map changes the URL's centre without a rerun of the page
        runs_before = page.evaluate("performance.getEntriesByType('resource').length")
        page.mouse.move(640, 500)
        page.mouse.down()
        page.mouse.move(540, 450, steps=8)
        page.mouse.up()
        page.wait_for_function("!location.search.includes('center=21.55000,106.10000')", timeout=10_000)
        assert "zoom=13" in page.url and "indicator=ntm_status" in page.url
        page.wait_for_timeout(1500)  # a window for what must NOT happen: no signal marks a rerun that never starts
        assert page.locator("[data-testid='stStatusWidget']").count() == 0  # no rerun started
        assert page.evaluate("performance.getEntriesByType('resource').length") == runs_before
        assert page.blocked == []
