"""The small Streamlit layer: cached data access and shared widgets. Pages stay thin."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st

from ktxh_geo.io import shipped as load
from ktxh_geo.model.aggregate import join_for_edition, mark_derived
from ktxh_geo.model.classify import Classification, classify


@st.cache_data(show_spinner=False)
def indicators() -> dict[str, load.Indicator]:
    return load.load_indicators()


def values(include_illustrative: bool) -> pd.DataFrame:
    """Shipped values plus the figures entered in the app (ktxh_geo.store); caches drop on a new version."""
    from ktxh_geo.io.store import latest_version, store_path

    version = f"{store_path()}#{latest_version()}"
    if _store_seen.setdefault("v", version) != version:
        st.cache_data.clear()  # a figure was saved (here, in another session or by the CLI)
        _store_seen["v"] = version
    return _values(include_illustrative, version)


_store_seen: dict[str, str] = {}


@st.cache_data(show_spinner=False)
def _values(include_illustrative: bool, store_version: str) -> pd.DataFrame:
    return load.load_values(include_illustrative)


@st.cache_data(show_spinner=False)
def communes(edition: str) -> gpd.GeoDataFrame:
    return load.load_communes(edition)


def geometry_url(edition: str) -> str:
    """URL of the edition's display geometry as a static file (written once; rewritten if it went missing)."""
    from ktxh_geo.settings import STATIC_DIR

    url = _geometry_url(edition)
    if not (STATIC_DIR / url.removeprefix("/app/static/")).exists():
        _geometry_url.clear()
        url = _geometry_url(edition)
    return url


@st.cache_data(show_spinner=False)
def _geometry_url(edition: str) -> str:
    from ktxh_geo.render.geometry import publish

    return publish(f"communes-{edition}", communes(edition))


@st.cache_data(show_spinner=False)
def outline() -> gpd.GeoDataFrame:
    return load.load_outline()


@st.cache_data(show_spinner=False)
def units() -> pd.DataFrame:
    return load.load_units()


def projects() -> gpd.GeoDataFrame:
    """The project register with the planners' saved location edits (cache keyed on the edits file)."""
    from ktxh_geo.io.register import EDITS_FILE
    from ktxh_geo.settings import state_dir

    edits = state_dir() / EDITS_FILE
    return _projects(edits.stat().st_mtime_ns if edits.exists() else 0)


@st.cache_data(show_spinner=False)
def _projects(edits_stamp: int) -> gpd.GeoDataFrame:
    from ktxh_geo.io.register import load_register

    return load_register()


@st.cache_data(show_spinner=False)
def thematic(
    indicator_id: str,
    year: int,
    edition: str,
    include_illustrative: bool,
    scheme: str | None,
    k: int,
    breaks: tuple[float, ...] | None,
) -> tuple[gpd.GeoDataFrame, Classification]:
    """Joined and classified data for one map state (keyed by plain values, not frames).

    On a newer edition, values recorded on 2020–2024 units are aggregated along the crosswalk (see
    ``aggregate.join_for_edition``; ``refusal`` gives the message when the rule cannot be applied).
    """
    ind = indicators()[indicator_id]
    vals = values(include_illustrative)
    joined, shown, _ = join_for_edition(communes(edition), vals, ind, year, include_illustrative)
    return joined, mark_derived(classify(joined, shown, scheme, k, breaks), joined)


@st.cache_data(show_spinner=False)
def refusal(indicator_id: str, year: int, edition: str, include_illustrative: bool) -> str | None:
    """Why an indicator cannot be shown on ``edition`` by aggregation (Vietnamese), or None."""
    ind = indicators()[indicator_id]
    return join_for_edition(communes(edition), values(include_illustrative), ind, year, include_illustrative)[2]


def page_style() -> None:
    """Larger base font for projectors; keep Streamlit's own chrome minimal."""
    st.markdown(
        "<style>.block-container{padding-top:2.2rem;} footer{visibility:hidden;}</style>",
        unsafe_allow_html=True,
    )
