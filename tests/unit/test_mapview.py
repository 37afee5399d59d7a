import json
import re

from ktxh_geo.io import shipped as load
from ktxh_geo.model.auth import signed_in
from ktxh_geo.model.classify import classify
from ktxh_geo.model.join import ILLUSTRATIVE_MARK, join_indicator
from ktxh_geo.render.maps import build_map, geojson_codes, legend_html

ED = signed_in("Kiểm thử", "password")


def _map(indicators, values, communes, ind_id="poverty_rate", **kw):
    joined = join_indicator(communes, values, indicators[ind_id], 2023, kw.pop("illustrative", True))
    cls = classify(joined, indicators[ind_id])
    return build_map(joined, cls, load.load_outline(), load.load_projects(), **kw), cls


def test_map_loads_only_local_assets(indicators, values, communes):
    m, _ = _map(indicators, values, communes)
    html = m.get_root().render()
    urls = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert urls and all(u.startswith("/app/static/") for u in urls)
    assert "d3js" not in html and "d3.min" not in html


def _control(html: str, css_class: str) -> str:
    """The HTML of the map's one control of class ``css_class`` (passed to the page as an inert JSON string)."""
    found = re.findall(r'"cls":\s*"' + css_class + r'",\s*"html":\s*("(?:[^"\\]|\\.)*")', html)
    assert len(found) == 1, (css_class, len(found))
    return json.loads(found[0])


LEGEND_ROW = re.compile(
    r'<div class="row" data-kind="(\w+)"><span class="sw [^"]*" style="background-color:([^"]+)"></span>([^<]*)</div>'
)


def test_map_has_19_communes_legend_and_banner(indicators, values, communes):
    m, cls = _map(indicators, values, communes)
    assert sorted(geojson_codes(m)) == sorted(communes["code"])
    html = m.get_root().render()
    legend = _control(html, "ktxh-legend")
    assert legend.startswith(f"<h4>Tỷ lệ hộ nghèo (%) — {ILLUSTRATIVE_MARK}</h4>")
    # the legend's rows are this map's classes, in order, each with its colour: the data's own range (0,83–5,98 %
    # in 2023), then the grey "no data" row
    rows = LEGEND_ROW.findall(legend)
    assert rows[: len(cls.legend)] == [(i.kind, i.color, i.label) for i in cls.legend]
    assert rows[0][2] == "0,83 – 0,95 %" and rows[4][2] == "4,96 – 5,98 %"
    assert rows[5] == ("no_data", "#bdbdbd", "Chưa có số liệu")
    assert _control(html, "ktxh-banner") == f"{ILLUSTRATIVE_MARK} — không phải số liệu chính thức"


def test_no_banner_without_illustrative_values(indicators, communes):
    m, _ = _map(indicators, load.load_values(False), communes, ind_id="model_villages", illustrative=False)
    assert ILLUSTRATIVE_MARK not in m.get_root().render()


def test_layers_drawn_as_approximate(indicators, values, communes):
    m, _ = _map(indicators, values, communes, layers=["cluster"])
    html = m.get_root().render()
    assert "Cụm công nghiệp Đông Sơn" in html and "Cụm công nghiệp Tân Sỏi" in html
    assert "chỉ biết xã" in html  # tooltip says the location is approximate
    assert '"dashArray":"4 3"' in html
    m2, _ = _map(indicators, values, communes, layers=[])
    assert "Cụm công nghiệp Đông Sơn" not in m2.get_root().render()


def test_osm_basemap_only_when_chosen(indicators, values, communes):
    m, _ = _map(indicators, values, communes)
    assert "tile.openstreetmap.org" not in m.get_root().render()
    m, _ = _map(indicators, values, communes, basemap="osm")
    html = m.get_root().render()
    assert "tile.openstreetmap.org" in html and "ktxh.tileNotice(" in html  # its "tileerror" handler: static/js


def test_legend_html_escapes_and_lists_classes(indicators, values, communes):
    joined = join_indicator(communes, values, indicators["poverty_rate"], 2023)
    cls = classify(joined, indicators["poverty_rate"])
    text = legend_html(cls, ["village"], ["<script>x</script>"])
    assert "<script>x" not in text and "&lt;script&gt;" in text
    assert text.count('class="row"') == len(cls.legend) + 1


def test_screen_legend_tells_exact_from_approximate_objects(indicators, values, communes):
    """As the print legend does: an exactly located object is a solid symbol, an approximate one dashed."""
    projects = load.load_projects()
    projects.loc[projects["id"] == "ccn_dong_son", "location_precision"] = "exact"
    joined = join_indicator(communes, values, indicators["model_villages"], 2023)
    text = legend_html(classify(joined, indicators["model_villages"]), ["cluster", "village"], [], projects)
    assert 'class="dot exact"' in text and "Cụm công nghiệp (CCN)</div>" in text  # Đông Sơn, exact
    assert "Cụm công nghiệp (CCN) (vị trí gần đúng)" in text  # Tân Sỏi, approximate
    assert "Thôn/bản NTM kiểu mẫu (vị trí gần đúng)" in text and "Thôn/bản NTM kiểu mẫu</div>" not in text
