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


@contextmanager
def offline_page(width: int = 1600, height: int = 1000):
    """A Chromium page on which every request to a non-local host is aborted and recorded."""
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []

    def route(r):
        host = urlparse(r.request.url).hostname or ""
        # file:// (an exported HTML opened from disk) has no hostname and never leaves the machine.
        if r.request.url.startswith(("data:", "blob:", "about:", "file:")) or host in LOCAL_HOSTS:
            r.continue_()
        else:
            blocked.append(r.request.url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": width, "height": height})
        context.route("**/*", route)
        page = context.new_page()
        page.blocked = blocked
        try:
            yield page
        finally:
            browser.close()


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
