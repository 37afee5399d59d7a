"""The unit search of the map page: a name typed with or without diacritics → one unit to show.

In a district or a province it searches the units on the map (and the names of former units merged into them).
In the national view it searches the whole country — every province and every commune, each named with its
province — and choosing a unit of another province drills into that province and selects the unit.
"""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import pandas as pd
import streamlit as st

from ktxh_geo.model.gazetteer import NameIndex
from ktxh_geo.model.search import name_index, search_communes, unit_at
from ktxh_geo.model.viewstate import ViewState
from ktxh_geo.render.escape import md_text
from ktxh_geo.ui import data as ui
from ktxh_geo.ui.view import W
from ktxh_geo.vocab.profile import Profile, active

_ACTED = "_vs_search_acted"  # the result the search last drilled to (a later manual province choice wins)
_CLICKED = "_vs_map_clicked"  # the map click last followed (the component repeats its last value on reruns)


def search_label(profile: Profile, edition: str) -> str:
    """ "Tìm xã, thị trấn" / "Tìm xã, phường" / (national) "Tìm tỉnh, thành phố hoặc xã, phường, đặc khu"."""
    if profile.drill_down:
        base, drill = profile.editions[profile.base_edition], profile.editions[profile.drill_down["edition"]]
        return f"Tìm {base.unit_words} hoặc {drill.unit_words}"
    return f"Tìm {profile.editions[edition].unit_words}"


@st.cache_resource(show_spinner=False, max_entries=16)
def _country(profile_id: str) -> tuple[pd.DataFrame, NameIndex]:
    """Every province and every commune of a national profile, with the province of each (built once)."""
    profile = active()
    key = profile.drill_down["key"]
    provinces = ui.communes(profile.base_edition)[["code", "name", "full_name"]]
    communes = ui.communes(profile.drill_down["edition"])
    table = pd.concat(
        [
            provinces.assign(province="", province_code=provinces["code"]),
            communes[["code", "name", "full_name", "province"]].assign(province_code=communes[key]),
        ],
        ignore_index=True,
    )
    return table, name_index(table)


@st.cache_resource(show_spinner=False, max_entries=64)
def _local(profile_id: str, edition: str, where: tuple[tuple[str, str], ...]) -> tuple[pd.DataFrame, NameIndex]:
    communes = ui.communes(edition, where)
    return communes, name_index(communes, ui.units())


def unit_search(state: ViewState, communes: pd.DataFrame) -> str | None:
    """The search box and its results; returns the chosen unit's code if it is on the map (``communes``)."""
    profile = active()
    query = st.text_input(search_label(profile, state.edition), key=W["query"], placeholder=profile.unit_search_hint)
    if not query:
        return None
    national = bool(profile.drill_down)
    where = ((profile.drill_down["key"], state.province),) if state.province else ()
    table, index = _country(profile.id) if national else _local(profile.id, state.edition, where)
    matches = search_communes(query, table, index=index)
    if not matches:
        st.warning(f"Không tìm thấy đơn vị nào khớp với “{md_text(query)}”.")
        return None
    labels = {}
    for m in matches:
        via = "" if m.via in (m.name, m.full_name) else f" (từ “{m.via}”)"
        labels[m.code] = m.full_name + via + (f" — {m.province}" if national and m.province else "")
    if st.session_state.get(W["commune"]) not in labels:
        st.session_state[W["commune"]] = matches[0].code
    chosen = st.selectbox(
        "Kết quả",
        list(labels),
        key=W["commune"],
        format_func=lambda c: labels.get(c, c),
        placeholder="Chọn một kết quả",
    )
    if national:
        target = table.set_index("code").at[chosen, "province_code"]
        if st.session_state.get(_ACTED) != chosen and target != state.province:
            # drill into the unit's province with the unit selected: the URL carries it, the whole page reruns
            st.session_state[_ACTED] = chosen
            commune = chosen if chosen != target else None
            edition = profile.drill_down["edition"]
            drilled = replace(state, province=target, edition=edition, commune=commune, center=None, zoom=None)
            st.query_params.from_dict(drilled.to_params())
            st.rerun()
        st.session_state[_ACTED] = chosen
    return chosen if chosen in set(communes["code"]) else None


def follow_click(value: object, state: ViewState, units: gpd.GeoDataFrame) -> None:
    """A click on the map picks the unit under it, as a link would (the URL carries it; the whole page reruns):
    on the country's provinces it drills into the province; elsewhere it selects the unit (highlight and card)."""
    click = value.get("last_object_clicked") if isinstance(value, dict) else None
    if not click or st.session_state.get(_CLICKED) == click:
        return
    st.session_state[_CLICKED] = click
    code = unit_at(units, float(click["lng"]), float(click["lat"]))
    if code is None or code == state.commune:
        return
    profile = active()
    if profile.drill_down and not state.province:
        picked = replace(state, province=code, edition=profile.drill_down["edition"], commune=None)
    else:
        picked = replace(state, commune=code)
    st.query_params.from_dict(replace(picked, center=None, zoom=None).to_params())
    st.rerun()
