"""The commune card (issue 23): values, ranks, years, targets, objects, origin; its one-page PDF and Word file."""

from __future__ import annotations

import io
import subprocess
from datetime import date

import pandas as pd
import pytest
from docx import Document

from ktxh_geo.io import shipped as load
from ktxh_geo.io.register import load_register
from ktxh_geo.model.card import commune_card
from ktxh_geo.render.card import render_card_docx, render_card_pdf
from ktxh_geo.vocab.profile import use


def _card(profile_id: str, edition: str, code: str, where: dict | None = None, values=None, illustrative=True):
    with use(profile_id):
        return commune_card(
            code,
            edition,
            load.load_indicators(),
            load.load_values(illustrative, include_entered=False) if values is None else values,
            load.load_communes(edition, where=where or {}),
            load_register(include_edits=False),
            load.load_origin(),
            illustrative,
        )


def _fig(card, indicator_id):
    return next(f for f in card.figures if f.indicator.id == indicator_id)


def test_district_commune_values_ranks_sources_objects_and_successor():
    card = _card("yen-the-2024", "2020-2024", "07285")
    villages = _fig(card, "model_villages")
    assert (villages.display, villages.year, villages.status) == ("3 thôn", 2023, "official")
    assert (villages.rank, villages.ranked) == (1, 17)  # the most model villages of the 17 xã with a figure
    assert villages.source.startswith("Dự thảo Kế hoạch KT-XH 2024, mục A, chú thích 1")
    poverty = _fig(card, "poverty_rate")
    assert poverty.status == "illustrative" and poverty.display == "1,52 %"
    assert poverty.target == "1,93 % (năm 2024, chỉ tiêu của huyện Yên Thế)"  # the district's own target, said so
    assert {o.name for o in card.objects} >= {"Thôn An Châu", "Thôn Hồng Lĩnh", "Thôn Tân An"}
    assert card.successor.startswith("Xã Tam Tiến (mã 07264)")
    assert card.illustrative


def test_official_only_card_has_no_illustrative_value():
    card = _card("yen-the-2024", "2020-2024", "07285", illustrative=False)
    assert _fig(card, "poverty_rate").display == "Chưa có số liệu"
    assert not card.illustrative


def test_new_commune_aggregates_and_refuses_like_the_map():
    card = _card("yen-the-2024", "2025", "07288")
    assert "Thị trấn Phồn Xương" in card.predecessors and card.seat.startswith("Trụ sở Đảng ủy")
    assert _fig(card, "poverty_rate").refusal.startswith("Không gộp được chỉ tiêu “Tỷ lệ hộ nghèo”")
    assert _fig(card, "model_villages").source.startswith("Số liệu gộp theo đơn vị mới (quy tắc: tổng)")


def test_province_commune_ranked_among_its_province_with_published_origin():
    card = _card("national-2025", "2025", "00004", {"province_code": "01"})
    assert card.area_name == "thành phố Hà Nội" and card.units == 126
    population = _fig(card, "population")
    assert population.display == "65.023 người" and population.ranked == 126
    assert "Phường Cửa Đông (phần còn lại sau khi sáp nhập vào phường Hoàn Kiếm)" in card.predecessors
    assert card.seat == "Số 2, phố Trúc Bạch, phường Ba Đình"


def test_years_series_and_rank_from_several_years():
    with use("bac-ninh-2025"):
        values = load.load_values(False, include_entered=False)
    older = values[(values["indicator_id"] == "population") & (values["year"] == 2025)].copy()
    older["year"] = 2024
    older["value"] = older["value"] * 0.5
    older.loc[older["code"] == "07288", "value"] = 10**9  # the largest in 2024 only
    older["status"] = "estimate"
    card = _card("bac-ninh-2025", "2025", "07288", values=pd.concat([values, older], ignore_index=True))
    population = _fig(card, "population")
    assert [v.year for v in population.series] == [2024, 2025]
    assert population.series[0].display == "1.000.000.000 người"
    assert (population.year, population.display, population.rank) == (2025, "30.651 người", 55)  # the latest year
    assert population.years_text == "2024: 1.000.000.000 người · 2025: 30.651 người"


def test_unknown_code_is_refused():
    with pytest.raises(KeyError):
        _card("bac-ninh-2025", "2025", "00004")


def _pdf_text(data: bytes, tmp_path) -> tuple[int, str]:
    path = tmp_path / "card.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return pages, text.stdout


@pytest.mark.parametrize(
    "profile_id,edition,code,where,expected",
    [
        ("yen-the-2024", "2020-2024", "07285", None, ["Xã An Thượng (mã 07285)", "3 thôn", "Thôn An Châu"]),
        ("national-2025", "2025", "00004", {"province_code": "01"}, ["Phường Ba Đình", "65.023 người", "Trúc Bạch"]),
    ],
)
def test_card_prints_on_one_page_pdf_and_in_word(tmp_path, profile_id, edition, code, where, expected):
    card = _card(profile_id, edition, code, where)
    with use(profile_id):
        pdf = render_card_pdf(card, date(2026, 1, 2))
        docx = render_card_docx(card, date(2026, 1, 2))
    pages, text = _pdf_text(pdf, tmp_path)
    assert pages == 1
    flat = " ".join(text.split())
    for line in [*expected, "Ngày xuất: 02/01/2026"]:
        assert line in flat, line
    doc = Document(io.BytesIO(docx))
    words = " ".join([p.text for p in doc.paragraphs] + [c.text for t in doc.tables for r in t.rows for c in r.cells])
    for line in expected:
        assert line in words, line
    assert doc.tables[0].rows[0].cells[0].text == "Chỉ tiêu"
    assert len(doc.tables[0].rows) == 1 + len(card.figures)
