"""The store's tables (one SQLAlchemy ``MetaData`` for SQLite and PostgreSQL/PostGIS) and their migrations.

``schema_version`` holds the version of the layout; ``SCHEMA_VERSION`` is the one this code needs:

1. the SQLite store written before this module (versions, snapshot, changes, login_attempts);
2. one store for both backends: counters, location edits and history, the slide deck, legacy imports;
3. optimistic concurrency and less repetition: a value's source is the source of the version that set it
   (``snapshot.set_in`` → ``versions.source``, stored once per version, not once per value); writes made over
   someone else's change record it (``overwrote``); slide decks are kept per locality (``slides.profile``; rows of
   the one shared deck of version 2 get profile "" and are assigned to their locality by ``model.slides``);
4. following the plan through the year: commune targets imported by the planning office (``commune_targets``,
   ``target_imports``, ``target_changes``), reporting periods (``periods``), one report per commune and period
   (``reports``) with every version of its values kept (``report_values``) and its history (``report_events``).

``upgrade_conn`` creates or migrates inside the caller's transaction; every step checks what is there first, so it is
idempotent and a half-old layout (version 1 tables next to version 3 ones) converges.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    func,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.types import TypeDecorator, UserDefinedType

from ktxh_geo.errors import SchemaError

SCHEMA_VERSION = 4
COUNTERS = ("versions", "register", "slides", "reports", "targets")  # one row per kind of write, locked by its writers


# ---------------------------------------------------------------- geometry: PostGIS, or WKB in SQLite


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


# ---------------------------------------------------------------- the tables

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
    Column("source", Text, nullable=False),  # the source of every value this version set (stored once)
    Column("file", Text, nullable=False, server_default=""),
    Column("restored_from", Integer, ForeignKey("versions.id")),
    Column("overwrote", Text, nullable=False, server_default=""),  # versions saved over after a conflict: "7, 9"
    CheckConstraint("action IN ('import', 'edit', 'restore')", name="versions_action"),
    CheckConstraint("length(trim(source)) > 0", name="versions_source"),
)

# every entered value as of each version; its source is versions.source of ``set_in`` (the version that set it)
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
    Column("history_id", Integer, nullable=False),  # the edit's version: a form compares it before saving
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
    Column("overwrote", Text, nullable=False, server_default=""),  # history ids saved over after a conflict
)
Index("location_history_geometry", location_history.c.new_geometry, postgresql_using="gist").ddl_if(
    dialect="postgresql"
)
Index("location_history_project", location_history.c.project_id, location_history.c.id)

# the users' slide decks, one per locality (present once it has rows), in order
slides = Table(
    "slides",
    METADATA,
    Column("profile", Text, nullable=False),  # the locality's id; "" for rows of the shared deck of version 2
    Column("position", Integer, nullable=False, autoincrement=False),
    Column("title", Text, nullable=False),
    Column("params", Text, nullable=False),  # JSON object {name: value}
    Column("added_by", Text, nullable=False, server_default=""),
    Column("added_at", Text, nullable=False, server_default=""),
    Column("deck_version", Integer, nullable=False, server_default="0"),  # the deck's version this row was added in
    Column("overwrote", Text, nullable=False, server_default=""),  # deck versions added over after a conflict
    PrimaryKeyConstraint("profile", "position"),
)

# ---- following the plan (version 4)

# one row per import of commune targets (the office's Excel template): who, when, which file, its source
target_imports = Table(
    "target_imports",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("profile", Text, nullable=False),
    Column("year", Integer, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("user", Text, nullable=False),
    Column("file", Text, nullable=False, server_default=""),
    Column("source", Text, nullable=False),
    Column("overwrote", Text, nullable=False, server_default=""),
    CheckConstraint("length(trim(source)) > 0", name="target_imports_source"),
)

# the current target of each commune, indicator and year (an import replaces the indicators it holds)
commune_targets = Table(
    "commune_targets",
    METADATA,
    Column("profile", Text, nullable=False),
    Column("indicator_id", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("year", Integer, nullable=False),
    Column("name", Text, nullable=False),  # the indicator's name and unit, as the template gave them
    Column("unit", Text, nullable=False, server_default=""),
    Column("rule", Text, nullable=False),
    Column("value", Float),
    Column("low", Float),
    Column("high", Float),
    Column("strict", Integer, nullable=False, server_default="0"),
    Column("wording", Text, nullable=False, server_default=""),
    Column("set_in", Integer, ForeignKey("target_imports.id"), nullable=False),
    PrimaryKeyConstraint("profile", "indicator_id", "code", "year"),
)

# what each import changed (old and new target as text): the trace of every replaced target
target_changes = Table(
    "target_changes",
    METADATA,
    Column("import_id", Integer, ForeignKey("target_imports.id"), nullable=False),
    Column("indicator_id", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("old", Text, nullable=False, server_default=""),
    Column("new", Text, nullable=False, server_default=""),
)
Index("target_changes_import", target_changes.c.import_id)

# a reporting period: a year and a stage (6 tháng, 9 tháng, ước cả năm, cả năm), opened by the office
periods = Table(
    "periods",
    METADATA,
    Column("profile", Text, nullable=False),
    Column("year", Integer, nullable=False),
    Column("stage", Text, nullable=False),
    Column("deadline", Text, nullable=False),  # ISO date: reports after it are late
    Column("opened_by", Text, nullable=False),
    Column("opened_at", Text, nullable=False),
    PrimaryKeyConstraint("profile", "year", "stage"),
)

# one commune's report for one period: its state and current version (the form's expected version)
reports = Table(
    "reports",
    METADATA,
    Column("profile", Text, nullable=False),
    Column("year", Integer, nullable=False),
    Column("stage", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("state", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", Text, nullable=False),
    Column("updated_by", Text, nullable=False),
    Column("submitted_at", Text, nullable=False, server_default=""),
    Column("reason", Text, nullable=False, server_default=""),  # why the office returned it (the reporter sees it)
    PrimaryKeyConstraint("profile", "year", "stage", "code"),
    CheckConstraint("state IN ('draft', 'submitted', 'accepted', 'returned')", name="reports_state"),
)

# every version of every report's values (never updated: a new version adds rows)
report_values = Table(
    "report_values",
    METADATA,
    Column("profile", Text, nullable=False),
    Column("year", Integer, nullable=False),
    Column("stage", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("indicator_id", Text, nullable=False),
    Column("value", Float),
    Column("value_text", Text, nullable=False, server_default=""),
    Column("status", Text, nullable=False),  # "estimate" (ước tính) or "official" (thực hiện)
    Column("source", Text, nullable=False),
    Column("entered_by", Text, nullable=False),
    Column("entered_at", Text, nullable=False),
    PrimaryKeyConstraint("profile", "year", "stage", "code", "version", "indicator_id"),
)

# append-only history of the reports: saved, submitted, accepted, returned (with the reason)
report_events = Table(
    "report_events",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("profile", Text, nullable=False),
    Column("year", Integer, nullable=False),
    Column("stage", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("at", Text, nullable=False),
    Column("who", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("reason", Text, nullable=False, server_default=""),
    Column("overwrote", Text, nullable=False, server_default=""),
)
Index("report_events_report", *(report_events.c[n] for n in ("profile", "year", "stage", "code")))

# files of the state folder written before this store existed, imported once each
legacy_imports = Table(
    "legacy_imports",
    METADATA,
    Column("name", Text, primary_key=True),
    Column("imported_at", Text, nullable=False),
    Column("rows", Integer, nullable=False),
    Column("sha256", Text, nullable=False),
)

# what ``db copy`` / ``db backup`` / ``db restore`` move, in this order (parents first), then the counters
COPY_TABLES = (
    versions,
    snapshot,
    changes,
    login_attempts,
    location_history,
    location_edits,
    slides,
    legacy_imports,
    target_imports,
    commune_targets,
    target_changes,
    periods,
    reports,
    report_values,
    report_events,
)


# ---------------------------------------------------------------- create and migrate


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def current_schema(conn: Connection) -> int:
    """0: empty database; 1: the SQLite store written before ``schema_version``; else the recorded version."""
    names = set(inspect(conn).get_table_names())
    if "schema_version" in names:
        return int(conn.execute(select(func.max(schema_version.c.version))).scalar() or 0)
    return 1 if "versions" in names else 0


def _columns(conn: Connection, table: str) -> set[str]:
    return {c["name"] for c in inspect(conn).get_columns(table)}


def _add_column(conn: Connection, table: Table, name: str) -> None:
    """Add a column of ``table`` that an older layout lacks (its type and default from the table above)."""
    if name in _columns(conn, table.name):
        return
    column = table.c[name]
    kind = column.type.compile(dialect=conn.dialect)
    prep = conn.dialect.identifier_preparer
    default = column.server_default.arg if column.server_default is not None else None
    ddl = f"ALTER TABLE {prep.quote(table.name)} ADD COLUMN {prep.quote(name)} {kind}"
    if default is not None:
        ddl += f" NOT NULL DEFAULT '{default}'"  # the defaults above are constants of this module
    conn.exec_driver_sql(ddl)


def _sources_once_per_version(conn: Connection) -> None:
    """Version 3: drop ``snapshot.source`` — always equal to the source of version ``set_in`` (checked first)."""
    if "source" not in _columns(conn, "snapshot"):
        return
    differing = conn.execute(
        text("SELECT count(*) FROM snapshot s JOIN versions v ON v.id = s.set_in WHERE s.source <> v.source")
    ).scalar()
    orphans = conn.execute(
        text("SELECT count(*) FROM snapshot s WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.id = s.set_in)")
    ).scalar()
    if differing or orphans:
        raise SchemaError(
            f"Không nâng cấp được kho số liệu: {int(differing) + int(orphans)} giá trị có nguồn khác nguồn của phiên "
            "bản đã đặt nó (dữ liệu không do ứng dụng ghi). Không thay đổi gì; hãy liên hệ người quản trị."
        )
    conn.exec_driver_sql("ALTER TABLE snapshot DROP COLUMN source")


def _decks_per_locality(conn: Connection) -> None:
    """Version 3: slides get ``profile`` in their key; the rows of the one shared deck keep profile ""."""
    if "profile" in _columns(conn, "slides"):
        return
    old = [dict(r._mapping) for r in conn.execute(text("SELECT * FROM slides ORDER BY position"))]
    conn.exec_driver_sql("DROP TABLE slides")
    slides.create(conn)
    if old:
        keep = ("position", "title", "params", "added_by", "added_at")
        rows = [{**{k: r[k] for k in keep if k in r}, "profile": "", "deck_version": 1} for r in old]
        conn.execute(insert(slides), rows)


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
    existing = set(inspect(conn).get_table_names())
    METADATA.create_all(conn, checkfirst=True)
    if before:
        _add_column(conn, versions, "overwrote")
        if "location_history" in existing:
            _add_column(conn, location_history, "overwrote")
        _sources_once_per_version(conn)
        if "slides" in existing:
            _decks_per_locality(conn)
    for table in METADATA.sorted_tables:  # tables kept from older layouts may miss the new indexes
        for index in table.indexes:
            index.create(conn, checkfirst=True)
    have = {r[0] for r in conn.execute(select(counters.c.name))}
    start = {
        "versions": conn.execute(select(func.coalesce(func.max(versions.c.id), 0))).scalar(),
        "register": conn.execute(select(func.coalesce(func.max(location_history.c.id), 0))).scalar(),
        "slides": 1 if conn.execute(select(func.count()).select_from(slides)).scalar() else 0,
        "reports": conn.execute(select(func.coalesce(func.max(report_events.c.id), 0))).scalar(),
        "targets": conn.execute(select(func.coalesce(func.max(target_imports.c.id), 0))).scalar(),
    }
    for name in COUNTERS:
        if name not in have:
            conn.execute(insert(counters).values(name=name, value=int(start[name])))
    conn.execute(insert(schema_version).values(version=SCHEMA_VERSION, applied_at=_now()))
    return before, SCHEMA_VERSION


def legacy_done(conn: Connection, name: str) -> bool:
    """Whether the old state-folder file ``name`` was imported already (table ``legacy_imports``)."""
    return conn.execute(select(legacy_imports.c.name).where(legacy_imports.c.name == name)).first() is not None


def mark_legacy(conn: Connection, name: str, rows: int, digest: str) -> None:
    """Record that the old file ``name`` was imported (``rows`` rows, its sha256), inside the importing write."""
    conn.execute(insert(legacy_imports).values(name=name, imported_at=_now(), rows=rows, sha256=digest))
