"""Versioned store of entered commune figures: one SQLite file under the state directory.

Every confirmed import, on-screen edit or restore writes a new version holding the *complete* set of entered
values after the change (a snapshot) and the list of changed cells. A version is written in one SQLite
transaction (rollback journal, synchronous=FULL), so a crash or power cut mid-save leaves the previous
version intact. Reading never creates or modifies the file.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from .paths import state_dir

STORE_FILE = "ktxh_store.sqlite"
KEY = ("indicator_id", "code", "edition", "year")
SNAPSHOT_COLUMNS = ["indicator_id", "code", "edition", "year", "value", "value_text", "source", "version_id"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    user TEXT NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('import', 'edit', 'restore')),
    dataset TEXT NOT NULL,
    year INTEGER,
    source TEXT NOT NULL CHECK (length(trim(source)) > 0),
    file TEXT NOT NULL DEFAULT '',
    restored_from INTEGER REFERENCES versions(id)
);
CREATE TABLE IF NOT EXISTS snapshot (
    version_id INTEGER NOT NULL REFERENCES versions(id),
    indicator_id TEXT NOT NULL,
    code TEXT NOT NULL,
    edition TEXT NOT NULL,
    year INTEGER NOT NULL,
    value REAL,
    value_text TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL,
    set_in INTEGER NOT NULL,
    PRIMARY KEY (version_id, indicator_id, code, edition, year)
);
CREATE TABLE IF NOT EXISTS changes (
    version_id INTEGER NOT NULL REFERENCES versions(id),
    indicator_id TEXT NOT NULL,
    code TEXT NOT NULL,
    edition TEXT NOT NULL,
    year INTEGER NOT NULL,
    old_value REAL,
    old_text TEXT,
    new_value REAL,
    new_text TEXT
);
"""


class StoreError(Exception):
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


def store_path() -> Path:
    return state_dir() / STORE_FILE


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    con.execute("PRAGMA journal_mode=DELETE")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("PRAGMA foreign_keys=ON")
    return con


def _read(path: Path | None) -> sqlite3.Connection | None:
    """A read-only connection, or None when the store does not exist yet."""
    path = path or store_path()
    if not path.exists():
        return None
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)


def latest_version(path: Path | None = None) -> int:
    """Id of the current version (0 when nothing was ever saved): a cheap cache key for the app."""
    con = _read(path)
    if con is None:
        return 0
    with closing(con):
        return con.execute("SELECT coalesce(max(id), 0) FROM versions").fetchone()[0]


def snapshot(version_id: int | None = None, path: Path | None = None) -> pd.DataFrame:
    """All entered values as of a version (default: the current one), one row per indicator/code/year."""
    con = _read(path)
    if con is None:
        return pd.DataFrame(columns=SNAPSHOT_COLUMNS)
    with closing(con):
        vid = version_id if version_id is not None else con.execute("SELECT max(id) FROM versions").fetchone()[0]
        df = pd.read_sql_query(
            "SELECT indicator_id, code, edition, year, value, value_text, source, set_in AS version_id "
            "FROM snapshot WHERE version_id = ? ORDER BY indicator_id, year, code",
            con,
            params=(vid,),
        )
    return df


def versions(path: Path | None = None) -> pd.DataFrame:
    """The version history, newest first, with the number of changed cells."""
    con = _read(path)
    cols = ["id", "created_at", "user", "action", "dataset", "year", "source", "file", "restored_from", "n_changes"]
    if con is None:
        return pd.DataFrame(columns=cols)
    with closing(con):
        return pd.read_sql_query(
            "SELECT v.*, (SELECT count(*) FROM changes c WHERE c.version_id = v.id) AS n_changes "
            "FROM versions v ORDER BY v.id DESC",
            con,
        )[cols]


def changes(version_id: int, path: Path | None = None) -> pd.DataFrame:
    """The cells a version changed (old and new value)."""
    con = _read(path)
    if con is None:
        return pd.DataFrame()
    with closing(con):
        return pd.read_sql_query(
            "SELECT indicator_id, code, edition, year, old_value, old_text, new_value, new_text "
            "FROM changes WHERE version_id = ? ORDER BY indicator_id, code",
            con,
            params=(version_id,),
        )


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
    con: sqlite3.Connection,
    new_state: dict[tuple, dict],
    old_state: dict[tuple, dict],
    meta: dict,
    fail_after_version_row: bool = False,
) -> int:
    cur = con.execute(
        "INSERT INTO versions (created_at, user, action, dataset, year, source, file, restored_from) "
        "VALUES (:created_at, :user, :action, :dataset, :year, :source, :file, :restored_from)",
        meta,
    )
    vid = cur.lastrowid
    if fail_after_version_row:  # test hook: simulate a crash in the middle of the transaction
        raise RuntimeError("simulated crash mid-save")
    con.executemany(
        "INSERT INTO snapshot VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (vid, *key, row["value"], row["value_text"], row["source"], row.get("set_in") or vid)
            for key, row in new_state.items()
        ],
    )
    changed = []
    for key in sorted(set(new_state) | set(old_state)):
        old, new = old_state.get(key), new_state.get(key)
        pair_old = (old["value"], old["value_text"]) if old else (None, None)
        pair_new = (new["value"], new["value_text"]) if new else (None, None)
        if pair_old != pair_new:
            changed.append((vid, *key, *pair_old, *pair_new))
    if not changed:
        raise StoreError("Không có giá trị nào khác với phiên bản hiện tại: không tạo phiên bản mới.")
    con.executemany("INSERT INTO changes VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", changed)
    return vid


def _state(con: sqlite3.Connection, version_id: int | None) -> dict[tuple, dict]:
    if version_id is None:
        return {}
    rows = con.execute(
        "SELECT indicator_id, code, edition, year, value, value_text, source, set_in FROM snapshot "
        "WHERE version_id = ?",
        (version_id,),
    ).fetchall()
    return {tuple(r[:4]): {"value": r[4], "value_text": r[5], "source": r[6], "set_in": r[7]} for r in rows}


def _write(meta: dict, build, path: Path | None, fail_after_version_row: bool = False) -> int:
    """Write one version in one transaction; ``build(con, old_state)`` returns the new state."""
    if not str(meta.get("source") or "").strip():
        raise StoreError("Phải ghi rõ nguồn số liệu (văn bản, cơ quan, ngày) trước khi lưu.")
    if any(ch in str(meta["source"]) for ch in "<>"):
        raise StoreError("Nguồn số liệu không được chứa ký tự < hoặc > (mã HTML).")
    if not str(meta.get("user") or "").strip():
        raise StoreError("Không rõ người nhập: cần đăng nhập với quyền biên tập.")
    path = path or store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = {"file": "", "restored_from": None, "year": None, **meta}
    meta["created_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    with closing(_connect(path)) as con:
        con.executescript(_SCHEMA)
        con.execute("BEGIN IMMEDIATE")
        try:
            current = con.execute("SELECT max(id) FROM versions").fetchone()[0]
            old = _state(con, current)
            vid = _record(con, build(con, old), old, meta, fail_after_version_row)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return vid


def save(
    cells: Iterable[Cell],
    *,
    user: str,
    source: str,
    action: str,
    dataset: str,
    year: int | None = None,
    file: str = "",
    path: Path | None = None,
    _fail_mid_transaction: bool = False,
) -> int:
    """Apply ``cells`` on top of the current values as a new version; returns its id.

    Cells with no value delete the entry (on-screen edits); all other entries are kept unchanged.
    """
    cells = list(cells)
    source = source.strip()

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

    meta = {"user": user, "source": source, "action": action, "dataset": dataset, "year": year, "file": file}
    return _write(meta, build, path, _fail_mid_transaction)


def restore(version_id: int, *, user: str, path: Path | None = None) -> int:
    """Make an earlier version current again, as a new version (history is never rewritten)."""

    def build(con, _old: dict) -> dict:
        if con.execute("SELECT 1 FROM versions WHERE id = ?", (version_id,)).fetchone() is None:
            raise StoreError(f"Không có phiên bản số {version_id}.")
        return _state(con, version_id)

    meta = {
        "user": user,
        "source": f"Khôi phục phiên bản {version_id}",
        "action": "restore",
        "dataset": "*",
        "restored_from": version_id,
    }
    return _write(meta, build, path)
