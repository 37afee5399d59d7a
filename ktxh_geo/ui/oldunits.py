"""The "Số liệu theo xã cũ" tab of the import page: a sheet of the old communes' figures placed on the 2025 units.

A preview for review: the report (merged, split and refused, incomplete, not placed) and the placed figures, with a
CSV download. Nothing is saved: placed figures are computed ("tính từ số liệu công bố"), not the official figures
the other tabs save.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from ktxh_geo.errors import KtxhError
from ktxh_geo.io.uploads import MAX_BYTES, read_table
from ktxh_geo.model.oldunits import place
from ktxh_geo.render.escape import md_text
from ktxh_geo.text import format_number
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
        "mà được liệt kê. Đây là bản xem trước để rà soát; không lưu vào kho số liệu."
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
    try:
        placed = _placed(profile.id, hashlib.sha256(data).hexdigest(), data, upload.name, int(year), province)
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


def _edition(profile) -> str:
    return profile.drill_down.get("edition") or profile.reform_edition or profile.default_edition


@st.cache_data(show_spinner=False, max_entries=8)
def _placed(profile_id: str, digest: str, data: bytes, name: str, year: int, province: str | None):
    return place(read_table(data, name), ui.indicators(), year, province)
