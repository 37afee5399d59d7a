"""At the projector (1280×720, 1920×1080): slide keys after a click on the map, overlays clear of the data,
labels that never collide, object symbols with a halo (issue 10)."""

from pathlib import Path

import pytest
from browser import map_frame, offline_page, settled_map

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
COMMUNES = "path.leaflet-interactive[fill-opacity='{op}']"

# The union of the drawn commune paths' boxes (iframe pixels).
DATA_BOX = """(_, sel) => { const bs = [...document.querySelectorAll(sel)].map(e => e.getBoundingClientRect());
  return [Math.min(...bs.map(b => b.left)), Math.min(...bs.map(b => b.top)),
          Math.max(...bs.map(b => b.right)), Math.max(...bs.map(b => b.bottom))]; }"""
BOXES = """(_, sel) => [...document.querySelectorAll(sel)].filter(e => getComputedStyle(e).visibility !== 'hidden')
  .map(e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom, e.textContent]; })"""


RECT = "e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; }"


def hit(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def settled(page, frame, sel):
    """The data box once the map has stopped refitting (fonts, late overlays)."""
    frame.locator(".ktxh-legend").wait_for()
    return settled_map(page).locator("body").evaluate(DATA_BOX, sel)


def test_slide_keys_work_after_a_click_on_the_map(server):
    with offline_page(1280, 720) as page:
        page.goto(server + "/ban-do?indicator=model_villages&year=2023&layers=village&slide=0&present=1")
        frame = map_frame(page)
        frame.locator(".ktxh-legend").wait_for()
        frame = settled_map(page)
        page.mouse.click(640, 400)  # the map (its own iframe) now has the focus
        center = frame.locator("body").evaluate(
            "() => { for (const k in window) { const v = window[k]; if (v && v instanceof L.Map) "
            "return [v.getCenter().lat, v.getCenter().lng]; } }"
        )
        page.keyboard.press("ArrowRight")
        page.wait_for_function("location.search.includes('slide=1')", timeout=60_000)
        frame = map_frame(page)
        frame.locator(".ktxh-legend h4").get_by_text("Tình trạng nông thôn mới").wait_for(timeout=60_000)
        frame = settled_map(page)
        page.mouse.click(640, 400)
        after = frame.locator("body").evaluate(
            "() => { for (const k in window) { const v = window[k]; if (v && v instanceof L.Map) "
            "return [v.getCenter().lat, v.getCenter().lng, v.options.keyboard]; } }"
        )
        assert after[2] is False  # arrows never pan the map in presentation
        assert center is not None
        page.keyboard.press("Escape")
        page.locator("[data-testid='stSidebar']").wait_for(state="visible", timeout=60_000)
        page.wait_for_function("!location.search.includes('present=1')", timeout=30_000)
        assert page.blocked == []


@pytest.mark.parametrize("width,height", [(1280, 720), (1920, 1080)])
def test_overlays_never_hide_the_data(server, width, height):
    SHOTS.mkdir(parents=True, exist_ok=True)
    with offline_page(width, height) as page:
        # /ban-do: the legend (bottom right) clear of the district, e.g. Đông Sơn and its CCN marker
        page.goto(server + "/ban-do?layers=cluster,village,residential")
        frame = map_frame(page)
        data = settled(page, frame, COMMUNES.format(op="0.85"))
        objects = frame.locator("body").evaluate(BOXES, "path.leaflet-interactive:not([fill-opacity='0.85'])")
        for sel in (".ktxh-legend", ".leaflet-control-scale", ".ktxh-toggle"):
            box = frame.locator(sel).first.evaluate(RECT)
            assert not hit(box, data), (sel, box, data)
            assert not any(hit(box, o) for o in objects), sel
        page.screenshot(path=str(SHOTS / f"clear_ban_do_{width}x{height}.png"))

        # presentation: the title clear of the north boundary, the slide bar clear of the southern tip
        page.goto(server + "/ban-do?indicator=model_villages&year=2023&layers=village&slide=0&present=1")
        frame = map_frame(page)
        data = settled(page, frame, COMMUNES.format(op="0.85"))
        for sel in (".ktxh-title", ".ktxh-legend"):
            box = frame.locator(sel).evaluate(RECT)
            assert not hit(box, data), (sel, box, data)
        bar = page.locator(".st-key-ktxh_slidebar").bounding_box()
        bar = [bar["x"], bar["y"], bar["x"] + bar["width"], bar["y"] + bar["height"]]
        assert not hit(bar, data), (bar, data)  # the iframe is at (0, 0) in presentation
        assert data[1] >= 0 and data[3] <= height and data[0] >= 0 and data[2] <= width
        page.screenshot(path=str(SHOTS / f"clear_present_{width}x{height}.png"))

        # /don-vi: the legend clear of Bố Hạ (and every other unit)
        page.goto(server + "/don-vi")
        frame = map_frame(page)
        data = settled(page, frame, COMMUNES.format(op="0.8"))
        box = frame.locator(".ktxh-legend").evaluate(RECT)
        assert not hit(box, data), (box, data)
        assert page.blocked == []


@pytest.mark.parametrize("path", ["/ban-do", "/ban-do?present=1", "/don-vi"])
def test_labels_never_overlap(server, path):
    with offline_page(1280, 720) as page:
        page.goto(server + path)
        frame = map_frame(page)
        frame.locator(".ktxh-label").first.wait_for()
        frame = settled_map(page)
        labels = frame.locator("body").evaluate(BOXES, ".ktxh-label")
        assert len(labels) >= 12, labels  # most names still shown
        for i, a in enumerate(labels):
            for b in labels[i + 1 :]:
                assert not hit(a, b), (a[4], b[4])
        if "present" not in path:  # the "Nhãn" switch hides and shows them
            frame.locator(".ktxh-toggle input").uncheck()
            assert frame.locator(".ktxh-label").count() == 0
            frame.locator(".ktxh-toggle input").check()
            assert frame.locator(".ktxh-label").count() == 19


def test_object_symbols_have_a_white_halo(server):
    with offline_page(1280, 720) as page:
        page.goto(server + "/ban-do?indicator=model_villages&year=2023&layers=village,residential")
        frame = map_frame(page)
        frame.locator("path.ktxh-halo").first.wait_for()
        n_obj = frame.locator(
            "path.leaflet-interactive[stroke-dasharray], path.leaflet-interactive[fill-opacity='0.8']"
        )
        halos = frame.locator("path.ktxh-halo")
        assert halos.count() >= n_obj.count() > 0
        assert halos.first.get_attribute("stroke") == "#fff"


def test_full_screen_button_outside_presentation(server):
    with offline_page(1280, 720) as page:
        page.goto(server + "/ban-do")
        frame = map_frame(page)
        button = frame.locator(".ktxh-fullscreen a")
        assert button.get_attribute("title").startswith("Toàn màn hình")
        button.click()
        page.wait_for_function("!!document.fullscreenElement", timeout=10_000)
        assert page.evaluate("document.fullscreenElement.tagName") == "IFRAME"
        page.wait_for_function("document.fullscreenElement.getBoundingClientRect().height === window.innerHeight")
        button.click()
        page.wait_for_function("!document.fullscreenElement", timeout=10_000)
