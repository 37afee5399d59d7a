"""Read and validate an uploaded project footprint (GeoJSON, zipped Shapefile, GeoPackage, KML).

An upload is read only as what its name says, never as what GDAL would guess from the content: the extension
(and in a zip, the member's) chooses exactly one GDAL driver (``DRIVERS``), and the file is read in a confined
child process (``ktxh_geo.io.sandbox``, task ``ktxh_geo.io.vector_worker``) where every other driver is
skipped, the network is refused and a wall-clock, CPU and memory limit apply — the child is killed (SIGKILL)
when it overruns. So a GDAL VRT or GDALG pipeline named ``.geojson``, a GeoPackage whose layer is a view, or a
``crs`` link can read no other file, send no request and hold no core.

Coordinates may be WGS84 or VN-2000 (the profile's plane): a file that declares its CRS is reprojected; one that
does not (a Shapefile without .prj, or a GeoJSON holding metres) needs the planner to say which. Bad files are
rejected with a Vietnamese message naming the file; nothing from inside a file (coordinates, text, GDAL's own
English message, the server's temporary paths) reaches a message — the technical detail goes to the log.

Limits, checked before the heavy work: upload size (``MAX_UPLOAD_BYTES``), zip contents (``MAX_ZIP_FILES``,
``MAX_ZIP_UNCOMPRESSED``, a zip-bomb ratio), features (``MAX_FEATURES``, counted before reading), time and
memory of the parse (``PARSE_SECONDS``, ``PARSE_MEMORY``) and vertices (``MAX_VERTICES``, after reading;
``simplify_m`` may bring a detailed outline under it). A parse is done once per file content (``_parsed``).
"""

from __future__ import annotations

import hashlib
import io
import logging
import tempfile
import threading
import zipfile
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.geometry.base import BaseGeometry

from ktxh_geo.errors import InputError, LimitExceeded, LocationError
from ktxh_geo.io import sandbox, vector_worker
from ktxh_geo.io.shipped import WGS84
from ktxh_geo.text import format_number, printable
from ktxh_geo.vocab.profile import active

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ZIP_FILES = 50
MAX_ZIP_UNCOMPRESSED = 50 * 1024 * 1024
MAX_ZIP_RATIO = 100
MAX_FEATURES = 1_000
MAX_VERTICES = 20_000
PARSE_SECONDS = 20.0  # wall clock (and CPU seconds) of one parse, the child's start included
PARSE_MEMORY = sandbox.MEMORY_BYTES
AREA_TOLERANCE = 0.20
# the one driver each accepted name is read with (a zip is a zipped Shapefile: its one .shp member)
DRIVERS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".zip": "ESRI Shapefile", ".gpkg": "GPKG", ".kml": "KML"}
SUFFIXES = {".geojson": "GeoJSON", ".json": "GeoJSON", ".zip": "Shapefile (zip)", ".gpkg": "GeoPackage", ".kml": "KML"}
CRS_CHOICES = {
    "auto": "Theo tệp (WGS84 nếu tệp không ghi)",
    "wgs84": "WGS84 (kinh độ, vĩ độ)",
    "vn2000": "VN-2000 (hệ tọa độ của địa phương)",
}
# what the child refused, in words (never with anything from the file)
REFUSALS = {
    "not_geojson": "nội dung không phải GeoJSON (tên tệp là GeoJSON nhưng bên trong là định dạng khác); không đọc",
    "geojson_crs": "mục “crs” chỉ được ghi tên hệ tọa độ (ví dụ EPSG:4326); liên kết hay đường dẫn không được chấp "
    "nhận",
    "not_gpkg": "nội dung không phải GeoPackage (tên tệp là .gpkg nhưng bên trong là định dạng khác); không đọc",
    "gpkg_view": "GeoPackage có khung nhìn (view); chỉ nhận lớp dữ liệu là bảng thường — hãy xuất lại lớp thành "
    "bảng trong phần mềm GIS",
    "gpkg_virtual": "GeoPackage có bảng ảo (virtual table) ngoài chỉ mục không gian; không đọc",
    "gpkg_no_layer": "GeoPackage không có lớp đối tượng (features) nào",
    "gpkg_layer": "lớp đối tượng của GeoPackage không phải bảng thường; hãy xuất lại lớp thành bảng",
}
# GEOS's reasons for an invalid geometry, without the coordinates GEOS appends ("Self-intersection[x y]")
GEOMETRY_PROBLEMS = {
    "Self-intersection": "ranh giới tự cắt nhau",
    "Ring Self-intersection": "một vòng ranh giới tự cắt",
    "Hole lies outside shell": "lỗ thủng nằm ngoài vùng",
    "Holes are nested": "các lỗ thủng lồng nhau",
    "Interior is disconnected": "phần bên trong bị tách rời",
    "Nested shells": "các vùng lồng vào nhau",
    "Duplicate Rings": "có vòng ranh giới trùng nhau",
    "Too few distinct points in geometry component": "quá ít điểm để tạo thành vùng hoặc đường",
    "Invalid Coordinate": "có tọa độ không hợp lệ",
    "Ring is not closed": "vòng ranh giới không khép kín",
}


class FootprintError(LocationError, InputError):
    """An uploaded file that cannot be used (message in Vietnamese, names the file)."""


class FootprintTooLarge(FootprintError, LimitExceeded):
    """An upload past a limit (size, zip contents, features, vertices, parse time or memory); the message gives
    the count and the limit."""


def _mb(n: float) -> str:
    return format_number(n / 1024 / 1024, 1)


@dataclass
class Footprint:
    """A validated footprint in WGS84 with its metric area and the warnings to show."""

    geometry: BaseGeometry
    area_ha: float
    source_crs: str
    warnings: list[str] = field(default_factory=list)


def kml_supported() -> bool:
    """Whether this GDAL build can read KML with its own ``KML`` driver (LIBKML, which follows links, is never
    used for uploads)."""
    return "r" in pyogrio.list_drivers().get("KML", "")


def _driver(filename: str) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix not in DRIVERS:
        raise FootprintError(
            f"Tệp “{filename}”: định dạng {suffix or '(không có đuôi)'} không được hỗ trợ; "
            "dùng .geojson, .zip (Shapefile), .gpkg hoặc .kml."
        )
    if suffix == ".kml" and not kml_supported():
        raise FootprintError(
            f"Tệp “{filename}”: máy chủ không có trình đọc KML (GDAL); hãy dùng GeoJSON hoặc GeoPackage."
        )
    return DRIVERS[suffix]


def _check_zip(filename: str, data: bytes) -> dict[str, str]:
    """The members of the one Shapefile inside an uploaded zip (``{".shp": name, ".dbf": name, …}``), after
    checking the zip's listing against the limits (nothing is decompressed here)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise FootprintError(f"Tệp “{filename}”: không phải tệp zip hợp lệ.") from None
    if len(infos) > MAX_ZIP_FILES:
        raise FootprintTooLarge(
            f"Tệp “{filename}”: tệp zip chứa {format_number(len(infos))} tệp; giới hạn {MAX_ZIP_FILES} "
            "(chỉ cần .shp, .shx, .dbf, .prj của một lớp)."
        )
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    worst = max((i.file_size / max(i.compress_size, 1) for i in infos), default=0)
    if total > 10 * 1024 * 1024 and (total / packed > MAX_ZIP_RATIO or worst > 1000):
        raise FootprintTooLarge(
            f"Tệp “{filename}”: tệp nén bất thường (giải nén ra {_mb(total)} MB, gấp "
            f"{format_number(total / packed, 0)} lần) — có thể là “bom nén”; không mở."
        )
    if total > MAX_ZIP_UNCOMPRESSED:
        raise FootprintTooLarge(
            f"Tệp “{filename}”: giải nén ra {_mb(total)} MB; giới hạn {_mb(MAX_ZIP_UNCOMPRESSED)} MB."
        )
    files = [i.filename for i in infos if not i.is_dir() and not i.filename.startswith("__MACOSX")]
    shps = [name for name in files if name.lower().endswith(".shp")]
    if len(shps) != 1:
        raise FootprintError(f"Tệp “{filename}”: tệp zip phải chứa đúng một tệp .shp (tìm thấy {len(shps)}).")
    stem = str(PurePosixPath(shps[0]).with_suffix("")).lower()
    members = {}
    for name in files:  # the .shp's siblings by name in the archive; nothing else is extracted
        path = PurePosixPath(name)
        if str(path.with_suffix("")).lower() == stem and path.suffix.lower() in vector_worker.SHAPEFILE_PARTS:
            members[path.suffix.lower()] = name
    return members


def _unreadable(filename: str, suffix: str, detail: str) -> FootprintError:
    """GDAL's English message (with the server's temporary path) goes to the log; the planner gets Vietnamese."""
    log.warning("footprint upload %r unreadable: %s", filename, detail)
    kind = SUFFIXES.get(suffix, "không gian")
    return FootprintError(
        f"Tệp “{filename}”: không đọc được dữ liệu không gian (tệp hỏng, thiếu thành phần hoặc không đúng định "
        f"dạng {kind}). Hãy xuất lại tệp từ phần mềm GIS rồi tải lên lại."
    )


@dataclass(frozen=True)
class _Parsed:
    """What one parse of one file content gave: geometries (WKB) and the CRS text, or why it gave nothing."""

    wkb: tuple[bytes, ...] = ()
    crs: str | None = None
    refused: str = ""  # a code of REFUSALS, "features", "zip_member_size", "time", "memory", "failed"
    count: int = 0
    detail: str = ""  # for the log only


_parsed: OrderedDict[tuple[str, str], _Parsed] = OrderedDict()  # (sha256, suffix) → parse; a page rerun reuses it
_parsed_lock = threading.Lock()
_PARSED_KEPT = 16


def _parse(suffix: str, data: bytes, members: dict[str, str]) -> _Parsed:
    """Read ``data`` with the one driver of ``suffix`` in the sandbox (every other GDAL driver skipped)."""
    driver = DRIVERS[suffix]  # the caller has checked the name (``_driver``)
    skip = ",".join(d for d in pyogrio.list_drivers() if d != driver)
    request = {"driver": driver, "file": "upload" + suffix, "max_features": MAX_FEATURES}
    if members:
        request.update(members=members, cap=MAX_ZIP_UNCOMPRESSED)
    with tempfile.TemporaryDirectory(prefix="ktxh-upload-") as tmp:
        (Path(tmp) / request["file"]).write_bytes(data)
        try:
            out = sandbox.run(
                "ktxh_geo.io.vector_worker",
                request,
                Path(tmp),
                seconds=PARSE_SECONDS,
                memory=PARSE_MEMORY,
                env={**vector_worker.ENV, "GDAL_SKIP": skip, "OGR_SKIP": skip},
            )
        except sandbox.SandboxError as exc:
            if exc.kind == "busy":
                raise
            return _Parsed(refused=exc.kind if exc.kind in ("time", "memory") else "failed", detail=str(exc))
    head = out.header
    if not head.get("confined", {}).get("seccomp"):
        log.warning("upload parse ran without the seccomp filter (network and process limits): %s", head)
    if head.get("error"):
        return _Parsed(refused="failed", detail=str(head.get("detail", "")))
    if head.get("refused"):
        return _Parsed(refused=str(head["refused"]), count=int(head.get("count") or 0))
    sizes = [int(n) for n in head.get("sizes", [])]
    if sum(sizes) != len(out.data) or any(n < 0 for n in sizes):
        return _Parsed(refused="failed", detail="inconsistent result from the worker")
    blobs, at = [], 0
    for n in sizes:
        blobs.append(out.data[at : at + n])
        at += n
    crs = head.get("crs")
    return _Parsed(wkb=tuple(blobs), crs=crs if isinstance(crs, str) else None, count=len(blobs))


def _parsed_once(suffix: str, data: bytes, members: dict[str, str]) -> _Parsed:
    key = (hashlib.sha256(data).hexdigest(), suffix)
    with _parsed_lock:
        if key in _parsed:
            _parsed.move_to_end(key)
            return _parsed[key]
    result = _parse(suffix, data, members)
    with _parsed_lock:
        _parsed[key] = result
        while len(_parsed) > _PARSED_KEPT:
            _parsed.popitem(last=False)
    return result


def _file_crs(text: str | None) -> CRS | None:
    """The CRS the child reported: an ``EPSG:n`` code or WKT only (never a PROJ string or a path)."""
    if not text:
        return None
    authority, _, code = text.partition(":")
    if authority == "EPSG" and code.isdigit():
        return CRS.from_epsg(int(code))
    return CRS.from_wkt(text)


def read_footprint_file(filename: str, data: bytes) -> gpd.GeoDataFrame:
    """Read the uploaded bytes as what the name says; the CRS is whatever the file declares (may be None).

    Refuses (``FootprintTooLarge``) an upload over ``MAX_UPLOAD_BYTES``, a zip past its limits, a layer of more
    than ``MAX_FEATURES`` features (before the geometries are read) and a parse past its time or memory limit.
    """
    filename = printable(Path(str(filename)).name)
    if not data:
        raise FootprintError(f"Tệp “{filename}” trống.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise FootprintTooLarge(
            f"Tệp “{filename}”: tệp quá lớn ({_mb(len(data))} MB); giới hạn {_mb(MAX_UPLOAD_BYTES)} MB. "
            "Hãy chỉ giữ ranh giới của dự án này (hoặc đơn giản hóa ranh giới trong phần mềm GIS)."
        )
    driver = _driver(filename)
    suffix = Path(filename).suffix.lower()
    members = _check_zip(filename, data) if driver == "ESRI Shapefile" else {}
    try:
        parsed = _parsed_once(suffix, data, members)
    except sandbox.SandboxError:
        raise FootprintError(f"Tệp “{filename}”: máy chủ đang bận đọc các tệp khác; hãy thử lại sau ít phút.") from None
    _raise_refusal(filename, suffix, parsed)
    try:
        crs = _file_crs(parsed.crs)
    except CRSError as exc:
        raise _unreadable(filename, suffix, f"CRS: {exc}") from None
    geometry = shapely.from_wkb([b or None for b in parsed.wkb], on_invalid="ignore")
    return gpd.GeoDataFrame(geometry=gpd.GeoSeries(geometry, crs=crs))


def _raise_refusal(filename: str, suffix: str, parsed: _Parsed) -> None:
    code = parsed.refused
    if not code:
        return
    if code in REFUSALS:
        raise FootprintError(f"Tệp “{filename}”: {REFUSALS[code]}.")
    if code == "features":
        raise _too_many_features(filename, format_number(parsed.count))
    if code == "zip_member_size":
        raise FootprintTooLarge(
            f"Tệp “{filename}”: một thành phần của Shapefile giải nén ra hơn {_mb(MAX_ZIP_UNCOMPRESSED)} MB; không đọc."
        )
    if code == "time":
        raise FootprintTooLarge(
            f"Tệp “{filename}”: đọc tệp quá {format_number(PARSE_SECONDS, 0)} giây nên đã dừng (tệp quá phức tạp "
            f"hoặc không đúng định dạng {SUFFIXES[suffix]}). Không có gì được lưu."
        )
    if code == "memory":
        raise FootprintTooLarge(
            f"Tệp “{filename}”: đọc tệp cần quá {_mb(PARSE_MEMORY)} MB bộ nhớ nên đã dừng. Không có gì được lưu."
        )
    raise _unreadable(filename, suffix, parsed.detail or code)


def _too_many_features(filename: str, count: str) -> FootprintTooLarge:
    return FootprintTooLarge(
        f"Tệp “{filename}”: có {count} đối tượng; giới hạn {format_number(MAX_FEATURES)} đối tượng cho ranh giới "
        "một dự án."
    )


def geometry_problem(geom: BaseGeometry) -> str:
    """Why a geometry is invalid, in Vietnamese and without the coordinates GEOS puts in its reason."""
    reason = str(shapely.is_valid_reason(geom) or "").split("[", 1)[0].strip()
    return GEOMETRY_PROBLEMS.get(reason, "hình học sai cấu trúc")


def vertex_count(gdf: gpd.GeoDataFrame) -> int:
    """Number of coordinates of every geometry (shapely.get_num_coordinates)."""
    return int(shapely.get_num_coordinates(gdf.geometry.values).sum())


def limit_vertices(
    gdf: gpd.GeoDataFrame, filename: str, simplify_m: float | None = None
) -> tuple[gpd.GeoDataFrame, str | None]:
    """``gdf`` (in WGS84) within ``MAX_VERTICES``: unchanged, or simplified with ``simplify_m`` metres (topology
    preserved, in the profile's metric CRS) with a warning naming the tolerance; ``FootprintTooLarge`` otherwise.
    """
    count = vertex_count(gdf)
    if count <= MAX_VERTICES:
        return gdf, None
    hint = "Hãy đơn giản hóa ranh giới (ví dụ dung sai 1 m) trong phần mềm GIS rồi tải lên lại."
    if simplify_m is not None and simplify_m > 0 and simplify_m == simplify_m:
        metric = gdf.to_crs(active().metric_crs)
        metric = metric.set_geometry(metric.geometry.simplify(float(simplify_m), preserve_topology=True))
        simplified = metric.to_crs(gdf.crs)
        after = vertex_count(simplified)
        tolerance = format_number(simplify_m, 3)
        tolerance = tolerance.rstrip("0").rstrip(",") if "," in tolerance else tolerance
        if after <= MAX_VERTICES:
            return simplified, (
                f"Ranh giới đã được đơn giản hóa với dung sai {tolerance} m "
                f"(giữ topo, trong hệ {active().metric_crs_label}): "
                f"từ {format_number(count)} còn {format_number(after)} đỉnh."
            )
        raise FootprintTooLarge(
            f"Tệp “{filename}”: có {format_number(count)} đỉnh; đơn giản hóa với dung sai {tolerance} m còn "
            f"{format_number(after)} đỉnh, vẫn vượt giới hạn {format_number(MAX_VERTICES)}. {hint}"
        )
    raise FootprintTooLarge(
        f"Tệp “{filename}”: có {format_number(count)} đỉnh; giới hạn {format_number(MAX_VERTICES)} đỉnh. {hint}"
    )


def _looks_metric(gdf: gpd.GeoDataFrame) -> bool:
    minx, miny, maxx, maxy = gdf.total_bounds
    return max(abs(minx), abs(maxx)) > 180 or max(abs(miny), abs(maxy)) > 90


def to_wgs84(gdf: gpd.GeoDataFrame, filename: str, crs_choice: str = "auto") -> tuple[gpd.GeoDataFrame, str]:
    """Reproject to WGS84, resolving a missing or wrong CRS from the planner's choice."""
    declared = gdf.crs
    metric = _looks_metric(gdf)
    if crs_choice == "vn2000" and not metric:
        raise FootprintError(f"Tệp “{filename}” có tọa độ dạng độ (kinh độ, vĩ độ), không phải VN-2000 (mét).")
    if crs_choice == "vn2000":  # the planner's choice wins over a missing, wrong or parameter-less .prj
        gdf = gdf.set_crs(active().vn2000_crs(), allow_override=True)
    elif crs_choice == "wgs84" and declared is None:
        gdf = gdf.set_crs(WGS84)
    elif declared is None:
        if metric:
            raise FootprintError(f"Tệp “{filename}” không ghi hệ tọa độ và tọa độ tính bằng mét: hãy chọn “VN-2000”.")
        gdf = gdf.set_crs(WGS84)
    if gdf.crs.is_geographic and _looks_metric(gdf):
        raise FootprintError(f"Tệp “{filename}” ghi hệ tọa độ địa lý nhưng tọa độ tính bằng mét: hãy chọn “VN-2000”.")
    label = active().vn2000_label if crs_choice == "vn2000" else printable(gdf.crs.name or "hệ tọa độ của tệp")[:80]
    try:  # a LOCAL_CS .prj, a CRS without a datum, a transformation PROJ cannot do
        out = gdf.to_crs(WGS84)
        finite = bool(np.isfinite(shapely.get_coordinates(out.geometry.values)).all())
    except (CRSError, ValueError, RuntimeError) as exc:  # pyproj's ProjError is a RuntimeError
        log.warning("footprint upload %r: reprojection failed: %s: %s", filename, type(exc).__name__, exc)
        finite = False
    if not finite:
        raise FootprintError(
            f"Tệp “{filename}”: không chuyển được hệ tọa độ của tệp sang kinh độ, vĩ độ (WGS84) — hệ tọa độ cục bộ "
            "hoặc không đầy đủ. Nếu tọa độ là VN-2000 của địa phương hãy chọn “VN-2000”; nếu không, hãy xuất lại tệp "
            "với hệ WGS84 (EPSG:4326)."
        )
    return out, label


def validate_footprint(
    gdf: gpd.GeoDataFrame,
    filename: str,
    outline: gpd.GeoDataFrame,
    declared_area_ha: float | None,
) -> Footprint:
    """Check geometry validity, type, that it lies in the area, and its size (metric CRS) against the declared area."""
    geoms = [g for g in gdf.geometry if g is not None and not g.is_empty]
    if not geoms:
        raise FootprintError(f"Tệp “{filename}” không có hình học nào.")
    for i, g in enumerate(geoms, start=1):
        if not g.is_valid:
            raise FootprintError(f"Tệp “{filename}”, đối tượng {i}: hình học không hợp lệ ({geometry_problem(g)}).")
        if g.geom_type not in ("Polygon", "MultiPolygon", "LineString", "MultiLineString"):
            raise FootprintError(
                f"Tệp “{filename}”, đối tượng {i}: kiểu {g.geom_type} không phải ranh giới (vùng) hoặc tuyến (đường); "
                "để đặt một điểm hãy dùng thẻ “Sửa vị trí”."
            )
    kinds = {g.geom_type.replace("Multi", "") for g in geoms}
    if len(kinds) > 1:
        raise FootprintError(f"Tệp “{filename}” trộn vùng và đường; mỗi tệp chỉ một loại.")
    geom = shapely.union_all(geoms)
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    district = outline.to_crs(WGS84).union_all()
    if not district.intersects(geom):
        raise FootprintError(f"Tệp “{filename}”: ranh giới nằm hoàn toàn ngoài {active().area_name}.")
    if not district.covers(geom):
        metric = gpd.GeoSeries([geom, district], crs=WGS84).to_crs(active().metric_crs)
        outside = metric[0].difference(metric[1])
        size = (
            f"{format_number(outside.area / 1e4, 2)} ha"
            if "Polygon" in kinds
            else f"{format_number(outside.length, 0)} m"
        )
        raise FootprintError(f"Tệp “{filename}”: một phần ({size}) nằm ngoài {active().area_name}.")
    area_ha = float(gpd.GeoSeries([geom], crs=WGS84).to_crs(active().metric_crs).area.iloc[0] / 1e4)
    warnings = []
    if "Polygon" in kinds:
        if declared_area_ha is None or declared_area_ha != declared_area_ha or declared_area_ha <= 0:
            warnings.append(f"Danh mục chưa ghi diện tích; diện tích theo ranh giới: {format_number(area_ha, 2)} ha.")
        else:
            diff = (area_ha - declared_area_ha) / declared_area_ha
            if abs(diff) > AREA_TOLERANCE:
                warnings.append(
                    f"Diện tích theo ranh giới {format_number(area_ha, 2)} ha khác diện tích khai báo "
                    f"{format_number(declared_area_ha, 2)} ha là {format_number(diff * 100, 1)} % (quá 20 %)."
                )
    return Footprint(geom, area_ha, "", warnings)


def load_footprint(
    filename: str,
    data: bytes,
    outline: gpd.GeoDataFrame,
    declared_area_ha: float | None,
    crs_choice: str = "auto",
    simplify_m: float | None = None,
) -> Footprint:
    """Read, reproject and validate an upload; raises FootprintError with a planner-facing message.

    Over ``MAX_VERTICES`` vertices the file is refused, unless ``simplify_m`` (metres) simplifies it under the
    limit: then the footprint's warnings say the tolerance used.
    """
    gdf = read_footprint_file(filename, data)
    filename = printable(Path(str(filename)).name)
    if simplify_m is None and vertex_count(gdf) > MAX_VERTICES:  # refuse before reprojecting
        limit_vertices(gdf, filename)
    gdf, crs_label = to_wgs84(gdf, filename, crs_choice)
    gdf, simplified = limit_vertices(gdf, filename, simplify_m)
    fp = validate_footprint(gdf, filename, outline, declared_area_ha)
    fp.source_crs = crs_label
    if simplified:
        fp.warnings.insert(0, simplified)
    return fp
