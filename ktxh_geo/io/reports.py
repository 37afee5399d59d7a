"""Following the plan in the store: commune targets, reporting periods and the communes' reports.

- **Commune targets** are imported by the planning office (``import_targets``): an import replaces the targets of the
  indicators it holds for its year; every replaced target is kept in ``target_changes`` with the import that
  replaced it (who, when, file, source).
- **A period** is a year and a stage (``vocab.STAGES``) with a deadline, opened by the office (``open_period``).
- **A report** is one commune's values for one period. Its state goes nháp → đã gửi → đã duyệt / trả lại (with the
  reason, which the reporter sees). Each save adds a version of its values (``report_values`` is never updated);
  every step is an event (``report_events``). An accepted report is never changed: the office returns it first
  (a traced event with a reason), then a new version can be saved.

Who may write is checked here, where the write happens: a commune's reporter (a scoped ``Editor``) writes only its
own communes' reports; reviews, periods and targets are the office's (an unscoped Editor). Optimistic concurrency
as for figures: a form states the report's version it was read at (``expected_version``); anything done to the
report since raises ``Conflict`` naming who did what and when, unless the user chose to save over it
(``overwrite``). Writes of reports lock the ``reports`` counter row, targets the ``targets`` row.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd
from sqlalchemy import Connection, and_, delete, func, insert, select, update

from ktxh_geo.errors import Change, InputError
from ktxh_geo.io import db, schema
from ktxh_geo.text import MAX_SOURCE_CHARS, format_number, within
from ktxh_geo.vocab import (
    REPORT_ACTIONS,
    REPORT_STATES,
    STAGES,
    VALUE_STATUSES,
    Editor,
    require_office,
    require_scope,
)

MAX_REASON_CHARS = 1000
REPORT_COLUMNS = ["code", "state", "version", "updated_at", "updated_by", "submitted_at", "reason"]
VALUE_COLUMNS = [
    "code",
    "indicator_id",
    "value",
    "value_text",
    "status",
    "source",
    "entered_by",
    "entered_at",
    "version",
]
TARGET_COLUMNS = ["indicator_id", "code", "year", "name", "unit", "rule", "value", "low", "high", "strict", "wording"]
EVENT_COLUMNS = ["id", "code", "version", "at", "who", "action", "reason", "overwrote"]


class ReportError(InputError):
    """A report write refused for what it is (no period, wrong state, no source); nothing was written."""


@dataclass(frozen=True)
class ReportValue:
    """One value of a report: a number (or a text for a milestone), whether it is ước tính or thực hiện, its source."""

    indicator_id: str
    value: float | None = None
    value_text: str = ""
    status: str = "estimate"
    source: str = ""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _frame(conn: Connection, query, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in conn.execute(query).all()], columns=columns)


def _stage(stage: str) -> str:
    if stage not in STAGES:
        raise ReportError(f"Kỳ báo cáo “{stage}” không hợp lệ; chọn một trong: {', '.join(STAGES.values())}.")
    return stage


# ---------------------------------------------------------------- periods


def open_period(profile: str, year: int, stage: str, deadline: date, *, editor: Editor, path=None) -> None:
    """Open (or move the deadline of) a reporting period; the office only."""
    who = require_office(editor, "mở kỳ báo cáo").name
    _stage(stage)
    p = schema.periods
    row = {"deadline": deadline.isoformat(), "opened_by": who, "opened_at": _now()}
    key = and_(p.c.profile == profile, p.c.year == int(year), p.c.stage == stage)

    def run(con):
        db.lock_counter(con, "reports")
        if con.execute(select(p.c.stage).where(key)).first():
            con.execute(update(p).where(key).values(**row))
        else:
            con.execute(insert(p).values(profile=profile, year=int(year), stage=stage, **row))
        db.bump_counter(con, "reports")

    db.write(db.backend(path), run)


def periods(profile: str, path=None) -> pd.DataFrame:
    """The opened periods of a locality, newest year first, stages in their order."""
    p = schema.periods
    cols = ["year", "stage", "deadline", "opened_by", "opened_at"]
    query = select(p.c.year, p.c.stage, p.c.deadline, p.c.opened_by, p.c.opened_at).where(p.c.profile == profile)
    frame = db.read(db.backend(path), lambda con: _frame(con, query, cols), pd.DataFrame(columns=cols))
    if len(frame):
        order = {s: i for i, s in enumerate(STAGES)}
        frame = frame.assign(_o=frame["stage"].map(order)).sort_values(["year", "_o"], ascending=[False, True])
        frame = frame.drop(columns="_o").reset_index(drop=True)
    return frame


# ---------------------------------------------------------------- commune targets


def _target_text(row: dict) -> str:
    if row.get("rule") == "range":
        return f"{format_number(row.get('low'))}–{format_number(row.get('high'))}"
    if row.get("rule") == "milestone":
        return "hoàn thành"
    sign = {"at_most": "≤", "at_least": "≥", "count": "≥"}.get(row.get("rule") or "", "")
    return f"{row.get('rule')} {sign} {format_number(row.get('value'))}"


def import_targets(
    profile: str,
    year: int,
    rows: Iterable[dict],
    *,
    editor: Editor,
    source: str,
    file: str = "",
    expected_version: int | None = None,
    overwrite: int | None = None,
    path=None,
) -> int:
    """Replace the commune targets of the indicators in ``rows`` for ``year`` (the office only); returns the
    import's id. ``expected_version``: ``target_version()`` when the file was checked: an import made since that
    set targets of the same indicators raises ``Conflict`` unless ``overwrite`` covers it."""
    who = require_office(editor, "giao chỉ tiêu cho xã").name
    source = within(source, MAX_SOURCE_CHARS, "Nguồn chỉ tiêu")
    if not source:
        raise ReportError("Phải ghi rõ nguồn của chỉ tiêu giao (văn bản, ngày) trước khi lưu.")
    rows = [{k: r.get(k) for k in TARGET_COLUMNS if k != "year"} for r in rows]
    if not rows:
        raise ReportError("Tệp không có chỉ tiêu nào để giao.")
    indicators = sorted({r["indicator_id"] for r in rows})
    ct, ti = schema.commune_targets, schema.target_imports

    def run(con):
        current = db.lock_counter(con, "targets")
        found: list[Change] = []
        if expected_version is not None and expected_version < current:
            since = con.execute(
                select(ti.c.id, ti.c.user, ti.c.created_at, ti.c.file)
                .join_from(ti, ct, ct.c.set_in == ti.c.id)
                .where(ti.c.id > expected_version, ti.c.profile == profile, ct.c.indicator_id.in_(indicators))
                .distinct()
            ).all()
            found = [
                Change(r.id, r.user, r.created_at, f"lần giao chỉ tiêu {r.id} ({r.file or 'không tên tệp'})")
                for r in since
            ]
        overwrote = db.guard("Chỉ tiêu giao cho xã", expected_version, current, found, overwrite)
        new_id = current + 1
        con.execute(
            insert(ti).values(
                id=new_id,
                profile=profile,
                year=int(year),
                created_at=_now(),
                user=who,
                file=file,
                source=source,
                overwrote=overwrote,
            )
        )
        key = and_(ct.c.profile == profile, ct.c.year == int(year), ct.c.indicator_id.in_(indicators))
        old = {(r.indicator_id, r.code): _target_text(dict(r._mapping)) for r in con.execute(select(ct).where(key))}
        con.execute(delete(ct).where(key))
        con.execute(
            insert(ct),
            [
                {
                    **r,
                    "profile": profile,
                    "year": int(year),
                    "strict": int(bool(r.get("strict"))),
                    "set_in": new_id,
                    "unit": r.get("unit") or "",
                    "wording": r.get("wording") or "",
                }
                for r in rows
            ],
        )
        new = {(r["indicator_id"], r["code"]): _target_text(r) for r in rows}
        changed = [
            {"import_id": new_id, "indicator_id": k[0], "code": k[1], "old": old.get(k, ""), "new": new.get(k, "")}
            for k in sorted(set(old) | set(new))
            if old.get(k, "") != new.get(k, "")
        ]
        if changed:
            con.execute(insert(schema.target_changes), changed)
        db.bump_counter(con, "targets", new_id)
        return new_id

    return db.write(db.backend(path), run)


def target_version(path=None) -> int:
    """The last import of targets (0 before any): the version an import form is checked at."""
    return db.counter_values(db.backend(path)).get("targets", 0)


def commune_targets(profile: str, year: int, path=None) -> pd.DataFrame:
    """The current commune targets of a year, one row per indicator and commune."""
    ct = schema.commune_targets
    query = (
        select(*[ct.c[n] for n in TARGET_COLUMNS])
        .where(ct.c.profile == profile, ct.c.year == int(year))
        .order_by(ct.c.indicator_id, ct.c.code)
    )
    empty = pd.DataFrame(columns=TARGET_COLUMNS)
    return db.read(db.backend(path), lambda con: _frame(con, query, TARGET_COLUMNS), empty)


def target_imports(profile: str, path=None) -> pd.DataFrame:
    """Every import of commune targets, newest first, with the number of targets it changed."""
    ti, tc = schema.target_imports, schema.target_changes
    n = select(func.count()).where(tc.c.import_id == ti.c.id).scalar_subquery()
    cols = ["id", "year", "created_at", "user", "file", "source", "overwrote", "n_changes"]
    query = (
        select(ti.c.id, ti.c.year, ti.c.created_at, ti.c.user, ti.c.file, ti.c.source, ti.c.overwrote, n)
        .where(ti.c.profile == profile)
        .order_by(ti.c.id.desc())
    )
    return db.read(db.backend(path), lambda con: _frame(con, query, cols), pd.DataFrame(columns=cols))


# ---------------------------------------------------------------- reports


def _report_key(t, profile: str, year: int, stage: str, code: str):
    return and_(t.c.profile == profile, t.c.year == int(year), t.c.stage == stage, t.c.code == code)


def _events_since(con: Connection, profile, year, stage, code, since: int) -> list[Change]:
    e = schema.report_events
    rows = con.execute(
        select(e.c.version, e.c.who, e.c.at, e.c.action, e.c.reason)
        .where(_report_key(e, profile, year, stage, code), e.c.version > since)
        .order_by(e.c.version)
    ).all()
    out = []
    for r in rows:
        what = f"báo cáo của {code}, phiên bản {r.version}: {REPORT_ACTIONS.get(r.action, r.action)}"
        out.append(Change(int(r.version), r.who, r.at, what, (r.reason,) if r.reason else ()))
    return out


def _report_write(profile, year, stage, code, who, expected, overwrite, step, path) -> int:
    """Lock, read the report, check the form's version, then ``step(con, row, new_version, overwrote)``."""
    r, p = schema.reports, schema.periods

    def run(con):
        db.lock_counter(con, "reports")
        if not con.execute(
            select(p.c.stage).where(p.c.profile == profile, p.c.year == int(year), p.c.stage == stage)
        ).first():
            raise ReportError(f"Kỳ báo cáo {STAGES[stage]} năm {year} chưa được mở: không ghi gì.")
        row = con.execute(select(r).where(_report_key(r, profile, year, stage, code))).first()
        current = int(row.version) if row else 0
        found = (
            _events_since(con, profile, year, stage, code, expected)
            if expected is not None and expected < current
            else []
        )
        overwrote = db.guard(f"Báo cáo của đơn vị {code}", expected, current, found, overwrite)
        version = current + 1
        action, reason = step(con, row, version)
        event_id = db.bump_counter(con, "reports")
        con.execute(
            insert(schema.report_events).values(
                id=event_id,
                profile=profile,
                year=int(year),
                stage=stage,
                code=code,
                version=version,
                at=_now(),
                who=who,
                action=action,
                reason=reason,
                overwrote=overwrote,
            )
        )
        return version

    return db.write(db.backend(path), run)


def _set_state(con, profile, year, stage, code, row, version, who, state, **extra) -> None:
    r = schema.reports
    values = {"state": state, "version": version, "updated_at": _now(), "updated_by": who, **extra}
    if row is None:
        con.execute(insert(r).values(profile=profile, year=int(year), stage=stage, code=code, **values))
    else:
        con.execute(update(r).where(_report_key(r, profile, year, stage, code)).values(**values))


def save_report(
    profile: str,
    year: int,
    stage: str,
    code: str,
    values: Iterable[ReportValue],
    *,
    editor: Editor,
    expected_version: int | None,
    submit: bool = False,
    overwrite: int | None = None,
    path=None,
) -> int:
    """Save a commune's values for a period as a new version (a draft, or submitted with ``submit``); returns the
    report's new version. Refused (``Forbidden``) outside a reporter's communes; (``ReportError``) when the period is
    not open, the report is waiting for review or accepted, or a value has no source."""
    who = require_scope(editor, {code}).name
    _stage(stage)
    values = list(values)
    for v in values:
        if v.status not in VALUE_STATUSES:
            raise ReportError(f"Trạng thái số liệu “{v.status}” không hợp lệ (ước tính hoặc thực hiện).")
        if not str(v.source or "").strip():
            raise ReportError(f"Chỉ tiêu {v.indicator_id}: phải ghi nguồn số liệu (báo cáo, văn bản, ngày).")
        within(v.source, MAX_SOURCE_CHARS, "Nguồn số liệu")
        within(v.value_text, MAX_SOURCE_CHARS, "Giá trị")
    if not any(v.value is not None or v.value_text for v in values):
        raise ReportError("Báo cáo chưa có giá trị nào: không ghi gì.")

    def step(con, row, version):
        state = row.state if row else None
        if state == "accepted":
            raise ReportError(
                "Báo cáo đã được duyệt: chỉ văn phòng trả lại được (có lý do) trước khi sửa. Không ghi gì."
            )
        if state == "submitted" and editor.scoped:
            raise ReportError(
                "Báo cáo đã gửi và đang chờ duyệt: không sửa được cho đến khi được trả lại. Không ghi gì."
            )
        at = _now()
        con.execute(
            insert(schema.report_values),
            [
                {
                    "profile": profile,
                    "year": int(year),
                    "stage": stage,
                    "code": code,
                    "version": version,
                    "indicator_id": v.indicator_id,
                    "value": v.value,
                    "value_text": v.value_text or "",
                    "status": v.status,
                    "source": v.source.strip(),
                    "entered_by": who,
                    "entered_at": at,
                }
                for v in values
                if v.value is not None or v.value_text
            ],
        )
        new_state = "submitted" if submit else "draft"
        extra = {"submitted_at": at} if submit else {}
        _set_state(
            con, profile, year, stage, code, row, version, who, new_state, reason=row.reason if row else "", **extra
        )
        return ("submit" if submit else "save"), ""

    return _report_write(profile, year, stage, code, who, expected_version, overwrite, step, path)


def submit_report(profile, year, stage, code, *, editor: Editor, expected_version: int | None, path=None) -> int:
    """Send a saved draft (or a returned report, unchanged) to the office for review."""
    who = require_scope(editor, {code}).name

    def step(con, row, version):
        if row is None or row.state not in ("draft", "returned"):
            shown = REPORT_STATES.get(row.state if row else None)
            raise ReportError(f"Chỉ gửi được báo cáo ở trạng thái nháp hoặc bị trả lại (đang: {shown}). Không ghi gì.")
        _set_state(con, profile, year, stage, code, row, version, who, "submitted", submitted_at=_now())
        return "submit", ""

    return _report_write(profile, year, stage, code, who, expected_version, None, step, path)


def review_report(
    profile,
    year,
    stage,
    code,
    *,
    editor: Editor,
    accept: bool,
    reason: str = "",
    expected_version: int | None,
    path=None,
) -> int:
    """The office accepts a submitted report, or returns it (a submitted or accepted one) with a reason the
    reporter sees."""
    who = require_office(editor, "duyệt hoặc trả lại báo cáo").name
    reason = within(reason, MAX_REASON_CHARS, "Lý do trả lại").strip()
    if not accept and not reason:
        raise ReportError("Phải ghi lý do trả lại báo cáo (người báo cáo sẽ thấy lý do này).")

    def step(con, row, version):
        allowed = ("submitted",) if accept else ("submitted", "accepted")
        if row is None or row.state not in allowed:
            shown = REPORT_STATES.get(row.state if row else None)
            raise ReportError(f"Báo cáo đang ở trạng thái “{shown}”: không {'duyệt' if accept else 'trả lại'} được.")
        _set_state(
            con,
            profile,
            year,
            stage,
            code,
            row,
            version,
            who,
            "accepted" if accept else "returned",
            reason="" if accept else reason,
        )
        return ("accept" if accept else "return"), ("" if accept else reason)

    return _report_write(profile, year, stage, code, who, expected_version, None, step, path)


def reports(profile: str, year: int, stage: str, path=None) -> pd.DataFrame:
    """The reports of a period (communes that never saved one have no row), by commune code."""
    r = schema.reports
    query = (
        select(*[r.c[n] for n in REPORT_COLUMNS])
        .where(r.c.profile == profile, r.c.year == int(year), r.c.stage == stage)
        .order_by(r.c.code)
    )
    return db.read(
        db.backend(path), lambda con: _frame(con, query, REPORT_COLUMNS), pd.DataFrame(columns=REPORT_COLUMNS)
    )


def report_values(profile: str, year: int, stage: str, code: str | None = None, path=None) -> pd.DataFrame:
    """The latest saved values of each report of a period (of one commune with ``code``)."""
    v = schema.report_values
    where = [v.c.profile == profile, v.c.year == int(year), v.c.stage == stage]
    if code is not None:
        where.append(v.c.code == code)
    latest = select(v.c.code, func.max(v.c.version).label("version")).where(*where).group_by(v.c.code).subquery()
    query = (
        select(*[v.c[n] for n in VALUE_COLUMNS])
        .join_from(v, latest, and_(v.c.code == latest.c.code, v.c.version == latest.c.version))
        .where(*where)
        .order_by(v.c.code, v.c.indicator_id)
    )
    return db.read(db.backend(path), lambda con: _frame(con, query, VALUE_COLUMNS), pd.DataFrame(columns=VALUE_COLUMNS))


def events(profile: str, year: int, stage: str, code: str | None = None, path=None) -> pd.DataFrame:
    """The history of the reports of a period (of one commune), oldest first."""
    e = schema.report_events
    where = [e.c.profile == profile, e.c.year == int(year), e.c.stage == stage]
    if code is not None:
        where.append(e.c.code == code)
    query = select(*[e.c[n] for n in EVENT_COLUMNS]).where(*where).order_by(e.c.id)
    return db.read(db.backend(path), lambda con: _frame(con, query, EVENT_COLUMNS), pd.DataFrame(columns=EVENT_COLUMNS))
