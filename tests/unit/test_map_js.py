"""The map helpers (static/js/ktxh-map.js) tested in node (``node --test``, no npm package): restyle in place and
tooltip rows, on stubs of the DOM and Leaflet (tests/js/ktxh-map.test.js)."""

import shutil
import subprocess

import pytest

from ktxh_geo.render.maps import MAP_JS, map_js_url
from ktxh_geo.settings import ROOT


def test_map_helpers_pass_their_node_tests():
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is needed for tests/js (Debian package nodejs)")
    done = subprocess.run(
        [node, "--test", str(ROOT / "tests" / "js")], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    written = sum(f.read_text(encoding="utf-8").count("\ntest(") for f in (ROOT / "tests" / "js").glob("*.test.js"))
    assert f"# pass {written}" in done.stdout and "# fail 0" in done.stdout  # every test written ran and passed


def test_map_helpers_url_names_their_content():
    url = map_js_url()
    assert url.startswith("/app/static/js/ktxh-map.js?v=") and len(url.rsplit("=", 1)[1]) == 12
    text = MAP_JS.read_text(encoding="utf-8")
    assert not any(t in text for t in ("{{", "{%", "{#")), "no template syntax in the helpers"
    assert "innerHTML = spec.html" in text and text.count("innerHTML") == 1  # only server-escaped control HTML


def test_restyle_carries_each_text_once_and_expands_back(indicators, values, communes):
    import json

    from ktxh_geo.model.classify import classify
    from ktxh_geo.model.join import join_indicator
    from ktxh_geo.render.maps import compact_props, expand_props, restyle_spec

    ind = indicators["poverty_rate"]
    joined = join_indicator(communes, values, ind, 2023)
    spec = restyle_spec(joined, classify(joined, ind), [], None, [], None)
    assert len(spec["texts"]) == len(set(spec["texts"]))  # each text once
    props = expand_props(spec)
    assert compact_props(props) == {"texts": spec["texts"], "units": spec["units"]}
    first = joined["code"][0]
    assert list(props) == list(joined["code"]) and props[first]["_t"][0] == ["Đơn vị", joined["full_name"][0]]
    sources = {row[1] for p in props.values() for row in p["_t"] if row[0] == "Nguồn"}
    assert json.dumps(spec, ensure_ascii=False).count(json.dumps(next(iter(sources)), ensure_ascii=False)) == 1
    assert sum(t in sources for t in spec["texts"]) == len(sources)  # a shared source travels once


def test_base_map_is_the_same_text_whatever_the_indicator_and_contrast(indicators, values, communes):
    import streamlit_folium

    from ktxh_geo.io import shipped as load
    from ktxh_geo.model.classify import classify
    from ktxh_geo.model.join import join_indicator
    from ktxh_geo.render.maps import map_parts, restyle_group, stable_ids

    texts, groups = [], []
    for ind_id, year, contrast in (("poverty_rate", 2023, False), ("model_villages", 2023, True)):
        ind = indicators[ind_id]
        joined = join_indicator(communes, values, ind, year)
        m, spec = map_parts(
            joined,
            classify(joined, ind),
            load.load_outline(),
            load.load_projects(),
            high_contrast=contrast,
            geometry_url="/app/static/cache/geo/x.geojson",
            outline_url="/app/static/cache/geo/o.geojson",
        )
        stable_ids(m)
        texts.append(streamlit_folium._get_map_string(m))
        groups.append(streamlit_folium._get_feature_group_string(restyle_group(spec), m))
    assert texts[0] == texts[1]  # same frame kept by streamlit-folium: nothing reloaded
    assert groups[0] != groups[1] and "ktxh.restyle(map_div, " in groups[1] and '"contrast":true' in groups[1]
    assert '"url":"/app/static/cache/geo/x.geojson"' in texts[0]  # units and outline by URL, not inline
    assert '"url":"/app/static/cache/geo/o.geojson"' in texts[0] and "MultiPolygon" not in texts[0]
