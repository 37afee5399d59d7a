"""Benchmarks: one figure per line, ``name: value unit`` (medians), reruns as ratios to a naive page.

Targets: every page's rerun ≤ 0.5 × a naive folium page drawing the same units, measured in the same run
(issue 12); the map page's rerun ≤ 150 ms for every profile, first paint ≤ 1.5 s (province) and ≤ 3 s
(national views), browser memory of the national view ≤ 500 MB (issue 13); in chromium, widget → map redrawn
≤ 0.5 × the naive page at every locality, server CPU per switch ≤ 100 ms, bytes per indicator switch ≤ 20 KB on
the national view (issue 24, tools/map_bench.py). The machines are small and noisy: compare the ratios, not the
milliseconds.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Iterator

from ktxh_geo.io import shipped as load
from ktxh_geo.vocab.profile import DEFAULT_PROFILE, active


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def run(repeat: int = 20, pages: bool = True, paint: bool = True) -> Iterator[tuple[str, float, str]]:
    """Yield (name, value, unit) for each benchmark of the active profile."""
    from ktxh_geo.model.thematic import MapRequest, build
    from ktxh_geo.render.maps import build_map

    profile = active()
    indicators = load.load_indicators()
    yield (
        "load_data",
        _median_ms(lambda: (load.load_communes(), load.load_values(), load.load_projects()), repeat),
        "ms",
    )
    communes, values, projects, outline = (
        load.load_communes(),
        load.load_values(),
        load.load_projects(),
        load.load_outline(),
    )
    request = MapRequest(profile.default_indicator, illustrative=True)
    yield "thematic_build", _median_ms(lambda: build(request, indicators, values, communes), repeat), "ms"
    tm = build(request, indicators, values, communes)
    yield "map_build", _median_ms(lambda: build_map(tm.joined, tm.classification, outline, projects), repeat), "ms"
    if pages:
        yield from page_benchmarks(repeat)
        if profile.kind == "province":
            yield from progress_benchmarks(repeat)
    if paint:
        yield from paint_benchmarks()
    if profile.id == DEFAULT_PROFILE:
        yield from _export_benchmarks()


def _params() -> dict[str, str]:
    return {} if active().id == DEFAULT_PROFILE else {"profile": active().id}


def page_benchmarks(repeat: int = 20) -> Iterator[tuple[str, float, str]]:
    """Median rerun of every page of app.py and of the naive folium page, and each page's ratio to it."""
    from ktxh_geo.ui.bench import app_pages, naive_rerun_ms, page_rerun_ms  # imports Streamlit: only here
    from ktxh_geo.vocab.editions import get_edition

    naive = naive_rerun_ms(get_edition().path, repeat) if active().kind == "district" else None
    if naive:
        yield "naive_folium_page_rerun", naive, "ms"
    pages = app_pages() if active().kind == "district" else ["views/ban_do.py"]
    for page in pages:
        name = page.rsplit("/", 1)[-1].removesuffix(".py")
        ms = page_rerun_ms(page, repeat, _params())
        yield f"page_rerun_{name}", ms, "ms"
        if naive:
            yield f"page_rerun_{name}_vs_naive", ms / naive, "x"
    drill = active().drill_down
    if drill:  # a province's communes in the national view
        ms = page_rerun_ms("views/ban_do.py", repeat, {**_params(), "province": "24"})
        yield "page_rerun_ban_do_province_24", ms, "ms"


def seed_progress(profile_id: str, codes: list[str], n_indicators: int = 30, year: int = 2025) -> None:
    """A throwaway store at province scale for the progress page: 4 periods, ``n_indicators`` targets for every
    unit, every unit's report accepted in each period (made-up numbers, in a temporary folder only)."""
    from datetime import date

    from ktxh_geo.io import reports as rp
    from ktxh_geo.vocab import STAGES, signed_in

    office = signed_in("bench", "cli")
    for i, stage in enumerate(STAGES):
        rp.open_period(profile_id, year, stage, date(year, min(12, 3 * i + 6), 20), editor=office)
    rows = [
        {
            "indicator_id": f"ct_{k:02d}",
            "code": c,
            "name": f"Chỉ tiêu {k}",
            "unit": "%",
            "rule": "at_least",
            "value": 50.0 + k,
        }
        for k in range(n_indicators)
        for c in codes
    ]
    rp.import_targets(profile_id, year, rows, editor=office, source="bench")
    for stage in STAGES:
        for j, c in enumerate(codes):
            values = [rp.ReportValue(f"ct_{k:02d}", 40.0 + (j + k) % 30, source="bench") for k in range(n_indicators)]
            v = rp.save_report(profile_id, year, stage, c, values, editor=office, expected_version=None, submit=True)
            rp.review_report(profile_id, year, stage, c, editor=office, accept=True, expected_version=v)


def progress_benchmarks(repeat: int = 20) -> Iterator[tuple[str, float, str]]:
    """The progress page ("Tiến độ kế hoạch") at province scale: every unit × 30 indicators × 4 periods, all
    reported and accepted, in a temporary store (target: rerun ≤ 150 ms)."""
    import tempfile

    from ktxh_geo.io import db
    from ktxh_geo.ui.bench import page_rerun_ms

    profile = active()
    codes = list(load.load_communes()["code"])
    saved = {k: os.environ.get(k) for k in ("KTXH_STATE_DIR", db.ENV_URL)}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["KTXH_STATE_DIR"] = tmp
        os.environ.pop(db.ENV_URL, None)
        try:
            start = time.perf_counter()
            seed_progress(profile.id, codes)
            yield "progress_seed_writes", (time.perf_counter() - start) * 1000, "ms"
            yield (
                f"page_rerun_tien_do_{len(codes)}_units_30_indicators",
                page_rerun_ms("views/tien_do.py", repeat, _params()),
                "ms",
            )
        finally:
            db.dispose()
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v


def paint_benchmarks() -> Iterator[tuple[str, float, str]]:
    """The map page in chromium, every locality in one run (tools/map_bench.py, issue 24): widget → map redrawn
    against a naive folium page drawing the same units, bytes and server CPU per indicator switch, first paint
    cold and warm, JS heap (one isolate). A developer's tool: it needs Playwright and a checkout's tools/."""
    import importlib.util

    from ktxh_geo.settings import ROOT

    path = ROOT / "tools" / "map_bench.py"
    if not path.exists():
        print(f"# map page not measured: {path} missing (a checkout's tool)")
        return
    spec = importlib.util.spec_from_file_location("map_bench", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        for name, value, unit in module.measure(ROOT):
            if name == "#":
                print(f"# {unit}", flush=True)
            else:
                yield name, value, unit
    except ImportError as err:
        print(f"# map page not measured: {err}")


def _export_benchmarks(repeat: int = 5) -> Iterator[tuple[str, float, str]]:
    """Export times for the shipped poverty map (target under 2 s each), median of 5."""
    from ktxh_geo.model.mapcontext import prepare
    from ktxh_geo.render.export import render_html, render_pdf, render_png

    ctx = prepare("poverty_rate", 2023, include_illustrative=True)
    yield "export_png_a4_300dpi", _median_ms(lambda: render_png(ctx, "a4", "landscape", 300), repeat), "ms"
    yield "export_pdf_a4", _median_ms(lambda: render_pdf(ctx, "a4", "landscape"), repeat), "ms"
    yield "export_html", _median_ms(lambda: render_html(ctx), repeat), "ms"
    yield from _atlas_benchmarks()


def _atlas_benchmarks(repeat: int = 3) -> Iterator[tuple[str, float, str]]:
    """The atlas of every mappable indicator (the meeting pack), PDF and Word, median of 3."""
    from ktxh_geo.render.atlas import build_atlas, render_atlas_docx, render_atlas_pdf

    atlas = build_atlas(None, include_illustrative=True)
    yield "atlas_pdf_all_maps", _median_ms(lambda: render_atlas_pdf(atlas), repeat), "ms"
    yield "atlas_docx_all_maps", _median_ms(lambda: render_atlas_docx(atlas), repeat), "ms"


def _p90(times: list[float]) -> float:
    return statistics.quantiles(times, n=10, method="inclusive")[-1] if len(times) > 1 else times[0]


def load_benchmarks(loads: list[int], servers: int = 1, switches: int = 5) -> Iterator[tuple[str, float, str]]:
    """Widget-to-map time under load (issue 11): for each N in ``loads``, N concurrent browser sessions on
    ``servers`` app processes sharing one store (the same KTXH_STATE_DIR, or KTXH_DATABASE_URL when set), each
    switching the indicator of the map page ``switches`` times between two mappable indicators of the active
    profile. Yields the median and p90 per N, then the largest N whose median is under 1 s (0 if none)."""
    from urllib.parse import urlencode

    from ktxh_geo.settings import state_dir
    from ktxh_geo.ui.bench import widget_to_map

    profile = active()
    mappable = [i for i in load.load_indicators().values() if i.map]
    first = next((i for i in mappable if i.id == profile.default_indicator), mappable[0] if mappable else None)
    # the other indicator: one whose name neither contains nor is contained in the first (the legend check)
    other = next((i for i in mappable if first and first.name not in i.name and i.name not in first.name), None)
    if first is None or other is None:
        print("# load not measured: the profile needs two mappable indicators")
        return
    query = urlencode(_params())
    path = f"/ban-do?{query}" if query else "/ban-do"
    shared = os.environ.get("KTXH_DATABASE_URL")
    store = "KTXH_DATABASE_URL" if shared else f"KTXH_STATE_DIR={state_dir()}"
    print(f"# load: {servers} app server(s) sharing {store}; {switches} switches per session, alternating", flush=True)
    try:
        results = widget_to_map(
            sorted(set(loads)),
            servers,
            path,
            (other.name, first.name),
            switches,
            env={} if shared else {"KTXH_STATE_DIR": str(state_dir())},
        )
    except RuntimeError as err:
        print(f"# load not measured: {err}")
        return
    best = 0
    for n, times, failed in results:
        if failed:
            print(f"# load N={n}: {failed} of {n} sessions failed (timeout or error); their switches are not counted")
        if not times:
            continue
        median = statistics.median(times)
        yield f"load_N{n}_servers{servers}_median", median, "ms"
        yield f"load_N{n}_servers{servers}_p90", _p90(times), "ms"
        if median < 1000 and not failed:
            best = max(best, n)
    yield f"load_servers{servers}_max_sessions_under_1s", best, "sessions"


def print_load(args) -> int:
    """``bench --load N[,N…] [--servers 1|2]``: print the load figures (after the other benchmarks)."""
    for name, value, unit in load_benchmarks(args.load, args.servers):
        print(f"{name}: {value:.0f} {unit}" if unit == "sessions" else f"{name}: {value:.1f} {unit}", flush=True)
    return 0
