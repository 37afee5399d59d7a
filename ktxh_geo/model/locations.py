"""Locations typed by planners: VN-2000 ↔ WGS84 in the profile's plane, range checks, the preview before saving.

The VN-2000 plane (central meridian, scale, datum shift) is the locality's: ``profile.toml`` [vn2000] gives
it as a PROJ string with its sources; areas and distances use the profile's metric CRS.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import geopandas as gpd
from pyproj import Transformer
from shapely.geometry import Point

from ktxh_geo.errors import LocationError
from ktxh_geo.text import format_number
from ktxh_geo.vocab.profile import active, crs_from_proj

WGS84 = "EPSG:4326"


@cache
def _transformer(proj: str, inverse: bool) -> Transformer:
    crs = crs_from_proj(proj)
    source, target = (WGS84, crs) if inverse else (crs, WGS84)
    return Transformer.from_crs(source, target, always_xy=True)


def vn2000_to_wgs84(x_north: float, y_east: float) -> tuple[float, float]:
    """VN-2000 X (northing), Y (easting) in metres, in the profile's plane → WGS84 (lon, lat).

    Vietnamese survey convention: X is the north coordinate, Y the east one (with the 500 km false easting).
    """
    vn = active().vn2000
    xr, yr = vn.get("x_range", [1_000_000, 3_000_000]), vn.get("y_range", [100_000, 900_000])
    if not (1_000_000 < x_north < 3_000_000 and 100_000 < y_east < 900_000):
        if 1_000_000 < y_east < 3_000_000 and 100_000 < x_north < 900_000:
            raise LocationError(
                "Tọa độ VN-2000 có vẻ bị đảo: X là tọa độ hướng Bắc (khoảng "
                f"{format_number(xr[0], 0)} m), Y hướng Đông."
            )
        raise LocationError(
            f"Tọa độ VN-2000 X = {format_number(x_north, 2)} m, Y = {format_number(y_east, 2)} m không hợp lệ cho "
            f"{active().vn2000_label} (X khoảng {format_number(xr[0], 0)}–{format_number(xr[1], 0)} m, "
            f"Y khoảng {format_number(yr[0], 0)}–{format_number(yr[1], 0)} m)."
        )
    active().vn2000_crs()
    lon, lat = _transformer(str(vn["proj"]), False).transform(y_east, x_north)
    return lon, lat


def wgs84_to_vn2000(lon: float, lat: float) -> tuple[float, float]:
    """WGS84 (lon, lat) → VN-2000 of the profile (X northing, Y easting) in metres."""
    active().vn2000_crs()
    east, north = _transformer(str(active().vn2000["proj"]), True).transform(lon, lat)
    return north, east


def check_lonlat(lon: float, lat: float) -> None:
    """Plain range check of WGS84 degrees (catches swapped or metric input)."""
    lat0, lon0, lat1, lon1 = active().view_box
    if lat0 - 2 < lon < lat1 + 2 and lon0 - 2 < lat < lon1 + 2:
        raise LocationError(
            f"Kinh độ và vĩ độ có vẻ bị đảo: ở {active().area_name} kinh độ khoảng {format_number(lon0, 1)}–"
            f"{format_number(lon1, 1)}, vĩ độ khoảng {format_number(lat0, 1)}–{format_number(lat1, 1)}."
        )
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise LocationError(
            f"Kinh độ {format_number(lon, 6)}, vĩ độ {format_number(lat, 6)} không phải tọa độ độ (WGS84)."
        )


@dataclass(frozen=True)
class Preview:
    """The converted point shown before saving."""

    point: Point  # WGS84
    x_north: float
    y_east: float
    commune_codes: tuple[str, ...]
    commune_names: tuple[str, ...]


def preview_point(lon: float, lat: float, outline: gpd.GeoDataFrame, communes: gpd.GeoDataFrame) -> Preview:
    """Validate a WGS84 point (inside the area) and describe it; raises LocationError otherwise."""
    check_lonlat(lon, lat)
    pt = Point(lon, lat)
    area = outline.to_crs(WGS84).union_all()
    if not area.covers(pt):
        metric = gpd.GeoSeries([pt, area], crs=WGS84).to_crs(active().metric_crs)
        dist = metric.iloc[0].distance(metric.iloc[1])
        raise LocationError(
            f"Điểm kinh độ {format_number(lon, 6)}, vĩ độ {format_number(lat, 6)} nằm ngoài {active().area_name}, "
            f"cách ranh giới khoảng {format_number(dist / 1000, 2)} km. Không lưu."
        )
    hit = communes[communes.covers(pt)]
    x, y = wgs84_to_vn2000(lon, lat)
    return Preview(pt, x, y, tuple(hit["code"]), tuple(hit["full_name"]))
