"""The commune card on paper: one A4 portrait page as PDF (matplotlib, DejaVu Sans embedded) or Word (.docx).

Both are written from one ``CommuneCard`` (``model.card``) and the same lines (``card_blocks``): the title, where
the unit came from, the table of figures (value, year, rank, status, source), the objects inside it, notes and the
sources said once at the end. The PDF shrinks its type until everything fits on the one page.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date

from ktxh_geo.model.card import FIGURE_HEADERS, CommuneCard, card_notes
from ktxh_geo.render.layout import FONT, RC, wrap_text
from ktxh_geo.text import format_date_vn, format_number
from ktxh_geo.vocab.profile import active

SOFTWARE = "ktxh-geo"
PAGE_MM = (210.0, 297.0)  # A4 portrait
MARGIN_MM = 15.0
COLUMN_SHARES = (0.22, 0.17, 0.13, 0.10, 0.11, 0.27)  # of the text width, per FIGURE_HEADERS column


@dataclass(frozen=True)
class Block:
    """One block of the printed card: a heading, a paragraph, a bullet or the figures table."""

    kind: str  # "title", "subtitle", "heading", "text", "bullet", "table", "small"
    text: str = ""
    rows: tuple[tuple[str, ...], ...] = ()


def card_title(card: CommuneCard) -> str:
    return f"Thẻ thông tin: {card.title}"


def card_subtitle(card: CommuneCard) -> str:
    return f"{card.area_name[:1].upper()}{card.area_name[1:]} · đơn vị hành chính {card.edition_label}"


def card_blocks(card: CommuneCard, export_date: date) -> list[Block]:
    """What the printed card says, in order (the same for the PDF and the Word file)."""
    blocks = [Block("title", card_title(card)), Block("subtitle", card_subtitle(card))]
    if card.predecessors or card.successor or card.seat:
        blocks.append(Block("heading", "Nguồn gốc"))
        if card.predecessors:
            blocks.append(Block("text", f"Gồm các đơn vị trước sắp xếp: {card.predecessors}"))
        if card.successor:
            blocks.append(Block("text", f"Sau sắp xếp thuộc: {card.successor}"))
        if card.seat:
            blocks.append(Block("text", f"Trụ sở: {card.seat}"))
        if card.origin_source:
            blocks.append(Block("small", f"Căn cứ, nguồn: {card.origin_source}"))
    blocks.append(Block("heading", "Số liệu"))
    blocks.append(Block("table", rows=(tuple(FIGURE_HEADERS), *(tuple(r) for r in card.figure_rows()))))
    blocks.append(Block("heading", f"Đối tượng trong {card.full_name} ({format_number(len(card.objects), 0)})"))
    if card.objects:
        blocks += [Block("bullet", f"{o.name} — {o.category}, {o.status.lower()}") for o in card.objects]
    else:
        blocks.append(Block("text", "Danh mục đối tượng của kế hoạch không có đối tượng nào trong đơn vị này."))
    notes = card_notes(card)
    if notes:
        blocks.append(Block("heading", "Ghi chú"))
        blocks += [Block("bullet", n) for n in notes]
    blocks.append(Block("small", f"Ngày xuất: {format_date_vn(export_date)} · {SOFTWARE} · {active().label}"))
    return blocks


# ---- PDF ----------------------------------------------------------------------------------------

SIZES = {"title": 1.5, "subtitle": 1.0, "heading": 1.15, "text": 1.0, "bullet": 1.0, "table": 0.85, "small": 0.8}


TableRow = tuple[list[str], float, str]  # wrapped cells, height in mm, font weight
Laid = tuple[str, float, str | list[TableRow], list]  # kind, size, wrapped text or table rows, widths or [gap, weight]


def _layout(blocks: list[Block], base: float, width: float) -> tuple[list[Laid], float]:
    """Blocks as (kind, size, wrapped text or table cells, column widths) and the height they take, in mm."""
    out: list[Laid] = []
    height = 0.0
    for b in blocks:
        size = base * SIZES[b.kind]
        line = size * 0.3528 * 1.3
        if b.kind == "table":
            widths = [width * s for s in COLUMN_SHARES]
            rows: list[TableRow] = []
            for i, row in enumerate(b.rows):
                weight = "bold" if i == 0 else "normal"
                cells = [wrap_text(c, w - 1.6, size, weight) for c, w in zip(row, widths, strict=True)]
                h = max(c.count("\n") + 1 for c in cells) * line + 1.6
                rows.append((cells, h, weight))
                height += h
            out.append((b.kind, size, rows, widths))
            height += line * 0.5
            continue
        weight = "bold" if b.kind in ("title", "heading") else "normal"
        prefix = "• " if b.kind == "bullet" else ""
        text = wrap_text(prefix + b.text, width - (4 if b.kind == "bullet" else 0), size, weight)
        gap = line * (0.8 if b.kind == "heading" else 0.35)
        out.append((b.kind, size, text, [gap, weight]))
        height += (text.count("\n") + 1) * line + gap
    return out, height


def render_card_pdf(card: CommuneCard, export_date: date | None = None) -> bytes:
    """The card as a one-page A4 portrait PDF (type shrinks from 10 pt until it fits)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    export_date = export_date or date.today()
    w_mm, h_mm = PAGE_MM
    width, room = w_mm - 2 * MARGIN_MM, h_mm - 2 * MARGIN_MM
    for base in (10.0, 9.0, 8.0, 7.2, 6.5, 5.8, 5.2, 4.6):
        laid, height = _layout(card_blocks(card, export_date), base, width)
        if height <= room:
            break
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(w_mm / 25.4, h_mm / 25.4))
        mm_x = lambda x: x / w_mm  # noqa: E731
        mm_y = lambda y: 1 - y / h_mm  # noqa: E731  (y measured down from the top)
        y = MARGIN_MM
        for kind, size, content, extra in laid:
            line = size * 0.3528 * 1.3
            if isinstance(content, list):  # a table
                for cells, h, weight in content:
                    x = MARGIN_MM
                    fig.add_artist(
                        matplotlib.lines.Line2D(
                            [mm_x(MARGIN_MM), mm_x(MARGIN_MM + width)], [mm_y(y), mm_y(y)], lw=0.4, color="#888888"
                        )
                    )
                    for text, cw in zip(cells, extra, strict=True):
                        fig.text(
                            mm_x(x + 0.8), mm_y(y + 0.8), text, fontsize=size, family=FONT, weight=weight, va="top"
                        )
                        x += cw
                    y += h
                fig.add_artist(
                    matplotlib.lines.Line2D(
                        [mm_x(MARGIN_MM), mm_x(MARGIN_MM + width)], [mm_y(y), mm_y(y)], lw=0.4, color="#888888"
                    )
                )
                y += line * 0.5
                continue
            gap, weight = extra
            y += gap if kind == "heading" else 0
            color = "#555555" if kind in ("small", "subtitle") else "#111111"
            x = MARGIN_MM + (2 if kind == "bullet" else 0)
            fig.text(mm_x(x), mm_y(y), content, fontsize=size, family=FONT, weight=weight, va="top", color=color)
            y += (content.count("\n") + 1) * line + (0 if kind == "heading" else gap)
        buf = io.BytesIO()
        meta = {"Title": card_title(card), "Subject": card_subtitle(card), "Creator": SOFTWARE, "CreationDate": None}
        fig.savefig(buf, format="pdf", metadata=meta)
    return buf.getvalue()


# ---- Word ---------------------------------------------------------------------------------------


def render_card_docx(card: CommuneCard, export_date: date | None = None) -> bytes:
    """The card as a Word document (A4 portrait, the house style of the map reports)."""
    from docx.shared import Cm

    from ktxh_geo.render.report import TEXT_W, cell_text, new_document, para, repeat_header

    export_date = export_date or date.today()
    doc = new_document(card_title(card), card_subtitle(card), export_date)
    for section in doc.sections:
        section.top_margin = section.bottom_margin = section.left_margin = section.right_margin = Cm(1.5)
    for b in card_blocks(card, export_date):
        if b.kind == "title":
            para(doc, b.text, "Title")
        elif b.kind == "subtitle":
            para(doc, b.text, "Subtitle")
        elif b.kind == "heading":
            doc.add_heading(b.text, level=1)
        elif b.kind == "bullet":
            para(doc, b.text, "List Bullet", size=10)
        elif b.kind == "small":
            para(doc, b.text, size=9, color="555555")
        elif b.kind == "table":
            table = doc.add_table(rows=0, cols=len(b.rows[0]))
            table.style = doc.styles["Table Grid"]
            width = TEXT_W + Cm(1.0)
            for i, row in enumerate(b.rows):
                cells = table.add_row().cells
                for cell, text, share in zip(cells, row, COLUMN_SHARES, strict=True):
                    cell_text(cell, text, bold=i == 0, size=8.5)
                    cell.width = int(width * share)
            repeat_header(table.rows[0])
        else:
            para(doc, b.text, size=10)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def card_file_name(card: CommuneCard, fmt: str) -> str:
    """A plain-ASCII file name: ``the-don-vi_<code>.pdf``."""
    return f"the-don-vi_{card.code}.{fmt}"
