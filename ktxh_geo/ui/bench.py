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
