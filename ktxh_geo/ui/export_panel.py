"""The "Xuất bản đồ" panel of the map page: choose a format, make the file, download it.

A file is made only when the user asks ("Tạo tệp …"), in the page's own run, so that a failure is said on the
page in Vietnamese (Streamlit's deferred download would only show its own English error); the bytes are then
kept in the session for this map and these options, so reruns stay fast and the download is one click.
"""

from __future__ import annotations

import logging

import streamlit as st

from ktxh_geo.errors import KtxhError
from ktxh_geo.model.mapcontext import MapContext
from ktxh_geo.model.thematic import ThematicMap
from ktxh_geo.render.escape import md_text
from ktxh_geo.render.export import DPIS, FORMATS, MAP_FORMATS, download_bytes, download_name
from ktxh_geo.ui import data as ui

log = logging.getLogger(__name__)
READY = "export_ready"  # session key: {"key": what the file was made for, "data": bytes}
ATLAS_READY = "atlas_ready"  # session key: the atlas made, as READY (with its name and what it left out)
FORMAT_LABELS = {"pdf": "PDF", "docx": "Word (.docx)"}

PAPERS = {"a4": "A4", "a3": "A3"}
ORIENTATIONS = {"landscape": "Ngang", "portrait": "Dọc"}
DPI_LABELS = {300: "300 dpi (in, Word)", 150: "150 dpi (trình chiếu)"}


def export_panel(tm: ThematicMap, layers: list[str] | tuple[str, ...], province: str | None = None) -> None:
    """An expander with format, paper, orientation and resolution, and one download button.

    ``province``: one province of a national profile (the export shows and frames it)."""
    ctx = MapContext(tm, ui.outline(province), ui.projects(), tuple(layers), ui.map_labels(), province)
    with st.expander("Xuất bản đồ"):
        fmt = st.radio(
            "Định dạng", list(FORMATS), format_func=lambda f: FORMATS[f][2], horizontal=True, key="export_format"
        )
        paper, orientation, dpi = "a4", "landscape", 300
        if fmt in MAP_FORMATS:
            c1, c2, c3 = st.columns(3)
            # the widgets always hold one of their options; the defaults above only satisfy the type of "no choice"
            paper = c1.selectbox("Khổ giấy", list(PAPERS), format_func=lambda p: PAPERS[p], key="export_paper") or paper
            orientation = (
                c2.selectbox(
                    "Hướng giấy", list(ORIENTATIONS), format_func=lambda o: ORIENTATIONS[o], key="export_orientation"
                )
                or orientation
            )
            if fmt == "png":
                dpi = (
                    c3.selectbox("Độ phân giải", list(DPIS), format_func=lambda d: DPI_LABELS[d], key="export_dpi")
                    or dpi
                )
        if fmt == "html":
            st.caption("Một tệp duy nhất, mở được từ USB không cần Internet (không có bản đồ nền).")
        elif fmt == "docx":
            st.caption(
                "Tài liệu Word: bản đồ (bố cục in A4 ngang, 300 dpi) kèm chú giải, bảng số liệu từng xã (giá trị, "
                "loại số liệu, nguồn), ghi chú, nguồn và giấy phép của ranh giới."
            )
        elif fmt in ("gpkg", "geojson", "csv", "xlsx"):
            st.caption(
                "Bảng đã ghép của bản đồ này, kèm nguồn, loại số liệu và ghi chú từng giá trị; tiêu đề cột tiếng Việt. "
                "Giấy phép MIT của ranh giới đi kèm trong tệp."
            )
            if fmt == "csv":
                st.caption("Tải về một tệp .zip gồm bảng CSV và LICENSE.txt (giấy phép, phải gửi kèm khi chia sẻ).")
        if tm.illustrative:
            st.caption("Tệp xuất ghi rõ “Số liệu minh họa”, như trên bản đồ.")
        if not tm.has_data:
            st.caption("Bản đồ này chưa có số liệu: tệp xuất chỉ có ranh giới và ghi rõ là chưa có số liệu.")

        name = download_name(ctx, fmt, paper, orientation)
        key = (
            tm.profile.id,
            province,
            tm.title,
            fmt,
            paper,
            orientation,
            dpi,
            tuple(layers),
            tm.classification.bins,
            tm.classification.scheme,
            tm.illustrative,
            ui.store_version(),
        )
        ready = st.session_state.get(READY)
        if ready is None or ready["key"] != key:
            slot = st.empty()  # the "make" button gives way to the download button once the file is made
            if not slot.button(f"Tạo tệp {name}", type="primary", icon=":material/draft:", key="export_make"):
                return
            data = _make(fmt, ctx, paper, orientation, dpi, name)
            if data is None:
                return
            slot.empty()
            ready = st.session_state[READY] = {"key": key, "data": data}
        st.download_button(
            f"Tải {name}" + (" (CSV kèm LICENSE.txt)" if fmt == "csv" else ""),
            data=ready["data"],
            file_name=name,
            mime="application/zip" if fmt == "csv" else FORMATS[fmt][1],
            on_click="ignore",
            type="primary",
            icon=":material/download:",
            key="export_download",
        )


def atlas_panel(tm: ThematicMap, province: str | None = None) -> None:
    """An expander making the atlas of the chosen indicators on the map's units: one PDF or Word file."""
    with st.expander("Xuất tập bản đồ (PDF, Word)"):
        _atlas_export(tm, province)


def _atlas_export(tm: ThematicMap, province: str | None) -> None:
    """The atlas's indicators, format, make button and download (a failure said in Vietnamese)."""
    from ktxh_geo.render.atlas import atlas_bytes, atlas_file_name, build_atlas
    from ktxh_geo.ui.view import W

    indicators = {k: v for k, v in ui.indicators().items() if v.map}
    chosen = st.multiselect(
        "Chỉ tiêu đưa vào tập bản đồ",
        list(indicators),
        default=list(indicators),
        format_func=lambda k: indicators[k].name,
        key="atlas_indicators",
        placeholder="Chọn chỉ tiêu",
    )
    fmt = st.radio("Định dạng", ["pdf", "docx"], format_func=FORMAT_LABELS.get, horizontal=True, key="atlas_format")
    illustrative = bool(st.session_state.get(W["illustrative"], False))
    st.caption(
        "Trang bìa, mục lục, mỗi chỉ tiêu một trang bản đồ (chú giải, nguồn), bảng số liệu các đơn vị, ghi chú; "
        "nguồn và giấy phép ghi một lần ở cuối. Chỉ tiêu chưa có số liệu được ghi rõ là chưa đưa vào."
        + (" Có Số liệu minh họa (đang bật ở thanh bên)." if illustrative else "")
    )
    if not chosen:
        st.info("Chọn ít nhất một chỉ tiêu.")
        return
    key = (tm.profile.id, province, tm.edition.id, tuple(chosen), fmt, illustrative, ui.store_version())
    ready = st.session_state.get(ATLAS_READY)
    if ready is None or ready["key"] != key:
        slot = st.empty()
        if not slot.button("Tạo tập bản đồ", type="primary", icon=":material/menu_book:", key="atlas_make"):
            return
        try:
            with st.spinner("Đang tạo tập bản đồ…"):
                atlas = build_atlas(chosen, province, illustrative, tm.edition.id)
                data = atlas_bytes(atlas, fmt)
        except KtxhError as err:
            st.error(f"Không tạo được tập bản đồ: {md_text(err)}")
            return
        except Exception:  # never a traceback on the page
            log.exception("atlas export failed")
            st.error("Không tạo được tập bản đồ: gặp lỗi ngoài dự kiến khi xuất (đã ghi vào nhật ký máy chủ).")
            return
        slot.empty()
        ready = st.session_state[ATLAS_READY] = {
            "key": key,
            "data": data,
            "name": atlas_file_name(atlas, fmt),
            "skipped": atlas.skipped,
        }
    for name, why in ready["skipped"].items():
        st.caption(f"Chưa đưa vào: {md_text(name)} — {md_text(why)}")
    st.download_button(
        f"Tải {ready['name']}",
        data=ready["data"],
        file_name=ready["name"],
        mime=FORMATS[fmt][1],
        on_click="ignore",
        type="primary",
        icon=":material/download:",
        key="atlas_download",
    )


def _make(fmt: str, ctx: MapContext, paper: str, orientation: str, dpi: int, name: str) -> bytes | None:
    """The file's bytes, or None after saying in Vietnamese why it could not be made (the detail goes to the log)."""
    try:
        with st.spinner(f"Đang tạo tệp {name}…"):
            return download_bytes(fmt, ctx, paper, orientation, dpi)
    except KtxhError as err:
        st.error(f"Không tạo được tệp {md_text(name)}: {md_text(err)}")
    except Exception:  # a bug or a value an exporter cannot write: never a traceback on the page
        log.exception("export %s failed", name)
        st.error(
            f"Không tạo được tệp {md_text(name)}: gặp lỗi ngoài dự kiến khi xuất (đã ghi vào nhật ký máy chủ). "
            "Hãy thử định dạng khác hoặc báo cho quản trị hệ thống."
        )
    return None
