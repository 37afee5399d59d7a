"""Server-side time of a Streamlit rerun (AppTest, no browser): the cost of every widget change.

Every page of app.py's navigation is measured against a naive folium page built in the same run (the same
communes drawn with ``folium.GeoJson`` + tooltip + ``st_folium``), so the figure is a ratio that means the
same on a slow or a busy machine. Lives in a ui* module because it imports Streamlit.
"""

from __future__ import annotations

import ast
import logging
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ktxh_geo.settings import ROOT

NAIVE_PAGE = """
import folium
import geopandas as gpd
import streamlit as st
from streamlit_folium import st_folium

communes = gpd.read_file({path!r})
m = folium.Map(location=[21.5, 106.13], zoom_start=11, tiles=None)
folium.GeoJson(
    communes[["code", "full_name", "geometry"]],
    tooltip=folium.GeoJsonTooltip(fields=["full_name", "code"]),
).add_to(m)
st_folium(m, height=600, use_container_width=True, returned_objects=[], key="naive")
"""


# Debian chromium, headless and offline: no background connections (refused by this network) and no GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def app_pages() -> list[str]:
    """Script paths of the st.Page(...) entries of app.py, in navigation order (function pages left out)."""
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    return [
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", None) == "Page"
        and isinstance(node.args[0], ast.Constant)
    ]


def _quiet() -> None:
    # AppTest runs "bare": Streamlit warns once about a missing ScriptRunContext; keep the bench output clean.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)


def _median_reruns(at, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def page_rerun_ms(page: str = "views/ban_do.py", repeat: int = 20, params: dict[str, str] | None = None) -> float:
    """Median time of ``repeat`` reruns of ``page`` after one warm-up run (caches filled, as in a session)."""
    from streamlit.testing.v1 import AppTest

    _quiet()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page(page)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    if at.exception:
        raise RuntimeError(f"{page}: {at.exception[0].message}")
    return _median_reruns(at, repeat)


def naive_rerun_ms(communes_file: Path, repeat: int = 20) -> float:
    """Median rerun of the naive folium page drawing ``communes_file`` (the yardstick)."""
    from streamlit.testing.v1 import AppTest

    _quiet()
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "naive.py"
        script.write_text(NAIVE_PAGE.format(path=str(communes_file)), encoding="utf-8")
        at = AppTest.from_file(str(script), default_timeout=120)
        at.run()
        if at.exception:
            raise RuntimeError(f"naive page: {at.exception[0].message}")
        return _median_reruns(at, repeat)


# --- Load: N concurrent browser sessions switching the indicator on the map page (issue 11) ---------------------

# Armed in the app page before a switch: marks the shapes and legend on screen in every map iframe (streamlit-folium
# may replace the iframe on a rerun, so the watcher lives in the page, not the frame), then records (Date.now())
# the moment a map iframe holds a *new* legend naming the chosen indicator and *new* commune shapes. It checks
# every 10 ms (same-origin iframes), so the figure does not depend on Playwright's polling.
_ARM_MAP_JS = """(name) => {
  const norm = (s) => (s || '').replace(/\\s+/g, ' ').trim();
  const want = norm(name);
  const docs = () => [...document.querySelectorAll("iframe[title*='streamlit_folium']")]
    .map((f) => { try { return f.contentDocument; } catch (e) { return null; } }).filter(Boolean);
  docs().forEach((d) => d.querySelectorAll('path.leaflet-interactive, .ktxh-legend')
    .forEach((e) => e.setAttribute('data-bench-old', '1')));
  window.__ktxhBenchDone = null;
  if (window.__ktxhBenchTimer) clearInterval(window.__ktxhBenchTimer);
  window.__ktxhBenchTimer = setInterval(() => {
    for (const d of docs()) {
      const legend = [...d.querySelectorAll('.ktxh-legend:not([data-bench-old])')]
        .find((e) => norm(e.textContent).includes(want));
      if (legend && d.querySelector('path.leaflet-interactive:not([data-bench-old])')) {
        window.__ktxhBenchDone = Date.now();
        clearInterval(window.__ktxhBenchTimer);
        return;
      }
    }
  }, 10);
}"""

# Armed in the app page: the time (Date.now()) of the first pointer press after arming, i.e. on the chosen option.
_ARM_CLICK_JS = """() => {
  window.__ktxhBenchStart = null;
  const mark = () => { if (!window.__ktxhBenchStart) window.__ktxhBenchStart = Date.now(); };
  document.addEventListener('pointerdown', mark, {capture: true, once: true});
}"""

_MAP_IFRAME = "iframe[title*='streamlit_folium']"


@contextmanager
def app_servers(count: int = 1, env: dict[str, str] | None = None) -> Iterator[list[str]]:
    """Run ``count`` ``streamlit run app.py`` processes on free local ports with the same environment (so the
    same store: KTXH_STATE_DIR, or KTXH_DATABASE_URL when set); yield their base URLs once all answer."""
    import os
    import socket
    import subprocess
    import sys
    import urllib.request

    procs, bases = [], []
    try:
        for _ in range(count):
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
            procs.append(
                subprocess.Popen(
                    [*command, "--server.address", "127.0.0.1", "--server.headless", "true"],
                    cwd=ROOT,
                    env={**os.environ, **(env or {})},
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        for base in bases:
            for _ in range(300):
                try:
                    urllib.request.urlopen(base + "/_stcore/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.2)
            else:
                raise RuntimeError(f"streamlit không khởi động được ở {base}")
        yield bases
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


async def _shown_option(widget) -> str:
    """The option a selectbox shows: its combobox input's value (Streamlit ≥ 1.5x) or its text (older BaseWeb)."""
    box = widget.locator("input[role='combobox']")
    text = await box.first.input_value() if await box.count() else await widget.inner_text()
    return " ".join(text.split())


async def _load_session(
    browser, base: str, path: str, names: tuple[str, str], switches: int, think: float, barrier, timeout_ms: float
) -> list[float]:
    """One user: open the map page, wait for the others, then switch the indicator ``switches`` times."""
    import asyncio
    from urllib.parse import urlparse

    async def route(r):
        url = r.request.url
        if url.startswith(("data:", "blob:", "about:")) or urlparse(url).hostname in ("127.0.0.1", "localhost"):
            await r.continue_()
        else:
            await r.abort()

    context = await browser.new_context(viewport={"width": 1280, "height": 720})
    times: list[float] = []
    try:
        await context.route("**/*", route)
        page = await context.new_page()
        await page.goto(base + path, timeout=timeout_ms)
        iframe = page.locator(_MAP_IFRAME).first
        await iframe.wait_for(timeout=timeout_ms)
        await (
            page.frame_locator(_MAP_IFRAME).first.locator("path.leaflet-interactive").first.wait_for(timeout=timeout_ms)
        )
        widget = page.locator(".st-key-v_indicator").first
        await widget.wait_for(timeout=timeout_ms)
        current = await _shown_option(widget)
    finally:
        await barrier.wait()  # every session has its map (or failed) before anyone switches
    try:
        for _ in range(switches):
            target = names[1] if names[0] in current else names[0]
            await page.evaluate(_ARM_MAP_JS, target)
            await page.evaluate(_ARM_CLICK_JS)
            opener = widget.locator("button[aria-haspopup='listbox'], [data-baseweb='select']").first
            await (opener if await opener.count() else widget.locator("input").first).click()
            option = page.get_by_role("option", name=target, exact=True)
            await option.wait_for(timeout=timeout_ms)
            fallback_start = time.time() * 1000
            await option.click()
            await page.wait_for_function("() => window.__ktxhBenchDone", timeout=timeout_ms, polling=100)
            done = await page.evaluate("window.__ktxhBenchDone")
            start = await page.evaluate("window.__ktxhBenchStart") or fallback_start
            times.append(done - start)
            current = target
            await asyncio.sleep(think)
    finally:
        await context.close()
    return times


def widget_to_map(
    loads: list[int],
    servers: int = 1,
    path: str = "/ban-do",
    names: tuple[str, str] = ("", ""),
    switches: int = 5,
    think: float = 0.5,
    chromium: str = "/usr/bin/chromium",
    timeout_ms: float = 180_000,
    env: dict[str, str] | None = None,
) -> list[tuple[int, list[float], int]]:
    """For each N in ``loads``: (N, widget-to-map ms of every switch of every session, failed sessions).

    ``servers`` app processes share one store; N sessions (browser contexts of one headless chromium, driven
    concurrently with Playwright's async API) are spread evenly over them. Each session opens ``path``, waits
    until every session shows its map, then switches the indicator ``switches`` times between the two indicator
    ``names`` (pausing ``think`` s between switches). Widget-to-map: from the pointer press on the option to a new
    legend naming the indicator and new commune shapes in the map iframe. The servers are warmed first by one
    untimed session each; ``env`` is added to the servers' environment. A session that fails (timeout, error) is
    counted in the third item and its switches are dropped. Raises RuntimeError without Playwright or chromium.
    """
    import asyncio

    try:
        from playwright.async_api import async_playwright
    except ImportError as exc:
        raise RuntimeError("cần Playwright (make test cài đặt) để đo tải") from exc
    if not Path(chromium).exists():
        raise RuntimeError(f"không có {chromium} (make test cài đặt chromium)")

    async def rounds(bases: list[str]) -> list[tuple[int, list[float], int]]:
        out = []
        async with async_playwright() as p:
            browser = await p.chromium.launch(
                executable_path=chromium,
                args=[
                    *CHROMIUM_ARGS,
                    "--disable-background-timer-throttling",
                    "--disable-renderer-backgrounding",
                    "--disable-backgrounding-occluded-windows",
                ],
            )
            try:
                warm = asyncio.Barrier(len(bases))  # caches of every server filled, both indicators drawn once
                await asyncio.gather(*(_load_session(browser, b, path, names, 2, 0.2, warm, timeout_ms) for b in bases))
                for n in loads:
                    barrier = asyncio.Barrier(n)
                    results = await asyncio.gather(
                        *(
                            _load_session(
                                browser, bases[i % len(bases)], path, names, switches, think, barrier, timeout_ms
                            )
                            for i in range(n)
                        ),
                        return_exceptions=True,
                    )
                    times = [t for r in results if not isinstance(r, BaseException) for t in r]
                    failed = sum(isinstance(r, BaseException) for r in results)
                    out.append((n, times, failed))
            finally:
                await browser.close()
        return out

    with app_servers(servers, env) as bases:
        return asyncio.run(rounds(bases))
