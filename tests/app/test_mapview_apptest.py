"""The thematic map page with saved objects (AppTest): what the editor saved is drawn."""

from pathlib import Path

from ktxh_geo.io import shipped as load
from ktxh_geo.model.classify import classify
from ktxh_geo.model.join import join_indicator
from ktxh_geo.render.maps import build_map
from ktxh_geo.vocab import signed_in

ROOT_APP = Path(__file__).resolve().parents[2] / "app.py"
ED = signed_in("Kiểm thử", "password")


def test_saved_footprint_and_point_appear_on_the_thematic_map(state, indicators, values, communes):
    """A planner's saved location (register_store) is what the map page draws: exact point, footprint outline."""
    import json as _json

    from shapely.geometry import Point, box
    from streamlit.testing.v1 import AppTest

    from ktxh_geo.io import register as register_store

    register_store.save_location("ccn_tan_soi", Point(106.1701, 21.4452), ED, action="test", input_text="")
    footprint = box(106.2600, 21.4750, 106.2620, 21.4770)
    register_store.save_location("ccn_dong_son", footprint, ED, action="test", input_text="")

    projects = register_store.load_register()
    joined = join_indicator(communes, values, indicators["model_villages"], 2023)
    m = build_map(
        joined, classify(joined, indicators["model_villages"]), load.load_outline(), projects, layers=["cluster"]
    )
    html = m.get_root().render()
    assert "[106.1701,21.4452]" in html  # the exact point (GeoJSON lon, lat), drawn solid
    assert "106.262" in html and '"type":"Polygon"' in html  # the footprint outline
    assert "Vị trí chính xác" in html

    at = AppTest.from_file(str(ROOT_APP), default_timeout=60)
    at.run()
    at.switch_page("views/ban_do.py")
    at.run()
    comp = [c for c in at.get("component_instance") if c.proto.component_name.endswith("st_folium")][0]
    assert "[106.1701,21.4452]" in _json.loads(comp.proto.json_args)["script"]
