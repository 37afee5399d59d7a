"""Planner edits to project locations: coordinate conversion, validation and an atomic, audited store.

Edits never touch the shipped files. They live in the configured database (``ktxh_geo.io.db``: by default the
SQLite file of the state folder ``$KTXH_STATE_DIR``, else PostgreSQL/PostGIS), laid over ``geo/projects.geojson``:

- table ``location_edits``: the current edited geometry of each edited object (id, location_precision);
- table ``location_history``: one row per saved change (who, when UTC, previous and new geometry), append-only.

Geometries are WGS84 (EPSG:4326): PostGIS ``geometry(Geometry,4326)`` with a GiST index, WKB in SQLite. A save
is one transaction that first locks the ``register`` counter row (PostgreSQL; SQLite: ``BEGIN IMMEDIATE``), reads
the previous value, appends the history row and replaces the edit, so two planners saving at once (even on two
servers) never drop each other's edit, and a failed save leaves the register as it was. No silent overwrite: the
form states the object's ``edit_version`` it showed (a column of ``load_register``: the history id of its current
edit, 0 for the shipped location); a save after someone else moved the object raises ``Conflict`` (``db.guard``)
unless the user chose to save over it, which the history row records (``overwrote``). Every save needs a
signed-in ``Editor`` (``require_editor`` first) and records ``editor.name``.

Files of the older layout (``projects_edits.geojson``, ``projects_history.csv`` in the state folder) are imported
once into the SQLite store of that folder (recorded in ``legacy_imports``); a damaged one raises ``DataError``
naming it and is left as it is. A full disk or read-only state folder raises one ``StorageError`` naming it.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Connection, delete, insert, select

from ktxh_geo.errors import Change, DataError, LocationError
from ktxh_geo.io import db, schema
from ktxh_geo.io.shipped import WGS84, load_outline, load_projects
from ktxh_geo.settings import state_dir  # noqa: F401 — the state folder, for callers and tests
from ktxh_geo.text import MAX_NOTE_CHARS, within
from ktxh_geo.vocab import PRECISION_LABELS, Editor, require_office
from ktxh_geo.vocab.profile import active

EDITS_FILE = "projects_edits.geojson"
HISTORY_FILE = "projects_history.csv"
HISTORY_COLUMNS = [
    "changed_at_utc",
    "who",
    "id",
    "action",
    "input",
    "previous_precision",
    "previous_geometry_wkt",
    "new_precision",
    "new_geometry_wkt",
    "note",
    "overwrote",
]
ACTIONS = {"set_point": "đặt điểm", "upload_footprint": "tải lên ranh giới"}


# ---------------------------------------------------------------- store


def _backend(state: Path | None) -> db.Backend:
    """The configured database; without one, the SQLite store of ``state`` (default the state folder)."""
    return db.backend(state=state)


def _wkb(geometry: BaseGeometry | None) -> bytes | None:
    return None if geometry is None or geometry.is_empty else shapely.to_wkb(geometry, output_dimension=2)


def _geom(wkb: bytes | None) -> BaseGeometry | None:
    return None if wkb is None else shapely.from_wkb(wkb)


def _wkt(wkb: bytes | None) -> str:
    return "" if wkb is None else shapely.to_wkt(shapely.from_wkb(wkb), 7)


def _legacy_files(b: db.Backend) -> list[Path]:
    if b.folder is None:
        return []
    return [p for p in (b.folder / HISTORY_FILE, b.folder / EDITS_FILE) if p.exists()]


def _read_legacy_edits(path: Path) -> gpd.GeoDataFrame:
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
        return gdf.set_crs(WGS84, allow_override=True)[["id", "location_precision", "geometry"]]
    except Exception as exc:
        raise DataError(
            f"Tệp vị trí đã sửa {path} bị hỏng, không đọc được ({exc}). Sửa hoặc khôi phục tệp này từ bản sao lưu; "
            "ứng dụng không tự ghi đè lên nó."
        ) from exc


def _read_legacy_history(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"Tệp lịch sử sửa vị trí {path} bị hỏng, không đọc được ({exc}).") from exc


def _import_legacy(conn: Connection, b: db.Backend) -> None:
    """Import the old edits GeoJSON and history CSV of the SQLite store's folder, once (inside a write)."""
    if not _legacy_files(b) or schema.legacy_done(conn, HISTORY_FILE):
        return
    history_path, edits_path = b.folder / HISTORY_FILE, b.folder / EDITS_FILE
    hist = _read_legacy_history(history_path) if history_path.exists() else pd.DataFrame(columns=HISTORY_COLUMNS)
    edits = _read_legacy_edits(edits_path) if edits_path.exists() else None
    start = db.lock_counter(conn, "register")
    last: dict[str, int] = {}
    rows = []
    for i, r in enumerate(hist.to_dict("records"), start=start + 1):
        prev = r.get("previous_geometry_wkt") or ""
        rows.append(
            {
                "id": i,
                "changed_at_utc": r.get("changed_at_utc", ""),
                "who": r.get("who", ""),
                "project_id": r.get("id", ""),
                "action": r.get("action", ""),
                "input": r.get("input", ""),
                "previous_precision": r.get("previous_precision", ""),
                "previous_geometry": _wkb(shapely.from_wkt(prev)) if prev else None,
                "new_precision": r.get("new_precision", ""),
                "new_geometry": _wkb(shapely.from_wkt(r.get("new_geometry_wkt", ""))),
                "note": r.get("note", ""),
            }
        )
        last[r.get("id", "")] = i
    if rows:
        conn.execute(insert(schema.location_history), rows)
    if edits is not None and len(edits):
        conn.execute(delete(schema.location_edits).where(schema.location_edits.c.project_id.in_(list(edits["id"]))))
        conn.execute(
            insert(schema.location_edits),
            [
                {
                    "project_id": e.id,
                    "location_precision": e.location_precision,
                    "geometry": _wkb(e.geometry),
                    "history_id": last.get(e.id, 0),
                }
                for e in edits.itertuples()
            ],
        )
    db.bump_counter(conn, "register", start + len(rows) + 1)
    for path, n in ((history_path, len(rows)), (edits_path, 0 if edits is None else len(edits))):
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""
        schema.mark_legacy(conn, path.name, n, digest)


def _ensure_legacy(b: db.Backend) -> None:
    """Before reading: import the old files of the folder if they are there and not imported yet."""
    if _legacy_files(b) and not db.read(b, lambda conn: schema.legacy_done(conn, HISTORY_FILE), False):
        db.write(b, lambda conn: _import_legacy(conn, b))


def read_edits(directory: Path | None = None) -> gpd.GeoDataFrame:
    """The edited geometries (id, location_precision, edit_version, geometry), empty when nothing was saved."""
    b = _backend(directory)
    _ensure_legacy(b)
    t = schema.location_edits
    query = select(t.c.project_id, t.c.location_precision, t.c.history_id, t.c.geometry).order_by(t.c.history_id)
    rows = db.read(b, lambda conn: conn.execute(query).all(), [])
    return gpd.GeoDataFrame(
        {
            "id": [r[0] for r in rows],
            "location_precision": [r[1] for r in rows],
            "edit_version": [int(r[2]) for r in rows],
        },
        geometry=[_geom(r[3]) for r in rows],
        crs=WGS84,
    )


def read_history(directory: Path | None = None) -> pd.DataFrame:
    """All saved changes, oldest first (geometries as WKT, 7 decimals), every column as text."""
    b = _backend(directory)
    _ensure_legacy(b)
    t = schema.location_history
    query = select(t).order_by(t.c.id)

    def run(conn):
        return [
            {
                "changed_at_utc": r.changed_at_utc,
                "who": r.who,
                "id": r.project_id,
                "action": r.action,
                "input": r.input,
                "previous_precision": r.previous_precision,
                "previous_geometry_wkt": _wkt(r.previous_geometry),
                "new_precision": r.new_precision,
                "new_geometry_wkt": _wkt(r.new_geometry),
                "note": r.note,
                "overwrote": r.overwrote,
            }
            for r in conn.execute(query)
        ]

    return pd.DataFrame(db.read(b, run, []), columns=HISTORY_COLUMNS, dtype=str)


def load_register(
    data: Path | None = None, geo: Path | None = None, state: Path | None = None, *, include_edits: bool = True
) -> gpd.GeoDataFrame:
    """The shipped register with the planners' saved edits laid over it (column ``edited`` marks them, and
    ``edit_version`` is the version a location form states when saving: the edit's history id, 0 when none).
    ``include_edits=False``: the shipped register alone (the store cannot be read)."""
    projects = load_projects(data, geo)
    projects["edited"] = False
    projects["edit_version"] = 0
    if not include_edits:
        return projects
    edits = read_edits(state)
    for row in edits.itertuples():
        mask = projects["id"] == row.id
        if not mask.any():
            continue
        projects.loc[mask, "geometry"] = row.geometry
        projects.loc[mask, "location_precision"] = row.location_precision
        projects.loc[mask, "edited"] = True
        projects.loc[mask, "edit_version"] = row.edit_version
    return projects


SUBJECT = "Vị trí của đối tượng"


def _moves_since(conn: Connection, project_id: str, since: int) -> list[Change]:
    """The saved changes of one object after history id ``since``, oldest first: what a ``Conflict`` shows."""
    t = schema.location_history
    query = (
        select(t.c.id, t.c.who, t.c.changed_at_utc, t.c.action, t.c.new_precision, t.c.new_geometry)
        .where(t.c.project_id == project_id, t.c.id > since)
        .order_by(t.c.id)
    )
    out = []
    for r in conn.execute(query):
        geom = _geom(r.new_geometry)
        where = f"{geom.geom_type} quanh {shapely.to_wkt(geom.centroid, 5)}" if geom is not None else "—"
        what = f"{ACTIONS.get(r.action, r.action)} cho “{project_id}” (lần sửa {r.id})"
        out.append(Change(int(r.id), r.who, r.changed_at_utc, what, (f"vị trí mới: {where}",)))
    return out


def save_location(
    project_id: str,
    geometry: BaseGeometry,
    editor: Editor,
    *,
    action: str,
    input_text: str,
    precision: str = "exact",
    note: str = "",
    register: gpd.GeoDataFrame | None = None,
    outline: gpd.GeoDataFrame | None = None,
    state: Path | None = None,
    now: datetime | None = None,
    expected_version: int | None = None,
    overwrite: int | None = None,
) -> dict:
    """Save a new WGS84 geometry for one object, with who (the signed-in editor)/when and the previous value.

    Refuses (``Forbidden``) anyone but a signed-in Editor, and (LocationError) an unknown id, an invalid
    geometry or one outside the area; nothing is written then. ``expected_version``: the object's
    ``edit_version`` the form showed; a later save of the same object by someone else raises ``Conflict`` unless
    ``overwrite`` (the version shown in the conflict) covers it. Returns the history row written, with the
    object's new ``edit_version``.
    """
    who = require_office(editor, "sửa vị trí dự án").name
    note = within(note, MAX_NOTE_CHARS, "Ghi chú")
    input_text = within(input_text, MAX_NOTE_CHARS, "Dữ liệu nhập")
    if precision not in PRECISION_LABELS or precision == "unknown":
        raise LocationError(f"Độ chính xác vị trí “{precision}” không hợp lệ.")
    register = register if register is not None else load_register(state=state)
    match = register[register["id"] == project_id]
    if match.empty:
        raise LocationError(f"Không có đối tượng mã “{project_id}” trong danh mục dự án.")
    if geometry is None or geometry.is_empty or not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry).split("[")[0] if geometry is not None else "trống"  # no coordinates
        raise LocationError(f"Hình học không hợp lệ ({reason}).")
    outline = outline if outline is not None else load_outline()
    if not outline.to_crs(WGS84).union_all().covers(geometry):
        raise LocationError(f"Vị trí nằm ngoài {active().area_name} (toàn bộ hoặc một phần). Không lưu.")

    b = _backend(state)
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    edits, history = schema.location_edits, schema.location_history

    def run(conn: Connection) -> dict:
        _import_legacy(conn, b)
        hid = db.lock_counter(conn, "register") + 1  # the row lock serialises saves on every server
        found = _moves_since(conn, project_id, expected_version) if expected_version is not None else []
        overwrote = db.guard(SUBJECT, expected_version, hid - 1, found, overwrite)
        # the previous value is read under the lock: the latest saved edit, else the shipped geometry
        mine = conn.execute(
            select(edits.c.location_precision, edits.c.geometry).where(edits.c.project_id == project_id)
        ).first()
        if mine is None:
            old_geom, old_precision = match.iloc[0].geometry, match.iloc[0]["location_precision"]
            if bool(match.iloc[0].get("edited", False)):  # register given by the caller was stale
                shipped = load_projects().set_index("id")
                old_geom = shipped.at[project_id, "geometry"]
                old_precision = shipped.at[project_id, "location_precision"]
        else:
            old_precision, old_geom = mine[0], _geom(mine[1])
        conn.execute(
            insert(history).values(
                id=hid,
                changed_at_utc=stamp,
                who=who,
                project_id=project_id,
                action=action,
                input=input_text,
                previous_precision=old_precision,
                previous_geometry=_wkb(old_geom),
                new_precision=precision,
                new_geometry=_wkb(geometry),
                note=note,
                overwrote=overwrote,
            )
        )
        conn.execute(delete(edits).where(edits.c.project_id == project_id))
        conn.execute(
            insert(edits).values(
                project_id=project_id,
                location_precision=precision,
                geometry=_wkb(shapely.set_precision(geometry, 1e-7)),
                history_id=hid,
            )
        )
        db.bump_counter(conn, "register", hid)
        return {
            "changed_at_utc": stamp,
            "who": who,
            "id": project_id,
            "action": action,
            "input": input_text,
            "previous_precision": old_precision,
            "previous_geometry_wkt": "" if old_geom is None or old_geom.is_empty else shapely.to_wkt(old_geom, 7),
            "new_precision": precision,
            "new_geometry_wkt": shapely.to_wkt(geometry, 7),
            "note": note,
            "overwrote": overwrote,
            "edit_version": hid,
        }

    return db.write(b, run)
