"""Figures over time on the map page: one set of classes across the years, the change map, the small multiples.

Shown only for an indicator with figures in several years. The map of the chosen year is re-classified with
breaks over every year's figures (so a colour means the same range in each year), or replaced by the change map
from another year; "Trang các năm" makes the one-page small multiples (PDF).
"""

from __future__ import annotations

import dataclasses
import logging

import streamlit as st

from ktxh_geo.model.thematic import MapRequest, ThematicMap
from ktxh_geo.model.timeseries import CHANGE_MODES, change, series
from ktxh_geo.render.escape import md_text
from ktxh_geo.ui import data as ui
from ktxh_geo.vocab.profile import active

log = logging.getLogger(__name__)
FIXED, CHANGE_FROM, CHANGE_MODE = "v_fixed_classes", "v_change_from", "v_change_mode"
MULTIPLES_READY = "multiples_ready"


def controls(year_options: list[int], year: int) -> tuple[bool, int | None, str]:
    """Sidebar widgets (several years only): same classes for every year, and a change map from another year."""
    fixed = st.toggle(
        "Cùng thang màu cho mọi năm",
        value=True,
        key=FIXED,
        help="Lớp tính trên số liệu của mọi năm, nên một màu là cùng một khoảng giá trị ở mỗi năm.",
    )
    others = [y for y in year_options if y != year]
    if st.session_state.get(CHANGE_FROM) not in (None, *others):
        st.session_state[CHANGE_FROM] = None
    since = st.selectbox(
        "Bản đồ thay đổi so với năm",
        [None, *others],
        format_func=lambda y: "Không (bản đồ của năm đã chọn)" if y is None else str(y),
        key=CHANGE_FROM,
    )
    mode = "absolute"
    if since is not None:
        mode = st.radio("Thay đổi tính theo", list(CHANGE_MODES), format_func=CHANGE_MODES.get, key=CHANGE_MODE)
    return fixed, since, mode


def maps(request: MapRequest) -> list[ThematicMap]:
    """Every year's map of the request with one set of classes (cached per profile, request, store version)."""
    return _maps(active().id, dataclasses.replace(request, year=None), ui.store_version())


@st.cache_data(show_spinner=False, max_entries=32)
def _maps(profile_id: str, request: MapRequest, version: str) -> list[ThematicMap]:
    edition = request.edition or active().default_edition
    return series(request, ui.indicators(), ui.values(request.illustrative), ui.communes(edition, request.where))


def over_time(tm: ThematicMap, request: MapRequest, fixed: bool, since: int | None, mode: str) -> ThematicMap:
    """The map to show: the chosen year's with the series' classes, or the change from ``since`` (earlier first)."""
    by_year = {m.year: m for m in maps(request)}
    if tm.year not in by_year:
        return tm
    if since is not None and since in by_year:
        before, after = sorted([by_year[since], by_year[tm.year]], key=lambda m: m.year)
        return change(before, after, mode)
    return by_year[tm.year] if fixed else tm


def multiples_panel(request: MapRequest) -> None:
    """An expander making the one-page small multiples of every year (PDF)."""
    from ktxh_geo.render.multiples import render_multiples

    with st.expander("Xuất trang các năm (mỗi năm một bản đồ, PDF)"):
        st.caption("Một trang A4 ngang: mỗi năm một bản đồ nhỏ, cùng một chú giải (cùng thang màu cho mọi năm).")
        key = (active().id, dataclasses.replace(request, year=None), ui.store_version())
        ready = st.session_state.get(MULTIPLES_READY)
        if ready is None or ready["key"] != key:
            slot = st.empty()
            if not slot.button("Tạo trang các năm", icon=":material/grid_view:", key="multiples_make"):
                return
            try:
                with st.spinner("Đang tạo trang các năm…"):
                    data = render_multiples(maps(request), "pdf")
            except Exception:  # never a traceback on the page
                log.exception("small multiples failed")
                st.error("Không tạo được trang các năm: gặp lỗi ngoài dự kiến (đã ghi vào nhật ký máy chủ).")
                return
            slot.empty()
            ready = st.session_state[MULTIPLES_READY] = {"key": key, "data": data}
        name = f"cac-nam-{request.indicator.replace('_', '-')}.pdf"
        st.download_button(
            f"Tải {md_text(name)}",
            ready["data"],
            file_name=name,
            mime="application/pdf",
            on_click="ignore",
            icon=":material/download:",
            key="multiples_download",
        )
