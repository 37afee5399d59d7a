"""The map page's bench in a real browser (issue 24): what a user feels, measured honestly.

For each locality (profile, optional province) in ONE run and on ONE machine load:

- widget → map redrawn: from the pointer press on an indicator option until the new colours are painted
  (a legend naming the chosen indicator and changed fills, then one animation frame), on /ban-do and on a naive
  folium page drawing the SAME units (folium.GeoJson + tooltip + st_folium, the yardstick), alternating;
- bytes per switch: websocket frames received by the page from the click until the rerun is over;
- server CPU per switch: the app process's user+system CPU time (/proc) over the switches, divided by their count;
- first paint: cold (a new browser context: empty HTTP cache) and warm (reload in the same context), to the map's
  "settled" signal when the page gives one, else the first commune shape;
- JS heap once: the page and its same-origin map frame share one V8 isolate (CDP JSHeapUsedSize of the page).

Offline without a route handler in the measured path: chromium resolves every host but 127.0.0.1 to nothing.
Run: ``python tools/map_bench.py [--root DIR] [--switches N]`` (DIR: the checkout whose app is served).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("KTXH_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
]
LOCALITIES = [
    ("yen-the-2024", None),
    ("bac-ninh-2025", None),
    ("national-2025", None),
    ("national-2025", "24"),
]
IFRAME = "iframe[title*='streamlit_folium']"

# The naive page: the same units as /ban-do at this locality, drawn the way a first folium page would be.
NAIVE_PAGE = """
import folium
import streamlit as st
from streamlit_folium import st_folium

from ktxh_geo.io import shipped as load
try:
    from ktxh_geo.vocab.profile import active, set_active
except ImportError:  # a checkout from before the vocabulary floor
    from ktxh_geo.model.profile import active, set_active

q = st.query_params
set_active(q.get("profile"))
prof = active()
province = q.get("province")
edition = prof.drill_down["edition"] if province else prof.base_edition
where = {prof.drill_down["key"]: province} if province else None


@st.cache_data
def units(profile, edition, province):
    return load.load_communes(edition, where=where)[["code", "full_name", "geometry"]]


@st.cache_data
def names(profile):
    return [i.name for i in load.load_indicators().values() if i.map]


gdf = units(prof.id, edition, province)
name = st.selectbox("Chỉ tiêu", names(prof.id), key="v_indicator")
palette = ["#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"]
fills = {c: palette[(hash(c + name) % 5)] for c in gdf["code"]}
b = gdf.total_bounds
m = folium.Map(location=[(b[1] + b[3]) / 2, (b[0] + b[2]) / 2], zoom_start=8, tiles=None)
# the same vendored Leaflet as the app (offline); folium's other CDN scripts are not needed for GeoJson + tooltip
m.default_js = [("leaflet", "/app/static/vendor/leaflet-1.9.4/leaflet.js")]
m.default_css = [("leaflet_css", "/app/static/vendor/leaflet-1.9.4/leaflet.css")]
folium.GeoJson(
    gdf,
    style_function=lambda f: {"fillColor": fills[f["properties"]["code"]], "fillOpacity": 0.85, "color": "#444"},
    tooltip=folium.GeoJsonTooltip(fields=["full_name", "code"]),
).add_to(m)
m.fit_bounds([[b[1], b[0]], [b[3], b[2]]])
st.markdown(f"<div class='ktxh-legend'>{name}</div>", unsafe_allow_html=True)
st_folium(m, height=640, use_container_width=True, returned_objects=[], key="naive")
"""

# Armed before a switch: remembers every shape's fill in every map frame, then resolves (Date.now(), after the next
# animation frame of the map's window) once a frame shows a legend naming the target and a shape that is new or
# whose fill changed. Checked every 5 ms from the page (same-origin frames), independent of Playwright's polling.
ARM = """([name, legendInPage]) => {
  const norm = (s) => (s || '').replace(/\\s+/g, ' ').trim();
  const want = norm(name);
  const frames = () => [...document.querySelectorAll("iframe[title*='streamlit_folium']")]
    .map((f) => { try { return f.contentWindow; } catch (e) { return null; } }).filter((w) => w && w.document);
  const old = new WeakMap();
  frames().forEach((w) => w.document.querySelectorAll('path.leaflet-interactive').forEach((p) => old.set(p, p.getAttribute('fill'))));
  window.__benchDone = null; window.__benchStart = null;
  document.addEventListener('pointerdown', () => { if (!window.__benchStart) window.__benchStart = Date.now(); },
    {capture: true, once: true});
  if (window.__benchTimer) clearInterval(window.__benchTimer);
  window.__benchTimer = setInterval(() => {
    for (const w of frames()) {
      const d = w.document;
      const scope = legendInPage ? document : d;
      const legend = [...scope.querySelectorAll('.ktxh-legend')].find((e) => norm(e.textContent).includes(want));
      if (!legend) continue;
      const changed = [...d.querySelectorAll('path.leaflet-interactive')]
        .some((p) => !old.has(p) || old.get(p) !== p.getAttribute('fill'));
      if (!changed) continue;
      clearInterval(window.__benchTimer);
      w.requestAnimationFrame(() => setTimeout(() => { window.__benchDone = Date.now(); }, 0));
      return;
    }
  }, 5);
}"""

SETTLED = """() => {
  const f = document.querySelector("iframe[title*='streamlit_folium']");
  const d = f && f.contentDocument;
  if (!d) return false;
  if (d.querySelector('[data-ktxh-settled]')) return true;
  const signal = d.querySelector('.folium-map');
  return !!(d.querySelector('path.leaflet-interactive') && !(signal && signal.hasAttribute('data-ktxh-settling')));
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def server(root: Path, script: str, state: str):
    """``streamlit run script`` from ``root`` (its own code first on sys.path); yields (base URL, pid)."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(root), "KTXH_STATE_DIR": state}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            script,
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(base + "/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def query(profile: str, province: str | None) -> str:
    return f"?profile={profile}" + (f"&province={province}" if province else "")


def indicator_names(profile: str) -> tuple[str, str]:
    """Two mappable indicators of the profile whose names do not contain each other (the legend check)."""
    from ktxh_geo.io import shipped as load
    from ktxh_geo.vocab.profile import set_active

    set_active(profile)
    mappable = [i for i in load.load_indicators().values() if i.map]
    first = mappable[0]
    other = next(i for i in mappable[1:] if first.name not in i.name and i.name not in first.name)
    return first.name, other.name


def wait_settled(page, timeout=180_000) -> None:
    page.wait_for_selector(IFRAME, timeout=timeout, state="attached")
    page.wait_for_function(SETTLED, timeout=timeout, polling=20)


def shown(page) -> str:
    box = page.locator(".st-key-v_indicator input[role='combobox']").first
    return " ".join(box.input_value().split())


def switches(page, pid: int, names: tuple[str, str], n: int, legend_in_page: bool) -> dict:
    """n indicator switches: widget→map ms, websocket bytes received, server CPU ms (medians / per switch)."""
    received = page.ktxh_received  # counted from before the page opened its websocket (see paint)
    widget = page.locator(".st-key-v_indicator").first
    times, sizes, cpu0 = [], [], cpu_seconds(pid)
    for _ in range(n):
        target = names[1] if names[0] in shown(page) else names[0]
        page.evaluate(ARM, [target, legend_in_page])
        widget.locator("input").first.click()
        option = page.get_by_role("option", name=target, exact=True)
        option.wait_for(timeout=60_000)
        before = received[0]
        option.click()
        page.wait_for_function("() => window.__benchDone", timeout=180_000, polling=20)
        page.wait_for_function(
            "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=180_000, polling=50
        )
        times.append(page.evaluate("window.__benchDone - window.__benchStart"))
        sizes.append(received[0] - before)
    cpu = (cpu_seconds(pid) - cpu0) / n * 1000
    return {"ms": statistics.median(times), "all_ms": times, "bytes": statistics.median(sizes), "cpu_ms": cpu}


def paint(browser, url: str) -> dict:
    """Cold first paint (new context), warm (reload in it), JS heap (one isolate) after the map settled."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    page = ctx.new_page()
    received = [0]

    def frame(e) -> None:  # binary frames (Streamlit's protobuf) arrive base64-encoded: count their real size
        r = e["response"]
        n = len(r["payloadData"])
        received[0] += n * 3 // 4 if r.get("opcode") == 2 else n

    cdp = ctx.new_cdp_session(page)  # before navigation, so the network agent sees the websocket open
    cdp.send("Network.enable")
    cdp.on("Network.webSocketFrameReceived", frame)
    page.ktxh_received = received
    t = time.perf_counter()
    page.goto(url)
    wait_settled(page)
    cold = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    page.reload()
    wait_settled(page)
    warm = (time.perf_counter() - t) * 1000
    cdp = ctx.new_cdp_session(page)
    cdp.send("HeapProfiler.collectGarbage")
    cdp.send("Performance.enable")
    heap = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}["JSHeapUsedSize"] / 1e6
    return {"ctx": ctx, "page": page, "cold": cold, "warm": warm, "heap": heap}


def measure(root: Path = HERE, n: int = 6, only: str = "") -> Iterator[tuple[str, float, str]]:
    """Yield (name, value, unit) per locality, every figure from the same run; a name starting with "#" is a note
    (its text in the unit field)."""
    from playwright.sync_api import sync_playwright

    load = os.getloadavg()
    yield "#", 0, f"root {root}; load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} cores"
    with tempfile.TemporaryDirectory() as tmp:
        naive_script = Path(tmp) / "naive_page.py"
        naive_script.write_text(NAIVE_PAGE, encoding="utf-8")
        (Path(tmp) / "static").symlink_to(root / "static")  # Streamlit serves static/ next to the script
        state = str(Path(tmp) / "state")
        with (
            server(root, "app.py", state) as (app, app_pid),
            server(root, str(naive_script), state + "-n") as (naive, naive_pid),
            sync_playwright() as p,
        ):
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            fresh_start = True
            for profile, province in LOCALITIES:
                tag = profile + (f"_province_{province}" if province else "")
                if only and only not in tag:
                    continue
                names = indicator_names(profile)
                ours = paint(browser, app + "/ban-do" + query(profile, province))
                if fresh_start:  # the server's very first map: nothing simplified or cached in this process yet
                    yield f"first_paint_fresh_server_{tag}", ours["cold"], "ms"
                    ours["ctx"].close()
                    ours = paint(browser, app + "/ban-do" + query(profile, province))
                    fresh_start = False
                mine = switches(ours["page"], app_pid, names, n, False)
                ours["ctx"].close()
                theirs = paint(browser, naive + "/" + query(profile, province))
                base = switches(theirs["page"], naive_pid, names, n, True)
                theirs["ctx"].close()
                yield f"widget_to_map_{tag}", mine["ms"], "ms"
                yield f"widget_to_map_naive_{tag}", base["ms"], "ms"
                yield f"widget_to_map_{tag}_vs_naive", mine["ms"] / base["ms"], "x"
                yield f"bytes_per_switch_{tag}", mine["bytes"] / 1024, "KB"
                yield f"bytes_per_switch_naive_{tag}", base["bytes"] / 1024, "KB"
                yield f"server_cpu_per_switch_{tag}", mine["cpu_ms"], "ms"
                yield f"server_cpu_per_switch_naive_{tag}", base["cpu_ms"], "ms"
                yield f"first_paint_cold_{tag}", ours["cold"], "ms"
                yield f"first_paint_warm_{tag}", ours["warm"], "ms"
                yield f"first_paint_naive_cold_{tag}", theirs["cold"], "ms"
                yield f"first_paint_naive_warm_{tag}", theirs["warm"], "ms"
                yield f"js_heap_{tag}", ours["heap"], "MB"
                yield f"js_heap_naive_{tag}", theirs["heap"], "MB"
                yield "#", 0, f"{tag} switches (ms): {[round(t) for t in mine['all_ms']]}"
            browser.close()
    load = os.getloadavg()
    yield "#", 0, f"load average after {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=str(HERE))
    ap.add_argument("--switches", type=int, default=6)
    ap.add_argument("--only", default="")
    args = ap.parse_args(argv)
    for name, value, unit in measure(Path(args.root).resolve(), args.switches, args.only):
        print(f"# {unit}" if name == "#" else f"{name}: {value:.2f} {unit}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
