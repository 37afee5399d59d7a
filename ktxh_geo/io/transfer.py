"""Moving a whole store: ``db copy``, ``db backup`` and ``db restore``, one mechanism for both backends.

``copy_store`` reads the source from one consistent snapshot and never modifies it:

- a SQLite source is first copied with SQLite's online backup API (a consistent copy even while others write),
  read-only, into a private temporary file; that copy is upgraded to the current schema (a version 1 or 2 store is
  migrated in the copy, never in place) and, for ``db copy``, given the old files of the source's folder;
- a PostgreSQL source is read in one REPEATABLE READ READ ONLY transaction (``db.read_snapshot``).

The target gets everything in one transaction: its counter rows are locked first (concurrent writers wait, within
their lock timeout), it must be empty unless ``replace`` (then its rows are deleted in the same transaction), the
rows are inserted parents first, and the row counts and SHA-256 of every table (in a backend-independent text
form) are compared between source and target before committing — a mismatch rolls everything back.

A backup is a copy into a new SQLite file (written under a temporary name, checkpointed to one self-contained
file, then renamed); a restore is a copy from such a file into the configured store. Only rows move (INSERT,
DELETE, UPDATE of the counters), so restoring needs no more than the application role's privileges once ``db
upgrade`` has created the schema.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import shapely
from sqlalchemy import Connection, delete, func, insert, select, update

from ktxh_geo.errors import StorageError
from ktxh_geo.io import db, failures, schema

Checksums = dict[str, tuple[int, str]]
LegacyHook = Callable[[Connection, db.Backend], None]  # imports the old files of a SQLite source's folder


def _normal(value) -> str:
    if value is None:
        return "∅"
    if isinstance(value, bytes | bytearray | memoryview):
        return shapely.to_wkb(shapely.from_wkb(bytes(value)), output_dimension=2, byte_order=1, hex=True)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def checksums(conn: Connection) -> Checksums:
    """Per copied table: (rows, sha256 of the rows in a backend-independent text form, sorted)."""
    out = {}
    for table in (*schema.COPY_TABLES, schema.counters):
        lines = sorted("\x1f".join(_normal(v) for v in row) for row in conn.execute(select(table)))
        digest = hashlib.sha256("\x1e".join(lines).encode("utf-8")).hexdigest()
        out[table.name] = (len(lines), digest)
    return out


@contextlib.contextmanager
def readable(src: db.Backend, legacy: LegacyHook | None = None) -> Iterator[db.Backend]:
    """The backend to read ``src`` from without touching it: a private, upgraded SQLite copy (backup API), or the
    PostgreSQL database itself (read later in one snapshot)."""
    if src.file is None:
        yield src
        return
    if not src.file.is_file():
        raise StorageError(f"Không có tệp kho nguồn {src.file.name}.")
    with tempfile.TemporaryDirectory(prefix="ktxh-copy-") as folder:
        copy = db.sqlite_backend(Path(folder) / db.STORE_FILE)
        try:
            with contextlib.closing(sqlite3.connect(f"file:{src.file}?mode=ro", uri=True)) as source:
                with contextlib.closing(sqlite3.connect(copy.file)) as target:
                    source.backup(target)
        except sqlite3.Error as exc:
            raise failures.storage_error(exc, sqlite=True, reading=True) from None
        try:
            db.write(copy, lambda conn: None)  # create or migrate the schema, in the copy
            if legacy is not None:
                db.write(copy, lambda conn: legacy(conn, src))
            yield copy
        finally:
            db.dispose(copy)


def _no_statement_limit(conn: Connection) -> None:
    """An operator's copy may run longer than a page's statement (the app's limits stay on every other session);
    the lock timeout still applies, so a copy never waits forever for a writer."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SET LOCAL statement_timeout = 0")
        conn.exec_driver_sql("SET LOCAL idle_in_transaction_session_timeout = 0")


def _is_empty(conn: Connection) -> list[str]:
    """The names of the target's tables that hold rows ("bộ đếm" for non-zero counters)."""
    filled = [t.name for t in schema.COPY_TABLES if conn.execute(select(func.count()).select_from(t)).scalar()]
    if any(conn.execute(select(schema.counters.c.value)).scalars()):
        filled.append("bộ đếm")
    return filled


def copy_store(
    source: db.Backend, target: db.Backend, *, replace: bool = False, legacy: LegacyHook | None = None
) -> Checksums:
    """Copy the whole store (see the module docstring); returns the checksums verified on both sides.

    Raises ``StorageError`` (Vietnamese) when the target holds data and ``replace`` is False, or the checksums
    differ (nothing committed); any database failure as ``io.failures`` maps it.
    """
    if source.url == target.url:
        raise StorageError("Nguồn và đích là cùng một cơ sở dữ liệu.")
    with readable(source, legacy) as reader:
        db.upgrade(target)  # creates the schema when missing; a current one is left as it is (no DDL)

        def run(conn: Connection) -> Checksums:
            _no_statement_limit(conn)
            for name in schema.COUNTERS:
                db.lock_counter(conn, name)
            filled = _is_empty(conn)
            if filled and not replace:
                raise StorageError(
                    f"Cơ sở dữ liệu đích đã có dữ liệu ({', '.join(filled)}): chỉ chép vào một kho rỗng "
                    "(khôi phục đè lên kho đang có: thêm --replace); không ghi gì."
                )
            for table in reversed(schema.COPY_TABLES):
                conn.execute(delete(table))

            def move(src_conn: Connection) -> Checksums:
                _no_statement_limit(src_conn)
                expected = checksums(src_conn)
                for table in schema.COPY_TABLES:
                    result = src_conn.execution_options(yield_per=2000).execute(
                        select(table).order_by(*table.primary_key)
                    )
                    for chunk in result.mappings().partitions(2000):
                        conn.execute(insert(table), [dict(r) for r in chunk])
                counters = schema.counters
                for name, value in src_conn.execute(select(counters.c.name, counters.c.value)):
                    conn.execute(update(counters).where(counters.c.name == name).values(value=value))
                return expected

            expected = db.read_snapshot(reader, move)
            got = checksums(conn)
            if got != expected:
                bad = [name for name in expected if expected[name] != got.get(name)]
                raise StorageError(f"Kiểm tra sau khi chép không khớp ở bảng {', '.join(bad)}; đã hủy, không ghi gì.")
            return got

        return db.write(target, run)


def backup(source: db.Backend, file: Path) -> Checksums:
    """``db backup``: the whole store as one new SQLite file (refused when ``file`` exists)."""
    file = Path(file)
    if file.exists() or file.is_symlink():
        raise StorageError(f"Tệp {file.name} đã có: chọn một tên tệp sao lưu mới; không ghi gì.")
    part = file.with_name(file.name + ".part")
    target = db.sqlite_backend(part)
    try:
        for leftover in (part, part.with_name(part.name + "-wal"), part.with_name(part.name + "-shm")):
            leftover.unlink(missing_ok=True)
        got = copy_store(source, target)
        db.dispose(target)
        with contextlib.closing(sqlite3.connect(part)) as conn:  # one self-contained file, no -wal beside it
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode=DELETE")
        os.replace(part, file)
        return got
    except OSError as exc:
        raise failures.storage_error(exc, sqlite=True) from None
    finally:
        db.dispose(target)
        for leftover in (part, part.with_name(part.name + "-wal"), part.with_name(part.name + "-shm")):
            leftover.unlink(missing_ok=True)


def restore(file: Path, target: db.Backend, *, replace: bool = False) -> Checksums:
    """``db restore``: put the store saved by ``backup`` into ``target`` (empty, or emptied when ``replace``)."""
    return copy_store(db.sqlite_backend(Path(file)), target, replace=replace)
