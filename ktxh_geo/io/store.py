"""Versioned store of entered commune figures, on the configured database (``ktxh_geo.io.db``).

Every confirmed import, on-screen edit or restore writes a new version holding the *complete* set of entered
values after the change (a snapshot) and the list of changed cells. A version is written in one transaction, so a
crash or power cut mid-save leaves the previous version intact; readers always see the last committed version.

Backends (``db.backend``): SQLite by default — the file ``$KTXH_STATE_DIR/ktxh_store.sqlite`` in WAL mode with
``synchronous=FULL``, a writer holds ``BEGIN IMMEDIATE``; a writer killed mid-transaction leaves uncommitted WAL
frames that every reader ignores, and reading never creates the file — or PostgreSQL/PostGIS when
``KTXH_DATABASE_URL`` (or ``[connections.ktxh]`` in the Streamlit secrets) names one. Version numbers come from
the ``versions`` row of the table ``counters``, locked (``SELECT … FOR UPDATE``) for the whole save, so concurrent
saves from several processes or servers never lose an update or reuse a number.

Failures of the state folder or the database raise one ``StorageError`` naming the folder (or the database);
nothing is half-written. Every write needs a signed-in ``Editor`` (``require_editor`` is the first step) and
records ``editor.name``. The same database holds the failed sign-in counters (table ``login_attempts``), shared by
every app process and server.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import Connection, delete, func, insert, select

from ktxh_geo.errors import InputError
from ktxh_geo.io import db
from ktxh_geo.io.db import storage_cause, storage_error  # noqa: F401 — part of this module's API
from ktxh_geo.model.auth import Editor, require_editor
from ktxh_geo.text import MAX_SOURCE_CHARS, within

STORE_FILE = db.STORE_FILE
KEY = ("indicator_id", "code", "edition", "year")
SNAPSHOT_COLUMNS = ["indicator_id", "code", "edition", "year", "value", "value_text", "source", "version_id"]
VERSION_COLUMNS = ["id", "created_at", "user", "action", "dataset", "year", "source", "file", "restored_from"]
CHANGE_COLUMNS = ["indicator_id", "code", "edition", "year", "old_value", "old_text", "new_value", "new_text"]


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
    """The SQLite file of the store, or a description of the PostgreSQL database (no password), for messages."""
    b = db.backend()
    return b.file if b.file is not None else b.describe()


def state_version() -> str:
    """A cheap key that changes with any write (figures, locations, slides) on any server: the app's cache key."""
    return db.state_version()


def _backend(path: Path | str | None) -> db.Backend:
    return db.backend(path)


def latest_version(path: Path | str | None = None) -> int:
    """Id of the current version (0 when nothing was ever saved): one indexed read, a cheap cache key."""
    return db.counter_values(_backend(path)).get("versions", 0)


def _frame(conn: Connection, query, columns: list[str]) -> pd.DataFrame:
    rows = conn.execute(query).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def snapshot(version_id: int | None = None, path: Path | str | None = None) -> pd.DataFrame:
    """All entered values as of a version (default: the current one), one row per indicator/code/year."""
    t = db.snapshot

    def run(conn):
        vid = version_id if version_id is not None else conn.execute(select(func.max(db.versions.c.id))).scalar()
        query = (
            select(t.c.indicator_id, t.c.code, t.c.edition, t.c.year, t.c.value, t.c.value_text, t.c.source, t.c.set_in)
            .where(t.c.version_id == vid)
            .order_by(t.c.indicator_id, t.c.year, t.c.code)
        )
        return _frame(conn, query, SNAPSHOT_COLUMNS)

    return db.read(_backend(path), run, pd.DataFrame(columns=SNAPSHOT_COLUMNS))


def versions(path: Path | str | None = None) -> pd.DataFrame:
    """The version history, newest first, with the number of changed cells."""
    v, c = db.versions, db.changes
    n_changes = select(func.count()).where(c.c.version_id == v.c.id).scalar_subquery()
    cols = [*VERSION_COLUMNS, "n_changes"]
    query = select(*[v.c[name] for name in VERSION_COLUMNS], n_changes).order_by(v.c.id.desc())
    return db.read(_backend(path), lambda conn: _frame(conn, query, cols), pd.DataFrame(columns=cols))


def changes(version_id: int, path: Path | str | None = None) -> pd.DataFrame:
    """The cells a version changed (old and new value)."""
    c = db.changes
    query = (
        select(*[c.c[name] for name in CHANGE_COLUMNS])
        .where(c.c.version_id == version_id)
        .order_by(c.c.indicator_id, c.c.code)
    )
    return db.read(_backend(path), lambda conn: _frame(conn, query, CHANGE_COLUMNS), pd.DataFrame())


def as_values(snap: pd.DataFrame) -> pd.DataFrame:
    """A snapshot in the layout of data/values.csv (level=commune, status=official), as text columns."""
    out = pd.DataFrame(
        {
            "indicator_id": snap["indicator_id"],
            "level": "commune",
            "code": snap["code"],
            "edition": snap["edition"],
            "year": snap["year"].astype(int).astype(str) if len(snap) else snap["year"],
            "value": [("" if pd.isna(v) else repr(float(v))) for v in snap["value"]],
            "value_text": snap["value_text"].fillna(""),
            "status": "official",
            "source": snap["source"],
            "note": [f"nhập liệu, phiên bản {int(v)}" for v in snap["version_id"]],
        }
    )
    return out.astype(str) if len(out) else out


def _record(
    con: Connection,
    new_state: dict[tuple, dict],
    old_state: dict[tuple, dict],
    meta: dict,
    fail_after_version_row: bool = False,
) -> int:
    """Insert version ``meta["id"]`` with its snapshot and changed cells (inside the caller's transaction)."""
    vid = meta["id"]
    con.execute(insert(db.versions).values(**{k: meta[k] for k in VERSION_COLUMNS}))
    if fail_after_version_row:  # test hook: simulate a crash in the middle of the transaction
        raise RuntimeError("simulated crash mid-save")
    rows = [
        {
            "version_id": vid,
            **dict(zip(KEY, key, strict=True)),
            "value": row["value"],
            "value_text": row["value_text"],
            "source": row["source"],
            "set_in": row.get("set_in") or vid,
        }
        for key, row in new_state.items()
    ]
    if rows:
        con.execute(insert(db.snapshot), rows)
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
    con.execute(insert(db.changes), changed)
    return vid


def _state(con: Connection, version_id: int | None) -> dict[tuple, dict]:
    if not version_id:
        return {}
    t = db.snapshot
    rows = con.execute(
        select(
            t.c.indicator_id, t.c.code, t.c.edition, t.c.year, t.c.value, t.c.value_text, t.c.source, t.c.set_in
        ).where(t.c.version_id == version_id)
    ).all()
    return {tuple(r[:4]): {"value": r[4], "value_text": r[5], "source": r[6], "set_in": r[7]} for r in rows}


def _write(meta: dict, build, path: Path | str | None, fail_after_version_row: bool = False) -> int:
    """Write one version in one transaction; ``build(con, old_state)`` returns the new state.

    The ``versions`` counter row is locked first (PostgreSQL; SQLite holds BEGIN IMMEDIATE), so the state read
    next is the last committed one and the new id is the next free number. ``meta["user"]`` is the signed-in
    editor's name (checked by the caller with ``require_editor``).
    """
    if not str(meta.get("source") or "").strip():
        raise StoreError("Phải ghi rõ nguồn số liệu (văn bản, cơ quan, ngày) trước khi lưu.")
    if any(ch in str(meta["source"]) for ch in "<>"):
        raise StoreError("Nguồn số liệu không được chứa ký tự < hoặc > (mã HTML).")
    meta = {"file": "", "restored_from": None, "year": None, **meta}
    meta["created_at"] = datetime.now(UTC).isoformat(timespec="seconds")

    def run(con):
        current = db.lock_counter(con, "versions")
        old = _state(con, current)
        vid = _record(con, build(con, old), old, {**meta, "id": current + 1}, fail_after_version_row)
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
    path: Path | str | None = None,
    _fail_mid_transaction: bool = False,
) -> int:
    """Apply ``cells`` on top of the current values as a new version; returns its id.

    Cells with no value delete the entry (on-screen edits); all other entries are kept unchanged.
    Refused (``Forbidden``, nothing written) unless ``editor`` is a signed-in Editor; its name is recorded.
    """
    editor = require_editor(editor)
    cells = list(cells)
    source = within(source, MAX_SOURCE_CHARS, "Nguồn số liệu")

    def build(_con, old: dict) -> dict:
        new = {k: dict(v) for k, v in old.items()}
        for cell in cells:
            if cell.empty:
                new.pop(cell.key, None)
                continue
            entry = {"value": cell.value, "value_text": cell.value_text or "", "source": source, "set_in": None}
            prev = old.get(cell.key)
            if prev and (prev["value"], prev["value_text"]) == (entry["value"], entry["value_text"]):
                continue  # unchanged: keep its original source and version
            new[cell.key] = entry
        return new

    meta = {"user": editor.name, "source": source, "action": action, "dataset": dataset, "year": year, "file": file}
    return _write(meta, build, path, _fail_mid_transaction)


def restore(version_id: int, *, editor: Editor, path: Path | str | None = None) -> int:
    """Make an earlier version current again, as a new version (history is never rewritten).

    Refused (``Forbidden``, nothing written) unless ``editor`` is a signed-in Editor; its name is recorded.
    """
    editor = require_editor(editor)

    def build(con, _old: dict) -> dict:
        if con.execute(select(db.versions.c.id).where(db.versions.c.id == version_id)).first() is None:
            raise StoreError(f"Không có phiên bản số {version_id}.")
        return _state(con, version_id)

    meta = {
        "user": editor.name,
        "source": f"Khôi phục phiên bản {version_id}",
        "action": "restore",
        "dataset": "*",
        "restored_from": version_id,
    }
    return _write(meta, build, path)


# ---------------------------------------------------------------- failed sign-ins, shared by every app process


def _login_key(name: str) -> str:
    return (name or "").strip().casefold()


def _now(now: datetime | None) -> float:
    return (now or datetime.now(UTC)).timestamp()


def record_failure(name: str, *, now: datetime | None = None, path: Path | str | None = None) -> None:
    """Count one failed password for ``name`` (known or not); rows older than a day are dropped."""
    t = _now(now)
    la = db.login_attempts

    def run(con):
        con.execute(insert(la).values(name=_login_key(name), failed_at=t))
        con.execute(delete(la).where(la.c.failed_at < t - 86_400))

    db.write(_backend(path), run)


def failures(name: str, *, since: datetime, path: Path | str | None = None) -> list[float]:
    """Times (POSIX seconds) of the failed passwords for ``name`` since ``since``, oldest first."""
    la = db.login_attempts
    query = (
        select(la.c.failed_at)
        .where(la.c.name == _login_key(name), la.c.failed_at >= since.timestamp())
        .order_by(la.c.failed_at)
    )
    return db.read(_backend(path), lambda con: [float(r[0]) for r in con.execute(query)], [])


def clear(name: str, *, path: Path | str | None = None) -> None:
    """Forget the failed passwords of ``name`` (after a successful sign-in)."""
    b = _backend(path)
    if not b.exists():
        return
    la = db.login_attempts
    db.write(b, lambda con: con.execute(delete(la).where(la.c.name == _login_key(name))))
