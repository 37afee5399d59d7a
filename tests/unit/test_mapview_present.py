"""build_map options of issue 3: presentation mode, explicit centre/zoom, URL sync; drawn geometry."""

import json

import shapely
from shapely.geometry import shape

from ktxh_geo.io import shipped as load
from ktxh_geo.model.classify import classify
from ktxh_geo.model.join import join_indicator
from ktxh_geo.render.geometry import DRAW_TOLERANCE_M
from ktxh_geo.render.maps import build_map, feature_collection, map_js


def _html(indicators, values, communes, **kw) -> str:
    ind = indicators["model_villages"]
    joined = join_indicator(communes, values, ind, 2023)
    m = build_map(joined, classify(joined, ind), load.load_outline(), load.load_projects(), title="T", **kw)
    return m.get_root().render()


def test_default_map_is_unchanged_by_presentation_options(indicators, values, communes):
    html = _html(indicators, values, communes)
    assert "ktxh-present" not in html and "ktxh.urlSync(" not in html and "ktxh.keyForward(" not in html
    assert "ktxh.fitClear(" in html and '"zoomAnimation": false' not in html
    assert '"keyboard": false' not in html and '"parentSel"' not in html


def test_presentation_enlarges_legend_labels_and_title(indicators, values, communes):
    html = _html(indicators, values, communes, presentation=True)
    assert '"ktxh-legend ktxh-present"' in html and '"ktxh-title ktxh-present"' in html
    assert '"cls":"ktxh-label ktxh-present"' in html and html.count("[21.") >= 19
    assert ".ktxh-present.ktxh-legend" in html and "font-size: 22px" in html
    assert "ktxh.keyForward(" in html  # a clicker's keys pressed on the map reach the app page
    js = map_js()
    assert "'PageDown'" in js and "'ArrowRight'" in js and "'Escape'" in js
    assert '"keyboard": false' in html  # arrows never pan
    assert ".st-key-ktxh_slidebar" in html  # the slide bar counts as an overlay when fitting


def test_center_and_zoom_replace_fitting(indicators, values, communes):
    m = _map(indicators, values, communes, center=(21.55, 106.1), zoom=13.5, sync_url=True)
    (spec,) = _calls(m, "restyle")
    assert spec["view"] == [21.55, 106.1, 13.5] and "fit" not in spec  # the restyle sets the view, never fits
    assert _calls(m, "urlSync")
    js = map_js()
    assert "history.replaceState" in js and "'moveend'" in js and "K.touched = true" in js


def test_drawn_geometry_stays_within_tolerance(communes):
    fc = feature_collection(communes, [{"code": c} for c in communes["code"]])
    assert [f["properties"]["code"] for f in fc["features"]] == list(communes["code"])
    for feature, original in zip(fc["features"], communes.geometry, strict=True):
        drawn = shape(feature["geometry"])
        assert drawn.is_valid
        assert shapely.hausdorff_distance(drawn, original) < DRAW_TOLERANCE_M * 1.5e-5  # degrees, generous
    json.dumps(fc)  # plain JSON types only


def _calls(m, helper):
    from ktxh_geo.render.maps import Call

    return [json.loads(c.spec) for c in m._children.values() if isinstance(c, Call) and c.helper == helper]


def _map(indicators, values, communes, **kw):
    ind = indicators["model_villages"]
    joined = join_indicator(communes, values, ind, 2023)
    return build_map(joined, classify(joined, ind), load.load_outline(), load.load_projects(), title="T", **kw)


def test_labels_are_placed_largest_first_with_a_switch(indicators, values, communes):
    (spec,) = _calls(_map(indicators, values, communes), "labels")
    assert spec["toggle"] == "Nhãn" and "minZoom" not in spec
    assert len(spec["items"]) == 19 and all(len(it) == 4 and it[3] > 1e6 for it in spec["items"])  # area in m²
    (present,) = _calls(_map(indicators, values, communes, presentation=True), "labels")
    assert "toggle" not in present  # no switch on the projected map


def test_fit_clear_is_last_and_objects_have_a_halo(indicators, values, communes):
    m = _map(indicators, values, communes, presentation=True)
    from ktxh_geo.render.maps import Call

    calls = [c for c in m._children.values() if isinstance(c, Call)]
    assert calls[-1].helper == "restyle" and calls[-2].helper == "fitClear"  # the restyle adds controls, refits
    assert "if (M.fitter) M.fitter.refit();" in map_js()  # after every control, so their sizes are known
    spec = json.loads(calls[-2].spec)
    assert spec["parentSel"].startswith(".st-key-ktxh_slidebar") and spec["bounds"][0][0] < spec["bounds"][1][0]
    objects = [s for s in _calls(m, "geo") if s.get("halo")]
    assert objects and all("id" in f["properties"] for s in objects for f in s["data"]["features"])


def test_fullscreen_button_contrast_and_compact(indicators, values, communes):
    assert _calls(_map(indicators, values, communes), "fullscreen")
    assert not _calls(_map(indicators, values, communes, presentation=True), "fullscreen")
    html = _map(indicators, values, communes, high_contrast=True).get_root().render()
    assert '"ktxh-legend ktxh-contrast"' in html and '"weight":5' in html and ".ktxh-contrast .ktxh-label" in html
    assert '"contrast":true' in html  # the restyle sets class ktxh-contrast on the map (labels)
    html = _map(indicators, values, communes, compact=True).get_root().render()
    assert '"ktxh-legend ktxh-compact"' in html and '"ktxh-title ktxh-compact"' in html
