"""Every export of every locality read back as a clerk would (issue 18): PNG, PDF, HTML, Word, GeoPackage, GeoJSON,
CSV and xlsx × the three shipped localities and one province of the national view.

Each file has the map's title, the right count of units, the boundary credits and the licence section (the sources'
copyright lines and the MIT text), no text or unit code of another locality, no raw id or file path; the PDF's
labels do not collide (every placed label reads back as its own words, and no two words overlap on the page).
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pyogrio
import pytest
from docx import Document
from localities import foreign
from PIL import Image

from ktxh_geo.model import mapcontext
from ktxh_geo.render import export
from ktxh_geo.render.layout import boundary_credit
from ktxh_geo.vocab import profile

DAY = date(2025, 9, 2)
# locality → (profile, indicator, province, units shown)
LOCALITIES = {
    "yen-the": ("yen-the-2024", "model_villages", None, 19),
    "bac-ninh": ("bac-ninh-2025", "population", None, 99),
    "national": ("national-2025", "population", None, 34),
    "national-24": ("national-2025", "population", "24", 99),
}
RAW = re.compile(r"profiles/|SOURCES\.md|LICENSES\.md|/work/|/tmp/|\(\w+_\w+\)")


@pytest.fixture(scope="module", params=list(LOCALITIES))
def case(request):
    profile_id, indicator, province, n = LOCALITIES[request.param]
    with profile.use(profile_id):
        ctx = mapcontext.prepare(indicator, province=province, layers=())
        yield request.param, ctx, n


def _clean(text: str, ctx, unit_codes=None) -> None:
    """No other locality's text or unit code, no path or raw id. ``unit_codes``: a table's code column (its other
    columns hold figures, whose digits are not codes); else every 5-digit group of the text (figures print with
    a thousands dot there)."""
    texts, codes = foreign(ctx.profile.id)
    assert not [t for t in texts if t in text], [t for t in texts if t in text]
    shown = set(unit_codes) if unit_codes is not None else set(re.findall(r"(?<![\d.])\d{5}(?![\d.])", text))
    assert not shown & codes, sorted(shown & codes)
    assert not RAW.findall(text), RAW.findall(text)
    assert ctx.indicator.id not in text  # names, not ids


def _licence(text: str, ctx) -> None:
    terms = export.licences(ctx.profile)
    assert "GIẤY PHÉP DỮ LIỆU" in text or "Giấy phép dữ liệu" in text
    for source in terms.sources:
        assert source.copyright in text
    assert "Permission is hereby granted, free of charge" in " ".join(text.split())
    assert "# " not in text and "MIT License" not in text  # the Vietnamese section, not the Markdown file


def _pdf_words(pdf: Path) -> list[tuple[str, float, float, float, float]]:
    out = subprocess.run(["/usr/bin/pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True)
    words = re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', out.stdout
    )
    return [(w, float(a), float(b), float(c), float(d)) for a, b, c, d, w in words]


def test_pdf_title_credits_units_and_labels_that_never_collide(case, tmp_path):
    name, ctx, n = case
    pdf = tmp_path / "map.pdf"
    pdf.write_bytes(export.render_pdf(ctx, "a4", "landscape", DAY))
    text = " ".join(
        subprocess.run(["/usr/bin/pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout.split()
    )
    assert " ".join(ctx.title.split()) in text
    assert " ".join(boundary_credit(ctx.profile).split()) in text
    assert "Ngày xuất bản đồ: 02/09/2025" in text and "020 km" not in text
    _clean(text, ctx)
    words = _pdf_words(pdf)
    for i, (a, *ba) in enumerate(words):  # no two words overlap anywhere on the page
        for b, *bb in words[i + 1 :]:
            # 1 pt: two lines of a title touch where stacked diacritics meet; a collision overlaps far more
            assert not (ba[0] < bb[2] - 1 and bb[0] < ba[2] - 1 and ba[1] < bb[3] - 1 and bb[1] < ba[3] - 1), (
                a,
                b,
            )
    lay = export.layout(ctx, "a4", "landscape", 72, DAY)
    boxes = lay.label_boxes_pt()
    assert len(boxes) + len(lay.dropped) >= n  # every unit is labelled or named in the footer
    assert len(lay.dropped) <= n // 20, lay.dropped
    for label, (x0, y0, x1, y1) in boxes:  # each label reads back as its own words: nothing glued to a neighbour
        inside = [
            w for w, a, b, c, d in words if x0 - 0.5 <= (a + c) / 2 <= x1 + 0.5 and y0 - 0.5 <= (b + d) / 2 <= y1 + 0.5
        ]
        assert " ".join(inside) == label, (label, inside)
    if ctx.profile.map_labels and not ctx.province:  # the country: both archipelagos named
        assert "Quần đảo Hoàng Sa" in text and "Quần đảo Trường Sa" in text
    if ctx.province:  # framed on the province, not the country
        assert lay.m_per_mm < 2000 and "Lập bằng ktxh-geo, tỉnh Bắc Ninh" in text


def test_png_is_the_paper_at_its_dpi(case):
    _, ctx, _ = case
    img = Image.open(io.BytesIO(export.render_png(ctx, "a4", "landscape", 150, DAY)))
    assert img.size == (1754, 1240) and img.info["Title"] == ctx.title


def test_html_is_the_map_with_title_and_credits(case):
    _, ctx, _ = case
    page = export.render_html(ctx, DAY)
    assert f"<title>{ctx.title}" in page
    assert "Thang Le Quoc" in page and "02/09/2025" in page
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>|<style.*?</style>", " ", page, flags=re.S))
    _clean(text, ctx)  # what the page shows (element ids are random: their digits are not codes)


def test_word_report_title_units_credits_and_licence(case):
    _, ctx, n = case
    doc = Document(io.BytesIO(export.download_bytes("docx", ctx, dpi=150, export_date=DAY)))
    paragraphs = [p.text for p in doc.paragraphs]
    text = "\n".join(paragraphs + [c.text for t in doc.tables for r in t.rows for c in r.cells])
    assert paragraphs[0] == ctx.title
    (table,) = doc.tables
    assert len(table.rows) == 1 + n
    assert f"{n} {ctx.thematic.edition.unit_words} (" in text  # "99 xã, phường (từ 01/7/2025)"
    assert boundary_credit(ctx.profile) in text and text.count("Ngày xuất:") == 1
    _licence(text, ctx)
    _clean(text, ctx)


def test_data_exports_read_back(case, tmp_path):
    _, ctx, n = case
    for fmt in ("gpkg", "geojson", "csv", "xlsx"):
        export.write_export(fmt, ctx, tmp_path / f"t.{fmt}", export_date=DAY)
    # GeoPackage: the joined units with the notice in the layer's metadata
    info = pyogrio.read_info(tmp_path / "t.gpkg", layer=ctx.indicator.id)
    assert info["features"] == n and info["layer_metadata"]["TITLE"] == ctx.title
    _licence(info["layer_metadata"]["KTXH_LICENCES"], ctx)
    with sqlite3.connect(tmp_path / "t.gpkg") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 10200
    # GeoJSON: the notice as a member
    doc = json.loads((tmp_path / "t.geojson").read_text(encoding="utf-8"))
    assert len(doc["features"]) == n and doc["ktxh_notice"]["title"] == ctx.title
    _licence(doc["ktxh_notice"]["licences"], ctx)
    # CSV: Vietnamese headers, one row per unit, its licence beside it
    table = pd.read_csv(tmp_path / "t.csv", encoding="utf-8-sig", dtype=str)
    assert len(table) == n and list(table.columns[:2]) == ["Mã đơn vị", "Tên đơn vị"]
    notice = (tmp_path / "t.LICENSE.txt").read_text(encoding="utf-8")
    _licence(notice, ctx)
    assert "Mã đơn vị — code" in notice  # the machine name of each column
    _clean(table.to_csv(index=False) + notice, ctx, table["Mã đơn vị"])
    # xlsx: data, notes, column names, licence
    book = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert book.sheetnames == ["Số liệu", "Ghi chú", "Tên cột", "Giấy phép"]
    assert book["Số liệu"].max_row == 1 + n
    notes = {r[0].value: r[1].value for r in book["Ghi chú"].iter_rows(min_row=2)}
    assert notes["Bản đồ"] == ctx.title and notes["Đơn vị hành chính"] == ctx.thematic.units_text
    assert list(notes).count("Ngày xuất") == 1 and list(notes).count("Ranh giới") == 1
    sheets = "\n".join(
        str(c.value) for ws in book.worksheets if ws.title != "Tên cột" for r in ws.iter_rows() for c in r if c.value
    )
    _licence(sheets, ctx)
    _clean(sheets, ctx, [str(r[0].value) for r in book["Số liệu"].iter_rows(min_row=2)])


def test_ui_csv_download_carries_the_licence(case):
    _, ctx, _ = case
    with zipfile.ZipFile(io.BytesIO(export.download_bytes("csv", ctx, export_date=DAY))) as zf:
        _licence(zf.read("LICENSE.txt").decode("utf-8"), ctx)
