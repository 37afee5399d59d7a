"""Project map (offline, popup without jQuery), click matching and the accent-insensitive table filter."""

import pytest
from shapely.geometry import Polygon

from ktxh_geo.io import shipped as load
from ktxh_geo.io.register import load_register
from ktxh_geo.model.projects import filter_projects
from ktxh_geo.render.project_map import build_project_map, object_at, selection_bounds


@pytest.fixture(scope="module")
def register(tmp_path_factory):
    return load_register(state=tmp_path_factory.mktemp("st"))


def test_map_is_offline_and_opens_only_the_selected_popup(register, communes):
    html = build_project_map(register, communes, load.load_outline(), selected="cho_bo_ha").get_root().render()
    assert "$(" not in html  # no jQuery: folium.Popup would need it and we ship only Leaflet
    assert "cdn" not in html.lower() and "https://" not in html.replace("https://leafletjs.com", "")
    assert '"open":"cho_bo_ha"' in html and html.count('"_p":') == register.geometry.notna().sum()
    assert "/app/static/vendor/leaflet-1.9.4/leaflet.js" in html


def test_polygon_objects_and_selection_bounds(register, communes):
    square = Polygon([(106.26, 21.47), (106.27, 21.47), (106.27, 21.48), (106.26, 21.48)])
    reg = register.copy()
    reg.loc[reg["id"] == "ccn_dong_son", "geometry"] = square
    html = build_project_map(reg, communes, load.load_outline(), selected="ccn_dong_son").get_root().render()
    assert '"open":"ccn_dong_son"' in html and '"type":"Polygon"' in html
    minx, miny, maxx, maxy = selection_bounds(square, pad_m=700)
    assert minx < 106.26 - 0.005 and maxy > 21.48 + 0.005 and maxx - minx < 0.03


def test_object_at_matches_clicks_within_tolerance(register):
    assert object_at(register, 106.266039, 21.477361) == "ccn_dong_son"
    assert object_at(register, 106.2662, 21.4775) == "ccn_dong_son"  # ~20 m off
    assert object_at(register, 106.0, 21.62) is None  # far from every object


def test_filter_is_accent_insensitive_and_combines_filters(register):
    assert filter_projects(register, "cho bo ha")["id"].tolist() == ["cho_bo_ha"]
    assert filter_projects(register, "Chợ Bố Hạ")["id"].tolist() == ["cho_bo_ha"]
    assert set(filter_projects(register, "duy khanh")["id"]) == {"ccn_dong_son"}  # investor
    assert set(filter_projects(register, categories=["cluster"])["id"]) == {"ccn_dong_son", "ccn_tan_soi"}
    both = filter_projects(register, communes=["07294"], statuses=["planned"])
    assert set(both["id"]) == {"dt292_bo_ha_phon_xuong", "duong_bo_ha_dong_son", "ca_tt_bo_ha", "cho_bo_ha"}
    assert len(filter_projects(register)) == len(register)


def _fit(m):
    import json

    from ktxh_geo.render.maps import Call

    (spec,) = [json.loads(c.spec) for c in m._children.values() if isinstance(c, Call) and c.helper == "fitClear"]
    (s, w), (n, e) = spec["bounds"]
    return s, w, n, e


def test_approximate_objects_fit_their_commune_exact_ones_the_object(register, communes):
    from shapely.geometry import Point

    # ccn_tan_soi is approximate: the view is xã Tân Sỏi (07291), not ~1 km around a guessed point
    s, w, n, e = _fit(build_project_map(register, communes, load.load_outline(), selected="ccn_tan_soi"))
    tan_soi = communes[communes["code"] == "07291"].total_bounds
    assert (w, s, e, n) == pytest.approx(tuple(tan_soi), abs=1e-6)
    reg = register.copy()
    reg.loc[reg["id"] == "ccn_tan_soi", "location_precision"] = "exact"
    reg.loc[reg["id"] == "ccn_tan_soi", "geometry"] = Point(106.1701, 21.4452)
    s, w, n, e = _fit(build_project_map(reg, communes, load.load_outline(), selected="ccn_tan_soi"))
    assert s < 21.4452 < n and n - s < 0.02


def test_legend_and_refused_point(register, communes):
    from shapely.geometry import Point

    m = build_project_map(register, communes, load.load_outline(), refused=Point(106.45, 21.45), refused_note="X")
    html = m.get_root().render()
    assert "Đối tượng của kế hoạch" in html and "Cụm công nghiệp (CCN)" in html and "Vị trí gần đúng" in html
    assert "ktxh-refused" in html and "Điểm bị từ chối (ngoài địa bàn). X" in html
    s, w, n, e = _fit(m)
    assert e > 106.45  # the view includes the refused point
