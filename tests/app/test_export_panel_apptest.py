"""The "Xuất bản đồ" panel (AppTest, issue 17): a file is made on request; a failure is said in Vietnamese."""

import io
from pathlib import Path

import openpyxl
import pytest
from streamlit.testing.v1 import AppTest

from ktxh_geo.render import export, report
from ktxh_geo.ui import export_panel

APP = str(Path(__file__).resolve().parents[2] / "app.py")


pytestmark = pytest.mark.usefixtures("state")


def _map_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/ban_do.py")
    at.run()
    assert not at.exception, at.exception
    at.radio(key="export_format").set_value("xlsx").run()
    assert not at.get("download_button") or all(b.proto.label.startswith("Tải mẫu") for b in at.get("download_button"))
    return at


def test_a_failed_export_is_said_in_vietnamese(monkeypatch):
    def broken(*_args, **_kwargs):
        raise ValueError("All strings must be XML compatible")  # what openpyxl said for U+FFFE before the fix

    monkeypatch.setattr(export_panel, "download_bytes", broken)
    at = _map_page()
    at.button(key="export_make").click().run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("Không tạo được tệp ") and "lỗi ngoài dự kiến" in errors[0]
    assert "XML compatible" not in errors[0] and "Traceback" not in errors[0]
    assert not [b for b in at.get("download_button") if b.proto.label.startswith("Tải ban-do")]


def test_an_export_refused_for_a_reason_says_the_reason(monkeypatch):
    def refused(*_args, **_kwargs):
        raise export.ExportError("chưa có số liệu cấp xã năm 2019")

    monkeypatch.setattr(export_panel, "download_bytes", refused)
    at = _map_page()
    at.button(key="export_make").click().run()
    assert [e.value for e in at.error][0].endswith("chưa có số liệu cấp xã năm 2019")


def test_the_file_is_made_once_then_downloaded(monkeypatch):
    calls = []
    real = export_panel.download_bytes

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(export_panel, "download_bytes", counting)
    at = _map_page()
    at.button(key="export_make").click().run()
    assert not at.exception and not at.error
    button = next(b for b in at.get("download_button") if b.proto.label.startswith("Tải ban-do"))
    assert button.proto.label.endswith(".xlsx")
    at.run()  # a rerun keeps the file: nothing is made again
    assert calls == ["xlsx"]
    book = openpyxl.load_workbook(io.BytesIO(at.session_state[export_panel.READY]["data"]))
    assert {"Số liệu", "Ghi chú", "Giấy phép"} <= set(book.sheetnames)


def test_map_page_panel_builds_no_file_until_asked(monkeypatch):
    """The panel is on the map page, and page runs never render an export (generated on click only)."""

    def refuse(*args, **kwargs):
        raise AssertionError("export generated during a page run")

    for name in ("render_png", "render_pdf", "render_html", "_write_data"):
        monkeypatch.setattr(export, name, refuse)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("views/ban_do.py")
    at.run()
    assert not at.exception, at.exception
    assert "Xuất bản đồ" in [e.label for e in at.expander]
    fmt = at.radio(key="export_format")
    assert fmt.options[:2] == ["Ảnh PNG (cho Word)", "PDF (in ấn, chữ chọn được)"]
    assert at.selectbox(key="export_dpi").value == 300
    fmt.set_value("pdf").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="export_paper").options == ["A4", "A3"]
    assert not [s for s in at.selectbox if s.key == "export_dpi"]  # resolution is for PNG only


def test_map_page_offers_the_report_and_builds_it_only_on_click(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("report generated during a page run")

    monkeypatch.setattr(report, "render_docx", refuse)
    monkeypatch.setattr(export, "render_png", refuse)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("views/ban_do.py")
    at.run()
    fmt = at.radio(key="export_format")
    assert "Báo cáo (.docx)" in fmt.options
    fmt.set_value("docx").run()
    assert not at.exception, at.exception
    assert any("Tài liệu Word" in c.value for c in at.caption)
    assert not [s for s in at.selectbox if s.key in ("export_paper", "export_dpi")]  # A4 landscape, 300 dpi
