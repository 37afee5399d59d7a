"""AppTest runs for issue 3: URL state of every page, slides, and the plan-targets overview."""

import json
import re
from pathlib import Path

import pytest
from app_pages import app_pages
from streamlit.testing.v1 import AppTest

from ktxh_geo.model.auth import entry_fingerprint, hash_password, signed_in
from ktxh_geo.model.slides import load_deck
from ktxh_geo.ui.auth import ENTRY_KEY, SESSION_KEY

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _open(page: str | None, params: dict[str, str], editor: str | None = None) -> AppTest:
    """Open ``page`` the way a shared link does: the query string is there on the page's first run.

    With ``editor`` the session is signed in as that configured editor (as after the sign-in form).
    """
    at = AppTest.from_file(APP, default_timeout=60)
    if editor:
        editors = {editor: hash_password("mat-khau-dai-1", 1_000)}
        at.secrets["editors"] = editors
        at.session_state[SESSION_KEY] = signed_in(editor, "password")
        at.session_state[ENTRY_KEY] = entry_fingerprint(editor, editors)
    if page:
        at.run()
        at.switch_page(page)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def _map_args(at: AppTest) -> dict:
    comps = [c for c in at.get("component_instance") if c.proto.component_name.endswith("st_folium")]
    assert len(comps) == 1
    args = json.loads(comps[0].proto.json_args)
    # the map's JS: the base map (same text while the units stay) and the restyle evaluated in it (issue 24)
    args["script"] += args.get("feature_group") or ""
    return args


def _widgets(at: AppTest) -> dict:
    sb = at.sidebar
    return {
        "selectboxes": [s.value for s in sb.selectbox if s.key != "v_profile"],
        "toggles": [t.value for t in sb.toggle],
        "sliders": [s.value for s in sb.slider],
        "layers": list(sb.multiselect[0].value),
        "basemap": sb.radio[0].value,
    }


SHARED = {
    "indicator": "poverty_rate",
    "year": "2023",
    "edition": "2020-2024",
    "layers": "cluster,market",
    "scheme": "quantiles",
    "k": "4",
    "commune": "07261",
    "center": "21.51000,106.12000",
    "zoom": "12.5",
    "illustrative": "1",
    "basemap": "osm",
}


def test_map_link_restores_widgets_map_and_url():
    at = _open("views/ban_do.py", SHARED)
    w = _widgets(at)
    assert w["selectboxes"][:4] == ["poverty_rate", "2020-2024", 2023, "quantiles"]
    assert w["toggles"][0] is True  # illustrative
    assert w["sliders"] == [4]
    assert w["layers"] == ["cluster", "market"]
    assert w["basemap"] == "osm"
    assert at.text_input[0].value == "Tam Hiệp"  # the selected commune is searched and picked
    assert any("(mã 07261)" in m.value for m in at.markdown)
    script = _map_args(at)["script"]
    assert '"view":[21.51,106.12,12.5]' in script  # centre/zoom instead of fitting bounds (the restyle sets it)
    assert "tile.openstreetmap.org" in script and "Số liệu minh họa" in script
    assert dict(at.query_params) == SHARED  # the link survives the run unchanged: round trip
    assert not at.warning.values or all("minh họa" in w for w in at.warning.values)


def test_changing_a_widget_updates_the_url():
    at = _open("views/ban_do.py", {})
    at.sidebar.selectbox(key="v_indicator").set_value("ntm_status").run()
    assert at.query_params["indicator"] == "ntm_status"
    assert "scheme" not in at.query_params  # categorical: no classification parameters
    at.sidebar.radio[0].set_value("osm").run()
    assert at.query_params["basemap"] == "osm"


def test_stale_and_invalid_params_fall_back_with_notices():
    at = _open(
        "views/ban_do.py",
        {
            "indicator": "gdp",
            "year": "1990",
            "edition": "2025",
            "commune": "07243",
            "center": "21.5,106.1",
            "zoom": "99",
            "x": "1",
        },
    )
    notices = " ".join(at.warning.values)
    for fragment in ("indicator=gdp", "year=1990", "commune=07243", "zoom=99", "“x”"):
        assert fragment in notices
    assert _widgets(at)["selectboxes"][:2] == ["model_villages", "2025"]
    codes = set(re.findall(r'"(\d{5})":\[\d+,\[', _map_args(at)["script"]))  # values by code (shapes: static file)
    assert len(codes) == 5


def test_presentation_param_sets_toggle_and_enlarged_map():
    at = _open("views/ban_do.py", {"present": "1"})
    assert _widgets(at)["toggles"] == [False, False, True]  # illustrative, high contrast, presentation
    script = _map_args(at)["script"]
    assert "ktxh-legend ktxh-present" in script
    assert _map_args(_open("views/ban_do.py", {}))["script"].count("ktxh-present") == 0


def test_next_slide_button_shows_the_next_prepared_view():
    deck, error, _ = load_deck()
    assert error is None and len(deck) >= 4
    at = _open("views/ban_do.py", {"present": "1", **deck[0].params, "slide": "0"})
    at.button(key="slide_next").click().run()
    assert not at.exception
    assert at.query_params["slide"] == "1" and at.query_params["present"] == "1"
    assert _widgets(at)["selectboxes"][0] == deck[1].params["indicator"]
    at.button(key="slide_next").click().run().button(key="slide_next").click().run()
    assert _widgets(at)["selectboxes"][0] == "poverty_rate" and _widgets(at)["toggles"][0] is True
    assert at.button(key="slide_next").disabled  # last slide
    at.button(key="slide_prev").click().run()
    assert at.query_params["slide"] == "2"


def test_add_current_view_to_deck(state):
    anonymous = _open("views/ban_do.py", {"indicator": "ntm_criteria"})
    [t for t in anonymous.sidebar.text_input if t.label == "Tên trang mới"][0].set_value("Tiêu chí NTM").run()
    assert [b for b in anonymous.sidebar.button if "Thêm khung nhìn" in b.label][0].disabled  # no editor: no write
    assert load_deck()[0][-1].title != "Tiêu chí NTM"
    at = _open("views/ban_do.py", {"indicator": "ntm_criteria"}, editor="an")
    title_input = [t for t in at.sidebar.text_input if t.label == "Tên trang mới"][0]
    title_input.set_value("Tiêu chí NTM").run()
    [b for b in at.sidebar.button if "Thêm khung nhìn" in b.label][0].click().run()
    saved, error, _ = load_deck()  # the deck in use is now the user deck, stored with everything users write
    assert error is None
    assert saved[-1].title == "Tiêu chí NTM" and saved[-1].params["indicator"] == "ntm_criteria"
    assert any("Đã thêm" in s.value for s in at.sidebar.success)


def test_broken_user_deck_is_reported_and_kept(state, tmp_path):
    (tmp_path / "slides.json").write_text('{"slides": [{"title": ""}]}', encoding="utf-8")
    at = _open("views/ban_do.py", {})
    errors = " ".join(e.value for e in at.sidebar.error).replace("\\", "")  # as rendered (Markdown escapes)
    assert "slides.json" in errors and "trang 1" in errors and "title" in errors
    assert str(tmp_path) not in errors  # no server path
    assert (tmp_path / "slides.json").read_text(encoding="utf-8") == '{"slides": [{"title": ""}]}'


# ---- overview (home) ----


def _rows(at: AppTest) -> dict:
    return {r["Chỉ tiêu"]: r for df in at.dataframe for r in df.value.to_dict("records")}


@pytest.mark.parametrize(
    "name,unit,result_2023,target_2024",
    [
        ("Tỷ lệ hộ nghèo", "%", "2,83", "1,93"),
        ("Tổng huy động vốn đầu tư phát triển toàn xã hội", "tỷ đồng", "2.249,26", "1.350"),
        ("Số xã đạt chuẩn nông thôn mới (xây dựng trong năm)", "xã", "", "2"),
        ("Số thôn đạt chuẩn NTM kiểu mẫu (trong năm)", "thôn", "6", "4"),
        ("Giá trị sản xuất (giá so sánh 2010)", "tỷ đồng", "7.124,8", "7.784"),
        ("Tốc độ tăng trưởng giá trị sản xuất (giá so sánh 2010)", "%", "9,23", "9,2"),
        ("Cơ cấu GTSX: công nghiệp - xây dựng", "%", "33,54", "36,1"),
        ("Cơ cấu GTSX: nông - lâm nghiệp - thủy sản", "%", "43,61", "41,0"),
        ("Số dự án được chấp thuận đầu tư (lũy kế toàn huyện)", "dự án", "55", ""),
        ("Tổng số vốn đăng ký của các dự án được chấp thuận (lũy kế toàn huyện)", "tỷ đồng", "1.783,39", ""),
        ("Tỷ lệ chi ngân sách thường xuyên bố trí cho công nghệ thông tin, chuyển đổi số", "%", "", "≥2"),
        ("Thu ngân sách trên địa bàn", "tỷ đồng", "277,268", "167"),
        ("Độ che phủ của rừng", "%", "", ">40"),
    ],
)
def test_overview_matches_the_plan_table(name, unit, result_2023, target_2024):
    row = _rows(_open(None, {}))[name]
    assert (row["ĐVT"], row["Ước thực hiện 2023"], row["Kế hoạch 2024"]) == (unit, result_2023, target_2024)
    assert row["Nguồn"].startswith("Dự thảo Kế hoạch KT-XH 2024")
    if result_2023:
        assert "ước thực hiện 2023" in row["Nguồn"] or "đến thời điểm lập dự thảo" in row["Nguồn"]


def test_overview_groups_charts_and_map_links():
    at = _open(None, {})
    subheaders = [s.value for s in at.subheader]
    groups = (
        "Kinh tế",
        "Nông nghiệp",
        "Ngân sách",
        "Văn hóa – xã hội",
        "Môi trường",
        "Nông thôn mới",
        "Quốc phòng – an ninh",
    )
    for group in groups:
        assert group in subheaders
    charts = at.get("vega_lite_chart")
    assert len(charts) == 3
    specs = [json.dumps(json.loads(c.proto.spec), ensure_ascii=False) for c in charts]
    for spec, title in zip(specs, ["Giá trị sản xuất theo ngành", "Tỷ lệ hộ nghèo", "Nông thôn mới"], strict=True):
        assert title in spec  # the chart's title (wrapped over lines at projector sizes)
    poverty_data = charts[1].proto.data.data  # Arrow bytes of the chart's table
    assert b"2,83" in poverty_data and b"1,93" in poverty_data
    links = {(p.proto.page, p.proto.query_string) for p in at.get("page_link")}
    assert ("ban-do", "indicator=poverty_rate") in links
    assert ("ban-do", "indicator=model_villages") in links and ("ban-do", "indicator=ntm_status") in links


def test_overview_group_param_round_trip():
    at = _open(None, {"group": "ntm"})
    assert at.selectbox[0].value == "ntm"
    assert [s.value for s in at.subheader] == ["Nông thôn mới"]
    at.selectbox[0].set_value("ngan_sach").run()
    assert at.query_params["group"] == "ngan_sach"
    at = _open(None, {"group": "bogus"})
    assert any("group=bogus" in w.value for w in at.warning)
    assert at.selectbox[0].value == "all"


def test_map_link_from_overview_opens_that_indicator():
    at = _open("views/ban_do.py", {"indicator": "poverty_rate"})
    assert _widgets(at)["selectboxes"][0] == "poverty_rate"
    assert not at.warning.values


@pytest.mark.parametrize("spec", app_pages(), ids=lambda p: p["url_path"])
def test_every_page_survives_stale_and_unknown_params(spec):
    """Old or hand-edited links never raise on any page of the navigation."""
    params = {"indicator": "removed_indicator", "year": "abc", "edition": "1999", "commune": "00000", "zzz": "1"}
    at = _open(None if spec["default"] else spec["path"], params)
    assert not at.exception


def test_empty_user_deck_and_out_of_range_slide_do_not_raise(state, tmp_path):
    (tmp_path / "slides.json").write_text('{"slides": []}', encoding="utf-8")
    at = _open("views/ban_do.py", {"present": "1", "slide": "7"})
    assert at.button(key="slide_next").disabled
    at.button(key="slide_prev").click().run()
    assert not at.exception


def test_high_contrast_theme_is_a_shareable_setting():
    at = _open("views/ban_do.py", {"contrast": "1"})
    assert at.sidebar.toggle(key="v_contrast").value is True
    assert at.query_params["contrast"] == "1"
    script = _map_args(at)["script"]
    assert '"weight":2.4' in script  # thick boundaries (high_contrast in build_map)
    at.sidebar.toggle(key="v_contrast").set_value(False).run()
    assert "contrast" not in at.query_params and '"weight":2.4' not in _map_args(at)["script"]
