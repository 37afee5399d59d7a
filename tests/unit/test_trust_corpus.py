"""Trust: every hostile text of tests/hostile.py through every export and the pages (issue 14).

Each text is put where data text lands — a commune's name, its displayed value and its source, and the
indicator's name (so titles and legends carry it) — then exported to HTML, PDF, xlsx, CSV, GeoJSON and Word,
and shown on the map page (sources, slide buttons). It must come out exactly as typed (or, in spreadsheets,
behind the apostrophe that keeps it text) and never be evaluated: no template result, no script or tag, no
formula, no Markdown.
"""

import dataclasses
import io
import json
import re
import subprocess
import zipfile

import openpyxl
import pandas as pd
import pytest
from docx import Document
from hostile import EVALUATED, HOSTILE

from ktxh_geo.model import mapcontext
from ktxh_geo.render import export
from ktxh_geo.text import printable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def base():
    return mapcontext.prepare("model_villages", 2023)


def _hostile(ctx, text: str):
    joined = ctx.joined.copy()
    for col in ("name", "full_name", "display", "source"):
        joined[col] = joined[col].astype(object)
        joined.loc[joined.index[0], col] = text
    tm = dataclasses.replace(ctx.thematic, joined=joined)
    return dataclasses.replace(ctx, thematic=tm)


def _not_evaluated(output: str) -> None:
    for marker in EVALUATED:
        assert marker not in output
    assert "<script>window" not in output and "<img src=x" not in output


def _cell_text(value: str) -> str:
    """A spreadsheet cell as the user typed it: the apostrophe before formula-like text removed."""
    return value[1:] if value.startswith("'") and value[1:].startswith(FORMULA_START) else value


@pytest.mark.parametrize("text", HOSTILE)
def test_html_export_keeps_hostile_text_inert(text, base):
    html = export.render_html(_hostile(base, text))
    _not_evaluated(html)
    assert not re.search(r"\{\{|\{%|\{#", html)  # folium's second Jinja pass found no template syntax


@pytest.mark.parametrize("text", HOSTILE)
def test_data_exports_carry_hostile_text_exactly(text, base, tmp_path):
    ctx = _hostile(base, text)
    # GeoJSON: the exact text as a property value
    path = export.write_export("geojson", ctx, tmp_path / "x.geojson")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["features"][0]["properties"]["source"] == text
    # CSV: the text (behind an apostrophe when it would start a formula)
    raw = export.export_bytes("csv", ctx)
    if raw[:2] == b"PK":  # a zip of CSV + licence
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            raw = zf.read(next(n for n in zf.namelist() if n.endswith(".csv")))
    table = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    source = export.PEOPLE_COLUMNS["source"]
    assert _cell_text(table[source].iloc[0]).replace("\r\n", "\n").replace("\r", "\n") == text.replace("\r", "\n")
    # xlsx: a text cell, never a formula
    book = openpyxl.load_workbook(io.BytesIO(export.export_bytes("xlsx", ctx)))
    sheet = book["Số liệu"]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index(export.PEOPLE_COLUMNS["source"]) + 1)
    assert cell.data_type == "s"
    assert not any(c.data_type == "f" for row in sheet.iter_rows() for c in row)
    expected = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", lambda m: printable(m.group()), text)  # XML-illegal: shown
    assert _cell_text(cell.value).replace("\r", "\n") == expected.replace("\r", "\n")


@pytest.mark.parametrize("text", HOSTILE)
def test_word_report_carries_hostile_text_as_plain_text(text, base):
    document = Document(io.BytesIO(export.export_bytes("docx", _hostile(base, text))))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    shown = printable(" ".join(text.split()))  # control and bidi characters visibly escaped
    assert any(shown[:20] in c for c in cells)
    xml = document.element.xml
    assert "w:fldSimple" not in xml and "w:instrText" not in xml  # no Word fields


@pytest.mark.parametrize("text", [t for t in HOSTILE if t.isprintable() and len(t) < 100])
def test_pdf_prints_hostile_text_literally(text, base, tmp_path):
    pdf = tmp_path / "x.pdf"
    pdf.write_bytes(export.render_pdf(_hostile(base, text)))
    printed = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    flat = " ".join(printed.split())
    for marker in EVALUATED:  # printed text is never code; it only must not have been evaluated first
        assert marker not in flat
    assert " ".join(text.split())[:12] in flat  # the footer's sources print the text as typed
