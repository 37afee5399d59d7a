"""Administrative units: where each unit comes from.

A district with a unit history: old unit → interim unit → new commune, as a table and a map. A province or the
country: each unit from 01/7/2025 with the units merged into it and its seat, as published (``?province=`` picks
one province of the country).
"""

import streamlit as st
from streamlit_folium import st_folium

from ktxh_geo.io.shipped import load_origin
from ktxh_geo.model import crosswalk
from ktxh_geo.render.escape import md_text
from ktxh_geo.render.unit_map import history_map
from ktxh_geo.text import format_number
from ktxh_geo.ui import data as ui
from ktxh_geo.vocab.profile import active

SHOWN_AS_CARDS = 10  # up to this many units found: each as a short card (readable on a phone), then the table


@st.cache_data(show_spinner=False, max_entries=64)
def _origins(profile_id: str, province: str | None):
    """The units from 01/7/2025 of the area (one province or all) with their predecessors and seat."""
    profile = active()
    edition = profile.drill_down["edition"] if profile.drill_down else profile.default_edition
    where = ((profile.drill_down["key"], province),) if province else ()
    return crosswalk.origin_table(ui.communes(edition, where), load_origin())


def origins_page(profile) -> None:
    """A province or the country: predecessors and seat of each unit, searchable by its name or a former one's."""
    province = ui.province_selector("dv_province")
    table = _origins(profile.id, province)
    edition = profile.editions[profile.drill_down["edition"] if profile.drill_down else profile.default_edition]
    area = ui.area_name(province)
    start = edition.valid_from
    st.markdown(
        f"**{format_number(len(table), 0)} {md_text(edition.unit_words)}** của {md_text(area)} (từ "
        f"{start.day:02d}/{start.month}/{start.year}): mỗi đơn vị gồm những đơn vị nào trước sắp xếp và trụ sở ở "
        "đâu, như trang sapnhap.bando.com.vn công bố (dữ liệu lấy ngày 17/7/2025)."
    )
    query = st.text_input(
        "Tìm theo tên hoặc mã đơn vị mới, hay tên một đơn vị cũ đã nhập vào",
        key="dv_query",
        placeholder=profile.unit_search_hint,
    )
    shown = crosswalk.find_origins(table, query) if query.strip() else table
    if query.strip() and shown.empty:
        st.warning(f"Không tìm thấy đơn vị nào của {md_text(area)} khớp với “{md_text(query)}”.")
    elif query.strip() and len(shown) <= SHOWN_AS_CARDS:  # a few units found: each as a card, its texts whole
        one_province = "province" not in shown.columns or shown["province"].nunique() <= 1
        for row in shown.itertuples():
            where = "" if one_province else f", {md_text(row.province)}"
            with st.container(border=True):
                st.markdown(f"**{md_text(row.full_name)}**{where} (mã {md_text(row.code)})")
                st.markdown(f"Gồm: {md_text(row.predecessors) or 'chưa có thông tin'}")
                st.markdown(f"Trụ sở: {md_text(row.seat) or 'chưa có thông tin (trang nguồn ghi “đang cập nhật”)'}")
    else:
        one_province = "province" not in table.columns or table["province"].nunique() <= 1
        headers = {
            k: v
            for k, v in crosswalk.ORIGIN_HEADERS.items()
            if k in shown.columns and not (k == "province" and one_province)
        }
        shown = shown[list(headers)].rename(columns=headers)
        ui.table(shown, "dv_origins", "Đơn vị", max_cards=120, hide_index=True, width="stretch")
    st.caption(
        "Nguồn: sapnhap.bando.com.vn (Cục Đo đạc, Bản đồ và Thông tin địa lý Việt Nam), dữ liệu lấy ngày 17/7/2025 "
        "qua vietnamadminunits (© 2025 Tran Ngoc Minh Hieu, giấy phép MIT). Trụ sở và danh sách đơn vị cũ ghi như "
        "trang nguồn; “phần còn lại …” là phần của đơn vị cũ còn lại sau khi một phần nhập vào đơn vị khác."
    )


ui.page_style()
st.title("Đơn vị hành chính")
profile = active()
if ui.history_table().empty:  # a province or the country: no history of its own, the units' origins as published
    if profile.origin_file is None:
        st.info(
            f"{md_text(profile.label)}: chưa có lịch sử sắp xếp đơn vị hành chính trong dữ liệu của địa phương này."
        )
        ui.end_page()
    origins_page(profile)
    ui.end_page()
st.markdown(profile.history_note)  # shipped, trusted text of the profile (Markdown), not user data

base = profile.editions[profile.base_edition]
interim = profile.editions.get(profile.interim_edition, base)
reform = profile.editions[profile.reform_edition]
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
            + f" — gồm {len(chains)} đơn vị {md_text(base.short)}."
        )
        selected = [c.old.code for c in chains]
        table = table[table["old_code"].isin(selected)]

reform_from, interim_from = (f"{d.day:02d}/{d.month}/{d.year}" for d in (reform.valid_from, interim.valid_from))
st.subheader(f"Từ đơn vị {md_text(base.short)} đến {md_text(reform.unit_words)} {md_text(reform.short)}")
st.dataframe(
    table.rename(
        columns={
            "old_code": f"Mã {base.short}",
            "old_name": f"Đơn vị {base.short}",
            "old_period": "Thời gian tồn tại",
            "h1_code": f"Mã {interim.short}",
            "h1_name": f"Đơn vị {interim.short}",
            "h1_period": f"Thời gian ({interim.short})",
            "h1_basis": f"Căn cứ ({interim_from})",
            "new_code": f"Mã {reform.unit_words} mới",
            "new_name": f"{reform.unit_words.capitalize()} mới",
            "new_from": "Từ ngày",
            "new_basis": f"Căn cứ ({reform_from})",
            "nq1658_item": "Mục của nghị quyết",
        }
    ),
    hide_index=True,
    width="stretch",
)

new = ui.communes(profile.reform_edition)
st.subheader(f"{len(new)} {md_text(reform.unit_words)} mới ({md_text(reform.short)})")
st.dataframe(
    new.assign(
        area=[format_number(a, 2) for a in new["area_km2_published"]],
        pop=[format_number(p, 0) for p in new["population"]],
    )[["code", "full_name", "nq1658_item", "formed_from_2020_2024_units", "area", "pop", "admin_centre_stated"]].rename(
        columns={
            "code": "Mã",
            "full_name": f"{reform.unit_words.capitalize()} mới",
            "nq1658_item": "Mục của nghị quyết",
            "formed_from_2020_2024_units": f"Gồm các đơn vị {base.short}",
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
m = history_map(ui.communes(profile.base_edition), new, selected)
st_folium(m, height=620, use_container_width=True, returned_objects=[], key="units-map")
