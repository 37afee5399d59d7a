"""Moving through the country as a provincial user does (issue 18), in chromium, offline.

A chosen province is framed (from the sidebar, a link, or a click on it), a click on a commune selects it, the
capitals and both archipelagos are named on the map of the country at every screen size, and no map carries
Leaflet's flag in its credit. Screenshots go to ``$KTXH_SHOTS_DIR`` (default: a temporary folder).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from browser import block_outside as _offline
from browser import run_count, wait_run

from ktxh_geo.io import shipped
from ktxh_geo.vocab import profile as profiles

pytestmark = pytest.mark.browser

NATIONAL = "profile=national-2025"
SHOTS = Path(os.environ["KTXH_SHOTS_DIR"]) if os.environ.get("KTXH_SHOTS_DIR") else None
FRAME = "iframe[title*='streamlit_folium']"


@pytest.fixture(scope="module")
def provinces():
    with profiles.use("national-2025"):
        return shipped.load_communes("provinces").to_crs("EPSG:4326")


def _open(browser, url: str, size=(1366, 768)):
    mobile = size[0] < 500
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, is_mobile=mobile, has_touch=mobile)
    blocked = _offline(context)
    page = context.new_page()
    page.goto(url)
    wait_run(page)
    return context, page, blocked


def _map(page):
    """The map frame, once Leaflet has drawn it and stopped moving."""
    frame = page.frame_locator(FRAME).first
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=60_000)
    handle = page.locator(FRAME).first.element_handle().content_frame()
    handle.wait_for_function(
        "() => window.map && !window.map._animatingZoom && !window.map._panAnim?._inProgress"
        " && document.querySelectorAll('.ktxh-label').length > 0",
        timeout=60_000,
    )
    return handle


def _view(frame) -> tuple[float, float, float, float]:
    """The map's visible extent (minx, miny, maxx, maxy) after its fit has settled (two equal readings)."""
    return tuple(
        frame.evaluate(
            """() => new Promise(done => {
                 let last = null;
                 const read = () => { const b = window.map.getBounds();
                   return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(v => +v.toFixed(4)); };
                 const step = () => { const now = read();
                   if (last && now.join() === last.join()) done(now); else { last = now; setTimeout(step, 250); } };
                 step(); })"""
        )
    )


def _framed(view, bounds) -> None:
    """The unit's extent lies in the view and fills a good part of it (not a smudge on a map of the country)."""
    minx, miny, maxx, maxy = bounds
    vx0, vy0, vx1, vy1 = view
    assert vx0 <= minx and vy0 <= miny and vx1 >= maxx and vy1 >= maxy, (view, bounds)
    share = max((maxx - minx) / (vx1 - vx0), (maxy - miny) / (vy1 - vy0))
    assert share > 0.4, (view, bounds, share)


def _shot(page, name: str, tmp_path) -> None:
    shots = SHOTS or tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / f"{name}.png"))


def _click_at(page, frame, lon: float, lat: float) -> None:
    """A real mouse click on the map at (lon, lat), the map scrolled into view first (mouse clicks never scroll)."""
    page.locator(FRAME).first.scroll_into_view_if_needed()
    x, y = frame.evaluate("([lat, lon]) => { const p = window.map.latLngToContainerPoint([lat, lon]);"
                          " return [p.x, p.y]; }", [lat, lon])  # fmt: skip
    box = page.locator(FRAME).first.bounding_box()
    page.mouse.click(box["x"] + x, box["y"] + y)


def _inside(gdf, code: str) -> tuple[float, float]:
    point = gdf.set_index("code").loc[code, "geometry"].representative_point()
    return point.x, point.y


@pytest.mark.parametrize("size", [(1280, 720), (1366, 768), (390, 844)])
def test_a_linked_province_is_framed(server, browser, provinces, size, tmp_path):
    context, page, blocked = _open(browser, f"{server}/ban-do?{NATIONAL}&province=24", size)
    try:
        frame = _map(page)
        bounds = provinces.set_index("code").loc[["24"]].total_bounds
        _framed(_view(frame), bounds)
        _shot(page, f"country_province24_{size[0]}x{size[1]}", tmp_path)
        assert blocked == []
    finally:
        context.close()


def test_a_province_chosen_in_the_sidebar_is_framed_and_back_to_the_country(server, browser, provinces, tmp_path):
    context, page, _ = _open(browser, f"{server}/ban-do?{NATIONAL}")
    try:
        whole = _view(_map(page))
        n = run_count(page)
        page.locator(".st-key-v_province").click()
        page.get_by_role("option", name="Thành phố Hà Nội").click()
        wait_run(page, n)
        assert parse_qs(urlparse(page.url).query).get("province") == ["01"]
        _framed(_view(_map(page)), provinces.set_index("code").loc[["01"]].total_bounds)
        _shot(page, "country_sidebar_hanoi_1366x768", tmp_path)
        n = run_count(page)
        page.locator(".st-key-v_province").click()
        page.get_by_role("option", name="Toàn quốc").click()
        wait_run(page, n)
        back = _view(_map(page))
        assert abs((back[2] - back[0]) - (whole[2] - whole[0])) < 0.5, (back, whole)
    finally:
        context.close()


def test_a_click_on_a_province_drills_in_and_a_click_on_a_commune_selects_it(server, browser, provinces, tmp_path):
    context, page, _ = _open(browser, f"{server}/ban-do?{NATIONAL}")
    try:
        frame = _map(page)
        n = run_count(page)
        _click_at(page, frame, *_inside(provinces, "48"))  # Thành phố Đà Nẵng
        wait_run(page, n)
        page.wait_for_function("() => new URLSearchParams(location.search).get('province') === '48'")
        frame = _map(page)
        _framed(_view(frame), provinces.set_index("code").loc[["48"]].total_bounds)
        _shot(page, "country_click_danang_1366x768", tmp_path)
        with profiles.use("national-2025"):
            communes = shipped.load_communes("2025", where={"province_code": "48"}).to_crs("EPSG:4326")
        big = communes.assign(a=communes.to_crs("EPSG:3405").area).sort_values("a").iloc[-1]
        n = run_count(page)
        _click_at(page, frame, *_inside(communes, big["code"]))
        wait_run(page, n)
        page.wait_for_function(f"() => new URLSearchParams(location.search).get('commune') === '{big['code']}'")
        page.get_by_text(f"(mã {big['code']})").wait_for(timeout=30_000)  # the selected unit's line under the map
        _shot(page, "country_click_commune_1366x768", tmp_path)
    finally:
        context.close()


def test_bac_ninh_click_selects_a_commune(server, browser, tmp_path):
    context, page, _ = _open(browser, f"{server}/ban-do?profile=bac-ninh-2025")
    try:
        frame = _map(page)
        with profiles.use("bac-ninh-2025"):
            communes = shipped.load_communes().to_crs("EPSG:4326")
        code = communes["code"].iloc[len(communes) // 2]
        n = run_count(page)
        _click_at(page, frame, *_inside(communes, code))
        wait_run(page, n)
        page.wait_for_function(f"() => new URLSearchParams(location.search).get('commune') === '{code}'")
        page.get_by_text(f"(mã {code})").wait_for(timeout=30_000)
        _shot(page, "bac_ninh_click_commune_1366x768", tmp_path)
    finally:
        context.close()


@pytest.mark.parametrize("size", [(1280, 720), (1366, 768), (390, 844)])
def test_capitals_and_both_archipelagos_are_named_on_the_map_of_the_country(server, browser, size, tmp_path):
    context, page, _ = _open(browser, f"{server}/ban-do?{NATIONAL}", size)
    try:
        frame = _map(page)
        _view(frame)  # settled: labels are placed after the last fit
        frame.wait_for_function("() => new Promise(r => requestAnimationFrame(() => r(true)))")
        shown = frame.evaluate(
            "() => [...document.querySelectorAll('.ktxh-label')]"
            ".filter(e => getComputedStyle(e).visibility !== 'hidden').map(e => e.textContent)"
        )
        _shot(page, f"country_labels_{size[0]}x{size[1]}", tmp_path)
        for name in ("Hà Nội", "Hồ Chí Minh", "Quần đảo Hoàng Sa", "Quần đảo Trường Sa"):
            assert name in shown, (size, name, shown)
    finally:
        context.close()


@pytest.mark.parametrize(
    "path", ["ban-do", "ban-do?profile=bac-ninh-2025", f"ban-do?{NATIONAL}&province=24", "du-an", "so-sanh", "don-vi"]
)
def test_no_map_carries_a_flag_in_its_credit(server, browser, path):
    context, page, _ = _open(browser, f"{server}/{path}")
    try:
        page.frame_locator(FRAME).first.locator(".leaflet-control-attribution").first.wait_for(timeout=60_000)
        for frame in page.frames[1:]:
            if frame.locator(".leaflet-control-attribution").count():
                credit = frame.locator(".leaflet-control-attribution").first
                assert "Leaflet" in credit.inner_text()
                assert frame.locator(".leaflet-attribution-flag").count() == 0, path
                assert "🇺🇦" not in credit.inner_html(), path
        assert any(f.locator(".leaflet-control-attribution").count() for f in page.frames[1:]), path
    finally:
        context.close()
