"""The "Số liệu theo xã cũ" tab of the import page: a sheet of the old communes' figures placed on the 2025 units.

The report (merged, split and refused, incomplete, not placed) and the placed figures, with a CSV download; then an
editor states the sheet's source and saves them as a new version of the store. Saved placed figures are computed
("tính từ số liệu công bố"), never official: their source names the sheet and each indicator's rule; the units the
report refused are not saved. A save is checked against the version the upload was read at, as on the other tabs.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from ktxh_geo.errors import Conflict, KtxhError
from ktxh_geo.io import store
from ktxh_geo.io.uploads import MAX_BYTES, read_table
from ktxh_geo.model.oldunits import place, placed_cells, save_placed
from ktxh_geo.render.escape import md_text
from ktxh_geo.text import MAX_SOURCE_CHARS, format_number
from ktxh_geo.ui import conflicts
from ktxh_geo.ui import data as ui
from ktxh_geo.vocab import Editor
from ktxh_geo.vocab.profile import active

HEADERS = {
    "code": "Mã đơn vị mới",
    "full_name": "Đơn vị mới",
    "indicator": "Chỉ tiêu",
    "shown": "Giá trị",
    "note": "Cách tính",
}


def old_units_section(editor: Editor | None) -> None:
    """Upload, year (and province on the country), then the report and the placed figures (for an editor: the
    page's files are the editors' work, even when nothing is saved)."""
    profile = active()
    st.markdown(
        "Tải lên bảng số liệu theo **xã cũ** (trước 01/7/2025): cột “Mã xã” (mã GSO cũ) hoặc “Tên xã” kèm “Huyện cũ”, "
        "rồi mỗi chỉ tiêu một cột (tên hoặc mã chỉ tiêu). Ứng dụng đặt số liệu lên đơn vị mới theo bảng chuyển đổi "
        "chính thức và quy tắc của từng chỉ tiêu: số lượng cộng lại; tỷ lệ bình quân gia quyền theo mẫu số (không có "
        "cột mẫu số thì không tính); tình trạng thì đếm. Xã cũ bị chia cho nhiều đơn vị mới không được gán cả số liệu "
        "mà được liệt kê. Rà soát báo cáo và bảng dưới đây, ghi nguồn rồi lưu: số liệu lưu có trạng thái “tính từ số "
        "liệu công bố” (không phải số liệu chính thức); đơn vị không đặt được để trống."
    )
    if editor is None:
        st.info("Cần đăng nhập với quyền biên tập (thanh bên) để tải lên bảng số liệu.")
        return
    province = ui.province_selector("old-province") if profile.drill_down else None
    year = st.number_input("Năm của số liệu", min_value=2000, max_value=2030, value=2024, step=1, key="old-year")
    limit = format_number(MAX_BYTES / 1024 / 1024, 0)
    upload = ui.file_uploader(
        f"Bảng số liệu theo xã cũ (.xlsx hoặc .csv, tối đa {limit} MB)", ["xlsx", "csv"], "old-upload", MAX_BYTES
    )
    if upload is None:
        return
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    form = f"old-{digest[:12]}-{int(year)}-{province or ''}"
    basis = conflicts.basis(form, store.latest_version, fresh=False)  # the version when this file was uploaded
    try:
        placed = _placed(profile.id, digest, data, upload.name, int(year), province)
    except KtxhError as err:
        st.error(md_text(str(err)))
        return
    report = placed.report()
    (st.success if len(placed.values) else st.warning)(md_text(report[0]))
    with st.container(key="old_report"):
        for line in report[1:]:
            st.markdown(f"- {md_text(line)}")
    if placed.values.empty:
        return
    names = ui.communes(_edition(profile), ((profile.drill_down["key"], province),) if province else ())
    units = names
    names = names.set_index("code")["full_name"]
    indicators = ui.indicators()
    table = pd.DataFrame(
        {
            "code": placed.values["code"],
            "full_name": placed.values["code"].map(names).fillna(""),
            "indicator": placed.values["indicator_id"].map(lambda i: indicators[i].name if i in indicators else i),
            "shown": [
                text or format_number(v, indicators[i].decimals if i in indicators else 2)
                for v, text, i in zip(
                    placed.values["value"], placed.values["value_text"], placed.values["indicator_id"], strict=True
                )
            ],
            "note": placed.values["note"],
        }
    ).rename(columns=HEADERS)
    with st.container(key="old_placed"):
        st.dataframe(table, hide_index=True, width="stretch")
    st.download_button(
        "Tải bảng số liệu đã đặt lên đơn vị mới (.csv)",
        placed.values.drop(columns="derived_rule").to_csv(index=False).encode("utf-8-sig"),
        file_name=f"so-lieu-theo-don-vi-moi-{int(year)}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key="old_download",
    )
    _save_section(editor, placed, indicators, upload.name, int(year), form, basis, units)


def _save_section(editor: Editor, placed, indicators, file: str, year: int, form: str, basis: int, units) -> None:
    """The sheet's source and the save button; a save over someone's change since the upload asks first."""
    from ktxh_geo.ui.imports import figures_table

    origin = st.text_input(
        "Nguồn của bảng số liệu theo xã cũ (bắt buộc): văn bản, cơ quan, ngày",
        key=f"source-{form}",
        placeholder="ví dụ: Báo cáo thống kê năm 2024 của các xã",
        max_chars=MAX_SOURCE_CHARS // 2,
    )
    st.caption(
        f"Lưu {format_number(len(placed.values), 0)} giá trị với trạng thái “tính từ số liệu công bố”; nguồn ghi kèm "
        "tên tệp và quy tắc gộp của từng chỉ tiêu."
    )
    cells = placed_cells(placed)
    shown = pd.DataFrame({"gso_code": units["code"], "name_full": units["full_name"]})
    overwrite = conflicts.choice(form, table=lambda c: figures_table(c, shown, cells))
    if st.button("Lưu vào kho số liệu", type="primary", disabled=not origin.strip(), key="old_save") or overwrite:
        try:
            vid = save_placed(
                placed,
                indicators,
                editor=editor,
                origin=origin,
                file=file,
                year=year,
                expected_version=basis,
                overwrite=overwrite,
            )
        except Conflict as exc:
            conflicts.refused(form, exc)
            st.rerun()
        except KtxhError as exc:
            st.error(md_text(str(exc)))
            return
        conflicts.saved(form)
        st.cache_data.clear()
        over = " (lưu đè lên thay đổi của người khác, đã ghi vào lịch sử)" if overwrite else ""
        left = " Các đơn vị không đặt được không được lưu (để trống)." if placed.split or placed.incomplete else ""
        st.success(
            f"Đã lưu phiên bản {vid}: {format_number(len(cells), 0)} giá trị, trạng thái “tính từ số liệu công bố”"
            f"{over}.{left} Bản đồ đã dùng số liệu mới."
        )


def _edition(profile) -> str:
    return profile.drill_down.get("edition") or profile.reform_edition or profile.default_edition


@st.cache_data(show_spinner=False, max_entries=8)
def _placed(profile_id: str, digest: str, data: bytes, name: str, year: int, province: str | None):
    return place(read_table(data, name), ui.indicators(), year, province)
