"""Benchmarks: one figure per line, ``name: value unit`` (medians), reruns as ratios to a naive page.

Targets: every page's rerun ≤ 0.5 × a naive folium page drawing the same units, measured in the same run
(issue 12); the map page's rerun ≤ 150 ms for every profile, first paint ≤ 1.5 s (province) and ≤ 3 s
(national views), browser memory of the national view ≤ 500 MB (issue 13). The machines are small and
noisy: compare the ratios, not the milliseconds.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator

from ktxh_geo.io import shipped as load
from ktxh_geo.model.profile import DEFAULT_PROFILE, active


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
    if paint:
        yield from paint_benchmarks()
    if profile.id == DEFAULT_PROFILE:
        yield from _export_benchmarks()


def _params() -> dict[str, str]:
    return {} if active().id == DEFAULT_PROFILE else {"profile": active().id}


def page_benchmarks(repeat: int = 20) -> Iterator[tuple[str, float, str]]:
    """Median rerun of every page of app.py and of the naive folium page, and each page's ratio to it."""
    from ktxh_geo.model.editions import get_edition
    from ktxh_geo.ui.bench import app_pages, naive_rerun_ms, page_rerun_ms  # imports Streamlit: only here

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


def paint_benchmarks() -> Iterator[tuple[str, float, str]]:
    """First paint (navigation → units drawn) and browser JS heap of the map page in chromium."""
    from urllib.parse import urlencode

    from ktxh_geo.ui.bench import first_paint

    query = urlencode(_params())
    paths = [f"/ban-do?{query}" if query else "/ban-do"]
    if active().drill_down:
        paths.append(f"/ban-do?{urlencode({**_params(), 'province': '24'})}")
    try:
        results = first_paint(paths)
    except RuntimeError as err:
        print(f"# first paint not measured: {err}")
        return
    for i, (path, ms, heap) in enumerate(results):
        tag = ("province_24" if "province=" in path else "map") + ("_cold" if i % 2 == 0 else "")
        yield f"first_paint_{tag}", ms, "ms"
        yield f"browser_heap_{tag}", heap, "MB"


def _export_benchmarks(repeat: int = 5) -> Iterator[tuple[str, float, str]]:
    """Export times for the shipped poverty map (target under 2 s each), median of 5."""
    from ktxh_geo.render.export import prepare, render_html, render_pdf, render_png

    ctx = prepare("poverty_rate", 2023, include_illustrative=True)
    yield "export_png_a4_300dpi", _median_ms(lambda: render_png(ctx, "a4", "landscape", 300), repeat), "ms"
    yield "export_pdf_a4", _median_ms(lambda: render_pdf(ctx, "a4", "landscape"), repeat), "ms"
    yield "export_html", _median_ms(lambda: render_html(ctx), repeat), "ms"
