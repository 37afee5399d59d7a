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
    """The streamlit-folium iframe, once its commune shapes are drawn."""
    page.wait_for_selector("iframe[title*='streamlit_folium']", timeout=timeout)
    frame = page.frame_locator("iframe[title*='streamlit_folium']").first
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=timeout)
    return frame
