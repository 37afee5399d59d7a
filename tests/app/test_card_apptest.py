"""The commune card of the map page (issue 23), run with AppTest for each locality and a province of the country."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def _map(params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("views/ban_do.py")
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def _card_text(at: AppTest) -> str:
    return "\n".join(m.value for m in [*at.markdown, *at.caption]).replace("\\", "")  # md_text escapes


@pytest.mark.parametrize(
    "params,expected",
    [
        (
            {"commune": "07285", "indicator": "model_villages"},
            [
                "Xã An Thượng (mã 07285)",
                "Số thôn được công nhận đạt chuẩn NTM kiểu mẫu (công nhận trong năm) (thôn): **3 thôn** · năm 2023",
                "hạng 1/17 xã, thị trấn",
                "Nguồn: Dự thảo Kế hoạch KT-XH 2024, mục A, chú thích 1",
                "Thôn An Châu — Thôn/bản NTM kiểu mẫu",
                "Sau sắp xếp thuộc:** Xã Tam Tiến (mã 07264)",
                "Chỉ tiêu kế hoạch: 1,93 % (năm 2024, chỉ tiêu của huyện Yên Thế)",
            ],
        ),
        (
            {"profile": "bac-ninh-2025", "commune": "07288"},
            [
                "Xã Yên Thế (mã 07288)",
                "Dân số (người): **30.651 người**",
                "hạng 55/99 xã, phường",
                "Gồm các đơn vị trước sắp xếp:** Thị trấn Phồn Xương, Xã Đồng Lạc",
                "Trụ sở:** Trụ sở Đảng ủy, HĐND, UBND thị trấn Phồn Xương (cũ)",
                "Nguồn: Dân số: sapnhap.bando.com.vn",
            ],
        ),
        (
            {"profile": "national-2025", "province": "01", "commune": "00004"},
            [
                "Phường Ba Đình (mã 00004)",
                "Thành phố Hà Nội · đơn vị hành chính",
                "Dân số (người): **65.023 người**",
                "hạng 63/126",
                "Phường Cửa Đông (phần còn lại sau khi sáp nhập vào phường Hoàn Kiếm)",
                "Trụ sở:** Số 2, phố Trúc Bạch, phường Ba Đình",
            ],
        ),
        (
            {"profile": "national-2025", "province": "24"},
            [
                "Tỉnh Bắc Ninh (mã 24)",
                "Dân số (người): **3.619.433 người**",
                "hạng 13/34 tỉnh, thành phố",
                "Gồm các đơn vị trước sắp xếp:** tỉnh Bắc Giang và tỉnh Bắc Ninh",
                "Trụ sở:** Bắc Giang (cũ)",
            ],
        ),
    ],
)
def test_card_shows_values_ranks_sources_and_origin(params, expected):
    at = _map(params)
    text = _card_text(at)
    for line in expected:
        assert line in text, (line, text[:3000])
    assert at.button(key="card_print")


def test_card_prints_one_page_pdf_and_a_word_file():
    at = _map({"profile": "bac-ninh-2025", "commune": "07288"})
    at.button(key="card_print").click().run()
    assert not at.exception, at.exception
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["Tải the-don-vi_07288.pdf", "Tải the-don-vi_07288.docx"]


def test_no_card_without_a_selection():
    at = _map({})
    assert not any("Gồm các đơn vị" in m.value or "hạng " in m.value for m in at.markdown)


def test_atlas_panel_makes_the_meeting_pack():
    at = _map({"indicator": "model_villages"})
    assert at.multiselect(key="atlas_indicators").value == [
        "poverty_rate",
        "ntm_status",
        "ntm_criteria",
        "model_villages",
    ]
    at.radio(key="atlas_format").set_value("docx")
    at.button(key="atlas_make").click().run()
    assert not at.exception, at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "Chưa đưa vào: Tỷ lệ hộ nghèo" in captions  # no figures without the illustrative set: said, not dropped
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Tải tap-ban-do_yen-the-2024.docx" in labels


def test_several_years_stepper_same_classes_and_change_map(tmp_path, monkeypatch):
    """Figures of 2022 entered for Yên Thế's model villages: the year stepper, one legend, the change map."""
    from ktxh_geo.io.store import Cell, save
    from ktxh_geo.vocab import signed_in

    monkeypatch.setenv("KTXH_STATE_DIR", str(tmp_path))
    cells = [Cell("model_villages", c, "2020-2024", 2022, v) for c, v in [("07285", 1.0), ("07246", 6.0)]]
    save(cells, editor=signed_in("kiểm thử", "cli"), source="Báo cáo kiểm thử", action="import", dataset="test")
    at = _map({"indicator": "model_villages", "year": "2023"})
    assert at.sidebar.select_slider(key="v_year").options == ["2022", "2023"]
    legend_2023 = _map_args_legend(at)
    at.sidebar.select_slider(key="v_year").set_value(2022).run()
    assert not at.exception, at.exception
    assert _map_args_legend(at) == legend_2023  # the same classes in both years
    at.sidebar.selectbox(key="v_change_from").set_value(2023).run()
    assert not at.exception, at.exception
    assert any("Thay đổi số thôn" in s.value for s in at.subheader)
    script = _map_text(at)
    assert "màu phân kỳ quanh 0: đỏ giảm, xanh tăng" in script
    assert _map_args_legend(at)[0].startswith("-")  # classes below and above 0
    assert at.button(key="multiples_make")


def _map_args(at: AppTest) -> dict:
    import json

    comps = [c for c in at.get("component_instance") if c.proto.component_name.endswith("st_folium")]
    return json.loads(comps[0].proto.json_args)


def _map_text(at: AppTest) -> str:
    """What the map page sends the map: its base map and the restyle (legend, fills) beside it."""
    args = _map_args(at)
    return args["script"] + (args.get("feature_group") or "")


def _map_args_legend(at: AppTest) -> list[str]:
    import re

    script = _map_text(at).replace("\\u003c", "<").replace("\\u003e", ">").replace('\\"', '"')
    rows = re.findall(r'data-kind="fill"><span[^>]*></span>([^<]*)<', script)
    assert rows
    return rows


@pytest.mark.parametrize("params", [{}, {"profile": "national-2025", "province": "92"}])
def test_import_page_offers_the_old_communes_tab(params):
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("views/nhap_lieu.py")
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    assert [t.label for t in at.tabs][-1] == "Số liệu theo xã cũ"
    assert any("Cần đăng nhập với quyền biên tập (thanh bên) để tải lên" in i.value for i in at.info)
