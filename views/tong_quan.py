"""Home: the plan's district indicators, 2023 estimates beside 2024 targets, grouped as the plan groups them.

URL state: ``?group=<id>`` shows one group (kinh_te, nong_nghiep, ngan_sach, xa_hoi, moi_truong, ntm, quoc_phong).
"""

import altair as alt
import streamlit as st

from ktxh_geo.model.overview import CHARTS, GROUPS, MAP_LINKS, RESULT_2023, TARGET_2024, chart_frame, district_table
from ktxh_geo.model.profile import active
from ktxh_geo.render.escape import md_text
from ktxh_geo.ui import data as ui

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


ui.page_style()
profile = active()
st.title(f"{profile.plan_title} — {profile.area_name}")
indicators = ui.indicators()
table = _table(profile.id, ui.store_version())
if table.empty:  # a locality without a plan of its own (a province, the country): its figures are on the map
    st.info(f"{profile.label}: chưa có kế hoạch với các chỉ tiêu chung; số liệu theo đơn vị có trên bản đồ chuyên đề.")
    st.page_link("views/ban_do.py", label="Mở bản đồ chuyên đề", icon=":material/map:")
    st.stop()
st.caption(
    f"Nguồn: {profile.plan_source} Số liệu 2023 là số ước thực hiện hoặc số đến thời điểm lập dự thảo "
    "(tháng 11/2023), chưa phải số liệu cả năm chính thức."
)

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
    st.caption(
        "\\* Năm 2023: số xã đã thẩm tra nông thôn mới (Đông Sơn, Tân Sỏi; kế hoạch không nêu xã đạt chuẩn); "
        "năm 2024: số xã phấn đấu đạt chuẩn. Số 2023 là số ước thực hiện trong dự thảo (tháng 11/2023). "
        "Nhãn cạnh cột: số liệu như kế hoạch ghi."
    )

for group_label, rows in table.groupby("group", sort=False):
    if group != "all" and group_label != GROUPS[group]:
        continue
    st.subheader(group_label)
    st.dataframe(
        rows[["Chỉ tiêu", "ĐVT", RESULT_2023, TARGET_2024, "Nguồn"]],
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
