"""Planner edits to project locations: coordinate conversion, validation and an atomic, audited store.

Edits never touch the shipped files. They live in a writable state folder (env ``KTXH_STATE_DIR``,
default ``./var/``, git-ignored) that overlays ``geo/projects.geojson``:

- ``projects_edits.geojson``: the current edited geometry of each edited object (id, location_precision);
- ``projects_history.csv``: one row per saved change (who, when UTC, previous and new geometry as WKT), append-only.

The edits file is replaced with ``os.replace`` from a temporary file in the same folder; the history is appended
(one fsync'ed write of the new row, under the lock) and cut back to its previous length if anything fails, and
the edits file is rolled back if the history cannot be written, so a failed save leaves the register as it was.
Every save needs a signed-in ``Editor`` (``require_editor`` first) and records ``editor.name``. A damaged edits
file raises ``DataError``; a full disk or read-only state folder raises one ``StorageError`` naming the folder.
"""

from __future__ import annotations

import csv
import fcntl
import io
import os
import tempfile
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from ktxh_geo.errors import DataError
from ktxh_geo.io.shipped import WGS84, load_outline, load_projects
from ktxh_geo.io.store import storage_error
from ktxh_geo.model.auth import Editor, require_editor
from ktxh_geo.model.locations import LocationError
from ktxh_geo.model.profile import active
from ktxh_geo.model.projects import PRECISION_LABELS
from ktxh_geo.settings import state_dir

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
]


# ---------------------------------------------------------------- store


def read_edits(directory: Path | None = None) -> gpd.GeoDataFrame:
    """The edited geometries (id, location_precision, geometry), empty when nothing was saved."""
    path = (directory or state_dir()) / EDITS_FILE
    if not path.exists():
        return gpd.GeoDataFrame({"id": [], "location_precision": []}, geometry=[], crs=WGS84)
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
        return gdf.set_crs(WGS84, allow_override=True)[["id", "location_precision", "geometry"]]
    except Exception as exc:
        raise DataError(
            f"Tệp vị trí đã sửa {path} bị hỏng, không đọc được ({exc}). Sửa hoặc khôi phục tệp này từ bản sao lưu; "
            "ứng dụng không tự ghi đè lên nó."
        ) from exc


@contextmanager
def _locked(state: Path):
    """Serialise saves (two planners saving at once must not drop each other's edit)."""
    try:
        state.mkdir(parents=True, exist_ok=True)
        fh = open(state / ".projects.lock", "a")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise storage_error(exc, state) from exc
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def read_history(directory: Path | None = None) -> pd.DataFrame:
    """All saved changes, oldest first."""
    path = (directory or state_dir()) / HISTORY_FILE
    if not path.exists():
        return pd.DataFrame(columns=HISTORY_COLUMNS)
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"Tệp lịch sử sửa vị trí {path} bị hỏng, không đọc được ({exc}).") from exc


def load_register(data: Path | None = None, geo: Path | None = None, state: Path | None = None) -> gpd.GeoDataFrame:
    """The shipped register with the planners' saved edits laid over it (column ``edited`` marks them)."""
    projects = load_projects(data, geo)
    projects["edited"] = False
    edits = read_edits(state)
    for row in edits.itertuples():
        mask = projects["id"] == row.id
        if not mask.any():
            continue
        projects.loc[mask, "geometry"] = row.geometry
        projects.loc[mask, "location_precision"] = row.location_precision
        projects.loc[mask, "edited"] = True
    return projects


def _write_atomic(path: Path, content: bytes) -> None:
    """Write to a temporary file in the same folder, then os.replace it over ``path``."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _edits_bytes(edits: gpd.GeoDataFrame) -> bytes:
    """GeoJSON text of the edits (6 decimals ≈ 0,1 m)."""
    edits = edits.copy()
    edits["geometry"] = edits.geometry.set_precision(1e-7)
    return edits.to_json(drop_id=True, ensure_ascii=False).encode("utf-8")


def _history_row_bytes(row: dict, header: bool) -> bytes:
    """One history row as CSV (with the header line when the file is new)."""
    buf = io.StringIO()
    pd.DataFrame([row])[HISTORY_COLUMNS].to_csv(
        buf, index=False, header=header, quoting=csv.QUOTE_MINIMAL, lineterminator="\n"
    )
    return buf.getvalue().encode("utf-8")


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
) -> dict:
    """Save a new WGS84 geometry for one object, with who (the signed-in editor)/when and the previous value.

    Refuses (``Forbidden``) anyone but a signed-in Editor, and (LocationError) an unknown id, an invalid
    geometry or one outside the district; nothing is written then. Returns the history row written.
    """
    who = require_editor(editor).name
    state = state or state_dir()
    if precision not in PRECISION_LABELS or precision == "unknown":
        raise LocationError(f"Độ chính xác vị trí “{precision}” không hợp lệ.")
    register = register if register is not None else load_register(state=state)
    match = register[register["id"] == project_id]
    if match.empty:
        raise LocationError(f"Không có đối tượng mã “{project_id}” trong danh mục dự án.")
    if geometry is None or geometry.is_empty or not geometry.is_valid:
        reason = shapely.is_valid_reason(geometry) if geometry is not None else "trống"
        raise LocationError(f"Hình học không hợp lệ ({reason}).")
    outline = outline if outline is not None else load_outline()
    if not outline.to_crs(WGS84).union_all().covers(geometry):
        raise LocationError(f"Vị trí nằm ngoài {active().area_name} (toàn bộ hoặc một phần). Không lưu.")

    with _locked(state):
        edits = read_edits(state)
        # the previous value is read under the lock: the latest saved edit, else the shipped geometry
        mine = edits[edits["id"] == project_id]
        if mine.empty:
            old_geom, old_precision = match.iloc[0].geometry, match.iloc[0]["location_precision"]
            if bool(match.iloc[0].get("edited", False)):  # register given by the caller was stale
                shipped = load_projects().set_index("id")
                old_geom, old_precision = (
                    shipped.at[project_id, "geometry"],
                    shipped.at[project_id, "location_precision"],
                )
        else:
            old_geom, old_precision = mine.geometry.iloc[0], mine["location_precision"].iloc[0]
        stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        row = {
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
        }
        edits = edits[edits["id"] != project_id]
        new = gpd.GeoDataFrame({"id": [project_id], "location_precision": [precision]}, geometry=[geometry], crs=WGS84)
        edits = pd.concat([edits, new], ignore_index=True)
        try:
            _commit(state, _edits_bytes(gpd.GeoDataFrame(edits, crs=WGS84)), row)
        except OSError as exc:
            raise storage_error(exc, state) from exc
    return row


def _append(path: Path, content: bytes) -> None:
    """Append ``content`` to ``path`` (fsync'ed); on failure cut the file back to its previous length."""
    size = path.stat().st_size if path.exists() else None
    try:
        with open(path, "ab") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        if size is None:
            path.unlink(missing_ok=True)
        else:
            os.truncate(path, size)
        raise


def _commit(state: Path, edits: bytes, row: dict) -> None:
    """Replace the edits, then append the history row; roll the edits back if the history cannot be written.

    A new history file is written whole (temporary file and rename); an existing one is appended to, so a save
    never rewrites the history.
    """
    edits_path, history_path = state / EDITS_FILE, state / HISTORY_FILE
    previous = edits_path.read_bytes() if edits_path.exists() else None
    _write_atomic(edits_path, edits)
    try:
        if history_path.exists() and history_path.stat().st_size:
            _append(history_path, _history_row_bytes(row, header=False))
        else:
            _write_atomic(history_path, _history_row_bytes(row, header=True))
    except BaseException:
        if previous is None:
            edits_path.unlink(missing_ok=True)
        else:
            _write_atomic(edits_path, previous)
        raise
