"""Versioned store of entered commune figures: one SQLite file under the state directory.

Every confirmed import, on-screen edit or restore writes a new version holding the *complete* set of entered
values after the change (a snapshot) and the list of changed cells. A version is written in one SQLite
transaction (rollback journal, synchronous=FULL), so a crash or power cut mid-save leaves the previous
version intact. Reading never creates the file.

Durability: the file is in WAL mode (``journal_mode=WAL``, ``synchronous=FULL``). A writer killed in the middle
of a transaction leaves uncommitted frames in the ``-wal`` file that every reader ignores, so readers always see
the last committed version and the next writer carries on. Readers open ordinary connections (never ``mode=ro``
URIs, which cannot recover a file left by a crashed writer).

Failures of the state folder (disk full, read-only, missing or not a folder) raise one ``StorageError`` naming the
folder (``storage_error``); nothing is half-written. Every write needs a signed-in ``Editor`` (``require_editor``
is the first step) and records ``editor.name``.

The same file holds the failed sign-in counters (table ``login_attempts``), shared by every app process.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from ktxh_geo.errors import DataError, InputError, StorageError
from ktxh_geo.model.auth import Editor, require_editor
from ktxh_geo.settings import state_dir

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
CREATE TABLE IF NOT EXISTS login_attempts (
    name TEXT NOT NULL,
    failed_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_attempts_name ON login_attempts (name, failed_at);
"""


class StoreError(InputError):
    """A save was refused (e.g. no source stated); nothing was written."""


# ---------------------------------------------------------------- storage failures → one Vietnamese message

_SQLITE_CAUSES = (
    ("database or disk is full", "ổ đĩa đầy; giải phóng dung lượng rồi thử lại"),
    ("attempt to write a readonly database", "thư mục hoặc tệp chỉ đọc; cần quyền ghi"),
    ("unable to open database file", "thư mục không tồn tại, không phải thư mục hoặc không ghi được"),
    ("disk i/o error", "lỗi đọc/ghi ổ đĩa"),
    ("database is locked", "cơ sở dữ liệu đang bị một tiến trình khác khóa; thử lại sau ít phút"),
    ("readonly", "thư mục hoặc tệp chỉ đọc; cần quyền ghi"),
)
_ERRNO_CAUSES = {
    errno.ENOSPC: "ổ đĩa đầy; giải phóng dung lượng rồi thử lại",
    errno.EDQUOT: "hết hạn mức dung lượng (quota); giải phóng dung lượng rồi thử lại",
    errno.EROFS: "thư mục chỉ đọc (hệ thống tệp chỉ đọc); cần quyền ghi",
    errno.EACCES: "không có quyền ghi vào thư mục",
    errno.EPERM: "không có quyền ghi vào thư mục",
    errno.ENOTDIR: "một phần của đường dẫn không phải thư mục",
    errno.EEXIST: "đường dẫn đã có nhưng không phải thư mục",
    errno.ENOENT: "thư mục không tồn tại",
    errno.EIO: "lỗi đọc/ghi ổ đĩa",
}


def storage_cause(exc: BaseException) -> str | None:
    """The Vietnamese cause of a storage failure (sqlite3 or OS error), or None when it is not one."""
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        for needle, cause in _SQLITE_CAUSES:
            if needle in text:
                return cause
        return None
    if isinstance(exc, OSError) and exc.errno is not None:
        return _ERRNO_CAUSES.get(exc.errno, f"lỗi hệ thống tệp ({exc.strerror or exc})")
    return None


def storage_error(exc: BaseException, folder: Path, *, reading: bool = False) -> StorageError:
    """One clear message naming the state folder for a failed write (or read) of it."""
    cause = storage_cause(exc) or str(exc)
    if reading:
        return StorageError(f"Không đọc được dữ liệu trong thư mục trạng thái {folder}: {cause}.")
    return StorageError(
        f"Không ghi được vào thư mục trạng thái {folder}: {cause}. Không có gì được lưu; dữ liệu trước đó vẫn nguyên."
    )


def _is_storage_failure(exc: BaseException) -> bool:
    return storage_cause(exc) is not None or isinstance(exc, OSError)


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
    """A writing connection (WAL, synchronous=FULL, schema in place); creates the folder and the file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(path, timeout=30, isolation_level=None)
    except (OSError, sqlite3.OperationalError) as exc:
        raise storage_error(exc, path.parent) from exc
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")
        con.execute("PRAGMA foreign_keys=ON")
        con.executescript(_SCHEMA)
    except sqlite3.DatabaseError as exc:
        con.close()
        if storage_cause(exc):
            raise storage_error(exc, path.parent) from exc
        raise DataError(f"Tệp {path} không phải cơ sở dữ liệu số liệu hợp lệ ({exc}); không ghi gì.") from exc
    return con


def _read(path: Path | None) -> sqlite3.Connection | None:
    """A reading connection, or None when the store does not exist yet (or holds no version table).

    An ordinary connection, so a file left by a killed writer is recovered (WAL frames without a commit are
    ignored; an old rollback journal is rolled back). ``query_only`` keeps readers from writing data.
    """
    path = path or store_path()
    try:
        if not path.exists():
            _check_folder(path.parent)
            return None
        con = sqlite3.connect(path, timeout=30)
    except (OSError, sqlite3.OperationalError) as exc:
        raise storage_error(exc, path.parent, reading=True) from exc
    try:
        con.execute("PRAGMA query_only=ON")
        found = con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'versions'").fetchone()
    except sqlite3.DatabaseError as exc:
        con.close()
        if storage_cause(exc):
            raise storage_error(exc, path.parent, reading=True) from exc
        raise DataError(f"Tệp {path} không phải cơ sở dữ liệu số liệu hợp lệ ({exc}).") from exc
    if found is None:
        con.close()
        return None
    return con


def _check_folder(folder: Path) -> None:
    """Raise ``NotADirectoryError`` when the folder (or one of its parents) exists but is not a folder."""
    for part in (folder, *folder.parents):
        if part.exists():
            if not part.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, "Not a directory", str(part))
            return


def _query(path: Path | None, run, empty):
    """Run ``run(con)`` on a reading connection; ``empty`` when there is no store; storage failures → StorageError."""
    path = path or store_path()
    con = _read(path)
    if con is None:
        return empty
    with closing(con):
        try:
            return run(con)
        except sqlite3.OperationalError as exc:
            raise storage_error(exc, path.parent, reading=True) from exc


def latest_version(path: Path | None = None) -> int:
    """Id of the current version (0 when nothing was ever saved): a cheap cache key for the app."""
    return _query(path, lambda con: con.execute("SELECT coalesce(max(id), 0) FROM versions").fetchone()[0], 0)


def snapshot(version_id: int | None = None, path: Path | None = None) -> pd.DataFrame:
    """All entered values as of a version (default: the current one), one row per indicator/code/year."""

    def run(con):
        vid = version_id if version_id is not None else con.execute("SELECT max(id) FROM versions").fetchone()[0]
        return pd.read_sql_query(
            "SELECT indicator_id, code, edition, year, value, value_text, source, set_in AS version_id "
            "FROM snapshot WHERE version_id = ? ORDER BY indicator_id, year, code",
            con,
            params=(vid,),
        )

    return _query(path, run, pd.DataFrame(columns=SNAPSHOT_COLUMNS))


def versions(path: Path | None = None) -> pd.DataFrame:
    """The version history, newest first, with the number of changed cells."""
    cols = ["id", "created_at", "user", "action", "dataset", "year", "source", "file", "restored_from", "n_changes"]
    return _query(
        path,
        lambda con: pd.read_sql_query(
            "SELECT v.*, (SELECT count(*) FROM changes c WHERE c.version_id = v.id) AS n_changes "
            "FROM versions v ORDER BY v.id DESC",
            con,
        )[cols],
        pd.DataFrame(columns=cols),
    )


def changes(version_id: int, path: Path | None = None) -> pd.DataFrame:
    """The cells a version changed (old and new value)."""
    return _query(
        path,
        lambda con: pd.read_sql_query(
            "SELECT indicator_id, code, edition, year, old_value, old_text, new_value, new_text "
            "FROM changes WHERE version_id = ? ORDER BY indicator_id, code",
            con,
            params=(version_id,),
        ),
        pd.DataFrame(),
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
    """Write one version in one transaction; ``build(con, old_state)`` returns the new state.

    ``meta["user"]`` is the signed-in editor's name (checked by the caller with ``require_editor``).
    """
    if not str(meta.get("source") or "").strip():
        raise StoreError("Phải ghi rõ nguồn số liệu (văn bản, cơ quan, ngày) trước khi lưu.")
    if any(ch in str(meta["source"]) for ch in "<>"):
        raise StoreError("Nguồn số liệu không được chứa ký tự < hoặc > (mã HTML).")
    path = path or store_path()
    meta = {"file": "", "restored_from": None, "year": None, **meta}
    meta["created_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    with closing(_connect(path)) as con:
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                current = con.execute("SELECT max(id) FROM versions").fetchone()[0]
                old = _state(con, current)
                vid = _record(con, build(con, old), old, meta, fail_after_version_row)
                con.execute("COMMIT")
            except BaseException:
                _rollback(con)
                raise
        except (sqlite3.OperationalError, OSError) as exc:
            if _is_storage_failure(exc):
                raise storage_error(exc, path.parent) from exc
            raise
    return vid


def _rollback(con: sqlite3.Connection) -> None:
    """Roll back if a transaction is open (SQLite may already have rolled back after a full disk or I/O error)."""
    if con.in_transaction:
        try:
            con.execute("ROLLBACK")
        except sqlite3.OperationalError:
            pass  # the transaction is gone already; the previous version is what readers see


def save(
    cells: Iterable[Cell],
    *,
    editor: Editor,
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
    Refused (``Forbidden``, nothing written) unless ``editor`` is a signed-in Editor; its name is recorded.
    """
    editor = require_editor(editor)
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

    meta = {"user": editor.name, "source": source, "action": action, "dataset": dataset, "year": year, "file": file}
    return _write(meta, build, path, _fail_mid_transaction)


def restore(version_id: int, *, editor: Editor, path: Path | None = None) -> int:
    """Make an earlier version current again, as a new version (history is never rewritten).

    Refused (``Forbidden``, nothing written) unless ``editor`` is a signed-in Editor; its name is recorded.
    """
    editor = require_editor(editor)

    def build(con, _old: dict) -> dict:
        if con.execute("SELECT 1 FROM versions WHERE id = ?", (version_id,)).fetchone() is None:
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


def record_failure(name: str, *, now: datetime | None = None, path: Path | None = None) -> None:
    """Count one failed password for ``name`` (known or not); rows older than a day are dropped."""
    path = path or store_path()
    t = _now(now)
    with closing(_connect(path)) as con:
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                con.execute("INSERT INTO login_attempts VALUES (?, ?)", (_login_key(name), t))
                con.execute("DELETE FROM login_attempts WHERE failed_at < ?", (t - 86_400,))
                con.execute("COMMIT")
            except BaseException:
                _rollback(con)
                raise
        except (sqlite3.OperationalError, OSError) as exc:
            raise storage_error(exc, path.parent) from exc


def failures(name: str, *, since: datetime, path: Path | None = None) -> list[float]:
    """Times (POSIX seconds) of the failed passwords for ``name`` since ``since``, oldest first."""
    return _query(
        path,
        lambda con: [
            r[0]
            for r in con.execute(
                "SELECT failed_at FROM login_attempts WHERE name = ? AND failed_at >= ? ORDER BY failed_at",
                (_login_key(name), since.timestamp()),
            )
        ],
        [],
    )


def clear(name: str, *, path: Path | None = None) -> None:
    """Forget the failed passwords of ``name`` (after a successful sign-in)."""
    path = path or store_path()
    if not path.exists():
        return
    with closing(_connect(path)) as con:
        try:
            con.execute("DELETE FROM login_attempts WHERE name = ?", (_login_key(name),))
        except (sqlite3.OperationalError, OSError) as exc:
            raise storage_error(exc, path.parent) from exc
