"""Home: the plan's district indicators, 2023 results beside 2024 targets."""

import streamlit as st

from ktxh_geo import ui
from ktxh_geo.overview import district_table

ui.page_style()
st.title("Kế hoạch phát triển KT-XH năm 2024 — huyện Yên Thế")
st.caption(
    "Nguồn: Dự thảo Kế hoạch phát triển kinh tế - xã hội năm 2024 của UBND huyện Yên Thế "
    "(trình họp UBND huyện tháng 11/2023): mục A (kết quả 2023) và Biểu các chỉ tiêu (kế hoạch 2024)."
)
table = district_table(ui.values(False), ui.indicators())
for group, rows in table.groupby("group", sort=False):
    st.subheader(group)
    st.dataframe(
        rows[["Chỉ tiêu", "ĐVT", "Kết quả 2023", "Kế hoạch 2024", "Nguồn"]],
        hide_index=True,
        width="stretch",
    )
st.page_link("views/ban_do.py", label="Mở bản đồ chuyên đề", icon=":material/map:")
