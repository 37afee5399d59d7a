"""Trust: text from data reaches the maps only as inert data (issue 14, critical class).

folium renders a map's output through Jinja a second time and streamlit-folium renders it again, so a source
such as "QĐ 12 {{ 6*7 }}" used to be evaluated on the server. Every hostile text of tests/hostile.py is put
into every data-bearing place of every map (commune names, values, sources, titles, object names and details,
unit-history names) and must come out exactly as typed, in a form no template engine, HTML parser or script
evaluates.
"""

import re

import pytest
import streamlit_folium
from hostile import EVALUATED, HOSTILE
from shapely.geometry import Point

from ktxh_geo.io import shipped as load
from ktxh_geo.io.register import load_register
from ktxh_geo.model.classify import classify
from ktxh_geo.model.join import join_indicator
from ktxh_geo.render.escape import html_text, md_text, script_json
from ktxh_geo.render.maps import build_map
from ktxh_geo.render.project_map import build_project_map
from ktxh_geo.render.unit_map import history_map


def _inert(output: str) -> None:
    for marker in EVALUATED:
        assert marker not in output
    assert not re.search(r"\{\{|\{%|\{#", output), "template syntax reached the output"
    assert "<script>window" not in output and "<img src=x" not in output and "${window" not in output


def _outputs(m) -> list[str]:
    """Everything a map becomes: the standalone page (rendered twice by folium) and streamlit-folium's script."""
    return [m.get_root().render(), streamlit_folium._get_map_string(m)]


@pytest.fixture(scope="module")
def thematic(indicators, values, communes):
    ind = indicators["poverty_rate"]
    joined = join_indicator(communes, values, ind, 2023)
    return ind, joined


@pytest.mark.parametrize("text", HOSTILE)
def test_thematic_map_keeps_hostile_text_inert(text, thematic):
    ind, joined = thematic
    joined = joined.copy()
    joined.loc[0, "source"] = text
    joined.loc[1, "name"] = text
    joined.loc[2, "display"] = text
    register = load.load_projects()
    register.loc[register["id"] == "ccn_dong_son", "name"] = text
    register.loc[register["id"] == "ccn_dong_son", "investor"] = text
    m = build_map(joined, classify(joined, ind), load.load_outline(), register, layers=["cluster"], title=text)
    for output in _outputs(m):
        _inert(output)
        assert script_json(text)[1:-1] in output  # tooltip rows, labels, object details: exact text as data
        assert script_json(html_text(text))[1:-1] in output  # title and legend: escaped HTML as data


@pytest.mark.parametrize("text", HOSTILE)
def test_project_map_keeps_hostile_text_inert(text, communes, tmp_path_factory):
    register = load_register(state=tmp_path_factory.mktemp("st"))
    register.loc[register["id"] == "cho_bo_ha", ["name", "notes", "investor", "source"]] = text
    register.loc[register["id"] == "cho_bo_ha", "geometry"] = Point(106.16, 21.41)
    m = build_project_map(register, communes, load.load_outline(), selected="cho_bo_ha")
    for output in _outputs(m):
        _inert(output)
        assert script_json(text)[1:-1] in output


@pytest.mark.parametrize("text", HOSTILE[:8])
def test_unit_history_map_keeps_hostile_names_inert(text, communes):
    old = communes.copy()
    old.loc[0, "full_name"] = text
    m = history_map(old, load.load_communes("2025"), [old["code"].iloc[0]])
    for output in _outputs(m):
        _inert(output)
        assert script_json(text)[1:-1] in output


def test_script_json_round_trips_and_never_contains_template_or_tag_syntax():
    import json

    for text in HOSTILE:
        encoded = script_json({"t": text, "n": [1, {"k": text}]})
        assert json.loads(encoded) == {"t": text, "n": [1, {"k": text}]}
        assert not re.search(r"\{\{|\{%|\{#|<|>|&|'", encoded)


def test_md_text_escapes_every_markdown_construct():
    assert md_text("![x](http://evil/a.png)") == "\\!\\[x\\]\\(http://evil/a\\.png\\)"
    assert md_text("**ĐÃ HỦY**") == "\\*\\*ĐÃ HỦY\\*\\*"
    assert "<" not in md_text("<img src=x>").replace("\\<", "")
    assert md_text("a\nb") == "a b"


@pytest.mark.parametrize("text", HOSTILE)
def test_map_page_restyle_keeps_hostile_text_inert(text, thematic):
    """The map page sends the restyle alone (streamlit-folium's feature group, evaluated in the map's frame)."""
    from ktxh_geo.render.maps import map_parts, restyle_group

    ind, joined = thematic
    joined = joined.copy()
    joined.loc[0, "source"] = text
    joined.loc[2, "display"] = text
    m, spec = map_parts(joined, classify(joined, ind), load.load_outline(), title=text, geometry_url="/x.geojson")
    group = streamlit_folium._get_feature_group_string(restyle_group(spec), m)
    _inert(group)
    assert script_json(text)[1:-1] in group and script_json(html_text(text))[1:-1] in group
