"""Thematic map page: pick an indicator, year, edition and layers; search a commune."""

import streamlit as st
from streamlit_folium import st_folium

from ktxh_geo import ui
from ktxh_geo.classify import SCHEMES
from ktxh_geo.editions import DEFAULT_EDITION, EDITIONS
from ktxh_geo.join import ILLUSTRATIVE_MARK, available_years, has_illustrative
from ktxh_geo.mapview import BASEMAPS, DEFAULT_LAYERS, build_map
from ktxh_geo.projects import CATEGORIES
from ktxh_geo.search import search_communes

ui.page_style()
indicators = {k: v for k, v in ui.indicators().items() if v.map}

with st.sidebar:
    st.header("Bản đồ chuyên đề")
    ind_id = st.selectbox(
        "Chỉ tiêu",
        list(indicators),
        index=list(indicators).index("model_villages"),
        format_func=lambda k: indicators[k].name,
    )
    ind = indicators[ind_id]
    edition = st.selectbox(
        "Đơn vị hành chính",
        list(EDITIONS),
        index=list(EDITIONS).index(DEFAULT_EDITION),
        format_func=lambda e: EDITIONS[e].label,
    )
    illustrative = st.toggle(
        f"Hiện {ILLUSTRATIVE_MARK.lower()}",
        value=False,
        help="Bộ số liệu cấp xã minh họa (không chính thức), khớp số liệu toàn huyện của kế hoạch.",
    )
    years = available_years(ui.values(True), ind_id) or [2023]
    year = st.selectbox("Năm", years, index=len(years) - 1)
    scheme, k, breaks = None, 5, None
    if not ind.is_categorical:
        options = list(SCHEMES)
        scheme = st.selectbox(
            "Phân loại",
            options,
            index=options.index(ind.scheme or "natural_breaks"),
            format_func=SCHEMES.get,
        )
        if scheme == "user":
            text = st.text_input(
                "Ngưỡng (cách nhau bởi dấu chấm phẩy)",
                value="; ".join(f"{b:g}".replace(".", ",") for b in ind.breaks),
            )
            try:
                breaks = tuple(sorted(float(t.strip().replace(",", ".")) for t in text.split(";") if t.strip()))
            except ValueError:
                st.error("Ngưỡng phải là các số, ví dụ: 1,5; 3; 5")
                breaks = ind.breaks
            breaks = breaks or None
        else:
            k = st.slider("Số lớp", 2, 7, 5)
    layers = st.multiselect("Lớp đối tượng", list(CATEGORIES), default=list(DEFAULT_LAYERS), format_func=CATEGORIES.get)
    basemap = st.radio("Bản đồ nền", list(BASEMAPS), format_func=BASEMAPS.get)

communes = ui.communes(edition)
query = st.text_input("Tìm xã, thị trấn", placeholder="ví dụ: dong son, Đông Sơn, Bồ Hạ")
selected = None
if query:
    matches = search_communes(query, communes, ui.units())
    if not matches:
        st.warning(f"Không tìm thấy đơn vị nào khớp với “{query}”.")
    else:
        pick = st.selectbox(
            "Kết quả",
            range(len(matches)),
            format_func=lambda i: (
                matches[i].full_name
                + ("" if matches[i].via in (matches[i].name, matches[i].full_name) else f" (từ “{matches[i].via}”)")
            ),
        )
        selected = matches[pick].code

joined, classification = ui.thematic(ind_id, year, edition, illustrative, scheme, k, breaks)
edition_label = EDITIONS[edition].label
title = f"{ind.name} năm {year} — huyện Yên Thế (đơn vị hành chính {edition_label})"
st.subheader(title)
if has_illustrative(joined):
    st.warning(f"⚠️ {ILLUSTRATIVE_MARK}: giá trị cấp xã trên bản đồ này không phải số liệu chính thức.")
if edition != "2020-2024" and (joined["status"] == "missing").all():
    st.info("Số liệu của kế hoạch năm 2024 được ghi theo 19 đơn vị hành chính 2020–2024.")
if refusal := ui.refusal(ind_id, year, edition, illustrative):
    st.warning(refusal)
if "derived_rule" in joined and joined["derived_rule"].ne("").any():
    st.info("ℹ️ Số liệu gộp theo đơn vị mới: giá trị của các xã cũ được gộp theo quy tắc của chỉ tiêu (xem bảng).")

m = build_map(
    joined,
    classification,
    ui.outline(),
    ui.projects(),
    layers=layers,
    basemap=basemap,
    selected=selected,
    title=title,
)
st_folium(m, height=640, use_container_width=True, returned_objects=[], key=f"map-{edition}")

if selected:
    row = joined[joined["code"] == selected].iloc[0]
    st.markdown(f"**{row['full_name']}** (mã {row['code']}): {row['display']}")
    if row["source"]:
        st.caption(f"Nguồn: {row['source']}. {row['value_note']}")

with st.expander("Bảng số liệu và nguồn"):
    st.dataframe(
        joined[["code", "full_name", "display", "status", "year", "source", "value_note", "derived_rule"]].rename(
            columns={
                "derived_rule": "Quy tắc gộp",
                "code": "Mã",
                "full_name": "Đơn vị",
                "display": "Giá trị",
                "status": "Loại",
                "year": "Năm",
                "source": "Nguồn",
                "value_note": "Ghi chú",
            }
        ),
        hide_index=True,
        width="stretch",
    )
