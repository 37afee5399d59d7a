"""Following the plan through the year: progress against the targets, the communes' reports and their review."""

import streamlit as st

from ktxh_geo.ui import data as ui
from ktxh_geo.ui import progress as up
from ktxh_geo.ui.auth import editor
from ktxh_geo.vocab.profile import active

ui.page_style()
st.title("Tiến độ kế hoạch")
profile = active()
st.caption(
    "Bao nhiêu chỉ tiêu đạt và vượt kế hoạch, đơn vị nào chưa báo cáo: kết quả từng kỳ (6 tháng, 9 tháng, ước cả năm, "
    "cả năm) so với chỉ tiêu, theo cách so sánh văn bản kế hoạch ghi."
)
with st.expander("Đăng nhập để báo cáo, duyệt hoặc giao chỉ tiêu", expanded=False):
    signed = editor()
up.flash()
province = ui.province_selector("td_province")
period = up.period_picker(profile)
TABS = ["Tiến độ", "Báo cáo của đơn vị", "Duyệt báo cáo", "Kỳ báo cáo và chỉ tiêu giao"]
tabs = st.tabs(TABS, key="td_tabs")  # keyed: a rerun (a message shown or gone above) keeps the open tab
ctx = up.context(profile, period, province) if period is not None else None
with tabs[0]:
    if ctx is not None:
        up.progress_section(ctx)
with tabs[1]:
    if ctx is not None:
        up.report_section(ctx, signed)
with tabs[2]:
    if ctx is not None:
        up.review_section(ctx, signed)
with tabs[3]:
    up.setup_section(profile, up.units_of(profile, province), signed)
