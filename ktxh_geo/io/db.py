"""One storage layer for everything users write, on SQLite (default) or PostgreSQL/PostGIS.

What users write — entered figures (versions, snapshot, changes), location edits and their history, the user's
slide deck and the failed sign-in counters — lives in the tables of one SQLAlchemy ``MetaData`` (``METADATA``),
used unchanged by both backends. Every statement is built with SQLAlchemy Core: values are bound parameters, never
SQL text made from user input.

Which database:

1. an explicit URL or SQLite file given by the caller (tests, ``db`` command line);
2. env ``KTXH_DATABASE_URL`` (e.g. ``postgresql+psycopg://ktxh:…@db.example/ktxh``);
3. Streamlit secrets, following ``st.connection`` conventions: ``[connections.ktxh] url = "…"`` (or ``dialect``,
   ``host``, ``port``, ``database``, ``username``, ``password``) in the files of ``STREAMLIT_SECRETS_FILES``
   (comma-separated), else ``~/.streamlit/secrets.toml`` and ``.streamlit/secrets.toml`` of the project;
4. otherwise the SQLite file ``$KTXH_STATE_DIR/ktxh_store.sqlite`` (default ``var/``), as before.

Engines: one per URL per process (``engine_for``), SQLAlchemy's own pool (``QueuePool`` with pre-ping for
PostgreSQL; SQLite opens a connection per use, ``NullPool``, WAL and ``synchronous=FULL``).

Transactions (``write``/``read``): a write is one transaction. On SQLite it starts with ``BEGIN IMMEDIATE`` (one
writer at a time, across processes); on PostgreSQL writers serialise on a row lock (``SELECT … FOR UPDATE``) of
the counter row they change (table ``counters``), and a serialization failure or deadlock is retried. Readers see
the last committed state (WAL snapshot on SQLite; READ COMMITTED on PostgreSQL, versions are never updated).

Schema: ``schema_version`` holds the version of the layout; ``SCHEMA_VERSION`` is the one this code needs. SQLite
creates or migrates itself on first write (version 1 is the store written before this module: versions, snapshot,
changes, login_attempts). PostgreSQL is created or migrated only by ``python -m ktxh_geo db upgrade``; until then
every use raises ``SchemaError`` with a Vietnamese message saying so.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import threading
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.pool import NullPool
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.types import TypeDecorator, UserDefinedType

from ktxh_geo.errors import DataError, StorageError
from ktxh_geo.settings import ROOT, state_dir

STORE_FILE = "ktxh_store.sqlite"
SCHEMA_VERSION = 2
ENV_URL = "KTXH_DATABASE_URL"
SECRETS_SECTION = "ktxh"  # [connections.ktxh]
COUNTERS = ("versions", "register", "slides")
RETRIES = 8


class SchemaError(StorageError):
    """The database's schema is missing, older or newer than this code (and cannot be upgraded here)."""


# ---------------------------------------------------------------- the tables


class _PostGISGeometry(UserDefinedType):
    """``geometry(Geometry,4326)`` on PostgreSQL; values go in and out as WKB (see ``Geometry``)."""

    cache_ok = True

    def get_col_spec(self, **kw):
        return "geometry(Geometry,4326)"


class Geometry(TypeDecorator):
    """A WGS84 geometry given and returned as WKB bytes: PostGIS geometry(Geometry,4326), or a WKB blob in SQLite."""

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(_PostGISGeometry())
        return dialect.type_descriptor(LargeBinary())

    def bind_expression(self, bindvalue):
        return _GeomFromWKB(bindvalue)

    def column_expression(self, col):
        return _GeomAsWKB(col)

    def process_bind_param(self, value, dialect):
        return None if value is None else bytes(value)

    def process_result_value(self, value, dialect):
        return None if value is None else bytes(value)


class _GeomFromWKB(ColumnElement):
    inherit_cache = True

    def __init__(self, inner):
        self.inner = inner
        self.type = inner.type


class _GeomAsWKB(ColumnElement):
    inherit_cache = True

    def __init__(self, inner):
        self.inner = inner
        self.type = inner.type


@compiles(_GeomFromWKB)
def _geom_in_default(element, compiler, **kw):
    return compiler.process(element.inner, **kw)


@compiles(_GeomFromWKB, "postgresql")
def _geom_in_pg(element, compiler, **kw):
    return f"ST_GeomFromWKB({compiler.process(element.inner, **kw)}, 4326)"


@compiles(_GeomAsWKB)
def _geom_out_default(element, compiler, **kw):
    return compiler.process(element.inner, **kw)


@compiles(_GeomAsWKB, "postgresql")
def _geom_out_pg(element, compiler, **kw):
    return f"ST_AsBinary({compiler.process(element.inner, **kw)})"


METADATA = MetaData()

schema_version = Table(
    "schema_version",
    METADATA,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", Text, nullable=False),
)

# one row per kind of write; a writer locks the row it changes (PostgreSQL) and bumps it in the same transaction
counters = Table(
    "counters",
    METADATA,
    Column("name", Text, primary_key=True),
    Column("value", BigInteger, nullable=False),
)

versions = Table(
    "versions",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("created_at", Text, nullable=False),
    Column("user", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("dataset", Text, nullable=False),
    Column("year", Integer),
    Column("source", Text, nullable=False),
    Column("file", Text, nullable=False, server_default=""),
    Column("restored_from", Integer, ForeignKey("versions.id")),
    CheckConstraint("action IN ('import', 'edit', 'restore')", name="versions_action"),
    CheckConstraint("length(trim(source)) > 0", name="versions_source"),
)

snapshot = Table(
    "snapshot",
    METADATA,
    Column("version_id", Integer, ForeignKey("versions.id"), nullable=False),
    Column("indicator_id", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("edition", Text, nullable=False),
    Column("year", Integer, nullable=False),
    Column("value", Float),
    Column("value_text", Text, nullable=False, server_default=""),
    Column("source", Text, nullable=False),
    Column("set_in", Integer, nullable=False),
    PrimaryKeyConstraint("version_id", "indicator_id", "code", "edition", "year"),
)

changes = Table(
    "changes",
    METADATA,
    Column("version_id", Integer, ForeignKey("versions.id"), nullable=False),
    Column("indicator_id", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("edition", Text, nullable=False),
    Column("year", Integer, nullable=False),
    Column("old_value", Float),
    Column("old_text", Text),
    Column("new_value", Float),
    Column("new_text", Text),
)
Index("changes_version", changes.c.version_id)

login_attempts = Table(
    "login_attempts",
    METADATA,
    Column("name", Text, nullable=False),
    Column("failed_at", Float, nullable=False),
)
Index("login_attempts_name", login_attempts.c.name, login_attempts.c.failed_at)

# the current edited geometry of each edited project (laid over the shipped register)
location_edits = Table(
    "location_edits",
    METADATA,
    Column("project_id", Text, primary_key=True),
    Column("location_precision", Text, nullable=False),
    Column("geometry", Geometry, nullable=False),
    Column("history_id", Integer, nullable=False),
)
Index("location_edits_geometry", location_edits.c.geometry, postgresql_using="gist").ddl_if(dialect="postgresql")

# append-only: one row per saved location change
location_history = Table(
    "location_history",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("changed_at_utc", Text, nullable=False),
    Column("who", Text, nullable=False),
    Column("project_id", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("input", Text, nullable=False, server_default=""),
    Column("previous_precision", Text, nullable=False, server_default=""),
    Column("previous_geometry", Geometry),
    Column("new_precision", Text, nullable=False),
    Column("new_geometry", Geometry, nullable=False),
    Column("note", Text, nullable=False, server_default=""),
)
Index("location_history_geometry", location_history.c.new_geometry, postgresql_using="gist").ddl_if(
    dialect="postgresql"
)

# the user's slide deck (present once the counter "slides" is above 0), in order
slides = Table(
    "slides",
    METADATA,
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("title", Text, nullable=False),
    Column("params", Text, nullable=False),  # JSON object {name: value}
    Column("added_by", Text, nullable=False, server_default=""),
    Column("added_at", Text, nullable=False, server_default=""),
)

# files of the state folder written before this store existed, imported once each
legacy_imports = Table(
    "legacy_imports",
    METADATA,
    Column("name", Text, primary_key=True),
    Column("imported_at", Text, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("sha256", Text, nullable=False),
)

# what ``db copy`` moves, in this order (parents first)
COPY_TABLES = (versions, snapshot, changes, login_attempts, location_history, location_edits, slides, legacy_imports)


# ---------------------------------------------------------------- which database


@dataclass(frozen=True)
class Backend:
    """The configured database: its URL, its engine (shared in the process) and, for SQLite, its file."""

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
        """Where the data is, for messages (never the password)."""
        if self.file is not None:
            return str(self.file)
        return make_url(self.url).render_as_string(hide_password=True)

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
    except sa_exc.ArgumentError as exc:
        raise StorageError(f"Địa chỉ cơ sở dữ liệu không hợp lệ: {exc}.") from None
    name = parsed.get_backend_name()
    if name == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise StorageError("Cần đường dẫn tệp SQLite (sqlite:///đường/dẫn/ktxh_store.sqlite).")
        return sqlite_backend(Path(parsed.database))
    if name != "postgresql":
        raise StorageError(f"Chỉ hỗ trợ SQLite và PostgreSQL/PostGIS, không hỗ trợ “{name}”.")
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
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise StorageError(f"Không đọc được tệp secrets {path} ({exc}).") from None
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


# ---------------------------------------------------------------- engines (one per URL per process)

_engines: dict[str, Engine] = {}
_ready: set[str] = set()
_lock = threading.Lock()


def _sqlite_engine(file: Path) -> Engine:
    def creator():
        # looked up at call time (sqlite3.connect), so tests can put a failing connection factory in its place
        return sqlite3.connect(str(file), timeout=30, isolation_level=None, check_same_thread=False)

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


def engine_for(b: Backend) -> Engine:
    with _lock:
        engine = _engines.get(b.url)
        if engine is None:
            if b.file is not None:
                engine = _sqlite_engine(b.file)
            else:
                engine = create_engine(b.url, pool_pre_ping=True, pool_size=5, max_overflow=5)
            _engines[b.url] = engine
        return engine


def dispose(b: Backend | None = None) -> None:
    """Close the pooled connections of one backend (or all): tests dropping a schema, forked processes."""
    with _lock:
        urls = [b.url] if b is not None else list(_engines)
        for url in urls:
            engine = _engines.pop(url, None)
            _ready.discard(url)
            if engine is not None:
                engine.dispose()


# ---------------------------------------------------------------- failures → one Vietnamese message

_SQLITE_CAUSES = (
    ("database or disk is full", "ổ đĩa đầy; giải phóng dung lượng rồi thử lại"),
    ("attempt to write a readonly database", "thư mục hoặc tệp chỉ đọc; cần quyền ghi"),
    ("unable to open database file", "thư mục không tồn tại, không phải thư mục hoặc không ghi được"),
    ("disk i/o error", "lỗi đọc/ghi ổ đĩa"),
    ("database is locked", "cơ sở dữ liệu đang bị một tiến trình khác khóa; thử lại sau ít phút"),
    ("readonly", "thư mục hoặc tệp chỉ đọc; cần quyền ghi"),
)
ERRNO_CAUSES = {
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
    """The Vietnamese cause of a storage failure (sqlite3, PostgreSQL or OS error), or None when it is not one."""
    if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None:
        if isinstance(exc, sa_exc.OperationalError) and exc.orig.__class__.__module__.startswith("psycopg"):
            return f"không kết nối hoặc không ghi được vào PostgreSQL ({str(exc.orig).strip().splitlines()[0]})"
        exc = exc.orig
    if isinstance(exc, sqlite3.OperationalError):
        text_ = str(exc).lower()
        for needle, cause in _SQLITE_CAUSES:
            if needle in text_:
                return cause
        return None
    if isinstance(exc, OSError) and exc.errno is not None:
        return ERRNO_CAUSES.get(exc.errno, f"lỗi hệ thống tệp ({exc.strerror or exc})")
    return None


def storage_error(exc: BaseException, where: Path | Backend, *, reading: bool = False) -> StorageError:
    """One clear message naming the state folder (SQLite) or the database (PostgreSQL)."""
    cause = storage_cause(exc) or str(exc).splitlines()[0]
    if isinstance(where, Backend) and where.file is not None:
        where = where.file.parent
    if isinstance(where, Backend):
        place = f"cơ sở dữ liệu {where.describe()}"
        if reading:
            return StorageError(f"Không đọc được dữ liệu trong {place}: {cause}.")
        return StorageError(f"Không ghi được vào {place}: {cause}. Không có gì được lưu; dữ liệu trước đó vẫn nguyên.")
    if reading:
        return StorageError(f"Không đọc được dữ liệu trong thư mục trạng thái {where}: {cause}.")
    return StorageError(
        f"Không ghi được vào thư mục trạng thái {where}: {cause}. Không có gì được lưu; dữ liệu trước đó vẫn nguyên."
    )


def _check_folder(folder: Path) -> None:
    """Raise ``NotADirectoryError`` when the folder (or one of its parents) exists but is not a folder."""
    for part in (folder, *folder.parents):
        if part.exists():
            if not part.is_dir():
                raise NotADirectoryError(errno.ENOTDIR, "Not a directory", str(part))
            return


def _retryable(exc: BaseException) -> bool:
    orig = getattr(exc, "orig", None)
    sqlstate = getattr(orig, "sqlstate", None)
    return sqlstate in ("40001", "40P01")  # serialization_failure, deadlock_detected


# ---------------------------------------------------------------- schema


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def current_schema(conn: Connection) -> int:
    """0: empty database; 1: the SQLite store written before ``schema_version``; else the recorded version."""
    names = set(inspect(conn).get_table_names())
    if "schema_version" in names:
        return int(conn.execute(select(func.max(schema_version.c.version))).scalar() or 0)
    return 1 if "versions" in names else 0


def upgrade_conn(conn: Connection) -> tuple[int, int]:
    """Create or migrate the schema on an open transaction; returns (version before, version after)."""
    before = current_schema(conn)
    if before > SCHEMA_VERSION:
        raise SchemaError(
            f"Cơ sở dữ liệu có lược đồ phiên bản {before}, mới hơn phiên bản {SCHEMA_VERSION} mà mã này dùng: "
            "hãy cập nhật ứng dụng; không ghi gì."
        )
    if before == SCHEMA_VERSION:
        return before, before
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS postgis")
    METADATA.create_all(conn, checkfirst=True)
    for table in METADATA.sorted_tables:  # tables kept from version 1 may miss the new indexes
        for index in table.indexes:
            index.create(conn, checkfirst=True)
    have = {r[0] for r in conn.execute(select(counters.c.name))}
    start = {
        "versions": conn.execute(select(func.coalesce(func.max(versions.c.id), 0))).scalar(),
        "register": conn.execute(select(func.count()).select_from(location_history)).scalar(),
        "slides": 1 if conn.execute(select(func.count()).select_from(slides)).scalar() else 0,
    }
    for name in COUNTERS:
        if name not in have:
            conn.execute(insert(counters).values(name=name, value=int(start[name])))
    conn.execute(insert(schema_version).values(version=SCHEMA_VERSION, applied_at=_now()))
    return before, SCHEMA_VERSION


def upgrade(b: Backend) -> tuple[int, int]:
    """``db upgrade``: create or migrate the schema of ``b`` (PostgreSQL takes an advisory lock meanwhile)."""

    def run(conn):
        if conn.dialect.name == "postgresql":
            conn.execute(select(func.pg_advisory_xact_lock(727_011)))
        return upgrade_conn(conn)

    result = write(b, run, check_schema=False)
    with _lock:
        _ready.add(b.url)
    return result


def _ensure_schema(b: Backend, conn: Connection, writing: bool) -> None:
    """Check the schema once per process and engine; SQLite upgrades itself, PostgreSQL refuses with a message."""
    if b.url in _ready:
        return
    found = current_schema(conn)
    if found == SCHEMA_VERSION:
        with _lock:
            _ready.add(b.url)
        return
    if found > SCHEMA_VERSION:
        raise SchemaError(
            f"Cơ sở dữ liệu {b.describe()} có lược đồ phiên bản {found}, mới hơn phiên bản {SCHEMA_VERSION} của "
            "ứng dụng: hãy cập nhật ứng dụng."
        )
    if b.file is None:
        what = "chưa có lược đồ" if found == 0 else f"có lược đồ cũ (phiên bản {found}, cần {SCHEMA_VERSION})"
        raise SchemaError(
            f"Cơ sở dữ liệu {b.describe()} {what}. Người quản trị cần chạy "
            "“python -m ktxh_geo db upgrade” (tạo hoặc nâng cấp lược đồ) rồi khởi động lại ứng dụng."
        )
    if writing:
        upgrade_conn(conn)  # SQLite: created or migrated on first write, in the write's own transaction


# ---------------------------------------------------------------- transactions


def write(b: Backend, fn: Callable[[Connection], Any], *, check_schema: bool = True) -> Any:
    """Run ``fn(conn)`` in one write transaction (BEGIN IMMEDIATE on SQLite), retrying serialization failures
    on PostgreSQL. Storage failures raise one ``StorageError`` naming the folder or the database."""
    for attempt in range(RETRIES):
        try:
            if b.file is not None:
                b.file.parent.mkdir(parents=True, exist_ok=True)
                if not b.file.exists():
                    _ready.discard(b.url)  # a new (or deleted) file: create the schema again
            with b.engine.connect().execution_options(ktxh_write=True) as conn:
                with conn.begin():
                    if check_schema:
                        _ensure_schema(b, conn, writing=True)
                    result = fn(conn)
                return result
        except sa_exc.DBAPIError as exc:
            if _retryable(exc) and attempt < RETRIES - 1:
                time.sleep(0.01 * (attempt + 1))
                continue
            if storage_cause(exc) is not None:
                raise storage_error(exc, b) from exc
            if isinstance(exc.orig, sqlite3.DatabaseError) and "not a database" in str(exc.orig):
                message = f"Tệp {b.file} không phải cơ sở dữ liệu số liệu hợp lệ ({exc.orig}); không ghi gì."
                raise DataError(message) from exc
            raise
        except OSError as exc:
            raise storage_error(exc, b) from exc
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
                    found = current_schema(conn)
                    if found == 0:
                        return empty
                    if found < SCHEMA_VERSION:
                        conn.rollback()
                        write(b, lambda _c: None)  # SQLite: migrate the old store (its file exists already)
                        return read(b, fn, empty)
                _ensure_schema(b, conn, writing=False)
                return fn(conn)
    except sa_exc.DBAPIError as exc:
        if storage_cause(exc) is not None:
            raise storage_error(exc, b, reading=True) from exc
        if isinstance(exc.orig, sqlite3.DatabaseError) and "not a database" in str(exc.orig):
            raise DataError(f"Tệp {b.file} không phải cơ sở dữ liệu số liệu hợp lệ ({exc.orig}).") from exc
        raise
    except OSError as exc:
        raise storage_error(exc, b, reading=True) from exc


def lock_counter(conn: Connection, name: str) -> int:
    """The counter's value, with its row locked until the transaction ends (PostgreSQL; SQLite holds the whole
    database from BEGIN IMMEDIATE)."""
    value = conn.execute(select(counters.c.value).where(counters.c.name == name).with_for_update()).scalar()
    if value is None:
        raise SchemaError(f"Thiếu dòng đếm “{name}” trong bảng counters: chạy “python -m ktxh_geo db upgrade”.")
    return int(value)


def bump_counter(conn: Connection, name: str, value: int | None = None) -> int:
    """Set the counter (locked by ``lock_counter``) to ``value`` or one more; returns the new value."""
    if value is None:
        value = lock_counter(conn, name) + 1
    conn.execute(update(counters).where(counters.c.name == name).values(value=value))
    return value


def counter_values(b: Backend) -> dict[str, int]:
    """All counters in one query (zeros before anything was written)."""
    return read(
        b,
        lambda conn: {r.name: int(r.value) for r in conn.execute(select(counters.c.name, counters.c.value))},
        {},
    )


def state_version(b: Backend | None = None) -> str:
    """A cheap string that changes with every write of figures, locations or slides on any server: a cache key."""
    b = b or backend()
    values = counter_values(b)
    return f"{b.describe()}#v{values.get('versions', 0)}#r{values.get('register', 0)}#s{values.get('slides', 0)}"


def legacy_done(conn: Connection, name: str) -> bool:
    return conn.execute(select(legacy_imports.c.name).where(legacy_imports.c.name == name)).first() is not None


def mark_legacy(conn: Connection, name: str, rows: int, digest: str) -> None:
    conn.execute(insert(legacy_imports).values(name=name, imported_at=_now(), rows=rows, sha256=digest))


def ping(b: Backend) -> str:
    """The server's version string (the command line prints it)."""
    return read(
        b,
        lambda conn: str(conn.execute(text("SELECT sqlite_version()" if b.file else "SELECT version()")).scalar()),
        "",
    )
