"""Versioned store of entered commune figures, on the configured database (``ktxh_geo.io.db``).

Every confirmed import, on-screen edit or restore writes a new version holding the *complete* set of entered
values after the change (a snapshot) and the list of changed cells. A version is written in one transaction, so a
crash or power cut mid-save leaves the previous version intact; readers always see the last committed version.
A value's source is stored once, with the version that set it (``versions.source``; ``snapshot.set_in``).

Backends (``db.backend``): SQLite by default — the file ``$KTXH_STATE_DIR/ktxh_store.sqlite`` in WAL mode with
``synchronous=FULL``, a writer holds ``BEGIN IMMEDIATE``; a writer killed mid-transaction leaves uncommitted WAL
frames that every reader ignores, and reading never creates the file — or PostgreSQL/PostGIS when
``KTXH_DATABASE_URL`` (or ``[connections.ktxh]`` in the Streamlit secrets) names one. Version numbers come from
the ``versions`` row of the table ``counters``, locked (``SELECT … FOR UPDATE``) for the whole save, so concurrent
saves from several processes or servers never lose an update or reuse a number.

No silent overwrite: a form states the version it was read at (``expected_version``); a save is refused with
``Conflict`` (who changed which cell, when) when a cell it writes was changed since, and a restore when anything was
saved since — unless the user chose to save over it (``overwrite``: the version shown in the conflict), which the
new version records (``overwrote``). The check runs inside the save's transaction, after the counter lock.

Failures of the state folder or the database raise one ``StorageError`` (``io.failures``); nothing is
half-written. Every write needs a signed-in ``Editor`` (``require_editor`` is the first step) and records
``editor.name``. The same database holds the failed sign-in counters (table ``login_attempts``), shared by every
app process and server.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, delete, func, insert, select

from ktxh_geo.errors import Change, InputError
from ktxh_geo.io import db, schema
from ktxh_geo.text import MAX_SOURCE_CHARS, format_number, within
from ktxh_geo.vocab import Editor, require_office, require_scope

STORE_FILE = db.STORE_FILE
KEY = ("indicator_id", "code", "edition", "year")
SNAPSHOT_COLUMNS = ["indicator_id", "code", "edition", "year", "value", "value_text", "source", "version_id", "dataset"]
VERSION_COLUMNS = [
    "id",
    "created_at",
    "user",
    "action",
    "dataset",
    "year",
    "source",
    "file",
    "restored_from",
    "overwrote",
]
CHANGE_COLUMNS = ["indicator_id", "code", "edition", "year", "old_value", "old_text", "new_value", "new_text"]
ACTIONS = {"import": "nhập tệp", "edit": "sửa trực tiếp", "restore": "khôi phục"}
SUBJECT = "Số liệu"
# the dataset of a version saving figures placed from the old communes (model.oldunits): computed, never official
PLACED_DATASET = "xa-cu"


class StoreError(InputError):
    """A save was refused (e.g. no source stated); nothing was written."""


@dataclass(frozen=True)
class Cell:
    """One entered figure: a numeric ``value`` or a category ``value_text``; both None/"" deletes it."""

    indicator_id: str
    code: str
    edition: str
    year: int
    value: float | None = None
    value_text: str = ""

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.indicator_id, self.code, self.edition, int(self.year))

    @property
    def empty(self) -> bool:
        return self.value is None and not self.value_text


def store_path() -> Path | str:
    """The SQLite file of the store, or the PostgreSQL URL with every secret masked: for the command line."""
    b = db.backend()
    return b.file if b.file is not None else b.describe()


def state_version() -> str:
    """A cheap key that changes with any write (figures, locations, slides) on any server: the app's cache key."""
    return db.state_version()


def _backend(path: Path | str | None) -> db.Backend:
    return db.backend(path)


def latest_version(path: Path | str | None = None) -> int:
    """Id of the current version (0 when nothing was ever saved): the version a form is read at."""
    return db.counter_values(_backend(path)).get("versions", 0)


def _frame(conn: Connection, query, columns: list[str]) -> pd.DataFrame:
    rows = conn.execute(query).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def snapshot(version_id: int | None = None, path: Path | str | None = None) -> pd.DataFrame:
    """All entered values as of a version (default: the current one), one row per indicator/code/year, each with
    the source and the dataset of the version that set it."""
    t, v = schema.snapshot, schema.versions

    def run(conn):
        vid = version_id if version_id is not None else conn.execute(select(func.max(v.c.id))).scalar()
        query = (
            select(
                *(t.c[n] for n in ("indicator_id", "code", "edition", "year", "value", "value_text")),
                v.c.source,
                t.c.set_in,
                v.c.dataset,
            )
            .join_from(t, v, v.c.id == t.c.set_in)
            .where(t.c.version_id == vid)
            .order_by(t.c.indicator_id, t.c.year, t.c.code)
        )
        return _frame(conn, query, SNAPSHOT_COLUMNS)

    return db.read(_backend(path), run, pd.DataFrame(columns=SNAPSHOT_COLUMNS))


def versions(path: Path | str | None = None) -> pd.DataFrame:
    """The version history, newest first, with the number of changed cells."""
    v, c = schema.versions, schema.changes
    n_changes = select(func.count()).where(c.c.version_id == v.c.id).scalar_subquery()
    cols = [*VERSION_COLUMNS, "n_changes"]
    query = select(*[v.c[name] for name in VERSION_COLUMNS], n_changes).order_by(v.c.id.desc())
    return db.read(_backend(path), lambda conn: _frame(conn, query, cols), pd.DataFrame(columns=cols))


def changes(version_id: int, path: Path | str | None = None) -> pd.DataFrame:
    """The cells a version changed (old and new value)."""
    c = schema.changes
    query = (
        select(*[c.c[name] for name in CHANGE_COLUMNS])
        .where(c.c.version_id == version_id)
        .order_by(c.c.indicator_id, c.c.code)
    )
    return db.read(_backend(path), lambda conn: _frame(conn, query, CHANGE_COLUMNS), pd.DataFrame())


def as_values(snap: pd.DataFrame) -> pd.DataFrame:
    """A snapshot in the layout of data/values.csv, as text columns: status official, or computed ("tính từ số liệu
    công bố") for figures placed from the old communes (dataset ``PLACED_DATASET``; their rule is in the source)."""
    placed = (snap["dataset"] == PLACED_DATASET) if "dataset" in snap else pd.Series(False, index=snap.index)
    out = pd.DataFrame(
        {
            "indicator_id": snap["indicator_id"],
            "level": "commune",
            "code": snap["code"],
            "edition": snap["edition"],
            "year": snap["year"].astype(int).astype(str) if len(snap) else snap["year"],
            "value": [("" if pd.isna(v) else repr(float(v))) for v in snap["value"]],
            "value_text": snap["value_text"].fillna(""),
            "status": ["computed" if p else "official" for p in placed],
            "source": snap["source"],
            "note": [
                f"{'tính từ số liệu theo xã cũ (quy tắc ghi ở nguồn)' if p else 'nhập liệu'}, phiên bản {int(v)}"
                for v, p in zip(snap["version_id"], placed, strict=True)
            ],
        }
    )
    return out.astype(str) if len(out) else out


def _shown(value: float | None, text_: str | None) -> str:
    if text_:
        return str(text_)
    return "(trống)" if value is None else format_number(value)


def _record(
    con: Connection,
    new_state: dict[tuple, dict],
    old_state: dict[tuple, dict],
    meta: dict,
    fail_after_version_row: bool = False,
) -> int:
    """Insert version ``meta["id"]`` with its snapshot and changed cells (inside the caller's transaction)."""
    vid = meta["id"]
    con.execute(insert(schema.versions).values(**{k: meta[k] for k in VERSION_COLUMNS}))
    if fail_after_version_row:  # test hook: simulate a crash in the middle of the transaction
        raise RuntimeError("simulated crash mid-save")
    rows = [
        {
            "version_id": vid,
            **dict(zip(KEY, key, strict=True)),
            "value": row["value"],
            "value_text": row["value_text"],
            "set_in": row.get("set_in") or vid,
        }
        for key, row in new_state.items()
    ]
    if rows:
        con.execute(insert(schema.snapshot), rows)
    changed = []
    for key in sorted(set(new_state) | set(old_state)):
        old, new = old_state.get(key), new_state.get(key)
        pair_old = (old["value"], old["value_text"]) if old else (None, None)
        pair_new = (new["value"], new["value_text"]) if new else (None, None)
        if pair_old != pair_new:
            changed.append(
                {
                    "version_id": vid,
                    **dict(zip(KEY, key, strict=True)),
                    "old_value": pair_old[0],
                    "old_text": pair_old[1],
                    "new_value": pair_new[0],
                    "new_text": pair_new[1],
                }
            )
    if not changed:
        raise StoreError("Không có giá trị nào khác với phiên bản hiện tại: không tạo phiên bản mới.")
    con.execute(insert(schema.changes), changed)
    return vid


def _state(con: Connection, version_id: int | None) -> dict[tuple, dict]:
    if not version_id:
        return {}
    t = schema.snapshot
    rows = con.execute(
        select(t.c.indicator_id, t.c.code, t.c.edition, t.c.year, t.c.value, t.c.value_text, t.c.set_in).where(
            t.c.version_id == version_id
        )
    ).all()
    return {tuple(r[:4]): {"value": r[4], "value_text": r[5], "set_in": r[6]} for r in rows}


def _versions_since(con: Connection, since: int, keys: set[tuple] | None = None) -> list[Change]:
    """The versions after ``since`` (only those changing one of ``keys``, when given), oldest first, with the
    cells they changed: what a ``Conflict`` shows."""
    c, v = schema.changes, schema.versions
    query = (
        select(
            v.c.id,
            v.c.user,
            v.c.created_at,
            v.c.action,
            v.c.dataset,
            v.c.year.label("version_year"),
            *[c.c[n] for n in CHANGE_COLUMNS],
        )
        .join_from(v, c, c.c.version_id == v.c.id)
        .where(v.c.id > since)
        .order_by(v.c.id, c.c.indicator_id, c.c.code)
    )
    if keys is not None:
        query = query.where(c.c.indicator_id.in_(sorted({k[0] for k in keys})))
    found: dict[int, dict] = {}
    for r in con.execute(query):
        key = (r.indicator_id, r.code, r.edition, int(r.year))
        if keys is not None and key not in keys:
            continue
        entry = found.setdefault(r.id, {"row": r, "details": []})
        old, new = _shown(r.old_value, r.old_text), _shown(r.new_value, r.new_text)
        entry["details"].append(f"{r.indicator_id} · {r.code} · năm {r.year}: {old} → {new}")
    out = []
    for vid, entry in found.items():
        r, details = entry["row"], entry["details"]
        year = f" năm {r.version_year}" if r.version_year else ""
        what = f"phiên bản {vid} ({ACTIONS.get(r.action, r.action)}{year}: {len(details)} ô)"
        out.append(Change(vid, r.user, r.created_at, what, tuple(details)))
    return out


def _write(
    meta: dict,
    build,
    path: Path | str | None,
    check,
    expected: int | None,
    overwrite: int | None,
    fail_after_version_row: bool = False,
) -> int:
    """Write one version in one transaction; ``build(con, old_state)`` returns the new state.

    The ``versions`` counter row is locked first (PostgreSQL; SQLite holds BEGIN IMMEDIATE), so the state read
    next is the last committed one and the new id is the next free number. Then ``check(con, expected)`` lists the
    changes since the form's version that this save would overwrite, and ``db.guard`` refuses or records them.
    ``meta["user"]`` is the signed-in editor's name (checked by the caller with ``require_editor``).
    """
    if not str(meta.get("source") or "").strip():
        raise StoreError("Phải ghi rõ nguồn số liệu (văn bản, cơ quan, ngày) trước khi lưu.")
    if any(ch in str(meta["source"]) for ch in "<>"):
        raise StoreError("Nguồn số liệu không được chứa ký tự < hoặc > (mã HTML).")
    meta = {"file": "", "restored_from": None, "year": None, **meta}
    meta["created_at"] = datetime.now(UTC).isoformat(timespec="seconds")

    def run(con):
        current = db.lock_counter(con, "versions")
        found = check(con, expected) if expected is not None and expected < current else []
        overwrote = db.guard(SUBJECT, expected, current, found, overwrite)
        old = _state(con, current)
        meta_row = {**meta, "id": current + 1, "overwrote": overwrote}
        vid = _record(con, build(con, old), old, meta_row, fail_after_version_row)
        db.bump_counter(con, "versions", vid)
        return vid

    return db.write(_backend(path), run)


def save(
    cells: Iterable[Cell],
    *,
    editor: Editor,
    source: str,
    action: str,
    dataset: str,
    year: int | None = None,
    file: str = "",
    expected_version: int | None = None,
    overwrite: int | None = None,
    path: Path | str | None = None,
    _fail_mid_transaction: bool = False,
) -> int:
    """Apply ``cells`` on top of the current values as a new version; returns its id.

    Cells with no value delete the entry (on-screen edits); all other entries are kept unchanged.
    ``expected_version``: the version the form was read at (``latest_version()`` then); a cell this save writes
    that another version changed since raises ``Conflict`` (nothing written) unless ``overwrite`` is at least that
    version (the user chose to save over it; recorded). None (the command line): nothing to compare with.
    Refused (``Forbidden``, nothing written) unless ``editor`` is a signed-in Editor; its name is recorded.
    """
    cells = list(cells)
    editor = require_scope(editor, {cell.code for cell in cells})  # a commune's reporter: its communes only
    source = within(source, MAX_SOURCE_CHARS, "Nguồn số liệu")
    keys = {cell.key for cell in cells}

    def build(_con, old: dict) -> dict:
        new = {k: dict(v) for k, v in old.items()}
        for cell in cells:
            if cell.empty:
                new.pop(cell.key, None)
                continue
            entry = {"value": cell.value, "value_text": cell.value_text or "", "set_in": None}
            prev = old.get(cell.key)
            if prev and (prev["value"], prev["value_text"]) == (entry["value"], entry["value_text"]):
                continue  # unchanged: keep its original source and version
            new[cell.key] = entry
        return new

    meta = {"user": editor.name, "source": source, "action": action, "dataset": dataset, "year": year, "file": file}
    check = lambda con, since: _versions_since(con, since, keys)  # noqa: E731 — the cells this save writes
    return _write(meta, build, path, check, expected_version, overwrite, _fail_mid_transaction)


def restore(
    version_id: int,
    *,
    editor: Editor,
    expected_version: int | None = None,
    overwrite: int | None = None,
    path: Path | str | None = None,
) -> int:
    """Make an earlier version current again, as a new version (history is never rewritten).

    A restore replaces every value: any version saved after ``expected_version`` (the history the user was
    looking at) raises ``Conflict`` unless ``overwrite`` covers it. Refused (``Forbidden``, nothing written) unless
    ``editor`` is a signed-in Editor; its name is recorded.
    """
    editor = require_office(editor, "khôi phục một phiên bản cũ")

    def build(con, _old: dict) -> dict:
        if con.execute(select(schema.versions.c.id).where(schema.versions.c.id == version_id)).first() is None:
            raise StoreError(f"Không có phiên bản số {version_id}.")
        return _state(con, version_id)

    meta = {
        "user": editor.name,
        "source": f"Khôi phục phiên bản {version_id}",
        "action": "restore",
        "dataset": "*",
        "restored_from": version_id,
    }
    return _write(meta, build, path, _versions_since, expected_version, overwrite)


# ---------------------------------------------------------------- failed sign-ins, shared by every app process


def _login_key(name: str) -> str:
    return (name or "").strip().casefold()


def _now(now: datetime | None) -> float:
    return (now or datetime.now(UTC)).timestamp()


def record_failure(name: str, *, now: datetime | None = None, path: Path | str | None = None) -> None:
    """Count one failed password for ``name`` (known or not); rows older than a day are dropped."""
    t = _now(now)
    la = schema.login_attempts

    def run(con):
        con.execute(insert(la).values(name=_login_key(name), failed_at=t))
        con.execute(delete(la).where(la.c.failed_at < t - 86_400))

    db.write(_backend(path), run)


def failures(name: str, *, since: datetime, path: Path | str | None = None) -> list[float]:
    """Times (POSIX seconds) of the failed passwords for ``name`` since ``since``, oldest first."""
    la = schema.login_attempts
    query = (
        select(la.c.failed_at)
        .where(la.c.name == _login_key(name), la.c.failed_at >= since.timestamp())
        .order_by(la.c.failed_at)
    )
    return db.read(_backend(path), lambda con: [float(r[0]) for r in con.execute(query)], [])


def clear(name: str, *, path: Path | str | None = None) -> None:
    """Forget the failed passwords of ``name`` (after a successful sign-in). Writes only when there is something
    to forget, so a sign-in with no failures needs no write (it works on a read-only database)."""
    b = _backend(path)
    la = schema.login_attempts
    key = _login_key(name)
    if not db.read(b, lambda con: con.execute(select(la.c.name).where(la.c.name == key).limit(1)).first(), None):
        return
    db.write(b, lambda con: con.execute(delete(la).where(la.c.name == key)))
