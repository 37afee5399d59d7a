"""Read and validate an uploaded project footprint (GeoJSON, zipped Shapefile, GeoPackage, KML).

Files are read with pyogrio (GDAL). Coordinates may be WGS84 or VN-2000 (Bắc Giang plane): a file that
declares its CRS is reprojected; one that does not (a Shapefile without .prj, or a GeoJSON holding metres)
needs the planner to say which. Bad files are rejected with a Vietnamese message naming the file.
"""

from __future__ import annotations

import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely
from shapely.geometry.base import BaseGeometry

from .load import WGS84
from .register_store import VN2000_BAC_GIANG, LocationError
from .text import format_number

UTM48N = "EPSG:32648"
AREA_TOLERANCE = 0.20
SUFFIXES = {".geojson": "GeoJSON", ".json": "GeoJSON", ".zip": "Shapefile (zip)", ".gpkg": "GeoPackage", ".kml": "KML"}
CRS_CHOICES = {
    "auto": "Theo tệp (WGS84 nếu tệp không ghi)",
    "wgs84": "WGS84 (kinh độ, vĩ độ)",
    "vn2000": "VN-2000 Bắc Giang (KTT 107°00′, múi 3°)",
}


class FootprintError(LocationError):
    """An uploaded file that cannot be used (message in Vietnamese, names the file)."""


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
    path = folder / ("upload" + suffix)
    path.write_bytes(data)
    if suffix != ".zip":
        return str(path)
    try:
        with zipfile.ZipFile(path) as zf:
            shps = [n for n in zf.namelist() if n.lower().endswith(".shp") and not n.startswith("__MACOSX")]
    except zipfile.BadZipFile:
        raise FootprintError(f"Tệp “{filename}”: không phải tệp zip hợp lệ.") from None
    if len(shps) != 1:
        raise FootprintError(f"Tệp “{filename}”: tệp zip phải chứa đúng một tệp .shp (tìm thấy {len(shps)}).")
    return f"/vsizip/{path}/{shps[0]}"


def read_footprint_file(filename: str, data: bytes) -> gpd.GeoDataFrame:
    """Read the uploaded bytes with pyogrio; the CRS is whatever the file declares (may be None)."""
    if not data:
        raise FootprintError(f"Tệp “{filename}” trống.")
    with tempfile.TemporaryDirectory() as tmp:
        path = _dataset_path(Path(tmp), filename, data)
        try:
            gdf = gpd.read_file(path, engine="pyogrio")
        except Exception as exc:  # GDAL's own message is English; keep it for the planner's IT support
            raise FootprintError(f"Tệp “{filename}”: không đọc được dữ liệu không gian ({exc}).") from None
    return gdf


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
        gdf = gdf.set_crs(VN2000_BAC_GIANG, allow_override=True)
    elif crs_choice == "wgs84" and declared is None:
        gdf = gdf.set_crs(WGS84)
    elif declared is None:
        if metric:
            raise FootprintError(
                f"Tệp “{filename}” không ghi hệ tọa độ và tọa độ tính bằng mét: hãy chọn “VN-2000 Bắc Giang”."
            )
        gdf = gdf.set_crs(WGS84)
    if gdf.crs.is_geographic and _looks_metric(gdf):
        raise FootprintError(
            f"Tệp “{filename}” ghi hệ tọa độ địa lý nhưng tọa độ tính bằng mét: hãy chọn “VN-2000 Bắc Giang”."
        )
    label = "VN-2000 Bắc Giang" if gdf.crs == VN2000_BAC_GIANG else (gdf.crs.name or str(gdf.crs))
    return gdf.to_crs(WGS84), label


def validate_footprint(
    gdf: gpd.GeoDataFrame,
    filename: str,
    outline: gpd.GeoDataFrame,
    declared_area_ha: float | None,
) -> Footprint:
    """Check geometry validity, type, the district and the area (EPSG:32648) against the declared area."""
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
        raise FootprintError(f"Tệp “{filename}”: ranh giới nằm hoàn toàn ngoài huyện Yên Thế.")
    if not district.covers(geom):
        metric = gpd.GeoSeries([geom, district], crs=WGS84).to_crs(UTM48N)
        outside = metric[0].difference(metric[1])
        size = (
            f"{format_number(outside.area / 1e4, 2)} ha"
            if "Polygon" in kinds
            else f"{format_number(outside.length, 0)} m"
        )
        raise FootprintError(f"Tệp “{filename}”: một phần ({size}) nằm ngoài huyện Yên Thế.")
    area_ha = float(gpd.GeoSeries([geom], crs=WGS84).to_crs(UTM48N).area.iloc[0] / 1e4)
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
) -> Footprint:
    """Read, reproject and validate an upload; raises FootprintError with a planner-facing message."""
    gdf = read_footprint_file(filename, data)
    gdf, crs_label = to_wgs84(gdf, filename, crs_choice)
    fp = validate_footprint(gdf, filename, outline, declared_area_ha)
    fp.source_crs = crs_label
    return fp
