"""Measure tool: distances from a project to the nearest commune boundary and to the other projects.

All distances are computed in the active profile's metric CRS (``metric_crs``), metres; shown as "850 m" or
"2,35 km".
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from ktxh_geo.text import format_number
from ktxh_geo.vocab.profile import active


def format_distance(metres: float) -> str:
    """Vietnamese distance: metres below 1 km, otherwise km with 2 decimals."""
    if metres < 1000:
        return f"{format_number(round(metres), 0)} m"
    return f"{format_number(metres / 1000, 2)} km"


def nearest_boundary(project_id: str, projects: gpd.GeoDataFrame, communes: gpd.GeoDataFrame) -> tuple[float, str]:
    """(distance in m, what lies across it) for the commune boundary nearest to the object's geometry.

    Across the boundary is the nearest neighbouring commune (full name), or "ngoài <area_word>" ("ngoài huyện")
    when the area's outer edge is nearer than any neighbour.
    """
    geom = _geometry(project_id, projects)
    polys = communes.to_crs(active().metric_crs).reset_index(drop=True)
    dist = float(polys.geometry.boundary.distance(geom).min())
    outside = f"ngoài {active().area_word or 'địa bàn'}"
    others = polys[~polys.geometry.covers(geom)]
    if others.empty:
        return dist, outside
    to_other = others.geometry.distance(geom)
    i = to_other.idxmin()
    if to_other[i] > dist + 1.0:  # the nearest edge is the area's outer edge
        return dist, outside
    return dist, polys.at[i, "full_name"]


def distances_to_projects(project_id: str, projects: gpd.GeoDataFrame) -> pd.DataFrame:
    """Other located projects sorted by distance: id, name, distance_m, distance (text)."""
    geom = _geometry(project_id, projects)
    others = projects[(projects["id"] != project_id) & projects.geometry.notna()].to_crs(active().metric_crs)
    out = pd.DataFrame({"id": others["id"], "name": others["name"], "distance_m": others.geometry.distance(geom)})
    out = out.sort_values(["distance_m", "id"]).reset_index(drop=True)
    out["distance"] = out["distance_m"].map(format_distance)
    return out


def _geometry(project_id: str, projects: gpd.GeoDataFrame):
    row = projects[projects["id"] == project_id]
    if row.empty:
        raise KeyError(f"unknown project {project_id!r}")
    geom = row.to_crs(active().metric_crs).geometry.iloc[0]
    if geom is None or geom.is_empty:
        raise ValueError(f"project {project_id!r} has no location")
    return geom
