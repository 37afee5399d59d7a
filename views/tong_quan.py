"""Home: the plan's indicators (2023 estimates beside 2024 targets, grouped as the plan groups them) or, for a
locality without a plan of its own (a province, the country), its units by type with population, area and density.

URL state: ``?group=<id>`` shows one group of a plan (kinh_te, nong_nghiep, ngan_sach, xa_hoi, moi_truong, ntm,
quoc_phong); ``?province=<code>`` one province of the country.
"""

import altair as alt
import streamlit as st

from ktxh_geo.model.overview import (
    CHARTS,
    GROUPS,
    MAP_LINKS,
    RESULT_2023,
    TARGET_2024,
    area_figures,
    chart_frame,
    district_table,
    entered_figures,
    province_table,
)
from ktxh_geo.model.plausibility import conflict_caption, sum_conflicts
from ktxh_geo.render.escape import md_text
from ktxh_geo.text import format_number
from ktxh_geo.ui import data as ui
from ktxh_geo.vocab.profile import active

VI_NUMBER = (
    "replace(replace(replace(datum.label, regexp(',', 'g'), '_'), regexp('\\\\.', 'g'), ','), regexp('_', 'g'), '.')"
)


@st.cache_data(show_spinner=False, max_entries=16)
def _table(profile_id: str, version: str):
    """The plan's district figures, 2023 beside 2024 (built once per profile and store version)."""
    return district_table(ui.values(False), ui.indicators())


@st.cache_data(show_spinner=False, max_entries=16)
def _chart(profile_id: str, version: str, index: int) -> tuple:
    """One overview chart as (its table, its vega-lite spec without data), built and validated once by Altair."""
    chart_title, unit, bars = CHARTS[index]
    chart = overview_chart(chart_title, unit, bars)
    spec = chart.to_dict()
    spec.pop("datasets", None)
    spec.pop("data", None)
    return chart.data, spec


@st.cache_data(show_spinner=False, max_entries=64)
def _area(profile_id: str, version: str, province: str | None):
    """Units by type, population, area, density and the entered figures of the area (one province or all)."""
    profile = active()
    edition = profile.drill_down["edition"] if profile.drill_down else profile.default_edition
    where = ((profile.drill_down["key"], province),) if province else ()
    units = ui.communes(edition, where)
    values = ui.values(False)
    figures = area_figures(units, values, edition, ui.indicators())
    provinces = None
    if profile.drill_down and not province:
        base = ui.communes(profile.base_edition)
        provinces = province_table(base, units, values, profile.base_edition)
    codes = set(units["code"]) | (set(ui.communes(profile.base_edition)["code"]) if profile.drill_down else set())
    return figures, provinces, entered_figures(ui.values(False), codes, ui.indicators())


def area_overview(profile) -> None:
    """The overview of a locality without a plan: a province, or the country and any of its provinces."""
    title = st.empty()  # above the province choice, written once the choice is known
    province = ui.province_selector("ov_province")
    title.title(f"{profile.plan_title} — {ui.area_name(province)}")
    figures, provinces, entered = _area(profile.id, ui.store_version(), province)
    edition = profile.editions[profile.drill_down["edition"] if profile.drill_down else profile.default_edition]
    people = format_number(figures.population, 0) or "chưa có"
    metrics = [("Tỉnh, thành phố", str(len(provinces)))] if provinces is not None else []
    metrics += [
        (edition.unit_words.capitalize(), format_number(figures.n_units, 0)),
        (f"Dân số (người; {format_number(figures.n_with_population, 0)} đơn vị có số liệu)", people),
        ("Diện tích (km²)", format_number(figures.area_km2, 2) or "chưa có"),
        ("Mật độ (người/km²)", format_number(figures.density, 0) or "chưa có"),
    ]
    for start in range(0, len(metrics), 3):  # rows of three: wide figures stay whole at 1280 px
        row = metrics[start : start + 3]
        for col, (label, value) in zip(st.columns(3), row, strict=False):
            col.metric(label, value)
    st.subheader(f"{edition.unit_words.capitalize()} theo loại")
    ui.table(figures.by_type, "ov_types", "Loại đơn vị", hide_index=True, width="stretch")
    for note in figures.caveats:
        st.caption(md_text(note))
    scope = province or (profile.area_code if profile.kind == "province" else None)
    conflicts = sum_conflicts(scope)  # the communes' sum against the province's own figure, where they differ > 1 %
    if len(conflicts):
        st.caption(md_text(conflict_caption(conflicts)))
    if figures.sources:
        st.caption("Nguồn: " + md_text("; ".join(figures.sources)))
    if provinces is not None:
        st.subheader("Theo tỉnh, thành phố")
        st.caption("Dân số và diện tích của tỉnh, thành phố theo số liệu công bố của tỉnh (không phải tổng các xã).")
        height = 38 + 35 * len(provinces) + 3  # every row visible: no scrolling inside the table
        ui.table(provinces, "ov_provinces", "Tỉnh, thành phố", hide_index=True, width="stretch", height=height)
    st.subheader("Số liệu đã nhập")
    if entered.empty:
        st.caption("Chưa có số liệu nào được nhập cho các đơn vị này (trang “Nhập số liệu”).")
    else:
        ui.table(entered, "ov_entered", "Chỉ tiêu", hide_index=True, width="stretch")
    st.page_link("views/nhap_lieu.py", label="Nhập số liệu", icon=":material/upload_file:")
    query = {"province": province} if province else {}
    st.page_link("views/ban_do.py", label="Mở bản đồ chuyên đề", icon=":material/map:", query_params=query)


ui.page_style()
profile = active()
indicators = ui.indicators()
table = _table(profile.id, ui.store_version())
if table.empty:  # a locality without a plan of its own (a province, the country)
    area_overview(profile)
    ui.end_page()
st.title(f"{profile.plan_title} — {profile.area_name}")
st.caption(f"Nguồn: {profile.plan_source} {profile.plan_note}".strip())

group_options = ["all", *GROUPS]
wanted = st.query_params.get("group", "all")
if wanted not in group_options:
    st.warning(f"Tham số “group={md_text(wanted)}” không hợp lệ; hiện tất cả các nhóm chỉ tiêu.")
    wanted = "all"
if st.session_state.get("_ov_group_url") != wanted:  # URL changed from outside: it wins over the widget
    st.session_state["ov_group"] = wanted
    st.session_state["_ov_group_url"] = wanted
group = st.selectbox(
    "Nhóm chỉ tiêu",
    group_options,
    key="ov_group",
    format_func=lambda g: "Tất cả các nhóm" if g == "all" else GROUPS[g],
    placeholder="Chọn nhóm chỉ tiêu",
)
if group != wanted:
    st.session_state["_ov_group_url"] = group
    if group == "all":
        del st.query_params["group"]
    else:
        st.query_params["group"] = group


def wrap(text: str, width: int) -> list[str]:
    """Split a title or label into lines of at most ``width`` characters (at spaces); vega-lite draws a list
    of strings as several lines instead of cutting the text with "…"."""
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return [*lines, line] if line else lines


def overview_chart(chart_title: str, unit: str, bars) -> alt.LayerChart:
    """Horizontal grouped bars (2023 estimate, 2024 target) with the plan's figures right of each bar: the labels
    have room whatever the width, category names sit on their own lines, the x scale leaves headroom."""
    frame = chart_frame(table, bars)
    frame["Chỉ tiêu"] = frame["Chỉ tiêu"].map(lambda n: "|".join(wrap(n, 16)))
    names = ["|".join(wrap(b[0], 16)) for b in bars]
    top = float(frame["Giá trị"].max()) if len(frame) else 1.0
    base = alt.Chart(frame, title=alt.Title(wrap(chart_title, 34), subtitle=unit, anchor="start")).encode(
        y=alt.Y(
            "Chỉ tiêu:N",
            title=None,
            sort=names,
            axis=alt.Axis(labelExpr="split(datum.label, '|')", labelLimit=0, labelFontSize=12),
        ),
        yOffset=alt.YOffset("Năm:N", sort=[RESULT_2023, TARGET_2024]),
        x=alt.X(
            "Giá trị:Q",
            title=unit,
            scale=alt.Scale(domain=[0, top * 1.45], nice=False),
            axis=alt.Axis(labelExpr=VI_NUMBER, tickCount=4),
        ),
    )
    bars_layer = base.mark_bar().encode(
        color=alt.Color(
            "Năm:N",
            sort=[RESULT_2023, TARGET_2024],
            scale=alt.Scale(range=["#9ecae1", "#08519c"]),
            legend=alt.Legend(orient="bottom", title=None, labelLimit=0),
        ),
        tooltip=[alt.Tooltip("Năm:N"), alt.Tooltip("Nhãn:N", title="Giá trị")],
    )
    labels = base.mark_text(align="left", dx=4, fontSize=12).encode(text="Nhãn:N")
    return (bars_layer + labels).properties(height=chart_height(bars))


def chart_height(bars) -> int:
    return max(110, 62 * len(bars))


if group == "all":
    st.subheader("Ước thực hiện 2023 và kế hoạch 2024")
    left, right = st.columns(2)
    for i, (col, (_, _, bars)) in enumerate(zip((left, right, right), CHARTS, strict=True)):
        frame, spec = _chart(profile.id, ui.store_version(), i)
        # the whole height given explicitly (+ title, axis and legend): "content" collapsed the discrete y band
        col.vega_lite_chart(frame, spec, width="stretch", height=chart_height(bars) + 150)
    if profile.chart_note:
        st.caption(profile.chart_note)  # shipped, trusted text of the profile (Markdown)

for number, (group_label, rows) in enumerate(table.groupby("group", sort=False)):
    if group != "all" and group_label != GROUPS[group]:
        continue
    st.subheader(group_label)
    ui.table(
        rows[["Chỉ tiêu", "ĐVT", RESULT_2023, TARGET_2024, "Nguồn"]],
        f"ov_group_{number}",
        "Chỉ tiêu",
        hide_index=True,
        width="stretch",
        height=38 + 35 * len(rows) + 3,  # every row visible: no scrolling inside the table
    )
    linked = [(r["Chỉ tiêu"], MAP_LINKS[r["id"]]) for _, r in rows.iterrows() if r["id"] in MAP_LINKS]
    for name, map_id in linked:
        st.page_link(
            "views/ban_do.py",
            label=f"Bản đồ theo xã: {indicators[map_id].name} (từ chỉ tiêu “{name}”)",
            icon=":material/map:",
            query_params={"indicator": map_id},
        )
st.page_link("views/ban_do.py", label="Mở bản đồ chuyên đề", icon=":material/map:")
