"""The atlas: a locality's chosen indicators (or all mappable ones) as one PDF and one Word file — the meeting pack.

A cover, a table of contents, one page per map (the print layout of the single-map exports: legend, scale bar,
the map's source line; its notes below it in Word, in the notes section in the PDF), the table of the units with
every chosen indicator, and the credits and licences once at the end. An indicator that cannot be mapped (no
figures, refused on the edition) is listed on the contents page with the reason, never dropped silently.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from ktxh_geo.errors import ExportError, InputError
from ktxh_geo.model.join import STATUS_LABELS
from ktxh_geo.model.mapcontext import MapContext, mappable_indicators, prepare
from ktxh_geo.render.export import credits, layout, licences
from ktxh_geo.render.layout import FONT, RC, source_line, wrap_text
from ktxh_geo.text import format_date_vn, format_number
from ktxh_geo.vocab.profile import active

SOFTWARE = "ktxh-geo"
PAGE_MM = (297.0, 210.0)  # A4 landscape, as the maps
MARGIN_MM = 15.0
CREDITS_HEADING = "Nguồn và giấy phép"
TABLE_HEADING = "Bảng số liệu các đơn vị"
TOC_HEADING = "Mục lục"
NOTES_HEADING = "Ghi chú theo bản đồ"
ROWS_PER_PAGE = 28
ATLAS_FORMATS = ("pdf", "docx")
ILLUSTRATIVE_NOTE = f"{STATUS_LABELS['illustrative']} (không phải số liệu chính thức)."


@dataclass
class Atlas:
    """The maps of an atlas and what could not be mapped (indicator name → why)."""

    maps: list[MapContext]
    skipped: dict[str, str] = field(default_factory=dict)
    province: str | None = None
    illustrative: bool = False

    @property
    def area_name(self) -> str:
        return (self.maps[0].thematic.area_name if self.maps else "") or active().area_name

    @property
    def title(self) -> str:
        return f"Tập bản đồ chuyên đề — {self.area_name}"

    @property
    def subtitle(self) -> str:
        return active().plan_title or ""


def build_atlas(
    indicator_ids: list[str] | None = None,
    province: str | None = None,
    include_illustrative: bool = False,
    edition: str | None = None,
) -> Atlas:
    """The atlas of ``indicator_ids`` (default: every mappable indicator), each at its newest year with figures.

    ``ExportError`` for an unknown indicator, or when none of them can be mapped (the reasons, one line)."""
    known = mappable_indicators()
    ids = indicator_ids or list(known)
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ExportError(f"không có chỉ tiêu bản đồ '{unknown[0]}'; xem danh sách: python -m ktxh_geo export --list")
    maps, skipped = [], {}
    for ind_id in ids:
        try:
            maps.append(prepare(ind_id, None, edition, include_illustrative, province=province))
        except InputError as err:
            skipped[known[ind_id].name] = _reason(str(err), include_illustrative)
    if not maps:
        reasons = "; ".join(f"{k}: {v}" for k, v in skipped.items())
        raise ExportError(f"không có bản đồ nào để đưa vào tập bản đồ ({reasons})")
    return Atlas(maps, skipped, province, include_illustrative)


def _reason(message: str, include_illustrative: bool) -> str:
    """Why a map is left out, for readers of the atlas (the command line's ids and options left out)."""
    text = re.sub(r"chỉ tiêu '[^']*' ", "", " ".join(message.split()))
    if "--illustrative" in text:
        text = re.sub(r"\s*\(thêm --illustrative[^)]*\)", "", text) + " (chỉ có Số liệu minh họa, chưa chọn đưa vào)"
    return text[:1].upper() + text[1:]


def write_atlas(atlas: Atlas, fmt: str, out, export_date: date | None = None) -> Path:
    """Write the atlas (``fmt`` "pdf" or "docx") to ``out`` atomically, with the guards of every ``--out``."""
    from ktxh_geo.io import outputs

    if fmt not in ATLAS_FORMATS:
        raise ExportError(f"tập bản đồ chỉ xuất được {', '.join(ATLAS_FORMATS)}, không xuất được '{fmt}'")
    out = Path(out)
    try:
        with outputs.atomic([out], (f".{fmt}",)) as tmps:
            tmps[0].write_bytes(atlas_bytes(atlas, fmt, export_date))
    except outputs.OutputError as exc:
        raise ExportError(str(exc)) from None
    return out


def atlas_bytes(atlas: Atlas, fmt: str, export_date: date | None = None) -> bytes:
    return render_atlas_pdf(atlas, export_date) if fmt == "pdf" else render_atlas_docx(atlas, export_date)


def unit_table(atlas: Atlas) -> pd.DataFrame:
    """One row per unit: code, name and each map's value as shown (with its year), "*" for illustrative ones."""
    first = atlas.maps[0].joined
    table = pd.DataFrame({"Mã": first["code"], "Đơn vị": first["full_name"]})
    for ctx in atlas.maps:
        shown = ctx.joined.set_index("code")
        marks = shown["status"].map(lambda s: " *" if s == "illustrative" else "")
        header = f"{ctx.shown.name} ({ctx.shown.unit}, {ctx.year})" if ctx.shown.unit else f"{ctx.shown.name}"
        header += "" if ctx.shown.unit else f" ({ctx.year})"
        table[header] = table["Mã"].map(shown["display"].astype(str) + marks).fillna("")
    return table.reset_index(drop=True)


def map_notes(ctx: MapContext) -> list[str]:
    """The notes of one map (illustrative values, aggregation, draft estimates, flagged figures, statuses)."""
    from ktxh_geo.render.report import notes

    return notes(ctx)


def credit_lines(atlas: Atlas) -> list[str]:
    """The credits section, once: every map's data sources, the boundary credits and the licences."""
    sources = sorted({s for ctx in atlas.maps for s in ctx.thematic.sources})
    columns = {c for ctx in atlas.maps for c in ctx.joined.columns}
    terms = licences(atlas.maps[0].profile)
    return [source_line(sources, atlas.maps[0].year), *credits(columns, atlas.maps[0].profile), *terms.section()]


def contents(atlas: Atlas, credits_page: int = 0) -> list[tuple[str, int]]:
    """(entry, PDF page) of the contents: the maps (from page 3), the table, the notes, then the credits (on the
    ``credits_page``-th page of the notes, counted from 0: they follow the notes)."""
    entries = [(f"Bản đồ {i + 1}. {ctx.title}", 3 + i) for i, ctx in enumerate(atlas.maps)]
    page = 3 + len(atlas.maps)
    entries.append((TABLE_HEADING, page))
    page += max(1, -(-len(atlas.maps[0].joined) // ROWS_PER_PAGE))
    entries.append((NOTES_HEADING, page))
    entries.append((CREDITS_HEADING, page + credits_page))
    return entries


def _count_line(atlas: Atlas, export_date: date) -> str:
    return f"{format_number(len(atlas.maps), 0)} bản đồ · xuất ngày {format_date_vn(export_date)}"


# ---- PDF ----------------------------------------------------------------------------------------


def _text_pages(blocks: list[tuple[str, float, str]], heading: str) -> list:
    """``blocks`` (text, size, weight) under ``heading`` on as many A4 landscape pages as they need (figures)."""
    pages, rest = [], [(heading, 16.0, "bold"), *blocks]
    while rest:
        fig, rest = _text_page(rest)
        pages.append(fig)
    return pages


def _text_page(blocks: list[tuple[str, float, str]]):
    """One A4 landscape page with the first ``blocks`` that fit on it; (figure, the blocks left)."""
    from matplotlib.figure import Figure

    w_mm, h_mm = PAGE_MM
    width = w_mm - 2 * MARGIN_MM
    fig = Figure(figsize=(w_mm / 25.4, h_mm / 25.4))
    y = MARGIN_MM
    rest = list(blocks)
    while rest:
        text, size, weight = rest[0]
        wrapped = wrap_text(text, width, size, weight)
        h = (wrapped.count("\n") + 1) * size * 0.3528 * 1.35 + size * 0.3528 * 0.6
        if y + h > h_mm - MARGIN_MM and y > MARGIN_MM + 1:
            break
        fig.text(MARGIN_MM / w_mm, 1 - y / h_mm, wrapped, fontsize=size, family=FONT, weight=weight, va="top")
        y += h
        rest.pop(0)
    return fig, rest


def _table_pages(pdf, table: pd.DataFrame, title: str) -> None:
    """The unit table over as many pages as it needs, its header repeated on each."""
    from matplotlib.figure import Figure

    w_mm, h_mm = PAGE_MM
    width = w_mm - 2 * MARGIN_MM
    n_value = len(table.columns) - 2
    widths = [18.0, 52.0] + [(width - 70.0) / max(1, n_value)] * n_value
    for start in range(0, max(1, len(table)), ROWS_PER_PAGE):
        fig = Figure(figsize=(w_mm / 25.4, h_mm / 25.4))
        heading = title if start == 0 else f"{title} (tiếp)"
        fig.text(MARGIN_MM / w_mm, 1 - MARGIN_MM / h_mm, heading, fontsize=16, weight="bold", va="top", family=FONT)
        y = MARGIN_MM + 12
        rows = [list(table.columns)] + table.iloc[start : start + ROWS_PER_PAGE].astype(str).values.tolist()
        for i, row in enumerate(rows):
            size, weight = 7.5, "bold" if i == 0 else "normal"
            cells = [wrap_text(c, w - 1.5, size, weight) for c, w in zip(row, widths, strict=True)]
            x = MARGIN_MM
            for text, w in zip(cells, widths, strict=True):
                fig.text(x / w_mm, 1 - y / h_mm, text, fontsize=size, weight=weight, va="top", family=FONT)
                x += w
            y += max(c.count("\n") + 1 for c in cells) * size * 0.3528 * 1.3 + 1.2
        pdf.savefig(fig)


def render_atlas_pdf(atlas: Atlas, export_date: date | None = None) -> bytes:
    """The atlas as one PDF: cover, contents, a page per map, the unit table, notes, credits (text selectable)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_pdf import PdfPages

    export_date = export_date or date.today()
    buf = io.BytesIO()
    with matplotlib.rc_context(RC):
        with PdfPages(buf, metadata={"Title": atlas.title, "Creator": SOFTWARE, "CreationDate": None}) as pdf:
            cover = [
                (atlas.subtitle, 13.0, "normal"),
                (
                    f"{format_number(len(atlas.maps), 0)} bản đồ · xuất ngày {format_date_vn(export_date)}",
                    11.0,
                    "normal",
                ),
            ]
            if atlas.illustrative:
                cover.append(("Có Số liệu minh họa: không phải số liệu chính thức (xem ghi chú).", 11.0, "bold"))
            blocks = []
            if atlas.skipped:
                blocks.append(("Chưa đưa vào tập bản đồ", 10.0, "bold"))
                blocks += [(f"• {name}: {why}", 9.0, "normal") for name, why in atlas.skipped.items()]
            for i, ctx in enumerate(atlas.maps):
                blocks.append((f"Bản đồ {i + 1}. {ctx.title}", 10.0, "bold"))
                blocks += [(f"• {n}", 9.0, "normal") for n in map_notes(ctx)]
            if any(s == "illustrative" for ctx in atlas.maps for s in ctx.joined["status"]):
                blocks.append((f"Dấu * trong {TABLE_HEADING.lower()}: {ILLUSTRATIVE_NOTE}", 9.0, "normal"))
            blocks.append((CREDITS_HEADING, 16.0, "bold"))
            blocks += [(line, 9.0, "normal") for line in credit_lines(atlas)]
            blocks += [(b, 7.5, "normal") for b in licences(atlas.maps[0].profile).quoted().split("\n\n")]
            blocks.append((f"Ngày xuất: {format_date_vn(export_date)} · {SOFTWARE}", 9.0, "normal"))
            notes_pages = _text_pages(blocks, NOTES_HEADING)
            at = next(i for i, f in enumerate(notes_pages) if any(t.get_text() == CREDITS_HEADING for t in f.texts))
            toc = [(f"{entry} ..... trang {page}", 11.0, "normal") for entry, page in contents(atlas, at)]
            for fig in [*_text_pages(cover, atlas.title), *_text_pages(toc, TOC_HEADING)]:
                pdf.savefig(fig)
            for ctx in atlas.maps:
                pdf.savefig(layout(ctx, "a4", "landscape", 72, export_date).figure)
            _table_pages(pdf, unit_table(atlas), TABLE_HEADING)
            for fig in notes_pages:
                pdf.savefig(fig)
    return buf.getvalue()


# ---- Word ---------------------------------------------------------------------------------------


def render_atlas_docx(atlas: Atlas, export_date: date | None = None, dpi: int = 150) -> bytes:
    """The atlas as one Word file: cover, contents, each map (its PNG, source and notes), the table, credits."""
    from docx.enum.text import WD_BREAK
    from PIL import Image

    from ktxh_geo.render.export import save_png
    from ktxh_geo.render.report import cell_text, map_width, new_document, para, repeat_header

    export_date = export_date or date.today()
    doc = new_document(atlas.title, atlas.subtitle, export_date)

    def page_break():
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    para(doc, atlas.title, "Title")
    if atlas.subtitle:
        para(doc, atlas.subtitle, "Subtitle")
    para(doc, _count_line(atlas, export_date))
    if atlas.illustrative:
        para(doc, "Có Số liệu minh họa: không phải số liệu chính thức (xem ghi chú từng bản đồ).", bold=True)
    page_break()
    doc.add_heading(TOC_HEADING, level=1)
    for i, ctx in enumerate(atlas.maps):
        para(doc, f"Bản đồ {i + 1}. {ctx.title}", "List Number")
    para(doc, TABLE_HEADING, "List Bullet")
    para(doc, CREDITS_HEADING, "List Bullet")
    if atlas.skipped:
        para(doc, "Chưa đưa vào tập bản đồ:", bold=True)
        for name, why in atlas.skipped.items():
            para(doc, f"{name}: {why}", "List Bullet", size=10)
    for i, ctx in enumerate(atlas.maps):
        page_break()
        doc.add_heading(f"Bản đồ {i + 1}. {ctx.title}", level=1)
        png = save_png(layout(ctx, "a4", "landscape", dpi, export_date), ctx.title)
        with Image.open(io.BytesIO(png)) as img:
            size = img.size
        doc.add_paragraph().add_run().add_picture(io.BytesIO(png), width=map_width(size))
        para(doc, source_line(list(ctx.thematic.sources), ctx.year), size=10)
        for note in map_notes(ctx):
            para(doc, note, "List Bullet", size=10)
    page_break()
    doc.add_heading(TABLE_HEADING, level=1)
    table = unit_table(atlas)
    grid = doc.add_table(rows=1, cols=len(table.columns))
    grid.style = doc.styles["Table Grid"]
    for cell, text in zip(grid.rows[0].cells, table.columns, strict=True):
        cell_text(cell, text, bold=True, size=8.5)
    repeat_header(grid.rows[0])
    for row in table.astype(str).itertuples(index=False):
        for cell, text in zip(grid.add_row().cells, row, strict=True):
            cell_text(cell, text, size=8.5)
    if any(s == "illustrative" for ctx in atlas.maps for s in ctx.joined["status"]):
        para(doc, f"*: {ILLUSTRATIVE_NOTE}", size=9)
    page_break()
    doc.add_heading(CREDITS_HEADING, level=1)
    for line in credit_lines(atlas):
        para(doc, line)
    for block in licences(atlas.maps[0].profile).quoted().split("\n\n"):
        para(doc, " ".join(block.split()) if not block.startswith("Copyright") else block, "Quote", size=9)
    para(doc, f"Ngày xuất: {format_date_vn(export_date)} · {SOFTWARE}")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def atlas_file_name(atlas: Atlas, fmt: str) -> str:
    """A plain-ASCII file name: ``tap-ban-do_<profile>[_tinh-<code>].pdf``."""
    return f"tap-ban-do_{active().id}" + (f"_tinh-{atlas.province}" if atlas.province else "") + f".{fmt}"
