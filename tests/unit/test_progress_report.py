"""The compiled report (Word, xlsx) of a period: counts, verdicts, maps, not-reported units; hostile text inert."""

import io
from datetime import date

import pandas as pd
from docx import Document
from hostile import HOSTILE
from openpyxl import load_workbook

from ktxh_geo.io import shipped
from ktxh_geo.model import estimate as est
from ktxh_geo.model import progress as pg
from ktxh_geo.model import targets as tg
from ktxh_geo.render import progress_report
from ktxh_geo.render.report import clean
from ktxh_geo.vocab.profile import use

DAY = date(2025, 7, 1)


def _parts(names: dict[str, str] | None = None, source: str = "Báo cáo 6 tháng (minh họa)"):
    with use("bac-ninh-2025") as profile:
        shapes = shipped.load_communes(profile.default_edition)
    units = pd.DataFrame({"code": shapes["code"], "name": shapes["full_name"]})
    targets = pd.DataFrame(
        [
            {
                "indicator_id": "t",
                "code": c,
                "year": 2025,
                "name": (names or {}).get(c, "Thu ngân sách (minh họa)"),
                "unit": "tỷ đồng",
                "rule": "at_least",
                "value": 50,
                "low": None,
                "high": None,
                "strict": 0,
                "wording": "",
            }
            for c in units["code"][:3]
        ]
    )
    codes = list(units["code"][:2])
    values = pd.DataFrame(
        [
            {"code": c, "indicator_id": "t", "value": v, "value_text": "", "status": "estimate", "source": source}
            for c, v in zip(codes, (60.0, 40.0), strict=True)
        ]
    )
    reports = pd.DataFrame(
        [
            {
                "code": c,
                "state": "accepted",
                "submitted_at": "2025-06-18T01:00:00+00:00",
                "reason": "",
                "updated_by": "vp",
            }
            for c in codes
        ]
        + [
            {
                "code": units["code"][2],
                "state": "returned",
                "submitted_at": "2025-06-18T01:00:00+00:00",
                "reason": HOSTILE[3],
                "updated_by": "vp",
            }
        ]
    )
    mapping = dict(zip(units["code"], units["name"], strict=True))
    communes = pg.commune_rows(targets, values, reports, mapping)
    period = pg.Period(2025, "6_thang", date(2025, 6, 20))
    status = pg.reporting_status(units, reports, period.deadline, DAY)
    return progress_report.Parts(profile, period, pd.DataFrame(), communes, status, shapes, DAY)


def test_word_and_excel_read_back():
    parts = _parts()
    doc = Document(io.BytesIO(progress_report.render_docx(parts)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "1/3 lượt chỉ tiêu giao cho xã đạt và vượt kế hoạch" in text
    assert "2/99 đơn vị đã gửi báo cáo; 2 đã duyệt" in text and "Đơn vị chưa báo cáo (97)" in text
    assert len(doc.inline_shapes) == 2
    verdicts = [row.cells[5].text for row in doc.tables[0].rows[1:]]
    assert verdicts == [tg.VERDICTS[tg.EXCEEDED], tg.VERDICTS[tg.NOT_REACHED], tg.VERDICTS[tg.NO_DATA]]
    wb = load_workbook(io.BytesIO(progress_report.render_xlsx(parts)))
    rows = list(wb["Chỉ tiêu giao cho xã"].iter_rows(values_only=True))
    assert rows[1][3:6] == ("60 tỷ đồng", "đạt 120 % KH", "Vượt kế hoạch")
    late = [r for r in wb["Tình trạng báo cáo"].iter_rows(values_only=True) if r[3] == "có"]
    assert len(late) == 97  # the deadline passed: every unit not accepted is late


def test_hostile_text_comes_out_as_typed_and_inert():
    text = HOSTILE[0] + HOSTILE[3] + HOSTILE[9]
    parts = _parts(source=text)
    doc = Document(io.BytesIO(progress_report.render_docx(parts)))
    paragraphs = [p.text for p in doc.paragraphs]
    assert clean(text) in paragraphs  # the source, word for word, as plain text
    assert "QĐ 12 42" not in "\n".join(paragraphs)
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert HOSTILE[3] in cells  # the return reason, as typed
    wb = load_workbook(io.BytesIO(progress_report.render_xlsx(parts)))
    values = [c.value for ws in wb for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert not any(v.startswith(("=", "+", "-", "@")) for v in values)  # no formula Excel would run
    assert any(HOSTILE[9] in v for v in values)
    wb = load_workbook(io.BytesIO(progress_report.render_xlsx(_parts(source=HOSTILE[9]))))
    sources = [row[6] for row in wb["Chỉ tiêu giao cho xã"].iter_rows(min_row=2, values_only=True) if row[6]]
    assert sources == ["'" + HOSTILE[9]] * 2  # a formula as typed, never as a formula


def test_year_estimate_reads_back_with_its_rule_column():
    parts = _parts()
    targets = [
        tg.Target("thu", "locality", "", 2025, "at_least", value=100.0),
        tg.Target("ngheo", "locality", "", 2025, "at_most", value=2.0),
    ]
    names = {"thu": ("Thu ngân sách (minh họa)", "tỷ đồng"), "ngheo": ("Tỷ lệ hộ nghèo (minh họa)", "%")}
    results = {"thu": {"value": 45.0}, "ngheo": {"value": 1.9}}
    parts.estimate = est.rows(targets, results, names, "6_thang", {"thu": est.SCALE, "ngheo": est.KEEP})
    doc = Document(io.BytesIO(progress_report.render_docx(parts)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Ước cả năm: 1/2 chỉ tiêu đạt và vượt kế hoạch (2 chỉ tiêu được ước)" in text
    assert "Ước thực hiện cả năm 2025 từ số liệu 6 tháng" in text
    table = next(t for t in doc.tables if t.rows[0].cells[3].text == "Cách ước")
    body = [[c.text for c in r.cells] for r in table.rows[1:]]
    assert body[0][3:] == ["số 6 tháng × 2", "90 tỷ đồng", "đạt 90 % KH", "Chưa đạt (ước)"]
    assert body[1][3:5] == ["giữ nguyên số 6 tháng", "1,9 %"] and body[1][6] == "Vượt kế hoạch (ước)"
    wb = load_workbook(io.BytesIO(progress_report.render_xlsx(parts)))
    rows = list(wb["Ước cả năm"].iter_rows(values_only=True))
    assert rows[0] == (*progress_report.ESTIMATE_HEADERS, "Loại số liệu")
    assert rows[1][3:] == ("số 6 tháng × 2", "90 tỷ đồng", "đạt 90 % KH", "Chưa đạt (ước)", "ước tính")
    assert rows[2][3] == "giữ nguyên số 6 tháng" and rows[2][7] == "ước tính"
    assert "Ước cả năm" not in load_workbook(io.BytesIO(progress_report.render_xlsx(_parts()))).sheetnames
