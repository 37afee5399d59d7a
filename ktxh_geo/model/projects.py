"""The plan's objects (CCN, model villages, residential, infrastructure, markets, tourism).

No public source gives their coordinates, so each object with a known commune is drawn at a
point inside that commune and flagged ``location_precision = "commune"`` (approximate).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date

import geopandas as gpd
import pandas as pd
from shapely.geometry import MultiPoint, Point
from shapely.ops import polylabel

from ktxh_geo.text import format_date_vn
from ktxh_geo.text import format_number as _number
from ktxh_geo.vocab import PRECISION_LABELS
from ktxh_geo.vocab.profile import active

CATEGORIES = {
    "cluster": "Cụm công nghiệp (CCN)",
    "village": "Thôn/bản NTM kiểu mẫu",
    "residential": "Khu/điểm dân cư",
    "infrastructure": "Hạ tầng",
    "market": "Chợ",
    "tourism": "Du lịch",
    "factory": "Nhà máy",
}
CATEGORY_COLORS = {
    "cluster": "#7b3294",
    "village": "#1a9641",
    "residential": "#d7191c",
    "infrastructure": "#2c7bb6",
    "market": "#fdae61",
    "tourism": "#e66101",
    "factory": "#525252",
}
STATUS_LABELS = {
    "planned": "Kế hoạch",
    "approved": "Đã phê duyệt",
    "under_construction": "Đang xây dựng",
    "done": "Hoàn thành",
}
SLOT_SPACING_M = 450.0


def commune_codes(value: str) -> list[str]:
    """Split the register's ``commune_codes`` field (codes separated by ";")."""
    return [c.strip() for c in str(value or "").split(";") if c.strip()]


def place_in_communes(register: pd.DataFrame, communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Approximate points for objects known only by commune, spread so that none overlap.

    Each commune's anchor is its pole of inaccessibility (the interior point farthest from its
    edge); the k-th object of a commune sits on a ring around the anchor, pulled in until it is
    inside the polygon. Deterministic: objects are taken in register order.
    """
    polys = communes.to_crs(active().metric_crs).set_index("code").geometry
    slots: dict[str, int] = {}
    counts: dict[str, int] = {}
    for codes in register["commune_codes"]:
        for code in commune_codes(codes):
            counts[code] = counts.get(code, 0) + 1
    geoms = []
    for row in register.itertuples():
        points = []
        for code in commune_codes(row.commune_codes):
            if code not in polys.index:
                raise KeyError(f"projects: unknown commune code {code!r} for object {row.id!r}")
            k = slots.get(code, 0)
            slots[code] = k + 1
            points.append(_slot_point(polys[code], k, counts[code]))
        geoms.append(None if not points else points[0] if len(points) == 1 else MultiPoint(points))
    out = gpd.GeoDataFrame({"id": register["id"].to_numpy()}, geometry=geoms, crs=active().metric_crs)
    return out.to_crs("EPSG:4326")


def _slot_point(poly, k: int, n: int) -> Point:
    anchor = polylabel(poly, tolerance=10)
    if n == 1:
        return anchor
    angle = 2 * math.pi * k / n + math.pi / 2
    radius = SLOT_SPACING_M
    while radius > 5:
        p = Point(anchor.x + radius * math.cos(angle), anchor.y + radius * math.sin(angle))
        if poly.contains(p):
            return p
        radius /= 2
    return anchor


def object_rows(row: Mapping) -> list[list[str]]:
    """Tooltip/popup content of one object as [label, text, css class] rows: name, category, id, status,
    figures, decision, location, source.

    Plain text, never HTML: names and notes may come from users, so the map's script puts each row into
    the page with ``textContent``.
    """
    rows = [
        ["", str(row["name"]), "ktxh-obj-name"],
        ["", CATEGORIES.get(row["category"], str(row["category"])), ""],
        ["Mã", str(row["id"]), ""],
        ["Trạng thái", STATUS_LABELS.get(row["status"], str(row["status"])), ""],
    ]
    if row["area_ha"] == row["area_ha"]:  # not NaN
        rows.append(["Diện tích", f"{_number(row['area_ha'], 2)} ha", ""])
    if row["capital_bn"] == row["capital_bn"]:
        rows.append(["Vốn đầu tư", f"{_number(row['capital_bn'], 3)} tỷ đồng", ""])
    if row["investor"]:
        rows.append(["Nhà đầu tư", str(row["investor"]), ""])
    if row.get("decision_no"):
        rows.append(["Quyết định", f"{row['decision_no']} ngày {_date_vn(row['decision_date'])}", ""])
    rows.append(["", PRECISION_LABELS.get(row["location_precision"], ""), "ktxh-precision"])
    rows.append(["Nguồn", str(row["source"]), ""])
    return rows


def _date_vn(text: str) -> str:
    """ "2022-10-20" → "20/10/2022"; other text unchanged."""
    try:
        return format_date_vn(date.fromisoformat(str(text).strip()[:10]))
    except ValueError:
        return str(text)


def layer_objects(projects: gpd.GeoDataFrame, categories: list[str]) -> gpd.GeoDataFrame:
    """Objects of the given categories that have a geometry, multi-points split into points."""
    rows = projects[projects["category"].isin(categories) & projects.geometry.notna()]
    return rows.explode(index_parts=False).reset_index(drop=True)


def write_project_points(register: pd.DataFrame, communes: gpd.GeoDataFrame, geo_dir) -> str:
    """Write geo/projects.geojson (6 decimals, objects without a commune left out)."""
    points = place_in_communes(register, communes)
    points = points[points.geometry.notna()].copy()
    points["geometry"] = points.geometry.set_precision(1e-6)
    out = f"{geo_dir}/projects.geojson"
    points.to_file(out, driver="GeoJSON", engine="pyogrio", COORDINATE_PRECISION=6)
    return out


def filter_projects(
    projects: pd.DataFrame,
    query: str = "",
    categories: list[str] | None = None,
    communes: list[str] | None = None,
    statuses: list[str] | None = None,
) -> pd.DataFrame:
    """Rows matching an accent-insensitive search (every word of the query appears in the name, id, notes or
    investor: "cho thi tran" finds "Chợ thị trấn …") and the chosen filters.

    Empty filters keep everything; a commune filter keeps objects that declare any of the chosen codes.
    """
    from ktxh_geo.text import fold

    keep = pd.Series(True, index=projects.index)
    if query.strip():
        hay = projects[["id", "name", "notes", "investor"]].fillna("").astype(str).agg(" ".join, axis=1).map(fold)
        hay = hay.str.replace("_", " ", regex=False)
        for word in fold(query).split():
            keep &= hay.str.contains(word, regex=False)
    if categories:
        keep &= projects["category"].isin(categories)
    if statuses:
        keep &= projects["status"].isin(statuses)
    if communes:
        chosen = set(communes)
        keep &= projects["commune_codes"].map(lambda v: bool(chosen & set(commune_codes(v))))
    return projects[keep]
