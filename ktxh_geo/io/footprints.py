"""Read and validate an uploaded project footprint (GeoJSON, zipped Shapefile, GeoPackage, KML).

Files are read with pyogrio (GDAL). Coordinates may be WGS84 or VN-2000 (the profile's plane): a file that
declares its CRS is reprojected; one that does not (a Shapefile without .prj, or a GeoJSON holding metres)
needs the planner to say which. Bad files are rejected with a Vietnamese message naming the file; GDAL's own
(English) text and the server's temporary paths go to the log only.

Limits, checked before the heavy work: upload size (``MAX_UPLOAD_BYTES``), zip contents (``MAX_ZIP_FILES``,
``MAX_ZIP_UNCOMPRESSED``, a zip-bomb ratio), features (``MAX_FEATURES``, counted before reading) and vertices
(``MAX_VERTICES``, after reading; ``simplify_m`` may bring a detailed outline under it).
"""

from __future__ import annotations

import io
import logging
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely
from shapely.geometry.base import BaseGeometry

from ktxh_geo.errors import InputError, LimitExceeded
from ktxh_geo.io.shipped import WGS84
from ktxh_geo.model.locations import LocationError, vn2000_crs, vn2000_label
from ktxh_geo.model.profile import active
from ktxh_geo.text import format_number, printable

log = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ZIP_FILES = 50
MAX_ZIP_UNCOMPRESSED = 50 * 1024 * 1024
MAX_ZIP_RATIO = 100
MAX_FEATURES = 1_000
MAX_VERTICES = 20_000
AREA_TOLERANCE = 0.20
SUFFIXES = {".geojson": "GeoJSON", ".json": "GeoJSON", ".zip": "Shapefile (zip)", ".gpkg": "GeoPackage", ".kml": "KML"}
CRS_CHOICES = {
    "auto": "Theo tệp (WGS84 nếu tệp không ghi)",
    "wgs84": "WGS84 (kinh độ, vĩ độ)",
    "vn2000": "VN-2000 (hệ tọa độ của địa phương)",
}


class FootprintError(LocationError, InputError):
    """An uploaded file that cannot be used (message in Vietnamese, names the file)."""


class FootprintTooLarge(FootprintError, LimitExceeded):
    """An upload past a limit (size, zip contents, features, vertices); the message gives the count and the limit."""


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
    """Whether this GDAL build can read KML (driver ``KML`` or ``LIBKML``)."""
    drivers = pyogrio.list_drivers()
    return any("r" in drivers.get(name, "") for name in ("KML", "LIBKML"))


def _dataset_path(folder: Path, filename: str, data: bytes) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise FootprintError(
            f"Tệp “{filename}”: định dạng {suffix or '(không có đuôi)'} không được hỗ trợ; "
            "dùng .geojson, .zip (Shapefile), .gpkg hoặc .kml."
        )
    if suffix == ".kml" and not kml_supported():
        raise FootprintError(
            f"Tệp “{filename}”: máy chủ không có trình đọc KML (GDAL); hãy dùng GeoJSON hoặc GeoPackage."
        )
    shp = _check_zip(filename, data) if suffix == ".zip" else ""
    path = folder / ("upload" + suffix)
    path.write_bytes(data)
    return f"/vsizip/{path}/{shp}" if shp else str(path)


def _check_zip(filename: str, data: bytes) -> str:
    """The one .shp inside an uploaded zip, after checking the zip's contents against the limits."""
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
    shps = [
        i.filename
        for i in infos
        if i.filename.lower().endswith(".shp") and not i.filename.startswith("__MACOSX") and not i.is_dir()
    ]
    if len(shps) != 1:
        raise FootprintError(f"Tệp “{filename}”: tệp zip phải chứa đúng một tệp .shp (tìm thấy {len(shps)}).")
    return shps[0]


def _unreadable(filename: str, suffix: str, exc: BaseException) -> FootprintError:
    """GDAL's English message (with the server's temporary path) goes to the log; the planner gets Vietnamese."""
    log.warning("footprint upload %r unreadable: %s: %s", filename, type(exc).__name__, exc)
    kind = SUFFIXES.get(suffix, "không gian")
    return FootprintError(
        f"Tệp “{filename}”: không đọc được dữ liệu không gian (tệp hỏng, thiếu thành phần hoặc không đúng định "
        f"dạng {kind}). Hãy xuất lại tệp từ phần mềm GIS rồi tải lên lại."
    )


def read_footprint_file(filename: str, data: bytes) -> gpd.GeoDataFrame:
    """Read the uploaded bytes with pyogrio; the CRS is whatever the file declares (may be None).

    Refuses (``FootprintTooLarge``) an upload over ``MAX_UPLOAD_BYTES``, a zip past its limits and a layer of
    more than ``MAX_FEATURES`` features, before reading the geometries.
    """
    filename = printable(Path(str(filename)).name)
    if not data:
        raise FootprintError(f"Tệp “{filename}” trống.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise FootprintTooLarge(
            f"Tệp “{filename}”: tệp quá lớn ({_mb(len(data))} MB); giới hạn {_mb(MAX_UPLOAD_BYTES)} MB. "
            "Hãy chỉ giữ ranh giới của dự án này (hoặc đơn giản hóa ranh giới trong phần mềm GIS)."
        )
    suffix = Path(filename).suffix.lower()
    with tempfile.TemporaryDirectory() as tmp:
        path = _dataset_path(Path(tmp), filename, data)
        try:
            count = int(pyogrio.read_info(path).get("features", -1))
        except Exception as exc:  # GDAL's own message is English and names the temporary path: log only
            raise _unreadable(filename, suffix, exc) from None
        if count > MAX_FEATURES:
            raise _too_many_features(filename, format_number(count))
        try:
            gdf = pyogrio.read_dataframe(path, max_features=MAX_FEATURES + 1)
        except Exception as exc:
            raise _unreadable(filename, suffix, exc) from None
    if len(gdf) > MAX_FEATURES:
        raise _too_many_features(filename, f"hơn {format_number(MAX_FEATURES)}")
    return gdf


def _too_many_features(filename: str, count: str) -> FootprintTooLarge:
    return FootprintTooLarge(
        f"Tệp “{filename}”: có {count} đối tượng; giới hạn {format_number(MAX_FEATURES)} đối tượng cho ranh giới "
        "một dự án."
    )


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
        gdf = gdf.set_crs(vn2000_crs(), allow_override=True)
    elif crs_choice == "wgs84" and declared is None:
        gdf = gdf.set_crs(WGS84)
    elif declared is None:
        if metric:
            raise FootprintError(f"Tệp “{filename}” không ghi hệ tọa độ và tọa độ tính bằng mét: hãy chọn “VN-2000”.")
        gdf = gdf.set_crs(WGS84)
    if gdf.crs.is_geographic and _looks_metric(gdf):
        raise FootprintError(f"Tệp “{filename}” ghi hệ tọa độ địa lý nhưng tọa độ tính bằng mét: hãy chọn “VN-2000”.")
    label = vn2000_label() if crs_choice == "vn2000" else (gdf.crs.name or str(gdf.crs))
    return gdf.to_crs(WGS84), label


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
            why = shapely.is_valid_reason(g)
            raise FootprintError(f"Tệp “{filename}”, đối tượng {i}: hình học không hợp lệ ({why}).")
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
