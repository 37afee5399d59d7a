"""Where the store is and how it is used: backend and URL, engine and limits, transactions, counters, and the
optimistic check of every write. Tables and migrations: ``io.schema``; failures → one Vietnamese error: ``io.failures``.

Which database: an explicit URL or SQLite file (tests, ``db`` command line); else env ``KTXH_DATABASE_URL``; else
``[connections.ktxh]`` of the Streamlit secrets (``url``, or ``dialect``/``host``/``port``/``database``/``username``/
``password``, as ``st.connection``; files of ``STREAMLIT_SECRETS_FILES``, else ``~/.streamlit`` and the project's
``.streamlit/secrets.toml``); else the SQLite file ``$KTXH_STATE_DIR/ktxh_store.sqlite`` (default ``var/``).

Engines: one per URL and limits per process. PostgreSQL: SQLAlchemy's ``QueuePool`` with pre-ping, and on every new
connection ``lock_timeout``, ``statement_timeout`` and ``idle_in_transaction_session_timeout`` from ``Limits`` (env
``KTXH_DB_*``): a writer that hangs holding a lock is cut off by the server, the others stop waiting in seconds.
SQLite: a connection per use (``NullPool``), WAL, ``synchronous=FULL``, busy timeout = the lock timeout.

Transactions: a write is one transaction (SQLite ``BEGIN IMMEDIATE``; PostgreSQL writers serialise on a row lock,
``SELECT … FOR UPDATE``, of the ``counters`` row they change; serialization failures and deadlocks are retried).
A write that changes what a form showed states the version the form was read at; ``guard`` refuses it inside the same
transaction when someone else changed that since (``Conflict``), unless the user chose to save over it. Readers see
the last commit; ``read_snapshot`` reads every table from one snapshot (REPEATABLE READ READ ONLY on PostgreSQL).
"""

from __future__ import annotations

import contextlib
import errno
import os
import sqlite3
import threading
import time
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import NullPool

from ktxh_geo.errors import Change, Conflict, SchemaError, StorageError
from ktxh_geo.io import failures, schema
from ktxh_geo.settings import ROOT, state_dir

STORE_FILE = failures.STORE_NAME
ENV_URL = "KTXH_DATABASE_URL"
SECRETS_SECTION = "ktxh"  # [connections.ktxh]
RETRIES = 8


# ---------------------------------------------------------------- limits (env overrides)


@dataclass(frozen=True)
class Limits:
    """Bounded waits and pool size of the store (seconds; see the module docstring and the README)."""

    lock_timeout: float = 15.0
    statement_timeout: float = 30.0
    idle_in_transaction_timeout: float = 10.0
    connect_timeout: float = 5.0
    pool_size: int = 5
    max_overflow: int = 5
    pool_timeout: float = 10.0


ENV_LIMITS = {
    "lock_timeout": "KTXH_DB_LOCK_TIMEOUT",
    "statement_timeout": "KTXH_DB_STATEMENT_TIMEOUT",
    "idle_in_transaction_timeout": "KTXH_DB_IDLE_TIMEOUT",
    "connect_timeout": "KTXH_DB_CONNECT_TIMEOUT",
    "pool_size": "KTXH_DB_POOL_SIZE",
    "max_overflow": "KTXH_DB_MAX_OVERFLOW",
    "pool_timeout": "KTXH_DB_POOL_TIMEOUT",
}


def limits() -> Limits:
    """The limits of this process: the defaults, each overridden by its env variable (``ENV_LIMITS``)."""
    values: dict[str, Any] = {}
    for f in fields(Limits):
        raw = os.environ.get(ENV_LIMITS[f.name], "").strip()
        if not raw:
            continue
        kind = int if f.type in (int, "int") else float
        try:
            value = kind(raw)
        except ValueError:
            value = -1
        if not value > 0 and not (f.name == "max_overflow" and value == 0):
            raise StorageError(f"Biến môi trường {ENV_LIMITS[f.name]} phải là số dương (đang là “{raw[:20]}”).")
        values[f.name] = value
    return Limits(**values)


# ---------------------------------------------------------------- which database


@dataclass(frozen=True)
class Backend:
    """The configured database: its URL (SQLite: its file)."""

    url: str
    file: Path | None = None  # SQLite file

    @property
    def kind(self) -> str:
        return "sqlite" if self.file is not None else make_url(self.url).get_backend_name()

    @property
    def folder(self) -> Path | None:
        return self.file.parent if self.file is not None else None

    @property
    def engine(self) -> Engine:
        return engine_for(self)

    def describe(self) -> str:
        """Where the data is, for the administrator's command line: the SQLite file, or the URL with every secret
        masked (``failures.mask_url``). Never put into a message a visitor can see."""
        return str(self.file) if self.file is not None else failures.mask_url(self.url)

    def secrets(self) -> tuple[str, ...]:
        """The URL's literal secrets, redacted from anything logged."""
        return failures.url_secrets(self.url) if self.file is None else ()

    def exists(self) -> bool:
        """False only for a SQLite file not created yet (reading never creates it)."""
        return self.file is None or self.file.exists()


def sqlite_backend(file: Path) -> Backend:
    file = Path(file)
    return Backend(f"sqlite:///{file}", file)


def from_url(url: str) -> Backend:
    """A Backend for a SQLAlchemy URL (``sqlite:///path`` gives the SQLite file; ``postgresql://`` → psycopg 3)."""
    try:
        parsed = make_url(url)
    except (sa_exc.ArgumentError, ValueError):
        raise StorageError(
            "Địa chỉ cơ sở dữ liệu không hợp lệ (KTXH_DATABASE_URL hoặc [connections.ktxh]): cần dạng "
            "postgresql+psycopg://người_dùng@máy:cổng/tên hoặc sqlite:///đường/dẫn/ktxh_store.sqlite."
        ) from None
    name = parsed.get_backend_name()
    if name == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise StorageError("Cần đường dẫn tệp SQLite (sqlite:///đường/dẫn/ktxh_store.sqlite).")
        return sqlite_backend(Path(parsed.database))
    if name != "postgresql":
        raise StorageError(f"Chỉ hỗ trợ SQLite và PostgreSQL/PostGIS, không hỗ trợ “{name[:30]}”.")
    if parsed.get_driver_name() in ("", "psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return Backend(parsed.render_as_string(hide_password=False))


def secrets_files() -> list[Path]:
    env = os.environ.get("STREAMLIT_SECRETS_FILES", "").strip()
    if env:
        return [Path(p.strip()) for p in env.split(",") if p.strip()]
    return [Path.home() / ".streamlit" / "secrets.toml", ROOT / ".streamlit" / "secrets.toml"]


_secrets_cache: dict[tuple, str | None] = {}


def secrets_url() -> str | None:
    """``[connections.ktxh]`` of the Streamlit secrets files (later files win, as in Streamlit), or None."""
    files = secrets_files()
    key = tuple((str(p), p.stat().st_mtime_ns if p.exists() else None) for p in files)
    if key in _secrets_cache:
        return _secrets_cache[key]
    section: dict = {}
    for path in files:
        try:
            with open(path, "rb") as fh:
                doc = tomllib.load(fh)
        except FileNotFoundError:
            continue
        except tomllib.TOMLDecodeError as exc:
            raise StorageError(f"Tệp secrets {path.name} không đúng cú pháp TOML ({exc}).") from None
        except OSError as exc:
            raise StorageError(f"Không đọc được tệp secrets {path.name} ({exc.strerror}).") from None
        found = (doc.get("connections") or {}).get(SECRETS_SECTION)
        if isinstance(found, dict):
            section.update(found)
    url = None
    if section.get("url"):
        url = str(section["url"])
    elif section.get("dialect"):
        driver = section.get("driver")
        url = URL.create(
            f"{section['dialect']}+{driver}" if driver else str(section["dialect"]),
            username=section.get("username"),
            password=section.get("password"),
            host=section.get("host"),
            port=section.get("port"),
            database=section.get("database"),
            query=section.get("query") or {},
        ).render_as_string(hide_password=False)
    _secrets_cache.clear()
    _secrets_cache[key] = url
    return url


def configured_url() -> str | None:
    """The database URL from the environment or the secrets, or None (SQLite under the state folder)."""
    return os.environ.get(ENV_URL, "").strip() or secrets_url()


def backend(path: Path | str | None = None, *, state: Path | None = None) -> Backend:
    """The backend to use: ``path`` (a SQLite file, or a URL), else the configured database, else the SQLite file
    of ``state`` (default the state folder)."""
    if path is not None:
        text_path = str(path)
        return from_url(text_path) if "://" in text_path else sqlite_backend(Path(path))
    url = configured_url()
    if url:
        return from_url(url)
    return sqlite_backend((state or state_dir()) / STORE_FILE)


# ---------------------------------------------------------------- engines (one per URL and limits per process)

_engines: dict[str, tuple[Limits, Engine]] = {}
_ready: set[str] = set()
_lock = threading.Lock()


def _sqlite_engine(file: Path, lim: Limits) -> Engine:
    def creator():
        # looked up at call time (sqlite3.connect), so tests can put a failing connection factory in its place
        return sqlite3.connect(str(file), timeout=lim.lock_timeout, isolation_level=None, check_same_thread=False)

    engine = create_engine("sqlite://", creator=creator, poolclass=NullPool)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_con, _record):
        dbapi_con.isolation_level = None  # transactions are begun below (BEGIN IMMEDIATE for writes)
        cur = dbapi_con.cursor()
        try:
            cur.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            pass  # a reader of a read-only folder still reads
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        writing = conn.get_execution_options().get("ktxh_write", False)
        conn.exec_driver_sql(f"PRAGMA query_only={'OFF' if writing else 'ON'}")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writing else "BEGIN")

    return engine


def _ms(seconds: float) -> str:
    return f"{round(seconds * 1000)}ms"


def _postgresql_engine(url: str, lim: Limits) -> Engine:
    engine = create_engine(
        url,
        pool_pre_ping=True,
        pool_size=lim.pool_size,
        max_overflow=lim.max_overflow,
        pool_timeout=lim.pool_timeout,
        connect_args={"connect_timeout": max(2, round(lim.connect_timeout))},  # libpq's minimum is 2 s
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_con, _record):
        with dbapi_con.cursor() as cur:
            cur.execute(
                "SELECT set_config('lock_timeout', %s, false), set_config('statement_timeout', %s, false), "
                "set_config('idle_in_transaction_session_timeout', %s, false)",
                [_ms(lim.lock_timeout), _ms(lim.statement_timeout), _ms(lim.idle_in_transaction_timeout)],
            )
        dbapi_con.commit()

    return engine


def engine_for(b: Backend) -> Engine:
    lim = limits()
    with _lock:
        found = _engines.get(b.url)
        if found is not None and found[0] == lim:
            return found[1]
        if found is not None:
            found[1].dispose()
        engine = _sqlite_engine(b.file, lim) if b.file is not None else _postgresql_engine(b.url, lim)
        _engines[b.url] = (lim, engine)
        return engine


def dispose(b: Backend | None = None) -> None:
    """Close the pooled connections of one backend (or all): tests dropping a schema, forked processes."""
    with _lock:
        urls = [b.url] if b is not None else list(_engines)
        for url in urls:
            found = _engines.pop(url, None)
            _ready.discard(url)
            if found is not None:
                found[1].dispose()


# ---------------------------------------------------------------- schema check


def upgrade(b: Backend) -> tuple[int, int]:
    """``db upgrade``: create or migrate the schema of ``b`` (PostgreSQL takes an advisory lock meanwhile)."""

    def run(conn):
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(727_011)))
        return schema.upgrade_conn(conn)

    result = write(b, run, check_schema=False)
    with _lock:
        _ready.add(b.url)
    return result


def _ensure_schema(b: Backend, conn: Connection, writing: bool) -> None:
    """Check the schema once per process and engine; SQLite upgrades itself, PostgreSQL refuses with a message."""
    if b.url in _ready:
        return
    found = schema.current_schema(conn)
    if found == schema.SCHEMA_VERSION:
        with _lock:
            _ready.add(b.url)
        return
    if found > schema.SCHEMA_VERSION:
        raise SchemaError(
            f"Cơ sở dữ liệu có lược đồ phiên bản {found}, mới hơn phiên bản {schema.SCHEMA_VERSION} của "
            "ứng dụng: hãy cập nhật ứng dụng."
        )
    if b.file is None:
        what = "chưa có lược đồ" if found == 0 else f"có lược đồ cũ (phiên bản {found}, cần {schema.SCHEMA_VERSION})"
        raise SchemaError(
            f"Cơ sở dữ liệu {what}. Người quản trị cần chạy “python -m ktxh_geo db upgrade” (tạo hoặc nâng cấp "
            "lược đồ) rồi khởi động lại ứng dụng; trong lúc đó không lưu được gì."
        )
    if writing:
        schema.upgrade_conn(conn)  # SQLite: created or migrated on first write, in the write's own transaction


def _check_folder(folder: Path) -> None:
    """Raise ``NotADirectoryError`` when the folder (or one of its parents) exists but is not a folder."""
    for part in (folder, *folder.parents):
        if part.exists():
            if not part.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, "Not a directory", str(part))
            return


# ---------------------------------------------------------------- transactions


def _fail(b: Backend, exc: BaseException, *, reading: bool = False, at_commit: bool = False) -> Exception:
    sqlite = b.file is not None
    return failures.storage_error(exc, sqlite=sqlite, reading=reading, at_commit=at_commit, secrets=b.secrets())


def write(b: Backend, fn: Callable[[Connection], Any], *, check_schema: bool = True) -> Any:
    """Run ``fn(conn)`` in one write transaction (BEGIN IMMEDIATE on SQLite), retrying serialization failures on
    PostgreSQL. Every database or file failure raises one ``StorageError`` (``io.failures``); a connection lost
    while committing raises ``OutcomeUnknown``. Errors raised by ``fn`` itself (refusals) pass unchanged."""
    for attempt in range(RETRIES):
        committing = False
        try:
            if b.file is not None:
                b.file.parent.mkdir(parents=True, exist_ok=True)
                if not b.file.exists():
                    _ready.discard(b.url)  # a new (or deleted) file: create the schema again
            with b.engine.connect().execution_options(ktxh_write=True) as conn:
                trans = conn.begin()
                try:
                    if check_schema:
                        _ensure_schema(b, conn, writing=True)
                    result = fn(conn)
                except BaseException:
                    with contextlib.suppress(Exception):  # the connection may be gone; nothing was committed
                        trans.rollback()
                    raise
                committing = True
                trans.commit()
            return result
        except (sa_exc.DBAPIError, sa_exc.TimeoutError) as exc:
            if failures.retryable(exc) and not committing and attempt < RETRIES - 1:
                time.sleep(0.01 * (attempt + 1))
                continue
            raise _fail(b, exc, at_commit=committing) from None
        except OSError as exc:
            raise _fail(b, exc) from None
    raise AssertionError("unreachable")


def read(b: Backend, fn: Callable[[Connection], Any], empty: Any) -> Any:
    """Run ``fn(conn)`` in one read transaction; ``empty`` when the SQLite file does not exist (never created)
    or holds no store yet."""
    try:
        if b.file is not None and not b.file.exists():
            _check_folder(b.file.parent)
            return empty
        with b.engine.connect() as conn:
            with conn.begin():
                if b.file is not None and b.url not in _ready:
                    found = schema.current_schema(conn)
                    if found == 0:
                        return empty
                    if found < schema.SCHEMA_VERSION:
                        conn.rollback()
                        write(b, lambda _c: None)  # SQLite: migrate the old store (its file exists already)
                        return read(b, fn, empty)
                _ensure_schema(b, conn, writing=False)
                return fn(conn)
    except (sa_exc.DBAPIError, sa_exc.TimeoutError, OSError) as exc:
        raise _fail(b, exc, reading=True) from None


def read_snapshot(b: Backend, fn: Callable[[Connection], Any]) -> Any:
    """Run ``fn(conn)`` reading every table from one consistent snapshot, never writing: REPEATABLE READ READ ONLY
    on PostgreSQL; on SQLite one read transaction (WAL keeps its snapshot until it ends)."""
    try:
        with b.engine.connect() as conn:
            if b.file is None:
                conn = conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                _ensure_schema(b, conn, writing=False)
                return fn(conn)
    except (sa_exc.DBAPIError, sa_exc.TimeoutError, OSError) as exc:
        raise _fail(b, exc, reading=True) from None


# ---------------------------------------------------------------- counters and the optimistic check


def lock_counter(conn: Connection, name: str) -> int:
    """The counter's value, with its row locked until the transaction ends (PostgreSQL; SQLite holds the whole
    database from BEGIN IMMEDIATE). Waits at most the lock timeout, then ``StoreBusy``."""
    c = schema.counters
    value = conn.execute(select(c.c.value).where(c.c.name == name).with_for_update()).scalar()
    if value is None:
        raise SchemaError(f"Thiếu dòng đếm “{name}” trong bảng counters: chạy “python -m ktxh_geo db upgrade”.")
    return int(value)


def bump_counter(conn: Connection, name: str, value: int | None = None) -> int:
    """Set the counter (locked by ``lock_counter``) to ``value`` or one more; returns the new value."""
    if value is None:
        value = lock_counter(conn, name) + 1
    conn.execute(update(schema.counters).where(schema.counters.c.name == name).values(value=value))
    return value


def guard(
    subject: str, expected: int | None, current: int, found: Sequence[Change], overwrite: int | None = None
) -> str:
    """The optimistic check of every write, made inside its transaction after its counter row is locked.

    ``expected``: the version (or history id) the form was read at — None when no form was read (the command
    line), and nothing is checked. ``found``: the changes newer than ``expected`` to what this write changes.
    ``overwrite``: the version the user was shown in a ``Conflict`` and chose to save over. Raises ``Conflict``
    (``subject`` names what changed, in Vietnamese) when a change is newer than what the user accepted; returns
    the tokens saved over ("7, 9"; "" for none), which the write records in its history.
    """
    if expected is None or not found:
        return ""
    accepted = max(expected, overwrite or 0)
    if any(c.token > accepted for c in found):
        raise Conflict(subject, expected, current, tuple(found))
    return ", ".join(str(c.token) for c in found)


def counter_values(b: Backend) -> dict[str, int]:
    """All counters in one query (zeros before anything was written)."""
    c = schema.counters
    return read(b, lambda conn: {r.name: int(r.value) for r in conn.execute(select(c.c.name, c.c.value))}, {})


def state_version(b: Backend | None = None) -> str:
    """A cheap string that changes with every write of figures, locations or slides on any server: a cache key."""
    b = b or backend()
    values = counter_values(b)
    return (
        f"{b.describe()}#v{values.get('versions', 0)}#r{values.get('register', 0)}#s{values.get('slides', 0)}"
        f"#p{values.get('reports', 0)}#t{values.get('targets', 0)}"
    )
