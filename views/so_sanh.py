"""Compare two thematic maps side by side (synchronised pan and zoom): editions, indicators or years."""

import streamlit as st
from streamlit_folium import st_folium

from ktxh_geo.model.editions import EDITIONS
from ktxh_geo.model.join import ILLUSTRATIVE_MARK
from ktxh_geo.model.thematic import MapRequest, years
from ktxh_geo.render.compare import SyncedMaps
from ktxh_geo.render.escape import md_text
from ktxh_geo.render.maps import build_map
from ktxh_geo.ui import data as ui

ui.page_style()
indicators = {k: v for k, v in ui.indicators().items() if v.map}
st.title("So sánh hai bản đồ")
st.caption(
    "Hai bản đồ đặt cạnh nhau, kéo hoặc thu phóng một bản đồ thì bản đồ kia đi theo. Chọn cùng chỉ tiêu trên hai "
    "đơn vị hành chính, hai chỉ tiêu, hoặc hai năm. Số liệu ghi theo 19 đơn vị 2020–2024 được gộp lên đơn vị mới "
    "theo quy tắc của từng chỉ tiêu."
)
illustrative = st.toggle(f"Hiện {ILLUSTRATIVE_MARK.lower()}", value=False, key="cmp_illustrative")
DEFAULTS = {"left": ("model_villages", "2020-2024"), "right": ("model_villages", "2025")}


def side_controls(side: str, label: str) -> tuple[str, str, int]:
    """Indicator, edition and year of one side."""
    default_ind, default_ed = DEFAULTS[side]
    st.markdown(f"**{label}**")
    ind_id = st.selectbox(
        "Chỉ tiêu",
        list(indicators),
        index=list(indicators).index(default_ind),
        format_func=lambda k: indicators[k].name,
        key=f"cmp_{side}_indicator",
    )
    edition = st.selectbox(
        "Đơn vị hành chính",
        list(EDITIONS),
        index=list(EDITIONS).index(default_ed),
        format_func=lambda e, eds=dict(EDITIONS): eds[e].label,
        key=f"cmp_{side}_edition",
    )
    options = years(ui.values(True), ind_id, edition) or [2023]
    year = st.selectbox("Năm", options, index=len(options) - 1, key=f"cmp_{side}_year")
    return ind_id, edition, year


columns = st.columns(2)
sides = []
for col, side, label in zip(columns, ("left", "right"), ("Bản đồ bên trái", "Bản đồ bên phải"), strict=True):
    with col:
        ind_id, edition, year = side_controls(side, label)
        tm = ui.thematic(MapRequest(ind_id, year, edition, illustrative))
        if tm.refusal:
            st.warning(md_text(tm.refusal))
        if tm.illustrative:
            st.warning(f"⚠️ {ILLUSTRATIVE_MARK}: không phải số liệu chính thức.")
        sides.append(tm)

maps = [
    build_map(
        tm.joined,
        tm.classification,
        ui.outline(),
        None,
        layers=(),
        title=tm.title,
        geometry_url=ui.geometry_url(tm.edition.id),
    )
    for tm in sides
]
st_folium(SyncedMaps(*maps), height=620, use_container_width=True, returned_objects=[], key="compare")
