"""Check geo/ and data/: schemas, codes, geometries, coverage, ranges and provenance.

Every problem names the file, the line (header = line 1) and the field, so it can be fixed
without guessing. ``python -m ktxh_geo validate`` prints them and exits non-zero.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
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
from ktxh_geo.model.projects import CATEGORIES, STATUS_LABELS, commune_codes
from ktxh_geo.text import format_date_vn, name_key
from ktxh_geo.vocab import FLAGGED, NOTE_REQUIRED, PRECISION_LABELS
from ktxh_geo.vocab.editions import EDITIONS, base_edition
from ktxh_geo.vocab.profile import Edition, active

CODE_RE = re.compile(r"^\d{5}$")  # a commune (ward, township) GSO code
PROVINCE_CODE_RE = re.compile(r"^\d{2}$")  # a province GSO code (editions of provinces)
AREA_TOLERANCE_M2 = 1.0
# unit_type may be missing: load_communes derives it from the full name's prefix ("Xã …", "Phường …").
COMMUNE_PROPERTIES = ("code", "name", "full_name")


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


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(str(text).strip()[:10])
    except ValueError:
        return None


def edition_codes(units: pd.DataFrame, crosswalk: pd.DataFrame, geo: Path | None = None) -> dict[str, set[str]]:
    """Valid unit codes per edition of the active profile.

    With a unit history (data/units.csv and data/crosswalk_2025.csv): the units in force on each edition's first
    day, and for the profile's ``reform_edition`` the new codes of the crosswalk. Without one: the codes present in each
    edition's geometry (its ``where`` filter applied); an unreadable layer gives no codes (check_geo reports it).
    """
    profile = active()
    out: dict[str, set[str]] = {}
    for ed in profile.editions.values():
        if units.empty or crosswalk.empty:  # no unit history: the units are those of the layer
            out[ed.id] = _layer_codes(ed, geo)
        elif ed.id == profile.reform_edition:
            out[ed.id] = set(crosswalk["new_gso_code"])
        else:
            out[ed.id] = {
                r.gso_code
                for r in units.itertuples()
                if (start := _day(r.valid_from)) is not None
                and start <= ed.valid_from
                and ((end := _day(r.valid_to)) is None or ed.valid_from <= end)
            }
    return out


def _layer_path(geo: Path | None, path: Path) -> Path:
    """A profile file in ``geo`` (a copy of the profile's geo/), or where it is when the profile shares it."""
    if geo is None:
        return path
    try:
        return geo / path.relative_to(active().geo_dir)
    except ValueError:  # a file of another profile (e.g. the national layer a province filters)
        return path


def _layer_codes(ed: Edition, geo: Path | None) -> set[str]:
    from ktxh_geo.io.shipped import load_communes

    path = _layer_path(geo, ed.path)
    try:
        return set(load_communes(ed.id, path.parent if path != ed.path else None)["code"])
    except Exception:  # reported by check_geo
        return set()


def _read_filtered(path: Path, where) -> gpd.GeoDataFrame:
    """The layer as stored (no CRS or type fixes, so those can be checked), filtered like ``load_communes``."""
    sql = " AND ".join(f"{k} = '{v}'" for k, v in where.items() if str(v).isalnum()) or None
    return gpd.read_file(path, engine="pyogrio", where=sql)


def check_geo(geo: Path, valid_codes: dict[str, set[str]]) -> tuple[list[Problem], list[str]]:
    problems: list[Problem] = []
    summary: list[str] = []
    outline = None
    profile = active()
    outline_file = profile.outline.name if profile.outline else ""
    path = _layer_path(geo, profile.outline) if profile.outline else geo
    if not outline_file or not path.exists():
        problems.append(Problem(f"geo/{outline_file}", None, "file", "missing"))
    else:
        outline = _read_filtered(path, profile.outline_where)
        problems += _check_crs(outline, f"geo/{outline_file}")
        if len(outline) == 0 or not outline.geometry.is_valid.all():
            problems.append(Problem(f"geo/{outline_file}", None, "geometry", "expected valid polygons"))
            outline = None
    for ed in EDITIONS.values():
        name = f"geo/{ed.path.name}"
        path = _layer_path(geo, ed.path)
        if not path.exists():
            problems.append(Problem(name, None, "file", "missing"))
            continue
        gdf = _read_filtered(path, ed.where)
        problems += _check_crs(gdf, name)
        missing = [p for p in COMMUNE_PROPERTIES if p not in gdf.columns]
        if missing:
            problems.append(Problem(name, None, "properties", f"missing {', '.join(missing)}"))
            continue
        valid = valid_codes.get(ed.id, set())
        provinces = bool(valid) and all(PROVINCE_CODE_RE.match(c) for c in valid)
        code_re, digits = (PROVINCE_CODE_RE, 2) if provinces else (CODE_RE, 5)
        for i, row in gdf.iterrows():
            feature = f"feature {i + 1}"
            code = row["code"]
            if not isinstance(code, str) or not code_re.match(code):
                problems.append(
                    Problem(name, None, "code", f"{feature}: {code!r} is not a {digits}-digit GSO code string")
                )
            elif code not in valid:
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
            coverage = _check_coverage(gdf, outline, name)
            if profile.coverage == "strict":
                problems += coverage
            elif coverage:  # a third-party display layer: its measured defects are reported, not failed
                summary.append(
                    f"{name}: {len(coverage)} chỗ chồng lấn hoặc hở, chỉ ghi nhận (lớn nhất: {_first(coverage)})"
                )
        if ed.official_list is not None:
            official = _official_list(ed)
            found = official_mismatches(gdf.drop(columns="geometry"), official, name, ed.valid_from)
            problems += found
            if not found:
                summary.append(
                    f"{name}: mã, tên, loại của {len(gdf)} đơn vị khớp danh mục chính thức ngày "
                    f"{format_date_vn(ed.valid_from)}"
                )
        summary.append(f"{name}: {len(gdf)} đơn vị")
    return problems, summary


def _official_list(ed: Edition) -> pd.DataFrame:
    """The edition's official list (code, full_name, unit_type, province_code, province), its ``where`` applied."""
    official = read_csv_text(ed.official_list)
    for key, value in ed.where.items():
        if key in official.columns:
            official = official[official[key] == value]
    return official


def official_mismatches(layer: pd.DataFrame, official: pd.DataFrame, name: str, day: date) -> list[Problem]:
    """Every unit of ``layer`` (code, name, full_name[, province_code]) against the official list of ``day``.

    A layer of provinces (2-digit codes) is checked against the list's provinces. Names compare with the tone
    mark's position ignored (Hoà = Hòa); the unit type is the prefix of ``full_name`` (Xã, Phường, Đặc khu).
    Units of the list missing from the layer are reported too.
    """
    when = format_date_vn(day)
    if len(layer) and layer["code"].astype(str).str.len().eq(2).all():
        official = official.groupby("province_code", as_index=False)["province"].first()
        official = official.rename(columns={"province_code": "code", "province": "full_name"})
        official["unit_type"] = ""
    by_code = official.set_index("code")
    problems = []
    for i, row in enumerate(layer.itertuples(), start=1):
        where = f"feature {i} ({row.code} {row.full_name})"
        if row.code not in by_code.index:
            problems.append(Problem(name, None, "code", f"{where}: mã không có trong danh mục chính thức ngày {when}"))
            continue
        o = by_code.loc[row.code]
        if "province_code" in layer.columns and row.province_code != o["province_code"]:
            problems.append(Problem(name, None, "province_code", f"{where}: danh mục ghi mã tỉnh {o.province_code}"))
        if name_key(row.full_name) == name_key(o.full_name):
            continue
        typed = not o.unit_type or name_key(row.full_name).startswith(name_key(o.unit_type) + " ")
        said = f"{where}: danh mục chính thức ngày {when} ghi “{o.full_name}”"
        problems.append(Problem(name, None, "name" if typed else "unit_type", said))
    for code in sorted(set(by_code.index) - set(layer["code"])):
        problems.append(
            Problem(
                name, None, "code", f"{code} {by_code.at[code, 'full_name']} (danh mục ngày {when}) không có trong lớp"
            )
        )
    return problems


def _first(problems: list[Problem]) -> str:
    worst = max(problems, key=lambda p: float(re.search(r"([\d.]+) m²", p.message).group(1)))
    return worst.message


def _area_word() -> str:
    """The kind of area in messages: "district", "province" or "country"."""
    return {"national": "country"}.get(active().kind, active().kind)


def _check_crs(gdf: gpd.GeoDataFrame, name: str) -> list[Problem]:
    if gdf.crs is None or gdf.crs.to_epsg() != 4326:
        return [Problem(name, None, "crs", f"expected EPSG:4326, found {gdf.crs}")]
    return []


def _check_coverage(gdf: gpd.GeoDataFrame, outline: gpd.GeoDataFrame, name: str) -> list[Problem]:
    """No overlaps between units and no gaps against the area's outline (areas in the profile's metric CRS)."""
    problems = []
    metric_crs = active().metric_crs
    metric = gdf.to_crs(metric_crs)
    left, right = metric.sindex.query(metric.geometry, predicate="intersects")
    for a, b in zip(left, right, strict=True):
        if a < b:
            area = metric.geometry.iloc[a].intersection(metric.geometry.iloc[b]).area
            if area > AREA_TOLERANCE_M2:
                codes = f"{metric['code'].iloc[a]} / {metric['code'].iloc[b]}"
                problems.append(Problem(name, None, "geometry", f"units {codes} overlap by {area:.0f} m²"))
    union = shapely.union_all(metric.geometry.to_numpy())
    gap = shapely.union_all(outline.to_crs(metric_crs).geometry.to_numpy()).difference(union).area
    if gap > AREA_TOLERANCE_M2:
        outline_name = f"the {_area_word()} outline"
        problems.append(Problem(name, None, "geometry", f"gap of {gap:.0f} m² between units and {outline_name}"))
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
    area_code = active().area_code
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
        if row["status"] in NOTE_REQUIRED and not row["note"].strip():
            bad("note", f"giá trị “{row['status']}” phải ghi {NOTE_REQUIRED[row['status']]} ở cột note")
        if not re.fullmatch(r"\d{4}", row["year"]):
            bad("year", f"{row['year']!r} is not a year")
        if row["level"] == "district":
            if row["code"] != area_code:
                bad("code", f"district values use code {area_code}, found {row['code']!r}")
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
    base_label = EDITIONS[base_edition()].short
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
                problems.append(Problem(name, line, "commune_codes", f"{code!r} is not a {base_label} unit"))
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
            problems.append(Problem(geo_name, None, "geometry", f"{row['id']}: outside the {_area_word()}"))
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


def plausibility_summary(data: Path) -> list[str]:
    """How many shipped figures the plausibility rules flag (status nghi_van), by rule and indicator."""
    df = read_csv_text(data / "values.csv")
    flagged = df[df["status"] == FLAGGED]
    if flagged.empty:
        return ["data/values.csv: không có số liệu nào bị quy tắc kiểm tra (model/plausibility.py) gắn cờ"]
    rules = flagged["note"].str.findall(r"Quy tắc (\w+)").explode().value_counts().sort_index()
    by_rule = ", ".join(f"{rule}: {n}" for rule, n in rules.items())
    units = flagged["code"].nunique()
    return [f"data/values.csv: {len(flagged)} số liệu cần kiểm tra ở {units} đơn vị (theo quy tắc {by_rule})"]


def validate(data: Path, geo: Path) -> Report:
    """Run every check; never raises on bad content, only on unreadable files."""
    from ktxh_geo.io.shipped import load_communes, load_crosswalk, load_units

    problems: list[Problem] = []
    summary: list[str] = []
    units, crosswalk = load_units(data), load_crosswalk(data)
    valid = edition_codes(units, crosswalk, geo)
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
        summary += plausibility_summary(data)
    base = EDITIONS[base_edition()]
    path = _layer_path(geo, base.path)
    try:
        communes = load_communes(base.id, path.parent if path != base.path else None)
    except Exception:  # already reported by check_geo
        communes = None
    p, n = check_projects(data, geo, communes)
    problems += p
    summary.append(f"data/{PROJECTS_FILE}: {n} đối tượng")
    problems += check_licences()
    return Report(problems, summary)


def check_licences() -> list[Problem]:
    """Exports carry the profile's licences (``licence_file``): refuse a profile whose file cannot give them."""
    from ktxh_geo.errors import DataError
    from ktxh_geo.io.licences import read_licences

    path = active().licence_file
    try:
        read_licences(path)
    except DataError as err:
        return [Problem(path.name, None, "licence_file", str(err))]
    return []
