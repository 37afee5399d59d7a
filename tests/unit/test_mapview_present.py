"""build_map options of issue 3: presentation mode, explicit centre/zoom, URL sync; drawn geometry."""

import json

import shapely
from shapely.geometry import shape

from ktxh_geo.io import shipped as load
from ktxh_geo.model.classify import classify
from ktxh_geo.model.join import join_indicator
from ktxh_geo.render.geometry import DRAW_TOLERANCE_M
from ktxh_geo.render.maps import build_map, feature_collection


def _html(indicators, values, communes, **kw) -> str:
    ind = indicators["model_villages"]
    joined = join_indicator(communes, values, ind, 2023)
    m = build_map(joined, classify(joined, ind), load.load_outline(), load.load_projects(), title="T", **kw)
    return m.get_root().render()


def test_default_map_is_unchanged_by_presentation_options(indicators, values, communes):
    html = _html(indicators, values, communes)
    assert "ktxh-present" not in html and "moveend" not in html and "PageDown" not in html
    assert "fitBounds" in html and '"zoomAnimation": false' not in html


def test_presentation_enlarges_legend_labels_and_title(indicators, values, communes):
    html = _html(indicators, values, communes, presentation=True)
    assert '"ktxh-legend ktxh-present"' in html and '"ktxh-title ktxh-present"' in html
    assert '"cls":"ktxh-label ktxh-present"' in html and html.count("[21.") >= 19
    assert ".ktxh-present.ktxh-legend" in html and "font-size: 22px" in html
    assert "PageDown" in html  # a clicker's keys pressed on the map reach the app page


def test_center_and_zoom_replace_fitting(indicators, values, communes):
    html = _html(indicators, values, communes, center=(21.55, 106.1), zoom=13.5, sync_url=True)
    assert "fitBounds" not in html
    assert "[21.55, 106.1]" in html and '"zoom": 13.5' in html
    assert "history.replaceState" in html and "moveend" in html


def test_drawn_geometry_stays_within_tolerance(communes):
    fc = feature_collection(communes, [{"code": c} for c in communes["code"]])
    assert [f["properties"]["code"] for f in fc["features"]] == list(communes["code"])
    for feature, original in zip(fc["features"], communes.geometry, strict=True):
        drawn = shape(feature["geometry"])
        assert drawn.is_valid
        assert shapely.hausdorff_distance(drawn, original) < DRAW_TOLERANCE_M * 1.5e-5  # degrees, generous
    json.dumps(fc)  # plain JSON types only
