"""Periods, commune targets and the communes' reports in the store, on SQLite and PostgreSQL (fixture ``target``)."""

from datetime import date

import pytest
from hostile import HOSTILE

from ktxh_geo.errors import Conflict, Forbidden
from ktxh_geo.io import db, reports, schema, store
from ktxh_geo.io.reports import ReportError, ReportValue
from ktxh_geo.vocab import signed_in

P = "bac-ninh-2025"
OFFICE = signed_in("van.phong", "password")
XA_A = signed_in("xa.a", "password", frozenset({"07210"}))
XA_A2 = signed_in("xa.a.2", "password", frozenset({"07210"}))
XA_B = signed_in("xa.b", "password", frozenset({"07228"}))
ROWS = [
    {
        "indicator_id": "thu_ns",
        "code": "07210",
        "name": "Thu ngân sách",
        "unit": "tỷ đồng",
        "rule": "at_least",
        "value": 50,
    },
    {
        "indicator_id": "thu_ns",
        "code": "07228",
        "name": "Thu ngân sách",
        "unit": "tỷ đồng",
        "rule": "at_least",
        "value": 40,
    },
]


def _vals(x, source="Báo cáo 6 tháng của UBND xã (minh họa)"):
    return [ReportValue("thu_ns", x, status="estimate", source=source)]


def _open():
    reports.open_period(P, 2025, "6_thang", date(2025, 6, 20), editor=OFFICE)


def test_schema_is_current(target):
    _open()
    assert db.read(target, lambda c: schema.current_schema(c), 0) == schema.SCHEMA_VERSION == 4


def test_targets_import_replace_and_trace(target):
    assert (
        reports.import_targets(P, 2025, ROWS, editor=OFFICE, source="QĐ giao chỉ tiêu (minh họa)", file="a.xlsx") == 1
    )
    t = reports.commune_targets(P, 2025).set_index("code")
    assert t.at["07210", "value"] == 50 and t.at["07228", "value"] == 40
    changed = [{**ROWS[0], "value": 55}, ROWS[1]]
    assert reports.import_targets(P, 2025, changed, editor=OFFICE, source="QĐ sửa", expected_version=1) == 2
    assert reports.commune_targets(P, 2025).set_index("code").at["07210", "value"] == 55
    hist = reports.target_imports(P)
    assert hist["n_changes"].tolist() == [1, 2]  # the second import changed one target; the trace keeps the old
    with pytest.raises(Conflict, match="lần giao chỉ tiêu 2"):  # a form checked before import 2
        reports.import_targets(P, 2025, ROWS, editor=OFFICE, source="cũ", expected_version=1)
    with pytest.raises(Forbidden, match="Chỉ văn phòng"):
        reports.import_targets(P, 2025, ROWS, editor=XA_A, source="x")


def test_cycle_draft_submit_return_resubmit_accept(target):
    with pytest.raises(ReportError, match="chưa được mở"):
        reports.save_report(P, 2025, "6_thang", "07210", _vals(30), editor=XA_A, expected_version=0)
    _open()
    v = reports.save_report(P, 2025, "6_thang", "07210", _vals(30), editor=XA_A, expected_version=0)
    assert v == 1 and reports.reports(P, 2025, "6_thang").at[0, "state"] == "draft"
    v = reports.submit_report(P, 2025, "6_thang", "07210", editor=XA_A, expected_version=v)
    with pytest.raises(ReportError, match="chờ duyệt"):  # the reporter cannot change a report under review
        reports.save_report(P, 2025, "6_thang", "07210", _vals(31), editor=XA_A, expected_version=v)
    with pytest.raises(ReportError, match="lý do"):
        reports.review_report(P, 2025, "6_thang", "07210", editor=OFFICE, accept=False, expected_version=v)
    v = reports.review_report(
        P, 2025, "6_thang", "07210", editor=OFFICE, accept=False, reason="Thiếu nguồn", expected_version=v
    )
    row = reports.reports(P, 2025, "6_thang").iloc[0]
    assert (row["state"], row["reason"]) == ("returned", "Thiếu nguồn")  # the reporter sees why
    v = reports.save_report(P, 2025, "6_thang", "07210", _vals(52), editor=XA_A, expected_version=v, submit=True)
    v = reports.review_report(P, 2025, "6_thang", "07210", editor=OFFICE, accept=True, expected_version=v)
    assert reports.reports(P, 2025, "6_thang").at[0, "state"] == "accepted"
    assert reports.report_values(P, 2025, "6_thang").at[0, "value"] == 52
    with pytest.raises(ReportError, match="đã được duyệt"):  # accepted data is never overwritten...
        reports.save_report(P, 2025, "6_thang", "07210", _vals(60), editor=OFFICE, expected_version=v)
    # ...unless the office returns it first (traced); the accepted version's values stay in the history
    v = reports.review_report(
        P, 2025, "6_thang", "07210", editor=OFFICE, accept=False, reason="Sửa số", expected_version=v
    )
    reports.save_report(P, 2025, "6_thang", "07210", _vals(61), editor=XA_A, expected_version=v)
    actions = reports.events(P, 2025, "6_thang", "07210")["action"].tolist()
    assert actions == ["save", "submit", "return", "submit", "accept", "return", "save"]
    old = db.read(
        target, lambda c: c.exec_driver_sql("SELECT version, value FROM report_values ORDER BY version").all(), []
    )
    assert [tuple(r) for r in old] == [(1, 30.0), (4, 52.0), (7, 61.0)]


def test_scoped_reporter_refused_outside_its_commune_where_the_write_happens(target):
    _open()
    with pytest.raises(Forbidden, match="07228"):
        reports.save_report(P, 2025, "6_thang", "07228", _vals(1), editor=XA_A, expected_version=0)
    with pytest.raises(Forbidden, match="Chỉ văn phòng"):
        reports.review_report(P, 2025, "6_thang", "07210", editor=XA_A, accept=True, expected_version=0)
    with pytest.raises(Forbidden, match="Chỉ văn phòng"):
        reports.open_period(P, 2025, "9_thang", date(2025, 9, 20), editor=XA_A)
    # the figures store too: a reporter writes only its communes' figures, restores nothing
    cell = store.Cell("population", "07228", "2025", 2025, 1.0)
    with pytest.raises(Forbidden, match="07228"):
        store.save([cell], editor=XA_A, source="x", action="edit", dataset="population")
    with pytest.raises(Forbidden, match="Chỉ văn phòng"):
        store.restore(1, editor=XA_A)
    assert reports.reports(P, 2025, "6_thang").empty and store.latest_version() == 0
    own = store.Cell("population", "07210", "2025", 2025, 1.0)
    assert store.save([own], editor=XA_A, source="x", action="edit", dataset="population") == 1


def test_two_reporters_of_one_commune_never_overwrite_silently(target):
    _open()
    v = reports.save_report(P, 2025, "6_thang", "07210", _vals(30), editor=XA_A, expected_version=0)
    reports.save_report(P, 2025, "6_thang", "07210", _vals(35), editor=XA_A2, expected_version=v)
    with pytest.raises(Conflict, match="xa.a.2") as err:  # the first form is stale: who changed it, and when
        reports.save_report(P, 2025, "6_thang", "07210", _vals(31), editor=XA_A, expected_version=v)
    assert err.value.current == 2 and "lưu nháp" in str(err.value)
    assert reports.report_values(P, 2025, "6_thang").at[0, "value"] == 35
    reports.save_report(P, 2025, "6_thang", "07210", _vals(31), editor=XA_A, expected_version=v, overwrite=2)
    assert reports.events(P, 2025, "6_thang")["overwrote"].tolist() == ["", "", "2"]


def test_hostile_text_stored_as_typed(target):
    _open()
    v = 0
    for i, text in enumerate(HOSTILE[:6]):
        v = reports.save_report(P, 2025, "6_thang", "07228", _vals(i, source=text), editor=XA_B, expected_version=v)
    v = reports.submit_report(P, 2025, "6_thang", "07228", editor=XA_B, expected_version=v)
    reason = "".join(HOSTILE[:5])
    reports.review_report(P, 2025, "6_thang", "07228", editor=OFFICE, accept=False, reason=reason, expected_version=v)
    assert reports.reports(P, 2025, "6_thang").at[0, "reason"] == reason
    assert reports.report_values(P, 2025, "6_thang").at[0, "source"] == HOSTILE[5].strip()
    with pytest.raises(ReportError, match="nguồn"):
        reports.save_report(P, 2025, "6_thang", "07228", _vals(1, source="  "), editor=XA_B, expected_version=None)
