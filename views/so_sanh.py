"""Compare two thematic maps side by side (synchronised pan and zoom): editions, indicators or years.

Laid out for a projector: the choices are in the sidebar, the page holds one heading line, one caption line and
the two maps, whose height follows the window (both maps fully visible at 1280×720 and 1366×768).
"""

import streamlit as st
from streamlit_folium import st_folium

from ktxh_geo.model.join import ILLUSTRATIVE_MARK
from ktxh_geo.model.thematic import MapRequest, years
from ktxh_geo.render.compare import SyncedMaps
from ktxh_geo.render.escape import md_text
from ktxh_geo.render.maps import build_map
from ktxh_geo.ui import data as ui
from ktxh_geo.vocab.editions import EDITIONS
from ktxh_geo.vocab.profile import active

# The map iframe fills the window below the heading; inside it, both maps fill the iframe.
FIT_CSS = """
<style>
.block-container, [data-testid="stMainBlockContainer"] { padding-top: 1.2rem !important; padding-bottom: 0 !important; }
.st-key-cmp_map iframe[title*="streamlit_folium"] { height: max(340px, calc(100vh - 156px)) !important; }
</style>
"""
MAP_HEIGHT = 460  # before the CSS above applies (and the height of the map's own page)

ui.page_style()
st.markdown(FIT_CSS, unsafe_allow_html=True)
indicators = {k: v for k, v in ui.indicators().items() if v.map}
st.subheader("So sánh hai bản đồ", anchor=False)
st.caption(
    "Kéo hoặc thu phóng một bản đồ thì bản đồ kia đi theo. Chọn chỉ tiêu, đơn vị hành chính và năm của mỗi bên "
    "ở thanh bên."
)
_profile = active()
with st.sidebar:
    st.header("So sánh hai bản đồ")
    _province = ui.province_selector("cmp_province")  # the country: its provinces, or one province's communes
if _profile.drill_down:
    EDITION_CHOICES = [_profile.drill_down["edition"] if _province else _profile.base_edition]
else:
    EDITION_CHOICES = list(EDITIONS)
WHERE = ((_profile.drill_down["key"], _province),) if _province else ()
_other = next((k for k in indicators if k != _profile.default_indicator), _profile.default_indicator)
DEFAULTS = {  # the same indicator on the first and the last edition, or (one edition) two indicators
    "left": (_profile.default_indicator, EDITION_CHOICES[0]),
    "right": (_profile.default_indicator if len(EDITION_CHOICES) > 1 else _other, EDITION_CHOICES[-1]),
}


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
        placeholder="Chọn chỉ tiêu",
    )
    c1, c2 = st.columns([3, 2])
    if st.session_state.get(f"cmp_{side}_edition", default_ed) not in EDITION_CHOICES:  # another province level
        del st.session_state[f"cmp_{side}_edition"]
    edition = c1.selectbox(
        "Đơn vị hành chính",
        EDITION_CHOICES,
        index=EDITION_CHOICES.index(default_ed),
        format_func=lambda e: EDITIONS[e].label,
        key=f"cmp_{side}_edition",
        placeholder="Chọn đơn vị hành chính",
    )
    options = years(ui.values(True), ind_id, edition) or [_profile.editions[edition].valid_from.year]
    year = c2.selectbox("Năm", options, index=len(options) - 1, key=f"cmp_{side}_year", placeholder="Chọn năm")
    return ind_id, edition, year


sides = []
with st.sidebar:
    illustrative = st.toggle(f"Hiện {ILLUSTRATIVE_MARK.lower()}", value=False, key="cmp_illustrative")
    for side, label in (("left", "Bản đồ bên trái"), ("right", "Bản đồ bên phải")):
        ind_id, edition, year = side_controls(side, label)
        tm = ui.thematic(MapRequest(ind_id, year, edition, illustrative, where=WHERE))
        if tm.refusal:
            st.warning(md_text(tm.refusal))
        if tm.illustrative:
            st.warning(f"⚠️ {ILLUSTRATIVE_MARK}: không phải số liệu chính thức.")
        sources = sorted(set(s for s in tm.joined["source"] if s))
        if sources:
            st.caption("Nguồn: " + md_text("; ".join(sources)))
        sides.append(tm)
    if any(tm.aggregated for tm in sides):
        base = _profile.editions[_profile.base_edition]
        st.caption(
            f"Số liệu ghi theo {base.n_units} đơn vị {md_text(base.short)} được gộp lên đơn vị mới theo quy tắc của "
            "từng chỉ tiêu (xem chú thích trên bản đồ)."
        )

maps = [
    build_map(
        tm.joined,
        tm.classification,
        ui.outline(_province),
        None,
        layers=(),
        title=tm.title,
        geometry_url=ui.geometry_url(tm.edition.id, WHERE),
        compact=True,
        height="100%",
    )
    for tm in sides
]
pair = SyncedMaps(*maps, fill=True)
with st.container(key="cmp_map"):
    st_folium(pair, height=MAP_HEIGHT, use_container_width=True, returned_objects=[], key="compare")
