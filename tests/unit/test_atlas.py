"""The atlas (issue 23): one PDF and one Word file of a locality's maps, read back — pages, titles, contents, the
unit table and one credits section; from the command line too."""

from __future__ import annotations

import io
import subprocess
from datetime import date

import pytest
from docx import Document

from ktxh_geo.cli import main
from ktxh_geo.render.atlas import (
    CREDITS_HEADING,
    TABLE_HEADING,
    TOC_HEADING,
    build_atlas,
    render_atlas_docx,
    render_atlas_pdf,
)
from ktxh_geo.vocab.profile import use

DAY = date(2026, 1, 2)


def _pdf(data: bytes, tmp_path) -> tuple[int, list[str]]:
    """Page count and each page's text."""
    path = tmp_path / "atlas.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return pages, text.split("\f")[:pages]


@pytest.fixture(scope="module")
def yen_the():
    with use("yen-the-2024"):
        atlas = build_atlas(None, include_illustrative=True)
        yield atlas, render_atlas_pdf(atlas, DAY), render_atlas_docx(atlas, DAY, dpi=100)


def test_atlas_pdf_has_cover_contents_a_page_per_map_table_and_one_credits_section(yen_the, tmp_path):
    atlas, pdf, _ = yen_the
    assert len(atlas.maps) == 4 and not atlas.skipped  # every mappable indicator of Yên Thế
    pages, texts = _pdf(pdf, tmp_path)
    assert pages == 9  # cover, contents, 4 maps, the 19-unit table, notes, credits
    assert "Tập bản đồ chuyên đề — huyện Yên Thế" in texts[0] and "4 bản đồ · xuất ngày 02/01/2026" in texts[0]
    toc = " ".join(texts[1].split())
    assert TOC_HEADING in toc
    for i, ctx in enumerate(atlas.maps):
        assert f"Bản đồ {i + 1}. {ctx.title} ..... trang {3 + i}" in toc
        assert ctx.title.split(" — ")[0] in " ".join(texts[2 + i].split())  # the map page carries its own title
    assert TABLE_HEADING in texts[6] and "Xã An Thượng" in texts[6] and "3 thôn" in texts[6]
    credits_lines = [line for t in texts for line in t.splitlines() if line.strip() == CREDITS_HEADING]
    assert len(credits_lines) == 1  # the credits once, at the end
    page_of_credits = next(i for i, t in enumerate(texts) if CREDITS_HEADING in t.splitlines())
    assert f"{CREDITS_HEADING} ..... trang {page_of_credits + 1}" in toc
    assert "Copyright" in texts[-1] and "Ngày xuất: 02/01/2026" in texts[-1]


def test_atlas_word_file_reads_back(yen_the):
    atlas, _, docx = yen_the
    doc = Document(io.BytesIO(docx))
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [TOC_HEADING, *(f"Bản đồ {i + 1}. {c.title}" for i, c in enumerate(atlas.maps)), TABLE_HEADING,
                        CREDITS_HEADING]  # fmt: skip
    assert len(doc.inline_shapes) == 4  # one map picture per map
    table = doc.tables[0]
    assert len(table.rows) == 1 + 19 and table.rows[0].cells[1].text == "Đơn vị"
    rows = {r.cells[1].text: [c.text for c in r.cells] for r in table.rows[1:]}
    assert "3 thôn" in rows["Xã An Thượng"]
    assert doc.core_properties.title == "Tập bản đồ chuyên đề — huyện Yên Thế"


def test_atlas_lists_what_it_left_out(tmp_path):
    with use("yen-the-2024"):
        atlas = build_atlas(None, include_illustrative=False)
        pdf = render_atlas_pdf(atlas, DAY)
    assert [c.indicator.id for c in atlas.maps] == ["ntm_status", "model_villages"]
    assert atlas.skipped["Tỷ lệ hộ nghèo"].startswith("Chưa có số liệu cấp xã")
    _, texts = _pdf(pdf, tmp_path)
    notes = " ".join(" ".join(texts).split())
    assert "Chưa đưa vào tập bản đồ" in notes and "Tỷ lệ hộ nghèo: Chưa có số liệu cấp xã" in notes
    assert "--illustrative" not in notes and "poverty_rate" not in notes


def test_export_atlas_command(tmp_path, capsys):
    out = tmp_path / "tap.docx"
    assert main(["export", "--atlas", "--indicator", "ntm_status,model_villages", "--out", str(out)]) == 0
    assert "2 bản đồ" in capsys.readouterr().out
    assert len(Document(str(out)).inline_shapes) == 2
    assert main(["export", "--atlas", "--out", str(tmp_path / "tap.xlsx")]) == 2
    assert "chỉ xuất được pdf, docx" in capsys.readouterr().err
    assert main(["export", "--atlas", "--indicator", "khong_co", "--out", str(tmp_path / "x.pdf")]) == 2
    assert not list(tmp_path.glob("x.pdf*"))


def test_atlas_of_a_province_of_the_country(tmp_path):
    with use("national-2025"):
        atlas = build_atlas(["population"], province="24")
        pdf = render_atlas_pdf(atlas, DAY)
    pages, texts = _pdf(pdf, tmp_path)
    assert atlas.title == "Tập bản đồ chuyên đề — tỉnh Bắc Ninh"
    assert pages == 2 + 1 + 4 + 1  # cover, contents, the map, 99 units at 28 a page, notes with credits
    assert "Xã Yên Thế" in " ".join(texts[3:7])
