"""Benchmarks: one figure per line, ``name: value unit`` (medians), reruns as ratios to a naive page.

Targets (issues 3 and 12): every page's rerun ≤ 0.5 × the naive folium page measured in the same run; map
build under 500 ms; exports under 2 s each. The machines are small and noisy: compare the ratios.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator

from ktxh_geo.io import shipped as load
from ktxh_geo.model.classify import classify
from ktxh_geo.model.join import join_indicator
from ktxh_geo.render.maps import build_map


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def run(repeat: int = 20) -> Iterator[tuple[str, float, str]]:
    """Yield (name, value, unit) for each benchmark."""
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
    ind = indicators["poverty_rate"]

    def join_classify():
        joined = join_indicator(communes, values, ind, 2023)
        return joined, classify(joined, ind)

    yield "join_classify", _median_ms(join_classify, repeat), "ms"
    joined, cls = join_classify()
    yield "map_build", _median_ms(lambda: build_map(joined, cls, outline, projects), repeat), "ms"
    yield (
        "map_build_render_html",
        _median_ms(lambda: build_map(joined, cls, outline, projects).get_root().render(), repeat),
        "ms",
    )
    yield from page_benchmarks(repeat)
    yield from _export_benchmarks()


def page_benchmarks(repeat: int = 20) -> Iterator[tuple[str, float, str]]:
    """Median rerun of every page of app.py and of the naive folium page, and each page's ratio to it."""
    from ktxh_geo.model.editions import get_edition
    from ktxh_geo.ui.bench import app_pages, naive_rerun_ms, page_rerun_ms  # imports Streamlit: only here

    naive = naive_rerun_ms(get_edition().path, repeat)
    yield "naive_folium_page_rerun", naive, "ms"
    for page in app_pages():
        name = page.rsplit("/", 1)[-1].removesuffix(".py")
        ms = page_rerun_ms(page, repeat)
        yield f"page_rerun_{name}", ms, "ms"
        yield f"page_rerun_{name}_vs_naive", ms / naive, "x"


def _export_benchmarks(repeat: int = 5) -> Iterator[tuple[str, float, str]]:
    """Export times for the shipped poverty map (issue 4; target under 2 s each), median of 5."""
    from ktxh_geo.render.export import prepare, render_html, render_pdf, render_png

    ctx = prepare("poverty_rate", 2023, include_illustrative=True)
    yield "export_png_a4_300dpi", _median_ms(lambda: render_png(ctx, "a4", "landscape", 300), repeat), "ms"
    yield "export_pdf_a4", _median_ms(lambda: render_pdf(ctx, "a4", "landscape"), repeat), "ms"
    yield "export_html", _median_ms(lambda: render_html(ctx), repeat), "ms"
