"""Shared helpers for real-browser tests: a Streamlit server and Debian's Chromium via Playwright."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

from ktxh_geo.ui.bench import CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("KTXH_CHROMIUM", "/usr/bin/chromium")
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


@contextmanager
def streamlit_server(env: dict | None = None):
    """Run `streamlit run app.py` on a free port; yield its base URL (the bench's own server starter)."""
    from ktxh_geo.ui.bench import app_servers

    with app_servers(1, env) as (url,):
        yield url


def block_outside(context) -> list[str]:
    """Abort every request of ``context`` to a non-local host; the list the aborted URLs are recorded in."""
    blocked: list[str] = []

    def route(r):
        host = urlparse(r.request.url).hostname or ""
        # file:// (an exported HTML opened from disk) has no hostname and never leaves the machine.
        if r.request.url.startswith(("data:", "blob:", "about:", "file:")) or host in LOCAL_HOSTS:
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    return blocked


_PLAYWRIGHT = None
_CHROMIUM = None


def chromium():
    """The one chromium of this test process. Playwright's sync API runs one instance per thread: a second
    ``sync_playwright()`` while the first is running fails ("Sync API inside the asyncio loop"), so every browser
    test, fixture and helper takes its browser from here and opens its own context."""
    global _PLAYWRIGHT, _CHROMIUM
    if _CHROMIUM is None or not _CHROMIUM.is_connected():
        from playwright.sync_api import sync_playwright

        if _PLAYWRIGHT is None:
            _PLAYWRIGHT = sync_playwright().start()
        _CHROMIUM = _PLAYWRIGHT.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    return _CHROMIUM


def stop_chromium() -> None:
    """Close the process's chromium and Playwright (end of the test session)."""
    global _PLAYWRIGHT, _CHROMIUM
    if _CHROMIUM is not None:
        _CHROMIUM.close()
    if _PLAYWRIGHT is not None:
        _PLAYWRIGHT.stop()
    _PLAYWRIGHT = _CHROMIUM = None


@contextmanager
def offline_page(width: int = 1600, height: int = 1000):
    """A Chromium page on which every request to a non-local host is aborted and recorded."""
    context = chromium().new_context(viewport={"width": width, "height": height})
    blocked = block_outside(context)
    page = context.new_page()
    page.blocked = blocked
    try:
        yield page
    finally:
        context.close()


def map_frame(page, timeout: float = 60_000):
    """The streamlit-folium iframe, once its map has settled: shapes fetched, the restyle applied and fitted
    (``data-ktxh-settled`` on the map's container, set by static/js/ktxh-map.js after the next frame)."""
    page.wait_for_selector("iframe[title*='streamlit_folium']", timeout=timeout)
    frame = page.frame_locator("iframe[title*='streamlit_folium']").first
    frame.locator("[data-ktxh-settled]").first.wait_for(state="attached", timeout=timeout)
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=timeout)
    return frame


def settled_count(page) -> int:
    """How many restyles the map on the page has applied (0 before its first)."""
    frame = page.frame_locator("iframe[title*='streamlit_folium']").first
    return int(frame.locator("[data-ktxh-settled]").first.get_attribute("data-ktxh-settled") or 0)


def wait_restyled(page, before: int, timeout: float = 60_000):
    """Wait until the map on the page has applied a restyle after the ``before``-th (same frame), and return it."""
    handle = page.locator("iframe[title*='streamlit_folium']").first.element_handle().content_frame()
    handle.wait_for_function(
        "(n) => { const e = document.querySelector('[data-ktxh-settled]');"
        " return e && Number(e.getAttribute('data-ktxh-settled')) > n; }",
        arg=before,
        timeout=timeout,
    )
    return page.frame_locator("iframe[title*='streamlit_folium']").first


# ---- waiting on what the page says, never on the clock ------------------------------------------------------------

# app.py ends every script run with ``[data-ktxh-run=N]`` (ui.data.run_done; N counts the session's runs).
RUN_FINISHED = """n => {
  const m = document.querySelector('[data-ktxh-run]');
  return !!m && +m.dataset.ktxhRun > n && !document.querySelector("[data-testid='stStatusWidget']");
}"""


# Settled: the map's own marks say it will not move by itself any more — ``data-ktxh-settled`` (shapes fetched, the
# restyle applied) and no ``data-ktxh-fitted="0"`` (static/js/ktxh-map.js K.fitClear: its late refits for fonts, the app
# page's overlays and the iframe's final size have all run) — and no map of the frame has moved for 300 ms since (a
# resize of the iframe refits at once). A page whose map gives no mark: no move for longer than the last timed refit.
MAP_SETTLED = """() => {
  if (typeof L === 'undefined' || !document.querySelector('path.leaflet-interactive')) return false;
  const fitting = document.querySelector('[data-ktxh-fitted="0"]');
  const marked = !!document.querySelector('[data-ktxh-settled]');
  if (fitting || (document.querySelector('[data-ktxh-fitted]') && !marked)) return false;
  const maps = [];
  for (const k of Object.keys(window)) { try { if (window[k] instanceof L.Map) maps.push(window[k]); } catch (e) {} }
  if (!maps.length) return false;
  const now = performance.now(), quiet = marked ? 300 : 2300;
  maps.forEach(m => { if (!m.__ktxhStill) {
    m.__ktxhStill = now; m.on('move zoom resize viewreset', () => { m.__ktxhStill = performance.now(); }); } });
  return document.fonts.status === 'loaded' && maps.every(m => now - m.__ktxhStill > quiet);
}"""


def run_count(page) -> int:
    """How many script runs of this session have ended (0 before the first)."""
    marker = page.locator("[data-ktxh-run]")
    return int(marker.first.get_attribute("data-ktxh-run")) if marker.count() else 0


def wait_rerun(page, after: int = 0, timeout: float = 60_000) -> int:
    """Until a script run numbered above ``after`` has ended and no other is running; its number."""
    page.wait_for_function(RUN_FINISHED, arg=after, timeout=timeout)
    return run_count(page)


def settled_map(page, timeout: float = 60_000, nth: int = 0):
    """The map iframe's frame once its map is drawn and will not move by itself any more (see ``MAP_SETTLED``)."""
    iframe = page.locator("iframe[title*='streamlit_folium']").nth(nth)
    iframe.wait_for(state="attached", timeout=timeout)
    frame = iframe.element_handle().content_frame()
    frame.wait_for_function(MAP_SETTLED, timeout=timeout)
    return frame


def frames_loaded(page, timeout: float = 60_000) -> None:
    """Until every iframe of the page (maps, charts, components) has loaded its document."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('iframe')].every(f => {"
        " try { return f.contentDocument && f.contentDocument.readyState === 'complete'; }"
        " catch (e) { return true; } })",
        timeout=timeout,
    )


def wait_run(page, after: int = 0, timeout: float = 120_000) -> int:
    """Wait for the end of a script run numbered above ``after`` (app.py marks each run's end), then for each
    embedded map to have fetched its geometry files and drawn them."""
    wait_rerun(page, after, timeout)
    for frame in page.frames[1:]:
        try:
            frame.wait_for_function(
                "() => document.readyState === 'complete' && (!document.querySelector('.leaflet-container')"
                " || document.querySelector('.leaflet-interactive, .ktxh-legend'))",
                timeout=timeout,
            )
            # a map's geometry files (fetched once, kept as promises), then the frame drawn with them
            frame.evaluate(
                "() => Promise.all(Object.values((window.ktxh && window.ktxh.cache) || {}))"
                ".then(() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r))))"
            )
        except Exception as exc:  # a frame replaced by the run that just ended: it is gone, not broken
            if "detached" not in str(exc).lower():
                raise
    return run_count(page)


STILL = """e => new Promise(done => { let last = '', same = 0;
  const look = () => { const b = JSON.stringify(e.getBoundingClientRect());
    same = b === last ? same + 1 : 0; last = b;
    if (same >= 5) done(); else requestAnimationFrame(look); };
  look(); })"""


def still(locator):
    """The element once its box is unchanged over five animation frames (a late refit moves what is under the
    pointer); the locator, for chaining."""
    locator.evaluate(STILL)
    return locator
