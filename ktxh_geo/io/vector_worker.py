"""Inside the sandbox (``ktxh_geo.io.sandbox``): read one uploaded vector file with exactly one GDAL driver.

The parent maps the file name's extension to one driver and starts this task with every other GDAL driver
skipped (``GDAL_SKIP``); ``work`` checks that only that driver is registered before GDAL sees the file, and
checks the content is what the name claims first:

- GeoJSON must parse as JSON whose top-level ``type`` is a GeoJSON type; a ``crs`` member may only name a
  CRS (``EPSG:…``, an OGC URN) — never a link, a URL or a path;
- a GeoPackage must be SQLite holding ``gpkg_contents`` whose first feature layer is a table; a file with any
  view, or a virtual table other than the R-tree spatial index, is refused; its triggers are dropped from the
  child's private copy before GDAL opens it (a trigger never runs on a read, and now none is even there — every
  GeoPackage GDAL or QGIS writes has R-tree triggers, so they cannot simply be refused);
- a zipped Shapefile has its .shp/.shx/.dbf/.prj/.cpg members (chosen by the parent) extracted under fixed
  names, each with a size cap (no ``/vsizip``, no path from the archive reaches the file system).

Only geometries come back (WKB) with the layer's CRS as text; attributes are never read. Refusals are codes
(``{"refused": code}``; "corrupt" for a damaged file), worded in Vietnamese by the parent: nothing from the file
goes into a message.
"""

from __future__ import annotations

import json
import re
import sqlite3
import zipfile
from pathlib import Path

import pyogrio
import pyogrio.raw

SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
GEOJSON_TYPES = {
    "FeatureCollection",
    "Feature",
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
}
_CRS_NAME = re.compile(
    r"(?:EPSG:[0-9]{1,6}|urn:ogc:def:crs:(?:EPSG:[0-9.]*:[0-9]{1,6}|OGC:1\.3:CRS84|OGC::CRS84)"
    r"|https?://www\.opengis\.net/def/crs/(?:EPSG/0/[0-9]{1,6}|OGC/1\.3/CRS84))",
    re.ASCII,
)
_USING = re.compile(r"\bUSING\s+([A-Za-z0-9_]+)", re.IGNORECASE)

# GDAL settings for the child: no network, no extensions or external access from SQLite, no side files
ENV = {
    "GDAL_HTTP_PROXY": "127.0.0.1:9",
    "GDAL_HTTP_TIMEOUT": "1",
    "GDAL_HTTP_CONNECTTIMEOUT": "1",
    "GDAL_HTTP_MAX_RETRY": "0",
    "CPL_VSIL_CURL_ALLOWED_EXTENSIONS": "{noext}",
    "GDAL_ALLOW_REMOTE_RESOURCE_TO_ACCESS_LOCAL_FILE": "NO",
    "OGR_SQLITE_ALLOW_EXTERNAL_ACCESS": "NO",
    "OGR_SQLITE_LOAD_EXTENSIONS": "",
    "GDAL_VRT_ENABLE_PYTHON": "NO",
    "GDAL_PAM_ENABLED": "NO",
    "GDAL_DISABLE_READDIR_ON_OPEN": "EMPTY_DIR",
    "PROJ_NETWORK": "OFF",
}


class Refused(Exception):
    """The content is not what the name claims (or is not allowed); ``code`` is for the parent's message."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _only(driver: str) -> None:
    registered = set(pyogrio.list_drivers())
    if registered != {driver}:  # never read with a driver the name did not choose
        raise RuntimeError(f"drivers registered besides {driver}: {sorted(registered - {driver})[:5]}")


def _geojson(path: Path) -> None:
    try:
        doc = json.loads(path.read_bytes())
    except (ValueError, RecursionError):
        raise Refused("corrupt") from None
    if not isinstance(doc, dict) or doc.get("type") not in GEOJSON_TYPES:
        raise Refused("not_geojson")
    features = doc.get("features") if isinstance(doc.get("features"), list) else []
    for obj in [doc, *(f for f in features if isinstance(f, dict))]:
        if "crs" in obj and not _named_crs(obj["crs"]):
            raise Refused("geojson_crs")


def _named_crs(crs: object) -> bool:
    """A GeoJSON 2008 ``crs`` that only names a CRS (``name`` or ``EPSG`` type); links and paths are refused."""
    if crs is None:
        return True
    if not isinstance(crs, dict) or not isinstance(crs.get("properties"), dict):
        return False
    props = crs["properties"]
    if crs.get("type") == "name":
        return isinstance(props.get("name"), str) and bool(_CRS_NAME.fullmatch(props["name"]))
    if crs.get("type") == "EPSG":
        return isinstance(props.get("code"), int) and 0 < props["code"] < 1_000_000
    return False


def _geopackage(path: Path) -> str:
    """The first feature layer of a GeoPackage made of tables only; refuses anything else."""
    with open(path, "rb") as fh:
        if fh.read(16) != b"SQLite format 3\x00":
            raise Refused("not_gpkg")
    con = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        steps = [0]

        def guard() -> int:  # the checks below are small queries: anything long is hostile
            steps[0] += 1
            return 1 if steps[0] > 10_000 else 0

        con.set_progress_handler(guard, 1000)
        con.execute("PRAGMA trusted_schema = OFF")
        con.execute("PRAGMA query_only = ON")
        schema = con.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
        kinds = {name: (kind, sql or "") for kind, name, sql in schema}
        if any(kind == "view" for kind, _ in kinds.values()):
            raise Refused("gpkg_view")
        for kind, sql in kinds.values():
            using = _USING.search(sql) if kind == "table" and sql.upper().startswith("CREATE VIRTUAL") else None
            if using is not None and using.group(1).lower() != "rtree":
                raise Refused("gpkg_virtual")
        if kinds.get("gpkg_contents", ("",))[0] != "table":
            raise Refused("not_gpkg")
        layers = [
            r[0]
            for r in con.execute("SELECT table_name FROM gpkg_contents WHERE data_type = 'features' ORDER BY rowid")
        ]
    except sqlite3.DatabaseError:
        raise Refused("corrupt") from None
    finally:
        con.close()
    if not layers:
        raise Refused("gpkg_no_layer")
    layer = layers[0]
    kind, sql = kinds.get(layer, ("", ""))
    if kind != "table" or sql.upper().startswith("CREATE VIRTUAL"):
        raise Refused("gpkg_layer")
    _drop_triggers(path, [name for name, (kind, _) in kinds.items() if kind == "trigger"])
    return layer


def _drop_triggers(path: Path, triggers: list[str]) -> None:
    """Remove every trigger from this private copy (dropping a trigger does not run it)."""
    if not triggers:
        return
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA trusted_schema = OFF")
        con.execute("BEGIN")
        for name in triggers:
            con.execute('DROP TRIGGER IF EXISTS "{}"'.format(name.replace('"', '""')))
        con.execute("COMMIT")
    except sqlite3.DatabaseError:
        raise Refused("corrupt") from None
    finally:
        con.close()


def _shapefile(folder: Path, archive: str, members: dict[str, str], cap: int) -> Path:
    """Extract the members the parent chose under fixed names (``layer.shp`` …), each at most ``cap`` bytes."""
    with zipfile.ZipFile(folder / archive) as zf:
        for ext, name in members.items():
            if ext not in SHAPEFILE_PARTS:
                continue
            with zf.open(name) as src, open(folder / f"layer{ext}", "wb") as dst:
                while chunk := src.read(1024 * 1024):
                    if dst.tell() + len(chunk) > cap:
                        raise Refused("zip_member_size")
                    dst.write(chunk)
    return folder / "layer.shp"


def work(request: dict, folder: Path) -> tuple[dict, bytes]:
    """Read the upload named in ``request`` (``driver``, ``file``, ``members``, ``cap``, ``max_features``)."""
    driver = request["driver"]
    _only(driver)
    path = folder / request["file"]
    layer = None
    try:
        if driver == "GeoJSON":
            _geojson(path)
        elif driver == "GPKG":
            layer = _geopackage(path)
        elif driver == "ESRI Shapefile":
            path = _shapefile(folder, request["file"], request["members"], int(request["cap"]))
        elif driver != "KML":
            raise Refused("driver")
    except Refused as refused:
        return {"refused": refused.code}, b""
    limit = int(request["max_features"])
    count = int(pyogrio.read_info(path, layer=layer).get("features", -1))
    if count > limit:
        return {"refused": "features", "count": count}, b""
    meta, _fids, geometry, _fields = pyogrio.raw.read(path, layer=layer, columns=[], max_features=limit + 1)
    blobs = [b"" if g is None else bytes(g) for g in geometry]
    return {"crs": meta.get("crs"), "sizes": [len(b) for b in blobs], "count": len(blobs)}, b"".join(blobs)
