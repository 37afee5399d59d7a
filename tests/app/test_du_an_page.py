"""AppTest runs of the "Dự án" page: table ↔ map link, editor with preview and history, check panel."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ktxh_geo.io.register import read_history
from ktxh_geo.model.auth import Editor, hash_password
from ktxh_geo.ui import projects as ui_projects

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PASSWORD = "mat-khau-dai-1"
EDITORS = {"Cán bộ A": hash_password(PASSWORD, 1_000)}


@pytest.fixture()
def at(state):
    return _page()


def _page(secrets=None):
    app = AppTest.from_file(APP, default_timeout=60)
    for k, v in (secrets or {}).items():
        app.secrets[k] = v
    app.run()
    app.switch_page("views/du_an.py")
    app.run()
    assert not app.exception, app.exception
    return app


def _map_script(app) -> str:
    comps = [c for c in app.get("component_instance") if c.proto.component_name.endswith("st_folium")]
    assert len(comps) == 1
    return json.loads(comps[0].proto.json_args)["script"]


def _fit_bounds(script: str) -> list[list[float]]:
    """The bounds the map fits clear of its overlays (``ktxh.fitClear``'s spec)."""
    start = script.index('"bounds":', script.index("ktxh.fitClear(")) + len('"bounds":')
    return json.loads(script[start : script.index("]]", start) + 2])


def test_page_lists_register_and_check_panel(at):
    assert at.title[0].value == "Dự án"
    table = at.dataframe[0].value
    assert len(table) == 28 and table.iloc[0]["Mã"] == "ccn_dong_son"
    check = at.dataframe[1].value
    assert len(check) == 28
    assert check.iloc[0]["Lý do"] == "Chưa có vị trí: danh mục không ghi xã và chưa có tọa độ"
    # whole district shown when nothing is selected
    (s, w), (n, e) = _fit_bounds(_map_script(at))
    assert n - s > 0.15 and e - w > 0.2


def test_accent_insensitive_search_and_filters(at):
    at.text_input[0].input("cho bo ha").run()
    assert at.dataframe[0].value["Mã"].tolist() == ["cho_bo_ha"]
    at.text_input[0].input("").run()
    at.multiselect[0].select("tourism").run()
    assert set(at.dataframe[0].value["Mã"]) == {"kdl_xuan_lung_thac_nga", "ban_ven", "dap_ba_mau"}
    at.multiselect[1].select("07249").run()  # Xuân Lương
    assert set(at.dataframe[0].value["Mã"]) == {"kdl_xuan_lung_thac_nga", "ban_ven"}


def test_selecting_a_row_zooms_the_map_and_opens_the_popup(at):
    at.text_input[0].input("cum cong nghiep").run()
    at.session_state["du_an_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    assert at.session_state["du_an_selected"] == "ccn_tan_soi"
    script = _map_script(at)
    (s, w), (n, e) = _fit_bounds(script)
    assert s < 21.444415 < n and w < 106.166337 < e and n - s < 0.1  # approximate: its commune is shown
    assert "Cụm công nghiệp Tân Sỏi" in script and '"open":"ccn_tan_soi"' in script  # its popup opens on load
    assert "Điểm xem trước" not in script  # the editor shows the current point: nothing to preview
    # measure tab: nearest commune boundary and the other objects by distance
    assert any(
        md.value.startswith("Ranh giới xã gần nhất: cách **933 m**, bên kia là **Xã Đồng Tâm**") for md in at.markdown
    )
    distances = [df.value for df in at.dataframe if "Khoảng cách" in df.value.columns][0]
    assert len(distances) == 19 and distances.iloc[0]["Khoảng cách"].endswith((" m", " km"))


def test_clicking_an_object_on_the_map_selects_its_row(at):
    at.session_state["du_an_map_0"] = {"last_object_clicked": {"lat": 21.477361, "lng": 106.266039}}
    at.run()
    assert at.session_state["du_an_selected"] == "ccn_dong_son"
    assert at.session_state["du_an_table"]["selection"]["rows"] == [0]
    (s, w), _ = _fit_bounds(_map_script(at))
    assert s > 21.44 and w > 106.2


def test_edit_with_preview_signed_in_editor_and_history(state):
    at = _page({"editors": EDITORS})
    at.session_state["du_an_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}  # ccn_tan_soi
    at.run()
    at.number_input(key="lon_ccn_tan_soi").set_value(106.1700).run()
    preview = [i.value for i in at.info if i.value.startswith("Điểm sẽ lưu")]
    assert preview and "kinh độ 106,170000," in preview[0] and "thuộc Xã Tân Sỏi" in preview[0]
    assert "Điểm xem trước (chưa lưu)" in _map_script(at) and "[21.444415, 106.17]" in _map_script(at)
    assert not [t for t in at.text_input if t.label.startswith("Người sửa")]  # no typed name any more
    assert at.button(key="edit_save").disabled  # not signed in
    assert any("Cần đăng nhập với quyền biên tập" in c.value for c in at.caption)
    inputs = {t.label: t for t in at.text_input}
    inputs["Tên đăng nhập"].input("Cán bộ A")
    inputs["Mật khẩu"].input(PASSWORD)
    next(b for b in at.button if b.label == "Đăng nhập").click().run()
    assert not at.exception, at.exception
    assert not at.button(key="edit_save").disabled
    at.button(key="edit_save").click().run()
    assert not at.exception
    assert any("Đã lưu vị trí mới" in s.value and "người sửa: Cán bộ A" in s.value for s in at.success)
    hist = read_history(state)
    assert list(hist["who"]) == ["Cán bộ A"] and hist.at[0, "previous_geometry_wkt"] == "POINT (106.166337 21.444415)"
    assert "ccn_tan_soi" not in set(at.dataframe[1].value["Mã"])  # now exact, in its commune
    shown = [df.value for df in at.dataframe if "Người sửa" in df.value.columns][0]
    assert (
        shown.iloc[0]["Thao tác"] == "Đặt điểm" and shown.iloc[0]["Vị trí cũ (WKT)"] == "POINT (106.166337 21.444415)"
    )


def test_vn2000_input_outside_district_is_refused(at):
    at.session_state["du_an_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    at.radio(key="edit_method").set_value("vn2000").run()
    at.text_input(key="y_ccn_tan_soi").set_value("440.000,00").run()  # ~26 km east: Lục Nam
    assert any("nằm ngoài huyện Yên Thế" in e.value for e in at.error)
    assert not [b for b in at.button if b.key == "edit_save"]


def test_map_click_fills_the_editor(at):
    at.session_state["du_an_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}  # ccn_tan_soi
    at.run()
    # a click on empty ground inside xã Tân Sỏi (no object within 250 m): selection stays, point offered
    at.session_state["du_an_map_1"] = {"last_object_clicked": {"lat": 21.452, "lng": 106.158}}
    at.run()
    assert at.session_state["du_an_selected"] == "ccn_tan_soi"
    at.button(key="edit_use_click").click().run()
    assert at.number_input(key="lon_ccn_tan_soi").value == pytest.approx(106.158)
    preview = [i.value for i in at.info if i.value.startswith("Điểm sẽ lưu")]
    assert "vĩ độ 21,452000" in preview[0]


def test_selection_follows_the_object_when_filters_change(at):
    at.text_input[0].input("tan soi").run()
    at.session_state["du_an_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert at.session_state["du_an_selected"] == "ccn_tan_soi"
    at.text_input[0].input("").run()  # full table: ccn_tan_soi is the second row
    assert at.session_state["du_an_table"]["selection"]["rows"] == [1]
    assert at.session_state["du_an_selected"] == "ccn_tan_soi"
    at.text_input[0].input("cho").run()  # filtered out: no row highlighted, the map keeps the object
    assert at.session_state["du_an_table"]["selection"]["rows"] == []
    assert at.session_state["du_an_selected"] == "ccn_tan_soi"


def test_unticking_the_row_returns_to_the_district(at):
    at.session_state["du_an_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert at.session_state["du_an_selected"] == "ccn_dong_son"
    at.session_state["du_an_table"] = {"selection": {"rows": [], "columns": [], "cells": []}}
    at.run()
    assert at.session_state["du_an_selected"] is None
    (s, w), (n, e) = _fit_bounds(_map_script(at))
    assert n - s > 0.15


def test_picking_in_a_tool_selects_the_object_everywhere(at):
    at.selectbox(key="ms_pick_None").select("ban_ven").run()
    assert at.session_state["du_an_selected"] == "ban_ven"
    assert at.dataframe[0].value.iloc[at.session_state["du_an_table"]["selection"]["rows"][0]]["Mã"] == "ban_ven"
    assert at.selectbox(key="edit_pick_ban_ven").value == "ban_ven"
    assert "Du lịch cộng đồng bản Ven" in _map_script(at)


def test_without_editors_saving_is_disabled_and_explained(at):
    at.session_state["du_an_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    at.number_input(key="lon_ccn_tan_soi").set_value(106.1700).run()
    assert any("đang tắt" in i.value for i in at.info)
    assert at.button(key="edit_save").disabled
    assert any("Cần đăng nhập với quyền biên tập" in c.value for c in at.caption)


def test_a_hand_made_editor_in_the_session_cannot_save(state):
    at = _page({"editors": EDITORS})
    at.session_state["ktxh_editor"] = Editor("Cán bộ A", "password")  # not made by auth.signed_in
    at.session_state["du_an_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at.run()
    at.number_input(key="lon_ccn_tan_soi").set_value(106.1700).run()
    assert at.button(key="edit_save").disabled
    assert any(b.label == "Đăng nhập" for b in at.button)
    assert read_history(state).empty


def test_measure_text_is_not_rendered_as_markdown(state, monkeypatch):
    monkeypatch.setattr(ui_projects, "nearest_boundary", lambda *a: (933.0, "**X** [a](javascript:1) <b>"))
    at = _page()
    at.selectbox(key="ms_pick_None").select("ban_ven").run()
    md = [m.value for m in at.markdown if m.value.startswith("Ranh giới xã gần nhất")]
    assert md and "**\\*\\*X\\*\\* \\[a\\]\\(javascript:\u200b1\\) \\<b\\>**" in md[0]
