"""The Word report of one thematic map ("Báo cáo (.docx)"): map, legend, table of values, notes and credits.

The map is the PNG of the print layout (``export.render_png``: same classes, colours, legend, scale bar and
footer as the PNG/PDF exports), inserted at the page's text width. Every data text goes into the document as
a plain text run (python-docx escapes it as XML text): no fields, no formulas, nothing Word would evaluate.
"""

from __future__ import annotations

import io
import re
from datetime import date, datetime

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt, RGBColor

from ktxh_geo.io.licences import Licences
from ktxh_geo.model.aggregate import DERIVED_MARK, RULE_LABELS
from ktxh_geo.model.join import ILLUSTRATIVE_MARK, STATUS_LABELS
from ktxh_geo.model.mapcontext import MapContext
from ktxh_geo.model.plausibility import flagged_rows
from ktxh_geo.render.layout import source_line
from ktxh_geo.text import format_date_vn, printable
from ktxh_geo.vocab import FLAGGED_MARK

FONT = "Times New Roman"  # the usual font of Vietnamese administrative documents; covers every Vietnamese letter
PAGE_W, PAGE_H, MARGIN = Cm(21.0), Cm(29.7), Cm(2.0)  # A4 portrait
TEXT_W = PAGE_W - 2 * MARGIN
TEXT_H = PAGE_H - 2 * MARGIN
MAP_MAX_H = int(TEXT_H * 0.8)  # room for the title above a portrait map
SOFTWARE = "ktxh-geo"
HEADERS = ["Mã", "Đơn vị", "Giá trị", "Loại số liệu", "Nguồn"]
RULE_HEADER = "Quy tắc gộp"
DRAFT_WORDS = ("dự thảo", "ước thực hiện")


def clean(text) -> str:
    """Data as plain document text: ``None`` → ""; line breaks kept, tabs become spaces; other
    control and bidi characters shown escaped ("\\x1b", "\\u202e"), as in every other output — never dropped
    silently, never able to reorder or hide what is printed."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    lines = str(text).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(printable(line.replace("\t", " ")) for line in lines)


def _set_font(style, name: str = FONT, size: float | None = None) -> None:
    """Font of a style for every script (Latin, East-Asian, complex), overriding the template's theme fonts."""
    style.font.name = name
    if size:
        style.font.size = Pt(size)
    rpr = style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)


def _set_language(style, lang: str = "vi-VN") -> None:
    rpr = style.element.get_or_add_rPr()
    el = rpr.find(qn("w:lang"))
    if el is None:
        el = OxmlElement("w:lang")
        rpr.append(el)
    el.set(qn("w:val"), lang)


def _new_document(ctx: MapContext, export_date: date):
    return new_document(ctx.title, ctx.subtitle, export_date)


def new_document(title: str, subtitle: str, export_date: date):
    """An A4 portrait document in the house style (Times New Roman, Vietnamese), its properties set."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = PAGE_W, PAGE_H
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = MARGIN
    styles = doc.styles
    _set_font(styles["Normal"], size=12)
    _set_language(styles["Normal"])
    for name in ("Title", "Subtitle", "Heading 1", "Heading 2", "Caption", "List Bullet", "Table Grid", "Quote"):
        if name in [s.name for s in styles]:
            _set_font(styles[name])
    _set_font(styles["Title"], size=18)
    _set_font(styles["Subtitle"], size=12)
    _set_font(styles["Heading 1"], size=14)
    props = doc.core_properties
    props.title = clean(title)
    props.subject = clean(subtitle)
    props.author = props.last_modified_by = SOFTWARE
    props.comments = f"Xuất bằng {SOFTWARE} ngày {format_date_vn(export_date)}"
    props.keywords = ""
    stamp = datetime(export_date.year, export_date.month, export_date.day)
    props.created = props.modified = stamp
    props.revision = 1
    return doc


def _para(doc, text: str, style: str | None = None, bold: bool = False, size: float | None = None, color=None):
    p = doc.add_paragraph(style=style)
    if size:
        p.paragraph_format.space_after = Pt(size * 0.25)
    run = p.add_run(clean(text))
    run.bold = bold or None
    if size:
        run.font.size = Pt(size)
    if color:
        run.font.color.rgb = RGBColor.from_string(color)
    return p


def _cell(cell, text: str, bold: bool = False, size: float = 9.5) -> None:
    """One table cell: plain text in one run (no fields, no formulas)."""
    p = cell.paragraphs[0]
    run = p.add_run(clean(text))
    run.font.size = Pt(size)
    run.bold = bold or None


def _repeat_header(row) -> None:
    """Repeat the header row at the top of every page the table runs onto."""
    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


# The document helpers, for other one-page documents (the commune card): one house style.
para, cell_text, repeat_header = _para, _cell, _repeat_header


def map_width(size_px: tuple[int, int]) -> Emu:
    """Displayed width of the map image: the text width, or less so a portrait map fits below the title."""
    w, h = size_px
    return Emu(min(int(TEXT_W), int(MAP_MAX_H * w / h)))


def rules(ctx: MapContext) -> list[str]:
    """Labels of the aggregation rules used for the values shown (e.g. ["tổng"])."""
    derived = [r for r in ctx.joined["derived_rule"].fillna("") if r]
    return sorted({label for label in RULE_LABELS.values() if any(r.startswith(label) for r in derived)})


def draft_estimate(ctx: MapContext) -> bool:
    """The sources say the figures come from a draft plan, for a year before the plan's year (so estimates)."""
    text = " ".join(ctx.thematic.sources).casefold()
    if not any(word in text for word in DRAFT_WORDS):
        return False
    years = re.findall(r"\b(?:19|20)\d\d\b", ctx.thematic.profile.plan_title or "")
    return not years or ctx.year < int(years[-1])


def notes(ctx: MapContext) -> list[str]:
    """The notes printed under the table (illustrative values, aggregation, draft estimates, statuses)."""
    out = []
    if ctx.thematic.illustrative:
        n = int((ctx.joined["status"] == "illustrative").sum())
        out.append(
            f"{ILLUSTRATIVE_MARK}: {n} giá trị trong bảng và trên bản đồ có loại số liệu “{ILLUSTRATIVE_MARK}” — "
            "không phải số liệu chính thức, chỉ dùng để minh họa cách trình bày."
        )
    if ctx.thematic.aggregated:
        out.append(
            f"{DERIVED_MARK}: giá trị của đơn vị mới được tính từ các đơn vị cũ theo quy tắc "
            f"{', '.join(rules(ctx))}; cột “{RULE_HEADER}” ghi cách tính của từng đơn vị."
        )
    if draft_estimate(ctx):
        out.append(
            f"Số liệu năm {ctx.year} gắn với dự thảo kế hoạch (xem cột Nguồn): số năm {ctx.year} của dự thảo là "
            "số ước thực hiện tại thời điểm lập dự thảo, chưa phải số liệu chính thức cả năm."
        )
    for row in flagged_rows(ctx.joined).itertuples(index=False):
        out.append(f"{FLAGGED_MARK} — {row[1]} ({row[0]}), {row[2]}: {row[3]}.")
    shown = [s for s in STATUS_LABELS if s in set(ctx.joined["status"])]
    out.append("Loại số liệu: " + "; ".join(STATUS_LABELS[s] for s in shown) + ".")
    return out


def render_docx(
    ctx: MapContext, png: bytes, credit_lines: list[str], terms: Licences, export_date: date | None = None
) -> bytes:
    """The report as .docx bytes: ``png`` is the print layout's map (``export.render_png``), ``credit_lines`` and
    ``terms`` the sources and licences every export carries (``export.credits``, ``export.licences``)."""
    from PIL import Image

    export_date = export_date or date.today()
    day = format_date_vn(export_date)
    doc = _new_document(ctx, export_date)
    _para(doc, ctx.title, "Title")
    if ctx.subtitle:
        _para(doc, ctx.subtitle, "Subtitle")

    with Image.open(io.BytesIO(png)) as img:
        size = img.size
    picture = doc.add_paragraph()
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.add_run().add_picture(io.BytesIO(png), width=map_width(size))

    doc.add_heading("Chú giải", level=1)
    _para(doc, ctx.classification.title, bold=True)
    counts: dict[str, int] = {}
    for label in ctx.classification.class_labels:
        counts[label] = counts.get(label, 0) + 1
    for item in ctx.classification.legend:
        n = counts.get(item.label, 0)
        _para(doc, f"{item.label} ({n} đơn vị)" if n else item.label, "List Bullet")

    doc.add_heading("Bảng số liệu", level=1)
    unit = f"; đơn vị tính: {ctx.shown.unit}" if ctx.shown.unit else ""
    _para(doc, f"Chỉ tiêu: {ctx.shown.name}{unit}; năm {ctx.year}; {ctx.thematic.units_text}.")
    aggregated = ctx.thematic.aggregated
    one_source = len(ctx.thematic.sources) <= 1  # said once above the table rather than on every row
    if one_source and ctx.thematic.sources:
        _para(doc, f"Nguồn (mọi dòng có số liệu): {ctx.thematic.sources[0]}.")
    headers = HEADERS[:-1] if one_source else list(HEADERS)
    headers += [RULE_HEADER] if aggregated else []
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        _cell(cell, text, bold=True)
    _repeat_header(table.rows[0])
    joined = ctx.joined
    derived = joined["derived_rule"].fillna("") if "derived_rule" in joined else [""] * len(joined)
    for row, rule in zip(joined.itertuples(), derived, strict=True):
        texts = [row.code, row.full_name, row.display, STATUS_LABELS.get(row.status, row.status)]
        texts += [] if one_source else [row.source]
        for cell, text in zip(table.add_row().cells, texts + ([rule] if aggregated else []), strict=True):
            _cell(cell, text)
    widths = [Cm(1.4), Cm(3.2), Cm(2.4), Cm(2.6)] if not one_source else [Cm(2.0), Cm(6.0), Cm(4.0), Cm(3.0)]
    if not one_source:
        widths.append(TEXT_W - sum(widths) - (Cm(4.0) if aggregated else 0))
    if aggregated:
        widths.append(Cm(4.0) if not one_source else TEXT_W - sum(widths))
    for column, width in zip(table.columns, widths, strict=True):
        for cell in column.cells:
            cell.width = width

    doc.add_heading("Ghi chú", level=1)
    for note in notes(ctx):
        _para(doc, note, "List Bullet")

    doc.add_heading("Nguồn", level=1)
    _para(doc, source_line(list(ctx.thematic.sources), ctx.year))
    for line in credit_lines:
        _para(doc, line)
    _para(doc, f"Ngày xuất: {day} · {SOFTWARE}")

    doc.add_heading("Giấy phép dữ liệu", level=1)
    for line in terms.section():
        _para(doc, line)
    for block in terms.quoted().split("\n\n"):  # the licence as it must travel: quoted, verbatim
        _para(doc, " ".join(block.split()) if not block.startswith("Copyright") else block, "Quote", size=9)

    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
