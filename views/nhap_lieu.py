"""Entering real figures: Excel templates, checked imports, on-screen edits and the version history."""

import streamlit as st

from ktxh_geo.model.datasets import load_datasets
from ktxh_geo.ui import data as ui
from ktxh_geo.ui import imports as ui_import
from ktxh_geo.ui.auth import editor
from ktxh_geo.ui.oldunits import old_units_section

ui.page_style()
st.title("Nhập số liệu cấp xã")
st.caption(
    "Số liệu nhập ở đây là số liệu chính thức (số liệu đặt từ xã cũ lên đơn vị mới: tính từ số liệu công bố): "
    "thay cho số liệu minh họa của cùng xã và năm trên bản đồ. "
    "Mỗi lần lưu tạo một phiên bản mới (ai, khi nào, nguồn nào), có thể xem lại và khôi phục."
)
signed = editor()  # Editor | None: the signed-in identity recorded with every save
datasets = load_datasets(ui.indicators())
units = ui.units()

tabs = st.tabs(["Tải mẫu Excel", "Nhập từ tệp", "Sửa trực tiếp", "Lịch sử phiên bản", "Số liệu theo xã cũ"])
with tabs[0]:
    ui_import.template_section(datasets, units)
with tabs[1]:
    ui_import.upload_section(signed, datasets, units)
with tabs[2]:
    ui_import.edit_section(signed, datasets, units)
with tabs[3]:
    ui_import.history_section(signed, units)
with tabs[4]:
    old_units_section(signed)
