"""Issue 24 in a real browser: a new indicator or the contrast switch restyles the map already on screen — the same
frame, no geometry fetched again — and what it shows changes (legend, fills, boundary weight). Screenshots go to
KTXH_SHOTS (a folder) when it is set."""

import os
from pathlib import Path

import pytest
from browser import map_frame, offline_page, settled_count, streamlit_server, wait_restyled

from ktxh_geo.io import shipped as load
from ktxh_geo.vocab.profile import use

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("KTXH_SHOTS")
FRAME = "iframe[title*='streamlit_folium']"


@pytest.fixture(scope="module")
def server():
    with streamlit_server() as url:
        yield url


def _names(profile: str) -> list[str]:
    with use(profile):
        return [i.name for i in load.load_indicators().values() if i.map]


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / name))


def _fills(frame) -> list[str]:
    return frame.locator("path.leaflet-interactive").evaluate_all("ps => ps.map(p => p.getAttribute('fill'))")


def _sidebar(page) -> None:
    """Open the sidebar when it is collapsed (a phone)."""
    if page.locator("[data-testid='stSidebar']").first.get_attribute("data-collapsed") == "true":
        page.locator("[data-testid='stExpandSidebarButton']").first.click()
        page.locator("[data-testid='stSidebar'][data-collapsed='false']").wait_for()
        page.locator(".st-key-v_indicator input").first.scroll_into_view_if_needed()


def _choose(page, key: str, name: str) -> None:
    _sidebar(page)
    page.locator(f".st-key-{key} input").first.click()
    page.get_by_role("option", name=name, exact=True).click()


@pytest.mark.parametrize(
    "query,width,height",
    [
        ("profile=yen-the-2024", 1280, 720),
        ("profile=bac-ninh-2025", 1366, 768),
        ("profile=national-2025", 1280, 720),
        ("profile=national-2025&province=24", 390, 844),
    ],
)
def test_a_new_indicator_and_contrast_restyle_the_map_in_place(server, query, width, height):
    profile = query.split("&")[0].removeprefix("profile=")
    with offline_page(width, height) as page:
        fetched = []
        page.on("request", lambda r: fetched.append(r.url) if "/static/cache/geo/" in r.url else None)
        page.goto(f"{server}/ban-do?{query}")
        frame = map_frame(page)
        page.locator(FRAME).first.evaluate("f => f.setAttribute('data-first', '1')")
        legend, fills, shapes = frame.locator(".ktxh-legend").inner_text(), _fills(frame), len(fetched)
        shown = page.locator(".st-key-v_indicator input").first.input_value()
        target = next(n for n in _names(profile) if n not in shown and shown not in n and n not in legend)
        before = settled_count(page)
        assert before >= 1  # the first paint is a restyle too
        _choose(page, "v_indicator", target)
        frame = wait_restyled(page, before)
        assert page.locator(f"{FRAME}[data-first='1']").count() == 1  # the same frame: nothing rebuilt
        assert len(fetched) == shapes  # no geometry fetched again
        new_legend = frame.locator(".ktxh-legend").inner_text()
        assert " ".join(target.split()) in " ".join(new_legend.split()) and new_legend != legend
        assert frame.locator(".ktxh-legend").count() == 1  # the old legend was replaced, not stacked
        assert _fills(frame) != fills  # the new colours are painted
        _shot(page, f"h24-restyled-{profile}-{width}x{height}.png")

        before = settled_count(page)
        _sidebar(page)
        page.locator(".st-key-v_contrast label").first.click()
        frame = wait_restyled(page, before)
        assert page.locator(f"{FRAME}[data-first='1']").count() == 1
        assert frame.locator(".ktxh-contrast").count() >= 1  # labels and legend in the projector style
        weights = frame.locator("path.leaflet-interactive").evaluate_all(
            "ps => ps.map(p => p.getAttribute('stroke-width'))"
        )
        assert "2.4" in weights  # thick boundaries on the same shapes
        _shot(page, f"h24-contrast-{profile}-{width}x{height}.png")
        assert page.blocked == []
