"""Administrative units: the history old unit → 2025-H1 unit → new commune, as a table and a map."""

import streamlit as st
from streamlit_folium import st_folium

from ktxh_geo.model import crosswalk
from ktxh_geo.model.profile import active
from ktxh_geo.render.escape import md_text
from ktxh_geo.render.unit_map import history_map
from ktxh_geo.text import format_number
from ktxh_geo.ui import data as ui

ui.page_style()
st.title("Đơn vị hành chính")
profile = active()
if ui.history_table().empty:  # a locality without unit history of its own (a province, the country)
    st.info(f"{profile.label}: chưa có lịch sử sắp xếp đơn vị hành chính trong dữ liệu của địa phương này.")
    st.stop()
st.markdown(profile.history_note)  # shipped, trusted text of the profile (Markdown), not user data

query = st.text_input("Tìm theo tên hoặc mã đơn vị cũ hay mới", placeholder=profile.history_search_hint)
table = ui.history_table()
selected: list[str] = []
if query.strip():
    chains = crosswalk.successors(query)
    if not chains:
        st.warning(f"Không tìm thấy đơn vị nào của {profile.area_name} (cũ) khớp với “{md_text(query)}”.")
    else:
        found = crosswalk.lookup(query)
        st.success(
            "Tìm thấy: "
            + "; ".join(md_text(f"{v.full_name} (mã {v.code}, {v.period})") for v in found)
            + f" — gồm {len(chains)} đơn vị 2020–2024."
        )
        selected = [c.old.code for c in chains]
        table = table[table["old_code"].isin(selected)]

st.subheader("Từ đơn vị cũ đến xã mới")
st.dataframe(
    table.rename(
        columns={
            "old_code": "Mã 2020–2024",
            "old_name": "Đơn vị 2020–2024",
            "old_period": "Thời gian tồn tại",
            "h1_code": "Mã 01/01–30/6/2025",
            "h1_name": "Đơn vị 01/01–30/6/2025",
            "h1_period": "Thời gian (2025)",
            "h1_basis": "Căn cứ (01/01/2025)",
            "new_code": "Mã xã mới",
            "new_name": "Xã mới",
            "new_from": "Từ ngày",
            "new_basis": "Căn cứ (01/7/2025)",
            "nq1658_item": "Mục NQ 1658",
        }
    ),
    hide_index=True,
    width="stretch",
)

new = ui.communes("2025")
st.subheader("5 xã mới (từ 01/7/2025)")
st.dataframe(
    new.assign(
        area=[format_number(a, 2) for a in new["area_km2_published"]],
        pop=[format_number(p, 0) for p in new["population"]],
    )[["code", "full_name", "nq1658_item", "formed_from_2020_2024_units", "area", "pop", "admin_centre_stated"]].rename(
        columns={
            "code": "Mã",
            "full_name": "Xã mới",
            "nq1658_item": "Mục NQ 1658",
            "formed_from_2020_2024_units": "Gồm các đơn vị 2020–2024",
            "area": "Diện tích (km²)",
            "pop": "Dân số (người)",
            "admin_centre_stated": "Trụ sở",
        }
    ),
    hide_index=True,
    width="stretch",
)
# The raw field names the scraped file (kept in geo/SOURCES.md); users get the publisher and the date.
st.caption(
    "Diện tích, dân số: trang sapnhap.bando.com.vn (thông tin các xã, phường sau sắp xếp), dữ liệu lấy ngày "
    "17/7/2025; trang không ghi năm của số liệu."
)

st.subheader("Bản đồ")
m = history_map(ui.communes(active().base_edition), new, selected)
st_folium(m, height=620, use_container_width=True, returned_objects=[], key="units-map")
