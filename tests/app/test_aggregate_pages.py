"""Pages showing aggregated values on newer editions (AppTest): the compare page, the refusal warning."""


def _page(path):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "app.py"), default_timeout=60)
    at.run()
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def test_compare_page_builds_a_synced_pair_without_cdn():
    import json

    at = _page("views/so_sanh.py")
    (comp,) = [c for c in at.get("component_instance") if c.proto.component_name.endswith("st_folium")]
    args = json.loads(comp.proto.json_args)
    assert "map_div2" in args["script"] and ".sync(" in args["script"]
    links = args["js_links"] + args["css_links"]
    assert any("leaflet.sync-0.2.4" in link for link in links)
    assert not any(link.startswith("http") for link in links)
    assert "Số liệu gộp theo đơn vị mới" in args["script"]  # right side: 2025 communes, aggregated


def test_map_page_warns_when_aggregation_is_refused():
    at = _page("views/ban_do.py")
    at.sidebar.selectbox(key="v_indicator").set_value("poverty_rate").run()
    at.sidebar.selectbox(key="v_edition").set_value("2025").run()
    at.sidebar.toggle[0].set_value(True).run()
    assert not at.exception
    assert any("Không gộp được chỉ tiêu “Tỷ lệ hộ nghèo”" in w.value for w in at.warning)
