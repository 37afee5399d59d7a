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


def app_pages() -> list[str]:
    """Script paths of the st.Page(...) entries of app.py, in navigation order."""
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    return [
        ast.literal_eval(node.args[0])
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page"
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


def first_paint(paths: list[str], chromium: str = "/usr/bin/chromium") -> list[tuple[str, float, float]]:
    """(path, ms from navigation to the first units drawn, browser JS heap in MB) for each app URL path,
    measured twice: on a cold server (first visit) and warm (a new browser context, server caches filled).

    Runs the app with ``streamlit run`` on a free local port and Debian's chromium through Playwright (a test
    dependency); every non-local request is refused, as offline. Raises RuntimeError when either is missing.
    """
    import os
    import socket
    import subprocess
    import sys
    import urllib.request
    from urllib.parse import urlparse

    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise RuntimeError("cần Playwright (make test cài đặt) để đo thời gian vẽ") from exc
    if not Path(chromium).exists():
        raise RuntimeError(f"không có {chromium} (make test cài đặt chromium)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    out = []
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=chromium,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
            )
            for path in [p_ for p_ in paths for _ in (0, 1)]:  # cold (first visit), then warm (server caches filled)
                context = browser.new_context(viewport={"width": 1280, "height": 720})
                context.route(
                    "**/*",
                    lambda r: (
                        r.continue_()
                        if urlparse(r.request.url).hostname in ("127.0.0.1", "localhost", None)
                        or r.request.url.startswith(("data:", "blob:", "about:"))
                        else r.abort()
                    ),
                )
                page = context.new_page()
                start = time.perf_counter()
                page.goto(base + path)
                frame = page.frame_locator("iframe[title*='streamlit_folium']").first
                frame.locator("path.leaflet-interactive").first.wait_for(timeout=120_000)
                ms = (time.perf_counter() - start) * 1000
                cdp = context.new_cdp_session(page)
                cdp.send("Performance.enable")
                metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
                heap = metrics.get("JSHeapUsedSize", 0) / 1e6
                for frame_obj in page.frames:  # the map iframe's own heap
                    if "streamlit_folium" in (frame_obj.url or ""):
                        try:
                            heap += (
                                frame_obj.evaluate("performance.memory ? performance.memory.usedJSHeapSize : 0") / 1e6
                            )
                        except Exception:  # noqa: BLE001 — a measurement only
                            pass
                out.append((path, ms, heap))
                context.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    return out
