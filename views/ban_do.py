"""Thematic map page: pick an indicator, year, edition and layers; search a commune; present slides.

The URL always carries the view (ktxh_geo.viewstate), so the address bar is a shareable link.
Panning/zooming never reruns (returned_objects=[]); choosing a commune reruns only the map fragment.
"""

from dataclasses import replace

import streamlit as st
from streamlit_folium import st_folium

from ktxh_geo.model import slides
from ktxh_geo.model.classify import SCHEMES
from ktxh_geo.model.join import ILLUSTRATIVE_MARK, STATUS_LABELS
from ktxh_geo.model.plausibility import conflict_caption, flagged_rows, sum_conflicts
from ktxh_geo.model.projects import CATEGORIES
from ktxh_geo.model.thematic import MapRequest, empty_note, years
from ktxh_geo.model.viewstate import ViewState
from ktxh_geo.render.escape import md_text
from ktxh_geo.render.maps import BASEMAPS, map_parts, restyle_group, stable_ids
from ktxh_geo.ui import auth as ui_auth
from ktxh_geo.ui import data as ui
from ktxh_geo.ui import series as ui_series
from ktxh_geo.ui import slides as ui_slides
from ktxh_geo.ui import view as ui_view
from ktxh_geo.ui.card import card_panel
from ktxh_geo.ui.export_panel import atlas_panel, export_panel
from ktxh_geo.ui.search import follow_click, unit_search
from ktxh_geo.vocab import FLAGGED_MARK
from ktxh_geo.vocab.editions import EDITIONS
from ktxh_geo.vocab.profile import DEFAULT_PROFILE, active

W = ui_view.W
ui.page_style()
opts = ui_view.view_options()
url_state = ui_view.apply_url(opts)
indicators = {k: v for k, v in ui.indicators().items() if v.map}
shown_deck = ui_slides.deck()
deck, deck_error = shown_deck.slides, shown_deck.error


def _go_to_slide(index: int) -> None:
    """Button callback: show slide ``index`` (the URL changes; the next run pushes it into the widgets)."""
    if not deck:  # a user deck with no slides
        return
    index = max(0, min(index, len(deck) - 1))
    present = st.session_state.get(W["present"], False)
    st.query_params.from_dict(slides.slide_params(deck[index], index, present))


def _exit_presentation() -> None:
    st.session_state[W["present"]] = False


def _reset_view() -> None:
    ui_view.clear_view()


def _indicator_defaults() -> None:
    """Switching indicator applies that indicator's own classification (never the previous one's thresholds)."""
    chosen = indicators[st.session_state[W["indicator"]]]
    st.session_state[W["scheme"]] = chosen.scheme or "natural_breaks"
    st.session_state[W["k"]] = 5
    st.session_state[W["breaks"]] = ui_view.breaks_text(chosen.breaks)


profile = active()
with st.sidebar:
    st.header("Bản đồ chuyên đề")
    ind_id = st.selectbox(
        "Chỉ tiêu",
        list(indicators),
        key=W["indicator"],
        format_func=lambda k: indicators[k].name,
        on_change=_indicator_defaults,
    )
    ind = indicators[ind_id]
    province = None
    if profile.drill_down:  # national: the provinces, or one province's communes
        provinces = ui.communes(profile.base_edition)
        names = dict(zip(provinces["code"], provinces["full_name"], strict=True))
        everything = ui.whole_area_label()
        if url_state.province != st.session_state.get("_vs_province_url"):  # a link or slide chose it
            st.session_state["v_province"] = url_state.province or ""
        if st.session_state.get("v_province") not in ("", *names):
            st.session_state["v_province"] = ""
        province = (
            st.selectbox(
                "Tỉnh, thành phố",
                ["", *names],
                key="v_province",
                format_func=lambda c: names.get(c, everything),
            )
            or None
        )
        st.session_state["_vs_province_url"] = province
        edition = profile.drill_down["edition"] if province else profile.base_edition
        st.session_state[W["edition"]] = edition
    else:
        edition = st.selectbox(
            "Đơn vị hành chính",
            list(EDITIONS),
            key=W["edition"],
            format_func=lambda e, eds=dict(EDITIONS): eds[e].label,
        )
    has_illustrative = bool((ui.values(True)["status"] == "illustrative").any())
    illustrative = st.toggle(
        f"Hiện {ILLUSTRATIVE_MARK.lower()}",
        key=W["illustrative"],
        disabled=not has_illustrative,
        help="Bộ số liệu cấp xã minh họa (không chính thức), chỉ để xem cách trình bày khi chưa có số liệu thật."
        if has_illustrative
        else "Địa phương này không có bộ số liệu minh họa.",
    )
    year_options = years(ui.values(True), ind_id, edition) or [profile.editions[edition].valid_from.year]
    if st.session_state.get(W["year"]) not in year_options:
        st.session_state[W["year"]] = year_options[-1]
    if len(year_options) > 1:  # figures of several years: a stepper, the same classes, the change map
        year = st.select_slider("Năm", year_options, key=W["year"])
        over_time = None if ind.is_categorical else ui_series.controls(year_options, year)
    else:
        year, over_time = st.selectbox("Năm", year_options, key=W["year"]), None
    scheme, k, breaks = None, 5, None
    if not ind.is_categorical:
        if st.session_state.get(W["scheme"]) not in SCHEMES:
            st.session_state[W["scheme"]] = ind.scheme or "natural_breaks"
        scheme = st.selectbox("Phân loại", list(SCHEMES), key=W["scheme"], format_func=SCHEMES.get)
        if scheme == "user":
            if not st.session_state.get(W["breaks"]):
                st.session_state[W["breaks"]] = ui_view.breaks_text(ind.breaks)
            text = st.text_input("Ngưỡng (cách nhau bởi dấu chấm phẩy)", key=W["breaks"])
            try:
                breaks = ui_view.parse_breaks(text)
            except ValueError:
                st.error(f"Ngưỡng phải là các số hữu hạn (tối đa {ui_view.MAX_BREAKS} ngưỡng), ví dụ: 1,5; 3; 5")
                breaks = ind.breaks or None
            if not breaks:
                scheme = "natural_breaks"
        else:
            k = st.slider("Số lớp", 2, 7, key=W["k"])
    layers = st.multiselect(
        "Lớp đối tượng", list(CATEGORIES), key=W["layers"], format_func=CATEGORIES.get, placeholder="Chọn lớp đối tượng"
    )
    basemap = st.radio("Bản đồ nền", list(BASEMAPS), key=W["basemap"], format_func=BASEMAPS.get)

    st.divider()
    contrast = st.toggle(
        "Tương phản cao (máy chiếu)",
        key=W["contrast"],
        help="Ranh giới đậm, chữ và chú giải lớn hơn: dễ đọc trên máy chiếu trong phòng sáng.",
    )
    present = st.toggle(
        "Chế độ trình chiếu",
        key=W["present"],
        help="Ẩn thanh bên, bản đồ toàn màn hình, chữ lớn. Phím ←/→ hoặc PageUp/PageDown chuyển trang; Esc để thoát.",
    )
    with st.expander(f"Các trang trình chiếu ({len(deck)})"):
        if deck_error:
            st.error(md_text(deck_error))
        for i, slide in enumerate(deck):
            st.button(f"{i + 1}. {md_text(slide.title)}", key=f"slide_go_{i}", on_click=_go_to_slide, args=(i,))
        slide_editor = ui_auth.current_editor()
        new_slide = ui_slides.add_form(shown_deck, slide_editor)
    if ui_view.current_view()[0] is not None:
        st.button("Xem toàn bản đồ", on_click=_reset_view, help="Bỏ tâm và mức thu phóng đã lưu trong liên kết.")

# Elements that come and go sit in fixed containers: the map below keeps its place in the page (its delta path),
# so Streamlit keeps its frame and a rerun only restyles it.
with st.container():
    if present:
        ui_view.presentation_chrome()
        ui_view.slide_keys()
    for notice in ui_view.notices():
        st.warning(md_text(notice))

slide_index = st.session_state.get("_vs_slide")
with st.container(key="ktxh_slidebar", horizontal=True, vertical_alignment="center"):
    cur = slide_index if slide_index is not None else -1
    st.button("◀ Trước", key="slide_prev", on_click=_go_to_slide, args=(cur - 1,), disabled=cur <= 0)
    if 0 <= cur < len(deck):
        st.markdown(f"**{cur + 1}/{len(deck)}** · {md_text(deck[cur].title)}")
    else:
        st.caption(f"Trình chiếu: {len(deck)} trang")
    st.button("Sau ▶", key="slide_next", on_click=_go_to_slide, args=(cur + 1,), disabled=cur >= len(deck) - 1)
    if present:
        st.button("Thoát trình chiếu", key="present_exit", on_click=_exit_presentation)

where = {profile.drill_down["key"]: province} if province else None
request = MapRequest(ind_id, year, edition, illustrative, scheme, k, breaks, tuple((where or {}).items()))
tm = ui.thematic(request)
if over_time:
    tm = ui_series.over_time(tm, request, *over_time)
joined, classification = tm.joined, tm.classification
# One title (ThematicMap.title): the page heading in normal mode, on the map when presenting, in every export.
map_title = tm.title if present else None
state = ViewState(
    indicator=ind_id,
    year=year,
    edition=edition,
    layers=tuple(layers),
    scheme=scheme,
    k=k,
    breaks=breaks if scheme == "user" else None,
    illustrative=illustrative,
    basemap=basemap,
    present=present,
    contrast=contrast,
    slide=slide_index,
    profile=profile.id if profile.id != DEFAULT_PROFILE else None,
    province=province,
)
if edition != url_state.edition or province != url_state.province:
    ui_view.clear_view()  # new units: fit them, not the centre of the last view
with st.container():  # title and notes: any number of elements, one place in the page
    if not present:
        st.subheader(md_text(tm.title))
    if tm.illustrative:
        st.warning(f"⚠️ {ILLUSTRATIVE_MARK}: giá trị cấp xã trên bản đồ này không phải số liệu chính thức.")
    importable = any(ind_id == c.indicator for d in profile.datasets for c in d.columns)
    if note := empty_note(tm, ui.values(True), importable):  # never an unexplained empty map
        st.info(md_text(note))
    if tm.refusal:
        st.warning(md_text(tm.refusal))
    if tm.aggregated:
        st.info("ℹ️ Số liệu gộp theo đơn vị mới: giá trị của các xã cũ được gộp theo quy tắc của chỉ tiêu (xem bảng).")


@ui.fragment
def map_panel(state: ViewState, title: str | None, joined, classification) -> None:
    """Search, map and the selected commune's value: choosing a commune reruns only this part."""
    where = ((profile.drill_down["key"], state.province),) if state.province else ()
    communes = ui.communes(state.edition, where)
    with st.container():  # the search and its messages: one place, so the map after it keeps its frame
        if not state.present:
            selected = unit_search(state, communes)
        else:
            selected = st.session_state.get(ui_view.COMMUNE)
    if selected != st.session_state.get(ui_view.COMMUNE):
        ui_view.clear_view()  # a newly chosen commune: fit it, not the linked centre
    st.session_state[ui_view.COMMUNE] = selected
    center, zoom = ui_view.current_view()
    ui_view.write_url(replace(state, commune=selected))

    m, restyle = map_parts(
        joined,
        classification,
        ui.outline(state.province),
        ui.projects(),
        layers=list(state.layers),
        basemap=state.basemap,
        selected=selected,
        title=title,
        presentation=state.present,
        high_contrast=state.contrast,
        center=center,
        zoom=zoom,
        sync_url=True,
        geometry_url=ui.geometry_url(state.edition, where),
        overlays=ui.overlays(),
        fixed_labels=ui.map_labels(),
        label_first=profile.label_first,
        outline_url=ui.outline_url(state.province),
        overlay_urls=ui.overlay_urls(),
    )
    stable_ids(m)  # the same base map is the same text: streamlit-folium keeps its frame
    clicks = [] if state.present else ["last_object_clicked"]  # a click picks a unit; pan and zoom never rerun
    height = 1000 if state.present else 640
    # The base map (same text while the units stay) keeps its frame; only the restyle is evaluated in it.
    value = st_folium(
        m,
        height=height,
        use_container_width=True,
        returned_objects=clicks,
        key="map",
        feature_group_to_add=restyle_group(restyle),
    )
    follow_click(value, replace(state, commune=selected), communes)

    if selected and not state.present:  # the commune card: everything known about the selected unit
        card_panel(selected, state.edition, where, state.illustrative, "")
    elif state.province and not state.present:  # a province of the country, chosen: its own card
        card_panel(state.province, profile.base_edition, (), state.illustrative, "")


map_panel(state, map_title, joined, classification)

ui_slides.save(new_slide, slide_editor)

if not present:
    with st.expander("Bảng số liệu và nguồn"):
        st.dataframe(
            joined.assign(status=joined["status"].map(STATUS_LABELS).fillna(joined["status"]))[
                ["code", "full_name", "display", "status", "year", "source", "value_note", "derived_rule"]
            ].rename(
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
    flagged = flagged_rows(joined)
    if len(flagged):
        st.markdown(f"**{FLAGGED_MARK}** — gạch chéo đỏ trên bản đồ; không phải số liệu chính thức:")
        st.dataframe(flagged, hide_index=True, width="stretch", key="flagged_table")
    one = joined["province_code"].unique() if "province_code" in joined else []
    conflicts = sum_conflicts(one[0] if len(one) == 1 else None)
    if len(conflicts):
        st.caption(md_text(conflict_caption(conflicts)))
    export_panel(tm, layers, province)
    atlas_panel(tm, province)
    if over_time:
        ui_series.multiples_panel(request)
