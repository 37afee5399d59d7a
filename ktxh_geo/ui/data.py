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
    """A cheap key of what users have saved (the store's latest version and the register's edits)."""
    from ktxh_geo.io.register import EDITS_FILE
    from ktxh_geo.io.store import latest_version, store_path
    from ktxh_geo.settings import state_dir

    edits = state_dir() / EDITS_FILE
    stamp = edits.stat().st_mtime_ns if edits.exists() else 0
    return f"{store_path()}#{latest_version()}#{stamp}"


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


def communes(edition: str | None = None) -> gpd.GeoDataFrame:
    return _communes(active().id, edition or active().default_edition)


@st.cache_data(show_spinner=False)
def _communes(profile_id: str, edition: str) -> gpd.GeoDataFrame:
    return load.load_communes(edition)


def geometry_url(edition: str | None = None) -> str:
    """URL of the edition's display geometry as a static file (written once; rewritten if it went missing)."""
    from ktxh_geo.settings import STATIC_DIR

    key = (active().id, edition or active().default_edition)
    url = _geometry_url(*key)
    if not (STATIC_DIR / url.removeprefix("/app/static/")).exists():
        _geometry_url.clear()
        url = _geometry_url(*key)
    return url


@st.cache_data(show_spinner=False)
def _geometry_url(profile_id: str, edition: str) -> str:
    from ktxh_geo.render.geometry import publish

    return publish(f"{profile_id}-{edition}", communes(edition), metric_crs=active().metric_crs)


def outline() -> gpd.GeoDataFrame:
    return _outline(active().id)


@st.cache_data(show_spinner=False)
def _outline(profile_id: str) -> gpd.GeoDataFrame:
    return load.load_outline()


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
    return build(request, indicators(), values(request.illustrative), communes(edition))


def page_style() -> None:
    """Larger base font for projectors; keep Streamlit's own chrome minimal."""
    st.markdown(
        "<style>.block-container{padding-top:2.2rem;} footer{visibility:hidden;}</style>",
        unsafe_allow_html=True,
    )
