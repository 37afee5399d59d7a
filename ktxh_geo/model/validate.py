"""Check geo/ and data/: schemas, codes, geometries, coverage, ranges and provenance.

Every problem names the file, the line (header = line 1) and the field, so it can be fixed
without guessing. ``python -m ktxh_geo validate`` prints them and exits non-zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from ktxh_geo.io.shipped import (
    ILLUSTRATIVE_FILE,
    INDICATORS_FILE,
    PROJECTS_FILE,
    PROJECTS_GEO_FILE,
    STATUSES,
    VALUE_COLUMNS,
    read_csv_text,
)
from ktxh_geo.model.editions import EDITIONS
from ktxh_geo.model.profile import active
from ktxh_geo.model.projects import CATEGORIES, PRECISION_LABELS, STATUS_LABELS, UTM48N, commune_codes

CODE_RE = re.compile(r"^\d{5}$")
AREA_TOLERANCE_M2 = 1.0
COMMUNE_PROPERTIES = ("code", "name", "unit_type", "full_name")
DISTRICT_CODE = "215"


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}"


@dataclass
class Report:
    problems: list[Problem]
    summary: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def _line(index: int) -> int:
    """File line of a DataFrame row (header is line 1)."""
    return index + 2


def edition_codes(units: pd.DataFrame, crosswalk: pd.DataFrame) -> dict[str, set[str]]:
    """Valid unit codes per edition, from the official unit list and the 2025 crosswalk."""
    codes_2020 = set(units.loc[units["valid_from"] == "2020-01-01", "gso_code"])
    h1 = set(units.loc[units["valid_to"].str.startswith("2025-06-30"), "gso_code"])
    return {"2020-2024": codes_2020, "2025-h1": h1, "2025": set(crosswalk["new_gso_code"])}


def check_geo(geo: Path, valid_codes: dict[str, set[str]]) -> tuple[list[Problem], list[str]]:
    problems: list[Problem] = []
    summary: list[str] = []
    outline = None
    outline_file = active().outline.name if active().outline else ""
    path = geo / outline_file
    if not outline_file or not path.exists():
        problems.append(Problem(f"geo/{outline_file}", None, "file", "missing"))
    else:
        outline = gpd.read_file(path, engine="pyogrio")
        problems += _check_crs(outline, f"geo/{outline_file}")
        if len(outline) != 1 or not outline.geometry.is_valid.all():
            problems.append(Problem(f"geo/{outline_file}", None, "geometry", "expected one valid polygon"))
    for ed in EDITIONS.values():
        name = f"geo/{ed.path.name}"
        path = geo / ed.path.name
        if not path.exists():
            problems.append(Problem(name, None, "file", "missing"))
            continue
        gdf = gpd.read_file(path, engine="pyogrio")
        problems += _check_crs(gdf, name)
        missing = [p for p in COMMUNE_PROPERTIES if p not in gdf.columns]
        if missing:
            problems.append(Problem(name, None, "properties", f"missing {', '.join(missing)}"))
            continue
        for i, row in gdf.iterrows():
            feature = f"feature {i + 1}"
            code = row["code"]
            if not isinstance(code, str) or not CODE_RE.match(code):
                problems.append(Problem(name, None, "code", f"{feature}: {code!r} is not a 5-digit GSO code string"))
            elif code not in valid_codes[ed.id]:
                problems.append(Problem(name, None, "code", f"{feature}: {code} is not a unit of edition {ed.id}"))
            geom = row.geometry
            if geom is None or geom.is_empty:
                problems.append(Problem(name, None, "geometry", f"{feature} ({code}): empty"))
            elif not geom.is_valid:
                reason = shapely.is_valid_reason(geom)
                problems.append(Problem(name, None, "geometry", f"{feature} ({code}): invalid ({reason})"))
        dupes = gdf["code"][gdf["code"].duplicated()].tolist()
        if dupes:
            problems.append(Problem(name, None, "code", f"duplicate codes {', '.join(map(str, dupes))}"))
        if len(gdf) != ed.n_units:
            problems.append(Problem(name, None, "features", f"{len(gdf)} units, expected {ed.n_units}"))
        if gdf.geometry.is_valid.all() and outline is not None and gdf.crs == outline.crs:
            problems += _check_coverage(gdf, outline, name)
        summary.append(f"{name}: {len(gdf)} đơn vị")
    return problems, summary


def _check_crs(gdf: gpd.GeoDataFrame, name: str) -> list[Problem]:
    if gdf.crs is None or gdf.crs.to_epsg() != 4326:
        return [Problem(name, None, "crs", f"expected EPSG:4326, found {gdf.crs}")]
    return []


def _check_coverage(gdf: gpd.GeoDataFrame, outline: gpd.GeoDataFrame, name: str) -> list[Problem]:
    """No overlaps between units and no gaps against the district outline (areas in UTM 48N)."""
    problems = []
    metric = gdf.to_crs(UTM48N)
    left, right = metric.sindex.query(metric.geometry, predicate="intersects")
    for a, b in zip(left, right, strict=True):
        if a < b:
            area = metric.geometry.iloc[a].intersection(metric.geometry.iloc[b]).area
            if area > AREA_TOLERANCE_M2:
                codes = f"{metric['code'].iloc[a]} / {metric['code'].iloc[b]}"
                problems.append(Problem(name, None, "geometry", f"units {codes} overlap by {area:.0f} m²"))
    union = shapely.union_all(metric.geometry.to_numpy())
    gap = outline.to_crs(UTM48N).geometry.iloc[0].difference(union).area
    if gap > AREA_TOLERANCE_M2:
        problems.append(Problem(name, None, "geometry", f"gap of {gap:.0f} m² between units and the district outline"))
    return problems


def check_indicators(data: Path) -> tuple[list[Problem], pd.DataFrame | None]:
    name = f"data/{INDICATORS_FILE}"
    required = ["id", "name", "unit", "kind", "level", "applies_to", "categories", "min", "max", "map"]
    df = read_csv_text(data / INDICATORS_FILE)
    missing = [c for c in required if c not in df.columns]
    if missing:
        return [Problem(name, 1, "header", f"missing columns {', '.join(missing)}")], None
    problems = []
    for i, row in df.iterrows():
        if row["kind"] not in ("numeric", "category"):
            problems.append(Problem(name, _line(i), "kind", f"{row['kind']!r} is not numeric or category"))
        if row["level"] not in ("district", "commune", "both"):
            problems.append(Problem(name, _line(i), "level", f"{row['level']!r} is not district, commune or both"))
        if not row["name"].strip():
            problems.append(Problem(name, _line(i), "name", "empty"))
    for i in df.index[df["id"].duplicated()]:
        problems.append(Problem(name, _line(i), "id", f"duplicate id {df.at[i, 'id']!r}"))
    return problems, df


def check_values(
    data: Path, filename: str, indicators: pd.DataFrame, valid_codes: dict[str, set[str]]
) -> tuple[list[Problem], int]:
    name = f"data/{filename}"
    df = read_csv_text(data / filename)
    missing = [c for c in VALUE_COLUMNS if c not in df.columns]
    if missing:
        return [Problem(name, 1, "header", f"missing columns {', '.join(missing)}")], 0
    by_id = indicators.set_index("id")
    problems = []
    for i, row in df.iterrows():
        line = _line(i)

        def bad(field: str, message: str, line: int = line) -> None:
            problems.append(Problem(name, line, field, message))

        ind_id = row["indicator_id"]
        if ind_id not in by_id.index:
            bad("indicator_id", f"unknown indicator {ind_id!r}")
            continue
        ind = by_id.loc[ind_id]
        if row["status"] not in STATUSES:
            bad("status", f"{row['status']!r} is not one of {', '.join(STATUSES)}")
        if (row["status"] == "illustrative") != (filename == ILLUSTRATIVE_FILE):
            bad("status", f"illustrative values belong only in data/{ILLUSTRATIVE_FILE}")
        if not row["source"].strip():
            bad("source", "missing provenance (document and section)")
        if row["status"] == "inferred" and not row["note"].strip():
            bad("note", "inferred values must state the rule they were read from the source with")
        if not re.fullmatch(r"\d{4}", row["year"]):
            bad("year", f"{row['year']!r} is not a year")
        if row["level"] == "district":
            if row["code"] != DISTRICT_CODE:
                bad("code", f"district values use code {DISTRICT_CODE}, found {row['code']!r}")
        elif row["level"] == "commune":
            edition = row["edition"]
            if edition not in valid_codes:
                bad("edition", f"{edition!r} is not one of {', '.join(valid_codes)}")
            elif row["code"] not in valid_codes[edition]:
                bad("code", f"{row['code']!r} is not a unit of edition {edition}")
        else:
            bad("level", f"{row['level']!r} is not district or commune")
        if ind["kind"] == "category":
            allowed = [c for c in ind["categories"].split("|") if c]
            if row["value_text"] not in allowed:
                bad("value_text", f"{row['value_text']!r} is not one of {', '.join(allowed)}")
            continue
        try:
            value = float(row["value"])
        except ValueError:
            bad("value", f"{row['value']!r} is not a number")
            continue
        # Bounds are the catalogue's min/max: a share is declared 0–100, while a growth rate (may be negative) or a
        # ratio to plan (116,63 % of the estimate) is a % with other bounds.
        low = float(ind["min"]) if ind["min"] else None
        high = float(ind["max"]) if ind["max"] else None
        if (low is not None and value < low) or (high is not None and value > high):
            lo = "" if low is None else f"{low:g}"
            hi = "" if high is None else f"{high:g}"
            bad("value", f"{value:g} is outside {lo}–{hi} for {ind_id} ({ind['unit']})")
    dup = df.duplicated(["indicator_id", "level", "code", "edition", "year", "status"], keep="first")
    for i in df.index[dup]:
        problems.append(Problem(name, _line(i), "code", "duplicate value for indicator, code, year and status"))
    return problems, len(df)


def check_projects(data: Path, geo: Path, communes: gpd.GeoDataFrame | None) -> tuple[list[Problem], int]:
    name = f"data/{PROJECTS_FILE}"
    required = ["id", "name", "category", "commune_codes", "status", "source", "location_precision"]
    df = read_csv_text(data / PROJECTS_FILE)
    missing = [c for c in required if c not in df.columns]
    if missing:
        return [Problem(name, 1, "header", f"missing columns {', '.join(missing)}")], 0
    problems = []
    known = set(communes["code"]) if communes is not None else set()
    for i, row in df.iterrows():
        line = _line(i)
        for field, allowed in (
            ("category", CATEGORIES),
            ("status", STATUS_LABELS),
            ("location_precision", PRECISION_LABELS),
        ):
            if row[field] not in allowed:
                problems.append(Problem(name, line, field, f"{row[field]!r} is not one of {', '.join(allowed)}"))
        if not row["source"].strip():
            problems.append(Problem(name, line, "source", "missing provenance"))
        for code in commune_codes(row["commune_codes"]):
            if known and code not in known:
                problems.append(Problem(name, line, "commune_codes", f"{code!r} is not a 2020–2024 unit"))
    for i in df.index[df["id"].duplicated()]:
        problems.append(Problem(name, _line(i), "id", f"duplicate id {df.at[i, 'id']!r}"))

    geo_name = f"geo/{PROJECTS_GEO_FILE}"
    shapes = gpd.read_file(geo / PROJECTS_GEO_FILE, engine="pyogrio")
    problems += _check_crs(shapes, geo_name)
    register = df.set_index("id")
    for j, row in shapes.iterrows():
        if row["id"] not in register.index:
            problems.append(
                Problem(geo_name, None, "id", f"feature {j + 1}: {row['id']!r} is not in data/{PROJECTS_FILE}")
            )
            continue
        if communes is None or row.geometry is None:
            continue
        declared = commune_codes(register.at[row["id"], "commune_codes"])
        parts = shapely.get_parts(row.geometry)
        inside = communes[communes.intersects(row.geometry)]["code"].tolist()
        if not inside:
            problems.append(Problem(geo_name, None, "geometry", f"{row['id']}: outside the district"))
        elif declared and not all(communes[communes.contains(p)]["code"].isin(declared).any() for p in parts):
            problems.append(
                Problem(
                    geo_name,
                    None,
                    "geometry",
                    f"{row['id']}: lies in {', '.join(inside)}, declared {', '.join(declared)}",
                )
            )
    return problems, len(df)


def validate(data: Path, geo: Path) -> Report:
    """Run every check; never raises on bad content, only on unreadable files."""
    from ktxh_geo.io.shipped import load_communes, load_crosswalk, load_units

    problems: list[Problem] = []
    summary: list[str] = []
    units, crosswalk = load_units(data), load_crosswalk(data)
    valid = edition_codes(units, crosswalk)
    geo_problems, geo_summary = check_geo(geo, valid)
    problems += geo_problems
    summary += geo_summary
    ind_problems, indicators = check_indicators(data)
    problems += ind_problems
    if indicators is not None:
        for filename in ("values.csv", ILLUSTRATIVE_FILE):
            p, n = check_values(data, filename, indicators, valid)
            problems += p
            summary.append(f"data/{filename}: {n} giá trị")
        summary.append(f"data/{INDICATORS_FILE}: {len(indicators)} chỉ tiêu")
    try:
        communes = load_communes("2020-2024", geo)
    except Exception:  # already reported by check_geo
        communes = None
    p, n = check_projects(data, geo, communes)
    problems += p
    summary.append(f"data/{PROJECTS_FILE}: {n} đối tượng")
    return Report(problems, summary)
