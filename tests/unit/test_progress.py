"""The commune-targets template and its check; progress tables, reporting status and the two map layers."""

from datetime import date

import pandas as pd
from hostile import HOSTILE
from progress_helpers import INDICATORS, filled_targets, units

from ktxh_geo.io import shipped
from ktxh_geo.model import progress, target_import
from ktxh_geo.model import targets as tg
from ktxh_geo.vocab.profile import use


def test_template_round_trip_for_99_units():
    u = units()
    report = target_import.check(filled_targets(), "giao.xlsx", 2025, u)
    assert report.ok, report.issues
    assert len(report.rows) == 2 * 99 == len({(r["code"], r["indicator_id"]) for r in report.rows})
    by = {(r["code"], r["indicator_id"]): r for r in report.rows}
    assert by[("07210", "ho_ngheo")]["rule"] == "at_most" and by[("07210", "thu_ngan_sach")]["value"] == 50
    assert "198 chỉ tiêu giao cho 99 đơn vị" in report.summary()


def test_bad_rows_named_by_row_and_column():
    rows = [
        ["99999", "Không có", "thu_ngan_sach", "Thu NS", "tỷ đồng", "50", ""],
        ["07210", "Bắc Giang", "Thu NS", "Thu NS", "tỷ đồng", "50", ""],
        ["07228", "Đa Mai", "thu_ngan_sach", "Thu NS", "tỷ đồng", "nhiều", ""],
        ["07228", "Đa Mai", "khac", HOSTILE[3], "%", "< 2", ""],
        ["07228", "Đa Mai", "ho_ngheo", "Hộ nghèo", "%", "< 2", ""],
        ["07228", "Đa Mai", "ho_ngheo", "Hộ nghèo", "%", "< 3", ""],
    ]
    report = target_import.check(filled_targets(rows), "giao.xlsx", 2025, units())
    text = [str(i) for i in report.errors]
    assert not report.ok
    assert any("dòng 2" in t and "Mã xã" in t and "99999" in t for t in text)
    assert any("dòng 3" in t and "Mã chỉ tiêu" in t for t in text)
    assert any("dòng 4" in t and "Không đọc được chỉ tiêu" in t for t in text)
    assert any("dòng 5" in t and "HTML" in t for t in text)
    assert any("dòng 7" in t and "đã có ở dòng 6" in t for t in text)
    assert [r["value"] for r in report.rows] == [2.0]  # "< 2" is a strict ceiling, kept; nothing else passes


def test_progress_rows_count_only_accepted_reports():
    targets = pd.DataFrame(
        [
            {
                "indicator_id": "t",
                "code": c,
                "year": 2025,
                "name": "T",
                "unit": "tỷ đồng",
                "rule": "at_least",
                "value": 50,
                "low": None,
                "high": None,
                "strict": 0,
                "wording": "",
            }
            for c in ("A", "B", "C")
        ]
    )
    values = pd.DataFrame(
        [
            {"code": "A", "indicator_id": "t", "value": 58.3, "value_text": "", "status": "estimate", "source": "s"},
            {"code": "B", "indicator_id": "t", "value": 60.0, "value_text": "", "status": "official", "source": "s"},
        ]
    )
    reports = pd.DataFrame([{"code": "A", "state": "accepted"}, {"code": "B", "state": "submitted"}])
    rows = progress.commune_rows(targets, values, reports, {"A": "Xã A"})
    assert rows["verdict"].tolist() == [tg.EXCEEDED, tg.NO_DATA, tg.NO_DATA]  # B waits for review
    assert rows.at[0, "Tỷ lệ"] == "đạt 116,6 % KH" and rows.at[0, "Đơn vị"] == "Xã A"
    assert progress.headline_text(*progress.headline(rows)) == "1/3 chỉ tiêu đạt và vượt kế hoạch"


def test_reporting_status_late_and_returned():
    u = pd.DataFrame({"code": ["A", "B", "C", "D"], "name": ["a", "b", "c", "d"]})
    reports = pd.DataFrame(
        [
            {
                "code": "A",
                "state": "accepted",
                "submitted_at": "2025-06-19T10:00:00+00:00",
                "reason": "",
                "updated_by": "x",
            },
            {
                "code": "B",
                "state": "submitted",
                "submitted_at": "2025-06-25T10:00:00+00:00",
                "reason": "",
                "updated_by": "x",
            },
            {
                "code": "C",
                "state": "returned",
                "submitted_at": "2025-06-18T10:00:00+00:00",
                "reason": "Sai số",
                "updated_by": "vp",
            },
        ]
    )
    s = progress.reporting_status(u, reports, date(2025, 6, 20), date(2025, 6, 30)).set_index("code")
    assert s["status"].to_dict() == {"A": "accepted", "B": "submitted", "C": "returned", "D": progress.LATE}
    assert s["Trễ hạn"].to_dict() == {"A": "", "B": "có", "C": "có", "D": "có"}
    assert s.at["C", "Lý do trả lại"] == "Sai số"
    assert sorted(progress.not_reported(s.reset_index())["code"]) == ["C", "D"]


def test_map_layers_for_99_units():
    with use("bac-ninh-2025") as p:
        communes = shipped.load_communes(p.default_edition)
    rows = pd.DataFrame(
        [
            {
                "code": "07210",
                "indicator_id": INDICATORS[0][0],
                "Kết quả": "58 tỷ đồng",
                "Tỷ lệ": "đạt 116 % KH",
                "Đánh giá": "Vượt kế hoạch",
                "verdict": tg.EXCEEDED,
                "Nguồn": "s",
            }
        ]
    )
    joined, cls = progress.progress_layer(communes, rows, INDICATORS[0][0], 2025, "Tiến độ")
    assert len(joined) == 99 and cls.colors.count(tg.VERDICT_COLORS[tg.EXCEEDED]) == 1
    assert {i.label for i in cls.legend} == {"Vượt kế hoạch", "Chưa có số liệu"}
    status = progress.reporting_status(
        pd.DataFrame({"code": communes["code"], "name": communes["name"]}),
        pd.DataFrame(columns=["code"]),
        date(2025, 6, 20),
        date(2025, 6, 1),
    )
    joined, cls = progress.status_layer(communes, status, 2025, "Tình trạng báo cáo")
    assert set(cls.class_labels) == {"Chưa gửi"}
