"""Report-ready exports of one thematic map: PNG, PDF, standalone HTML, a Word report and the joined data.

Every format is built from one ``MapContext`` (the joined GeoDataFrame and its ``Classification``),
the same objects the screen uses, so colours, classes and labels match. Files are written to a
temporary file in the target folder and then renamed, so a failed export never leaves half a file.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import re
import tempfile
import zipfile
from datetime import date
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from ktxh_geo.errors import ExportError
from ktxh_geo.io import outputs
from ktxh_geo.io.licences import Licences, read_licences
from ktxh_geo.model.join import ILLUSTRATIVE_MARK, STATUS_LABELS
from ktxh_geo.model.mapcontext import MapContext
from ktxh_geo.render import report
from ktxh_geo.render.layout import RC, boundary_credit, render_layout, source_line
from ktxh_geo.render.maps import build_map, control, map_js, page
from ktxh_geo.settings import LEAFLET_DIR
from ktxh_geo.text import format_date_vn, printable
from ktxh_geo.vocab.profile import active

# format → (file extension, MIME type, label shown in the UI)
FORMATS: dict[str, tuple[str, str, str]] = {
    "png": ("png", "image/png", "Ảnh PNG (cho Word)"),
    "pdf": ("pdf", "application/pdf", "PDF (in ấn, chữ chọn được)"),
    "html": ("html", "text/html", "HTML tương tác (mở không cần Internet)"),
    "gpkg": ("gpkg", "application/geopackage+sqlite3", "Dữ liệu GeoPackage"),
    "geojson": ("geojson", "application/geo+json", "Dữ liệu GeoJSON"),
    "csv": ("csv", "text/csv", "Bảng CSV (UTF-8, mở bằng Excel)"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Bảng Excel (.xlsx)"),
    "docx": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Báo cáo (.docx)"),
}
MAP_FORMATS = ("png", "pdf")
CREDIT_CSS = """.ktxh-credit { background: rgba(255,255,255,.9); padding: 4px 7px; border-radius: 4px;
  font-size: 10.5px; max-width: 460px; color: #444; line-height: 1.3; box-shadow: 0 1px 3px rgba(0,0,0,.25); }"""
DPIS = (300, 150)
# Columns first in data exports: identity, value and provenance (then the boundary attributes).
DATA_COLUMNS = [
    "code",
    "full_name",
    "name",
    "unit_type",
    "edition",
    "indicator_id",
    "indicator_name",
    "unit",
    "year",
    "value",
    "value_text",
    "display",
    "class_label",
    "status",
    "status_label",
    "source",
    "value_note",
]


# Spreadsheet cells starting with one of these can be run as a formula (CSV/formula injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Attributes of the 2025 communes taken from vietnamadminunits (a scrape of sapnhap.bando.com.vn).
ATTRIBUTE_COLUMNS = ("area_km2_published", "population", "area_population_source", "admin_centre_stated")
ATTRIBUTE_CREDIT = (
    "Diện tích, dân số và trung tâm hành chính của các xã từ 01/7/2025: vietnamadminunits "
    "(© 2025 Tran Ngoc Minh Hieu, giấy phép MIT), thu thập từ sapnhap.bando.com.vn."
)
NOTICE_MEMBER = "ktxh_notice"  # top-level member of an exported GeoJSON FeatureCollection


def file_name(ctx: MapContext, fmt: str, paper: str = "a4", orientation: str = "landscape") -> str:
    """A plain-ASCII file name, e.g. ``ban-do_poverty_rate_2023_2020-2024_a4-ngang.pdf``."""
    stem = f"ban-do_{ctx.indicator.id}_{ctx.year}_{ctx.edition}" + (f"_tinh-{ctx.province}" if ctx.province else "")
    if fmt in MAP_FORMATS:
        stem += f"_{paper}-{'ngang' if orientation == 'landscape' else 'doc'}"
    return f"{stem}.{FORMATS[fmt][0]}"


# ---- map layouts -------------------------------------------------------------------------------


def layout(ctx: MapContext, paper: str = "a4", orientation: str = "landscape", dpi: int = 300, export_date=None):
    """The matplotlib layout of the map (see ``ktxh_geo.render.layout.render_layout``)."""
    return render_layout(
        ctx.thematic,
        ctx.outline,
        ctx.projects,
        ctx.layers,
        ctx.title,
        ctx.subtitle,
        paper,
        orientation,
        dpi,
        export_date,
        ctx.fixed_labels,
    )


def render_png(ctx: MapContext, paper="a4", orientation="landscape", dpi: int = 300, export_date=None) -> bytes:
    """PNG at ``dpi`` (A4 landscape at 300 dpi: 3508 × 2480 px)."""
    return save_png(layout(ctx, paper, orientation, dpi, export_date), ctx.title)


def save_png(lay, title: str = "") -> bytes:
    """Encode a laid-out map as PNG at the layout's dpi (pixels match ``lay.to_pixel``)."""
    import matplotlib

    buf = io.BytesIO()
    with matplotlib.rc_context(RC):
        lay.figure.savefig(buf, format="png", dpi=lay.dpi, metadata={"Title": title, "Software": "ktxh-geo"})
    return buf.getvalue()


def render_pdf(ctx: MapContext, paper="a4", orientation="landscape", export_date=None) -> bytes:
    """Vector PDF with DejaVu Sans embedded (TrueType), text selectable."""
    import matplotlib

    lay = layout(ctx, paper, orientation, 72, export_date)
    buf = io.BytesIO()
    meta = {"Title": ctx.title, "Subject": ctx.subtitle, "Creator": "ktxh-geo", "CreationDate": None}
    with matplotlib.rc_context(RC):
        lay.figure.savefig(buf, format="pdf", metadata=meta)
    return buf.getvalue()


# ---- standalone HTML ---------------------------------------------------------------------------


def _inline_leaflet_css() -> str:
    """Leaflet's CSS with its images as data: URIs (nothing is fetched from disk or network)."""
    css = (LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8")

    def repl(match: re.Match) -> str:
        path = LEAFLET_DIR / match.group(1)
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f"url(data:image/png;base64,{data})"

    return re.sub(r"url\((images/[\w.-]+\.png)\)", repl, css)


def render_html(ctx: MapContext, export_date=None) -> str:
    """The interactive map as one HTML file: Leaflet JS and CSS inlined, no tiles, no CDN."""
    m = build_map(ctx.joined, ctx.classification, ctx.outline, ctx.projects, layers=list(ctx.layers), title=ctx.title)
    m.default_js, m.default_css = [], []
    root = page(m)
    root.title = html.escape(ctx.title)
    js = (LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    root.header.add_child(folium.Element(f"<style>{_inline_leaflet_css()}</style>"), name="leaflet_css", index=0)
    root.header.add_child(folium.Element(f"<script>{js}</script>"), name="leaflet_js", index=1)
    helpers = map_js().replace("</script", "<\\/script")
    root.header.add_child(folium.Element(f"<script>{helpers}</script>"), name="ktxh_js", index=2)
    day = format_date_vn(export_date or date.today())
    credit = f"{html.escape(boundary_credit(ctx.profile))}<br>Ngày xuất: {day} · ktxh-geo"
    m.add_child(control(credit, "bottomleft", "ktxh-credit"))
    root.header.add_child(folium.Element(f"<style>{CREDIT_CSS}</style>"), name="credit_css")
    return root.render()


# ---- data --------------------------------------------------------------------------------------


def data_table(ctx: MapContext) -> gpd.GeoDataFrame:
    """The joined table with provenance and class columns first, EPSG:4326."""
    df = ctx.joined.assign(
        indicator_name=ctx.indicator.name,
        unit=ctx.shown.unit,
        class_label=ctx.classification.class_labels,
        status_label=ctx.joined["status"].map(STATUS_LABELS).fillna(""),
        year=ctx.joined["year"].astype(int),
    )
    rest = [c for c in df.columns if c not in DATA_COLUMNS and c != "geometry"]
    return gpd.GeoDataFrame(df[DATA_COLUMNS + rest + ["geometry"]], geometry="geometry", crs=ctx.joined.crs)


# Columns of the tables people read (xlsx, CSV): machine name → Vietnamese header, in this order. Boundary
# attributes not listed stay in the GIS formats (GeoPackage, GeoJSON) only; the "Tên cột" sheet of an xlsx and the
# notice beside a CSV give the machine name of every column.
PEOPLE_COLUMNS = {
    "code": "Mã đơn vị",
    "full_name": "Tên đơn vị",
    "unit_type": "Loại đơn vị",
    "province": "Tỉnh, thành phố",
    "indicator_name": "Chỉ tiêu",
    "unit": "Đơn vị tính",
    "year": "Năm",
    "value": "Giá trị",
    "value_text": "Giá trị (chữ)",
    "display": "Giá trị (như trên bản đồ)",
    "class_label": "Lớp trên bản đồ",
    "status_label": "Loại số liệu",
    "source": "Nguồn",
    "value_note": "Ghi chú",
    "derived_rule": "Quy tắc gộp",
    "edition_label": "Bộ đơn vị hành chính",
    "area_km2": "Diện tích (km²)",
    "area_km2_published": "Diện tích công bố (km²)",
    "population": "Dân số (người)",
    "admin_centre_stated": "Trụ sở (theo công bố)",
    "area_population_source": "Nguồn diện tích, dân số",
    "successor_2025_code": "Mã xã từ 01/7/2025",
    "successor_2025_name": "Xã từ 01/7/2025",
}


def people_table(ctx: MapContext) -> pd.DataFrame:
    """The data table as people read it (xlsx, CSV): Vietnamese headers, labels instead of ids, no geometry.

    Empty optional columns (no aggregation rule, no text value) are left out.
    """
    table = data_table(ctx).drop(columns="geometry")
    table["edition_label"] = ctx.thematic.edition.label
    optional = ("value_text", "derived_rule", "value_note")
    keep = [c for c in PEOPLE_COLUMNS if c in table.columns]
    keep = [c for c in keep if c not in optional or table[c].fillna("").astype(str).str.strip().ne("").any()]
    return pd.DataFrame(table[keep]).rename(columns=PEOPLE_COLUMNS)


def column_names(table: pd.DataFrame) -> pd.DataFrame:
    """The header of each column of ``people_table`` beside its machine name (the GIS formats' field name)."""
    machine = {v: k for k, v in PEOPLE_COLUMNS.items()}
    return pd.DataFrame(
        {
            "Tên cột": list(table.columns),
            "Tên trường (GeoPackage, GeoJSON)": [
                machine[c] if machine[c] != "edition_label" else "edition" for c in table.columns
            ],
        }
    )


def neutralise(value):
    """A text cell that a spreadsheet could run as a formula gets a leading apostrophe (OWASP advice).

    Only strings are touched: numbers (negative ones included) stay numbers.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # what XML 1.0 cannot hold


def neutralised(df: pd.DataFrame, xml: bool = False) -> pd.DataFrame:
    """A copy of ``df`` with every text cell passed through ``neutralise`` (for CSV and xlsx).

    With ``xml`` (xlsx) control characters that XML cannot hold are written visibly escaped ("\\x1b"),
    instead of failing the whole export.
    """
    out = pd.DataFrame(df).copy()
    for col in out.columns:
        if not pd.api.types.is_numeric_dtype(out[col]) and not pd.api.types.is_datetime64_any_dtype(out[col]):
            out[col] = out[col].astype(object).map(neutralise)
            if xml:
                out[col] = out[col].map(
                    lambda v: _XML_ILLEGAL.sub(lambda m: printable(m.group()), v) if isinstance(v, str) else v
                )
    return out


def credits(columns, profile=None) -> list[str]:
    """Credit lines of the third-party sources whose fields are in a table with these columns."""
    lines = [boundary_credit(profile)]
    if any(c in ATTRIBUTE_COLUMNS for c in columns):
        lines.append(ATTRIBUTE_CREDIT)
    return lines


def licences(profile=None) -> Licences:
    """The licences of a profile's data (its ``licence_file``), which every export carries."""
    return read_licences((profile or active()).licence_file)


def notice(ctx: MapContext, export_date=None) -> dict:
    """Sources and licences of an export (a JSON-ready dict)."""
    return {
        "title": ctx.title,
        "sources": credits(ctx.joined.columns, ctx.profile),
        "data_sources": sorted({s for s in ctx.joined["source"] if s}),
        "exported": (export_date or date.today()).isoformat(),
        "software": "ktxh-geo",
        "licences": licences(ctx.profile).text_block(),
    }


def _source_line(ctx: MapContext) -> str:
    """The sources of the values shown (read from the table exported, whatever built it)."""
    return source_line(sorted({s for s in ctx.joined["source"] if s}), ctx.year)


def notice_text(ctx: MapContext, export_date=None, columns: pd.DataFrame | None = None) -> str:
    """The notice as plain text (LICENSE.txt beside a CSV, the "Giấy phép" sheet of an xlsx): what the file is,
    when it was made, its sources, (``columns``) the machine name of each column, and the licence section."""
    info = notice(ctx, export_date)
    lines = [
        f"Nguồn và giấy phép của tệp xuất: {info['title']}",
        f"Ngày xuất: {format_date_vn(export_date or date.today())} · ktxh-geo",
        "",
        *info["sources"],
        _source_line(ctx),
    ]
    if columns is not None:
        lines += ["", "Các cột (tên cột trong tệp — tên trường trong GeoPackage, GeoJSON):"]
        lines += [f"• {a} — {b}" for a, b in columns.itertuples(index=False)]
    return "\n".join(lines) + "\n\n" + info["licences"]


def _notes(ctx: MapContext, export_date=None) -> pd.DataFrame:
    rows = [
        ("Bản đồ", ctx.title),
        ("Chỉ tiêu", ctx.indicator.name),
        ("Đơn vị tính", ctx.shown.unit),
        ("Năm", str(ctx.year)),
        ("Đơn vị hành chính", ctx.thematic.units_text),
        (
            "Nguồn số liệu",
            _source_line(ctx).removeprefix("Nguồn số liệu: "),
        ),
        ("Ranh giới", boundary_credit(ctx.profile)),
    ]
    if any(c in ATTRIBUTE_COLUMNS for c in ctx.joined.columns):
        rows.append(("Diện tích, dân số", ATTRIBUTE_CREDIT))
    rows += [
        ("Giấy phép", "MIT; toàn văn và các dòng bản quyền ở trang “Giấy phép”"),
        ("Ngày xuất", format_date_vn(export_date or date.today())),
    ]
    if ctx.thematic.illustrative:
        rows.insert(
            1,
            (
                "Lưu ý",
                f"{ILLUSTRATIVE_MARK} — dòng có Loại số liệu “{ILLUSTRATIVE_MARK}”: không phải số liệu chính thức",
            ),
        )
    return pd.DataFrame(rows, columns=["Mục", "Nội dung"])


def _json_default(value):
    """JSON for the values ``GeoDataFrame.to_json`` leaves to ``json.dumps`` (dates, numpy scalars)."""
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        if value.tz is None and value == value.normalize():
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"không ghi được giá trị kiểu {type(value).__name__} vào GeoJSON")


def geojson_text(ctx: MapContext, export_date=None) -> str:
    """The data table as a GeoJSON FeatureCollection with the sources and licences as member ``ktxh_notice``."""
    table = data_table(ctx).to_crs("EPSG:4326")
    features = json.loads(table.to_json(na="null", drop_id=True, default=_json_default))["features"]
    collection = {
        "type": "FeatureCollection",
        "name": ctx.indicator.id,
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
        NOTICE_MEMBER: notice(ctx, export_date),
        "features": features,
    }
    return json.dumps(collection, ensure_ascii=False)


def _write_data(fmt: str, ctx: MapContext, path: Path, export_date=None) -> None:
    table = data_table(ctx)
    if fmt == "gpkg":
        info = notice(ctx, export_date)
        meta = {
            "TITLE": info["title"],
            "KTXH_SOURCES": "\n".join(info["sources"]),
            "KTXH_DATA_SOURCES": "; ".join(info["data_sources"]),
            "KTXH_EXPORTED": info["exported"],
            "KTXH_LICENCES": info["licences"],
        }
        table.to_file(
            path,
            driver="GPKG",
            layer=ctx.indicator.id,
            engine="pyogrio",
            dataset_options={"VERSION": "1.2"},  # QGIS on GDAL 3.6 warns on 1.4
            layer_options={"DESCRIPTION": " ".join(info["sources"]) + " Giấy phép: xem siêu dữ liệu KTXH_LICENCES."},
            layer_metadata=meta,  # dataset metadata would make GDAL readers write a t.gpkg.aux.xml beside it
        )
    elif fmt == "geojson":
        path.write_text(geojson_text(ctx, export_date), encoding="utf-8")
    elif fmt == "csv":
        # CRLF (RFC 4180): a text cell holding a bare CR or LF is then quoted and cannot split a row.
        neutralised(people_table(ctx)).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    elif fmt == "xlsx":
        people = people_table(ctx)
        licence = pd.DataFrame({"Nguồn và giấy phép": notice_text(ctx, export_date).splitlines()})
        with pd.ExcelWriter(path, engine="openpyxl") as xl:
            neutralised(people, xml=True).to_excel(xl, sheet_name="Số liệu", index=False)
            neutralised(_notes(ctx, export_date), xml=True).to_excel(xl, sheet_name="Ghi chú", index=False)
            column_names(people).to_excel(xl, sheet_name="Tên cột", index=False)
            neutralised(licence, xml=True).to_excel(xl, sheet_name="Giấy phép", index=False)
            for sheet in xl.sheets.values():  # readable column widths; the header row stays visible
                sheet.freeze_panes = "A2"
                for cells in sheet.columns:
                    width = max(len(str(c.value or "")) for c in cells[:50])
                    sheet.column_dimensions[cells[0].column_letter].width = min(60, max(8, width + 2))
    else:
        raise ExportError(f"định dạng không hỗ trợ '{fmt}'; chọn một trong: {', '.join(FORMATS)}")


# ---- one entry point ---------------------------------------------------------------------------


def render_docx(ctx: MapContext, paper="a4", orientation="landscape", dpi: int = 300, export_date=None) -> bytes:
    """The Word report: map, legend, table of values, notes, credits (``ktxh_geo.render.report``)."""
    png = render_png(ctx, paper, orientation, dpi, export_date)
    return report.render_docx(ctx, png, credits(ctx.joined.columns, ctx.profile), licences(ctx.profile), export_date)


def _write(fmt, ctx, path: Path, paper, orientation, dpi, export_date) -> None:
    if fmt in DOCUMENT_FORMATS:
        path.write_bytes(_document_bytes(fmt, ctx, paper, orientation, dpi, export_date))
    else:
        _write_data(fmt, ctx, path, export_date)


DOCUMENT_FORMATS = ("png", "pdf", "html", "docx")


def _document_bytes(fmt, ctx, paper, orientation, dpi, export_date) -> bytes:
    """A map document (PNG, PDF, HTML, Word) as bytes; data formats are written by ``_write_data``."""
    if fmt == "png":
        return render_png(ctx, paper, orientation, dpi, export_date)
    if fmt == "pdf":
        return render_pdf(ctx, paper, orientation, export_date)
    if fmt == "html":
        return render_html(ctx, export_date).encode("utf-8")
    return render_docx(ctx, paper, orientation, dpi, export_date)


def licence_path(out: str | os.PathLike) -> Path:
    """The licence file written beside a CSV export: ``NAME.csv`` → ``NAME.LICENSE.txt``."""
    out = Path(out)
    return out.with_name(f"{out.stem}.LICENSE.txt")


def write_export(
    fmt: str,
    ctx: MapContext,
    out: str | os.PathLike,
    paper: str = "a4",
    orientation: str = "landscape",
    dpi: int = 300,
    export_date: date | None = None,
) -> Path:
    """Write one export to ``out`` atomically (temporary file in the same folder, then rename).

    ``out`` must be a new path or a regular file (``ktxh_geo.io.outputs``: the guards of every ``--out``). A CSV
    gets its licence notice beside it (``licence_path(out)``), written the same way.
    """
    if fmt not in FORMATS:
        raise ExportError(f"định dạng không hỗ trợ '{fmt}'; chọn một trong: {', '.join(FORMATS)}")
    out = Path(out)
    targets = [out, licence_path(out)] if fmt == "csv" else [out]
    try:
        with outputs.atomic(targets, (f".{FORMATS[fmt][0]}", ".txt")) as tmps:
            if fmt == "gpkg":
                tmps[0].unlink()  # GDAL wants to create the file itself
            _write(fmt, ctx, tmps[0], paper, orientation, dpi, export_date)
            if fmt == "csv":
                tmps[1].write_text(notice_text(ctx, export_date, column_names(people_table(ctx))), encoding="utf-8")
    except outputs.OutputError as exc:
        raise ExportError(str(exc)) from None
    return out


def export_bytes(
    fmt: str,
    ctx: MapContext,
    paper: str = "a4",
    orientation: str = "landscape",
    dpi: int = 300,
    export_date: date | None = None,
) -> bytes:
    """The export as bytes (for download buttons)."""
    if fmt in DOCUMENT_FORMATS:
        return _document_bytes(fmt, ctx, paper, orientation, dpi, export_date)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"export.{FORMATS[fmt][0]}"
        _write_data(fmt, ctx, path, export_date)
        return path.read_bytes()


def download_name(ctx: MapContext, fmt: str, paper: str = "a4", orientation: str = "landscape") -> str:
    """File name of the UI download: a CSV comes as a .zip with its LICENSE.txt."""
    name = file_name(ctx, fmt, paper, orientation)
    return name.rsplit(".", 1)[0] + ".zip" if fmt == "csv" else name


def download_bytes(
    fmt: str,
    ctx: MapContext,
    paper: str = "a4",
    orientation: str = "landscape",
    dpi: int = 300,
    export_date: date | None = None,
) -> bytes:
    """What the download button delivers: ``export_bytes``, except a CSV is zipped with LICENSE.txt."""
    if fmt != "csv":
        return export_bytes(fmt, ctx, paper, orientation, dpi, export_date)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(file_name(ctx, "csv"), export_bytes("csv", ctx, export_date=export_date))
        zf.writestr("LICENSE.txt", notice_text(ctx, export_date, column_names(people_table(ctx))))
    return buf.getvalue()
