"""The Word report ("Báo cáo (.docx)"), read back with python-docx: title, map image, legend, table, notes, credits."""

import dataclasses
import io
import zipfile
from datetime import date

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm
from PIL import Image

from ktxh_geo.__main__ import main
from ktxh_geo.model import mapcontext
from ktxh_geo.model.aggregate import DERIVED_MARK
from ktxh_geo.model.join import ILLUSTRATIVE_MARK, STATUS_LABELS
from ktxh_geo.render import export, report
from ktxh_geo.render.layout import boundary_credit

DAY = date(2024, 3, 5)
NOTICE_NAMES = ("Marc Choisy", "Thang Le Quoc", "MIT", "Permission is hereby granted")


def _doc(ctx, **kw):
    return Document(io.BytesIO(export.download_bytes("docx", ctx, export_date=DAY, **kw)))


def _text(doc) -> str:
    """Every paragraph and table cell of the body, one per line."""
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        lines += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(lines)


@pytest.fixture(scope="module")
def poverty():
    """All 19 values illustrative."""
    return mapcontext.prepare("poverty_rate", 2023, include_illustrative=True)


@pytest.fixture(scope="module")
def villages():
    """No illustrative values; the two thị trấn are "Không áp dụng"."""
    return mapcontext.prepare("model_villages", 2023, include_illustrative=False)


@pytest.fixture(scope="module")
def poverty_doc(poverty):
    return _doc(poverty)


@pytest.fixture(scope="module")
def villages_doc(villages):
    return _doc(villages)


@pytest.fixture(scope="module")
def merged():
    """The 2025 communes: values summed from the former communes."""
    ctx = mapcontext.prepare("model_villages", 2023, edition="2025", include_illustrative=False)
    return ctx, _doc(ctx)


def test_docx_is_a_format_with_its_label():
    ext, mime, label = export.FORMATS["docx"]
    assert (ext, label) == ("docx", "Báo cáo (.docx)")
    assert mime == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_title_subtitle_and_properties(poverty, poverty_doc):
    paragraphs = poverty_doc.paragraphs
    assert paragraphs[0].style.name == "Title" and paragraphs[0].text == poverty.title
    assert paragraphs[1].style.name == "Subtitle" and paragraphs[1].text == poverty.subtitle
    props = poverty_doc.core_properties
    assert props.title == poverty.title and props.author == "ktxh-geo"


def test_vietnamese_font_for_every_script(poverty_doc):
    for name in ("Normal", "Title", "Heading 1"):
        fonts = poverty_doc.styles[name].element.rPr.find(qn("w:rFonts"))
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            assert fonts.get(qn(attr)) == report.FONT
        assert fonts.get(qn("w:asciiTheme")) is None  # a theme font would win over the named one


def test_table_has_one_row_per_commune_with_value_unit_status_and_source(poverty, poverty_doc):
    """One source for every row: said once above the table (a clerk pastes 19 rows, not 19 copies of it)."""
    (table,) = poverty_doc.tables
    (source,) = poverty.thematic.sources
    assert [c.text for c in table.rows[0].cells] == ["Mã", "Đơn vị", "Giá trị", "Loại số liệu"]
    assert f"Nguồn (mọi dòng có số liệu): {source}." in [p.text for p in poverty_doc.paragraphs]
    assert len(table.rows) == 1 + 19 == 1 + len(poverty.joined)
    row = poverty.joined.iloc[0]
    cells = [c.text for c in table.rows[1].cells]
    assert cells == [row["code"], row["full_name"], row["display"], STATUS_LABELS["illustrative"]]
    assert cells[2].endswith("%")  # the value carries its unit
    assert [r.cells[0].text for r in table.rows[1:]] == list(poverty.joined["code"])
    assert "Chỉ tiêu: Tỷ lệ hộ nghèo; đơn vị tính: %; năm 2023; 19 xã, thị trấn (01/01/2020 – 31/12/2024)." in [
        p.text for p in poverty_doc.paragraphs
    ]


def test_statuses_of_official_inferred_and_not_applicable_rows(villages, villages_doc):
    (table,) = villages_doc.tables
    assert len(table.rows) == 20
    by_code = {r.cells[0].text: [c.text for c in r.cells] for r in table.rows[1:]}
    for row in villages.joined.itertuples():
        assert by_code[row.code][2:] == [row.display, STATUS_LABELS[row.status], row.source]
    shown = {cells[3] for cells in by_code.values()}
    assert {"chính thức", "suy ra từ văn bản", "không áp dụng"} <= shown


def test_illustrative_mark_exactly_when_illustrative_values_are_shown(poverty_doc, villages_doc):
    assert ILLUSTRATIVE_MARK in _text(poverty_doc)
    assert any(p.text.startswith(ILLUSTRATIVE_MARK) for p in poverty_doc.paragraphs)  # the note
    assert ILLUSTRATIVE_MARK not in _text(villages_doc)
    assert ILLUSTRATIVE_MARK.casefold() not in _text(villages_doc).casefold()


def test_legend_classes_listed_as_text(poverty, villages_doc, villages):
    text = _text(villages_doc)
    assert "Chú giải" in text and villages.classification.title in text
    for item in villages.classification.legend:
        assert item.label in text
    assert "Không áp dụng (2 đơn vị)" in text


def test_notes_draft_estimate_and_statuses(villages_doc):
    notes = _text(villages_doc)
    assert "Số liệu năm 2023 gắn với dự thảo kế hoạch" in notes and "số ước thực hiện" in notes
    assert "Loại số liệu: chính thức; suy ra từ văn bản; không áp dụng." in notes
    assert DERIVED_MARK not in notes


def test_credits_and_licence_notice(villages, villages_doc):
    text = _text(villages_doc)
    assert boundary_credit() in text
    for name in NOTICE_NAMES:
        assert name in text
    paragraphs = [p.text for p in villages_doc.paragraphs]
    heading = paragraphs.index("Giấy phép dữ liệu")
    terms = export.licences()
    assert paragraphs[heading + 1 : heading + 1 + len(terms.section())] == terms.section()  # a short Vietnamese part
    quoted = [p for p in villages_doc.paragraphs[heading:] if p.style.name == "Quote"]
    assert quoted and quoted[0].text.startswith("Copyright (c) 2017 Marc Choisy")  # the MIT text, verbatim, quoted
    assert any(p.text.startswith("Permission is hereby granted") for p in quoted)
    assert not [p for p in paragraphs if p.startswith("#")]  # no Markdown
    assert text.count("Ngày xuất: 05/03/2024 · ktxh-geo") == 1 and text.count(boundary_credit()) == 1
    for source in villages.thematic.sources:
        assert source in text


def test_map_image_is_the_300_dpi_layout_and_fits_the_page(poverty_doc):
    (shape,) = poverty_doc.inline_shapes
    rid = shape._inline.graphic.graphicData.pic.blipFill.blip.embed
    blob = poverty_doc.part.related_parts[rid].blob
    with Image.open(io.BytesIO(blob)) as img:
        assert img.format == "PNG"
        assert img.size == (3508, 2480)  # A4 landscape at 300 dpi, as the PNG export
        assert round(img.info["dpi"][0]) == 300
    section = poverty_doc.sections[0]
    text_w = section.page_width - section.left_margin - section.right_margin
    text_h = section.page_height - section.top_margin - section.bottom_margin
    assert 0.95 * text_w <= shape.width <= text_w
    assert shape.height <= text_h
    assert abs(shape.width / shape.height - 3508 / 2480) < 0.01


def test_portrait_map_fits_below_the_title(villages):
    doc = _doc(villages, orientation="portrait", dpi=150)
    (shape,) = doc.inline_shapes
    section = doc.sections[0]
    text_h = section.page_height - section.top_margin - section.bottom_margin
    assert shape.height <= 0.8 * text_h + Cm(0.01)  # room for the title on the first page
    assert shape.width <= section.page_width - section.left_margin - section.right_margin


def test_aggregated_values_get_the_rule_column_and_note(merged):
    ctx, doc = merged
    (table,) = doc.tables
    assert [c.text for c in table.rows[0].cells][-1] == "Quy tắc gộp"
    assert len(table.rows) == 1 + len(ctx.joined) == 6
    assert [r.cells[-1].text for r in table.rows[1:]] == list(ctx.joined["derived_rule"])
    text = _text(doc)
    assert f"{DERIVED_MARK}: giá trị của đơn vị mới được tính từ các đơn vị cũ theo quy tắc tổng" in text
    assert export.ATTRIBUTE_CREDIT in text


def test_data_text_stays_plain_text(villages):
    """Formula-like text and markup in data: literal text runs, no fields."""
    joined = villages.joined.copy()
    joined.loc[joined.index[0], "display"] = '=HYPERLINK("http://x","y")'
    joined.loc[joined.index[1], "source"] = "nguồn <b>&amp;</b> {PAGE}"
    ctx = dataclasses.replace(villages, thematic=dataclasses.replace(villages.thematic, joined=joined))
    data = export.download_bytes("docx", ctx, export_date=DAY)
    doc = Document(io.BytesIO(data))
    rows = doc.tables[0].rows
    assert rows[1].cells[2].text == '=HYPERLINK("http://x","y")'
    assert rows[2].cells[4].text == "nguồn <b>&amp;</b> {PAGE}"
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode("utf-8")
    for field in ("w:fldSimple", "w:instrText", "w:fldChar"):
        assert field not in xml


def test_clean_shows_control_characters_as_escapes():
    assert report.clean("a\x07b\x00c\r\nd\te") == "a\\x07b\\x00c\nd e"  # visible, never dropped silently
    assert report.clean("abc\u202edcba") == "abc\\u202edcba"  # a bidi override cannot reorder what is printed
    assert report.clean(None) == "" and report.clean(float("nan")) == ""
    assert report.clean("=1+1") == "=1+1"  # text, not a formula, in Word


def test_cli_writes_docx(tmp_path, capsys):
    out = tmp_path / "bao-cao.docx"
    assert main(["export", "--indicator", "model_villages", "--format", "docx", "--out", str(out)]) == 0
    assert "đã ghi" in capsys.readouterr().out
    doc = Document(str(out))
    assert len(doc.tables[0].rows) == 20 and len(doc.inline_shapes) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bao-cao.docx"]  # no temporary file left
    assert out.stat().st_mode & 0o777 == 0o644


def test_cli_format_from_the_extension(tmp_path):
    out = tmp_path / "x.docx"
    assert main(["export", "--indicator", "model_villages", "--layers", "none", "--out", str(out)]) == 0
    assert Document(str(out)).paragraphs[0].style.name == "Title"


def test_cli_bad_out_is_one_line_and_exit_2(tmp_path, capsys):
    out = tmp_path / "missing" / "x.docx"
    assert main(["export", "--indicator", "model_villages", "--format", "docx", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lỗi:") and err.count("\n") == 1
    assert not out.parent.exists()
