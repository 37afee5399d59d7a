"""The small Streamlit layer: cached data access per locality profile. Pages stay thin.

Every cached function is keyed by the active profile's id (a session may switch locality) and, for what
users write, by the store's version: a save here, in another session, on another server or by the CLI
changes the version, so the next run reads fresh values.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st

from ktxh_geo.io import shipped as load
from ktxh_geo.model.profile import active
from ktxh_geo.model.thematic import MapRequest, ThematicMap, build


def store_version() -> str:
    """A cheap key of what users have saved (figures, locations, slides): it changes on any write, here, in
    another session, on another app server or by the CLI, so the next rerun reads fresh data."""
    from ktxh_geo.io.store import state_version

    return state_version()


def indicators() -> dict[str, load.Indicator]:
    return _indicators(active().id)


@st.cache_data(show_spinner=False)
def _indicators(profile_id: str) -> dict[str, load.Indicator]:
    return load.load_indicators()


def values(include_illustrative: bool) -> pd.DataFrame:
    """Shipped values plus the figures entered in the app (``io.store``)."""
    return _values(active().id, include_illustrative, store_version())


@st.cache_data(show_spinner=False, max_entries=8)
def _values(profile_id: str, include_illustrative: bool, version: str) -> pd.DataFrame:
    return load.load_values(include_illustrative)


def communes(edition: str | None = None, where: tuple[tuple[str, str], ...] = ()) -> gpd.GeoDataFrame:
    """Units of an edition of the active profile (``where``: a drill-down filter such as one province)."""
    return _communes(active().id, edition or active().default_edition, tuple(where))


@st.cache_data(show_spinner=False, max_entries=64)
def _communes(profile_id: str, edition: str, where: tuple[tuple[str, str], ...]) -> gpd.GeoDataFrame:
    return load.load_communes(edition, where=dict(where))


def geometry_url(edition: str | None = None, where: tuple[tuple[str, str], ...] = ()) -> str:
    """URL of the edition's display geometry as a static file (written once; rewritten if it went missing)."""
    from ktxh_geo.settings import STATIC_DIR

    key = (active().id, edition or active().default_edition, tuple(where))
    url = _geometry_url(*key)
    if not (STATIC_DIR / url.removeprefix("/app/static/")).exists():
        _geometry_url.clear()
        url = _geometry_url(*key)
    return url


@st.cache_data(show_spinner=False, max_entries=64)
def _geometry_url(profile_id: str, edition: str, where: tuple[tuple[str, str], ...]) -> str:
    from ktxh_geo.render.geometry import publish

    name = "-".join([profile_id, edition, *(v for _, v in where)])
    tolerance = 5.0 if active().kind == "district" else 50.0  # province/national layers are generalised at 50 m
    return publish(name, communes(edition, where), tolerance_m=tolerance, metric_crs=active().metric_crs)


def outline() -> gpd.GeoDataFrame:
    return _outline(active().id)


@st.cache_data(show_spinner=False)
def _outline(profile_id: str) -> gpd.GeoDataFrame:
    return load.load_outline()


def overlays() -> list[tuple[str, gpd.GeoDataFrame]]:
    return _overlays(active().id)


@st.cache_data(show_spinner=False)
def _overlays(profile_id: str) -> list[tuple[str, gpd.GeoDataFrame]]:
    return load.load_overlays()


def history_table() -> pd.DataFrame:
    """Old unit → interim unit → new commune, one row per old unit (cached per profile)."""
    return _history_table(active().id)


@st.cache_data(show_spinner=False)
def _history_table(profile_id: str) -> pd.DataFrame:
    from ktxh_geo.model.crosswalk import history_table

    return history_table()


def units() -> pd.DataFrame:
    return _units(active().id)


@st.cache_data(show_spinner=False)
def _units(profile_id: str) -> pd.DataFrame:
    return load.load_units()


def projects() -> gpd.GeoDataFrame:
    """The project register with the planners' saved location edits."""
    return _projects(active().id, store_version())


@st.cache_data(show_spinner=False, max_entries=4)
def _projects(profile_id: str, version: str) -> gpd.GeoDataFrame:
    from ktxh_geo.io.register import load_register

    return load_register()


def thematic(request: MapRequest) -> ThematicMap:
    """The thematic map of one request (cached per profile, request and store version)."""
    return _thematic(active().id, request, store_version())


@st.cache_data(show_spinner=False, max_entries=256)
def _thematic(profile_id: str, request: MapRequest, version: str) -> ThematicMap:
    edition = request.edition or active().default_edition
    return build(request, indicators(), values(request.illustrative), communes(edition, request.where))


def page_style() -> None:
    """Larger base font for projectors; keep Streamlit's own chrome minimal."""
    st.markdown(
        "<style>.block-container{padding-top:2.2rem;} footer{visibility:hidden;}</style>",
        unsafe_allow_html=True,
    )


PROFILE_KEY = "_ktxh_profile"


def choose_profile() -> str | None:
    """Make the session's locality profile active for this run: ``?profile=`` in the URL wins, then the
    session's last choice, then the default. Returns a notice for an unknown id (the default is used)."""
    from ktxh_geo.errors import DataError
    from ktxh_geo.model.profile import DEFAULT_PROFILE, available, set_active

    wanted = st.query_params.get("profile") or st.session_state.get(PROFILE_KEY) or DEFAULT_PROFILE
    notice = None
    if wanted not in available():
        notice = f"Không có địa phương “{wanted}”; dùng “{available()[DEFAULT_PROFILE]}”."
        wanted = DEFAULT_PROFILE
    try:
        set_active(wanted)
    except DataError as err:
        notice, wanted = str(err), DEFAULT_PROFILE
        set_active(wanted)
    if st.session_state.get(PROFILE_KEY) not in (None, wanted):  # another locality: forget the last one's view
        for key in [k for k in st.session_state if str(k).startswith(("v_", "_vs_", "cmp_"))]:
            if key != "v_profile":
                del st.session_state[key]
    st.session_state[PROFILE_KEY] = wanted
    return notice
