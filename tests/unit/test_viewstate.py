"""URL state of the map page: parse/serialise round trips, and bad or stale parameters."""

from dataclasses import replace

import pytest

from ktxh_geo.model.projects import CATEGORIES
from ktxh_geo.model.viewstate import ViewState, shipped_options
from ktxh_geo.render.maps import DEFAULT_LAYERS


@pytest.fixture(scope="module")
def opts():
    return shipped_options()


def test_empty_params_give_defaults_without_notices(opts):
    state, notices = ViewState.from_params({}, opts)
    assert notices == []
    assert state == ViewState.default(opts)
    assert (state.indicator, state.year, state.edition) == ("model_villages", 2023, "2020-2024")
    assert state.layers == DEFAULT_LAYERS and state.scheme == "user" and state.breaks == (0, 1, 2)


FULL = ViewState(
    indicator="poverty_rate",
    year=2023,
    edition="2020-2024",
    layers=("cluster", "market"),
    scheme="quantiles",
    k=4,
    commune="07261",
    center=(21.52475, 106.15876),
    zoom=12.25,
    illustrative=True,
    basemap="osm",
    present=True,
    slide=2,
)


@pytest.mark.parametrize(
    "state",
    [
        FULL,
        replace(FULL, scheme="user", k=5, breaks=(1.5, 3.0, 5.0)),  # k only matters for computed schemes
        replace(FULL, indicator="ntm_status", scheme=None, k=5, layers=(), commune=None, center=None, zoom=None),
        replace(FULL, edition="2025", commune="07264", illustrative=False, present=False, slide=None),
        replace(FULL, edition="2025-h1", layers=tuple(CATEGORIES), basemap="none"),
    ],
)
def test_round_trip(opts, state):
    params = state.to_params()
    assert all(isinstance(v, str) for v in params.values())
    back, notices = ViewState.from_params(params, opts)
    assert notices == []
    assert back == state
    assert back.to_params() == params


def test_query_string_is_readable(opts):
    qs = FULL.query_string()
    assert "layers=cluster,market" in qs and "center=21.52475,106.15876" in qs and "zoom=12.25" in qs


@pytest.mark.parametrize(
    "params,field,expected,fragment",
    [
        ({"indicator": "gdp_per_capita"}, "indicator", "model_villages", "indicator=gdp_per_capita"),
        ({"indicator": "poverty_rate", "year": "1999"}, "year", 2023, "năm có số liệu: 2023"),
        ({"year": "abc"}, "year", 2023, "year=abc"),
        ({"edition": "2030"}, "edition", "2020-2024", "edition=2030"),
        ({"layers": "cluster,ufo"}, "layers", ("cluster",), "ufo"),
        ({"indicator": "poverty_rate", "scheme": "magic"}, "scheme", "natural_breaks", "scheme=magic"),
        ({"indicator": "poverty_rate", "k": "99"}, "k", 5, "số lớp từ 2 đến 7"),
        ({"commune": "99999"}, "commune", None, "commune=99999"),
        ({"edition": "2025", "commune": "07243"}, "commune", None, "bộ đơn vị 2025"),  # stale: merged unit
        ({"center": "0,0", "zoom": "12"}, "center", None, "center=0,0"),
        ({"center": "21.5,106.1", "zoom": "40"}, "zoom", None, "zoom=40"),
        ({"center": "21.5,106.1"}, "zoom", None, "zoom="),
        ({"illustrative": "yes"}, "illustrative", False, "illustrative=yes"),
        ({"basemap": "google"}, "basemap", "none", "basemap=google"),
        ({"present": "2"}, "present", False, "present=2"),
        ({"slide": "-1"}, "slide", None, "slide=-1"),
        ({"utm_source": "x"}, "indicator", "model_villages", "utm_source"),
        ({"indicator": "ntm_status", "k": "3"}, "k", 5, "Bỏ qua “k”"),
        ({"indicator": "poverty_rate", "breaks": "1,2"}, "breaks", None, "Bỏ qua “breaks”"),
        ({"indicator": "poverty_rate", "scheme": "user", "breaks": "a,b"}, "scheme", "natural_breaks", "breaks=a,b"),
    ],
)
def test_bad_params_fall_back_with_a_notice(opts, params, field, expected, fragment):
    state, notices = ViewState.from_params(params, opts)
    assert getattr(state, field) == expected
    assert any(fragment in n for n in notices), notices


def test_list_values_use_the_last_one(opts):
    state, notices = ViewState.from_params({"indicator": ["ntm_status", "poverty_rate"]}, opts)
    assert state.indicator == "poverty_rate" and notices == []


def test_user_breaks_are_sorted_and_deduplicated(opts):
    state, _ = ViewState.from_params({"indicator": "poverty_rate", "scheme": "user", "breaks": "5,1.5,3,3"}, opts)
    assert state.breaks == (1.5, 3.0, 5.0)
