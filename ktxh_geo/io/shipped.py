"""Read the shipped geometries and tables into GeoDataFrames / DataFrames.

Geometries are read with pyogrio and always come back in EPSG:4326; codes stay 5-digit strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ktxh_geo.errors import DataError
from ktxh_geo.text import fold
from ktxh_geo.vocab import STATUSES  # noqa: F401  (the file format's allowed statuses)
from ktxh_geo.vocab.editions import get_edition
from ktxh_geo.vocab.indicators import Indicator
from ktxh_geo.vocab.profile import active

WGS84 = "EPSG:4326"
VALUE_COLUMNS = [
    "indicator_id",
    "level",
    "code",
    "edition",
    "year",
    "value",
    "value_text",
    "status",
    "source",
    "note",
]
# Allowed value statuses, their meaning and priority order: ktxh_geo.vocab.
VALUES_FILE = "values.csv"
ILLUSTRATIVE_FILE = "illustrative_commune_values.csv"
INDICATORS_FILE = "indicators.csv"
PROJECTS_FILE = "projects.csv"
PROJECTS_GEO_FILE = "projects.geojson"


def read_csv_text(path: Path) -> pd.DataFrame:
    """Read a CSV with every column as text (codes like "00123" keep their zero)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")


def _float_or_none(text: str) -> float | None:
    return float(text) if text.strip() else None


def load_indicators(path: Path | None = None) -> dict[str, Indicator]:
    """Indicator catalogue keyed by id, in file order."""
    df = read_csv_text(path or active().data_dir / INDICATORS_FILE)
    out: dict[str, Indicator] = {}
    for row in df.to_dict("records"):
        out[row["id"]] = Indicator(
            id=row["id"],
            name=row["name"],
            unit=row["unit"],
            kind=row["kind"],
            level=row["level"],
            applies_to=row["applies_to"],
            group=row["group"],
            aggregation=row["aggregation"],
            denominator=row["denominator"],
            min=_float_or_none(row["min"]),
            max=_float_or_none(row["max"]),
            decimals=int(row["decimals"] or 0),
            scheme=row["scheme"],
            breaks=tuple(float(b) for b in row["breaks"].split(",") if b.strip()),
            palette=row["palette"],
            categories=tuple(c for c in row["categories"].split("|") if c),
            map=row["map"] == "1",
            description=row["description"],
            year_label=row.get("year_label", ""),
        )
    return out


def decimals_written(text: str) -> int | None:
    """Decimals as written in a value's text ("9.2" → 1, "41.0" → 1, "7784" → 0); None for no number.

    data/values.csv writes each figure with the plan's own decimals, so this is how many the plan shows.
    """
    text = str(text).strip()
    try:
        float(text)
    except ValueError:
        return None
    mantissa = text.lower().split("e")[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


def _with_decimals(df: pd.DataFrame) -> pd.DataFrame:
    """Add ``decimals_written`` (nullable int) computed from the ``value`` text, before it becomes a float."""
    return df.assign(decimals_written=pd.array([decimals_written(v) for v in df["value"]], dtype="Int64"))


def _typed_values(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df["year"] = pd.to_numeric(df["year"], errors="coerce").astype("Int64")
    df["value"] = pd.to_numeric(df["value"], errors="coerce")
    return df


def load_values(
    include_illustrative: bool = True, directory: Path | None = None, include_entered: bool = True
) -> pd.DataFrame:
    """All indicator values, official/target/inferred first, then (optionally) the illustrative set.

    Besides ``VALUE_COLUMNS`` the frame has ``decimals_written``: the decimals of the shipped ``value`` text
    (the plan's own, e.g. 1 for "9.2"); <NA> for figures entered in the app.

    ``include_entered`` adds the figures entered in the app (ktxh_geo.store, status official); an entered
    figure replaces a shipped official one for the same indicator, commune, edition and year.
    """
    directory = directory or active().data_dir
    frames = [_with_decimals(read_csv_text(directory / VALUES_FILE))]
    if include_entered:
        from ktxh_geo.io.store import as_values, snapshot

        entered = as_values(snapshot())
        if len(entered):
            key = ["indicator_id", "level", "code", "edition", "year"]
            shipped = frames[0]
            replaced = shipped.set_index(key).index.isin(entered.set_index(key).index)
            entered = entered.assign(decimals_written=pd.array([None] * len(entered), dtype="Int64"))
            frames = [entered, shipped[~(replaced & (shipped["status"] == "official"))]]
    if include_illustrative:
        frames.append(_with_decimals(read_csv_text(directory / ILLUSTRATIVE_FILE)))
    return _typed_values(pd.concat(frames, ignore_index=True)[[*VALUE_COLUMNS, "decimals_written"]])


_UNIT_TYPES = {"xa": "xã", "phuong": "phường", "dac khu": "đặc khu", "thi tran": "thị trấn"}


def _read_layer(path: Path, where: Mapping[str, str]) -> gpd.GeoDataFrame:
    """A layer in EPSG:4326, filtered by attribute equality (values are codes: digits and letters only)."""
    bad = [v for v in where.values() if not str(v).isalnum()]
    if bad:
        raise DataError(f"{path.name}: bộ lọc không hợp lệ {bad[0]!r} trong hồ sơ địa phương")
    sql = " AND ".join(f"{k} = '{v}'" for k, v in where.items()) or None
    gdf = gpd.read_file(path, engine="pyogrio", where=sql)
    return gdf.to_crs(WGS84) if gdf.crs and gdf.crs != WGS84 else gdf.set_crs(WGS84, allow_override=True)


def load_communes(
    edition: str | None = None, directory: Path | None = None, where: Mapping[str, str] | None = None
) -> gpd.GeoDataFrame:
    """Units of one edition (with ``where``: only those matching, e.g. one province's communes), EPSG:4326.

    Columns ``code``, ``name``, ``full_name``, ``unit_type`` (from the full name's prefix when the layer has
    none) and ``edition``; sorted by GSO code. GeoJSON and FlatGeobuf are read the same way (pyogrio).
    """
    ed = get_edition(edition)
    gdf = _read_layer(directory / ed.path.name if directory else ed.path, {**ed.where, **(where or {})})
    gdf["code"] = gdf["code"].astype(str)
    if "unit_type" not in gdf.columns:
        gdf["unit_type"] = [_unit_type(n) for n in gdf["full_name"]]
    gdf["edition"] = ed.id
    return gdf.sort_values("code").reset_index(drop=True)


def _unit_type(full_name: str) -> str:
    folded = fold(full_name)
    return next((t for k, t in _UNIT_TYPES.items() if folded.startswith(k + " ")), "")


def load_overlays() -> list[tuple[str, gpd.GeoDataFrame]]:
    """The profile's overlays: (label, outline) drawn over its maps (e.g. a former district in a province)."""
    return [(label, _read_layer(path, {})) for label, path in active().overlays]


def load_outline(directory: Path | None = None, province: str | None = None) -> gpd.GeoDataFrame:
    """The area's outline (the district, the province, the country), EPSG:4326; with ``province`` (a national
    profile's drill-down) that province's own outline from the base edition."""
    profile = active()
    if province:
        return _read_layer(profile.edition(profile.base_edition).path, {"code": province})
    return _read_layer(directory / profile.outline.name if directory else profile.outline, profile.outline_where)


def load_map_labels() -> list[tuple[str, float, float]]:
    """The profile's fixed map labels (``[[map_labels]]``) as (text, lon, lat): each at the centre of its unit's
    extent (an archipelago's islands), read from the unit's own polygons in the named edition."""
    out = []
    for text, edition, code in active().map_labels:
        unit = _read_layer(active().edition(edition).path, {"code": code})
        if len(unit):
            minx, miny, maxx, maxy = unit.total_bounds
            out.append((text, (minx + maxx) / 2, (miny + maxy) / 2))
    return out


ORIGIN_COLUMNS = ["code", "seat", "seat_lon", "seat_lat", "predecessors"]


def load_origin() -> pd.DataFrame:
    """Each unit's predecessors and administrative seat as published (profile ``origin_file``); empty if none."""
    path = active().origin_file
    return _optional_table(path, ORIGIN_COLUMNS) if path else pd.DataFrame(columns=ORIGIN_COLUMNS, dtype=str)


PROVINCE_ORIGIN_FILE = "provinces_2025_origin.csv"


def load_province_origin() -> pd.DataFrame:
    """Each province's merged provinces and seat as published, beside the units' origin file; empty if none."""
    path = active().origin_file
    if path is None or not (path.parent / PROVINCE_ORIGIN_FILE).exists():
        return pd.DataFrame(columns=ORIGIN_COLUMNS, dtype=str)
    return read_csv_text(path.parent / PROVINCE_ORIGIN_FILE)


UNIT_COLUMNS = ["gso_code", "name_full", "name", "type", "valid_from", "valid_to", "successor_2025_code", "nq1658_item"]
CROSSWALK_COLUMNS = ["old_gso_code", "code_on_2025_06_30", "new_gso_code", "new_name", "new_type", "nq1658_item"]


def _optional_table(path: Path, columns: list[str]) -> pd.DataFrame:
    """A table a profile may not have (a province has no unit history of its own): empty with its columns."""
    return read_csv_text(path) if path.exists() else pd.DataFrame(columns=columns, dtype=str)


def load_units(directory: Path | None = None) -> pd.DataFrame:
    """The official unit list (data/units.csv): codes, names, types, validity, successors."""
    return _optional_table((directory or active().data_dir) / "units.csv", UNIT_COLUMNS)


def load_crosswalk(directory: Path | None = None) -> pd.DataFrame:
    """Old unit → 2025 commune crosswalk (data/crosswalk_2025.csv)."""
    return _optional_table((directory or active().data_dir) / "crosswalk_2025.csv", CROSSWALK_COLUMNS)


def load_projects(data: Path | None = None, geo: Path | None = None) -> gpd.GeoDataFrame:
    """The project register joined to its geometries (objects with no location have none)."""
    table = read_csv_text((data or active().data_dir) / PROJECTS_FILE)
    shapes = gpd.read_file((geo or active().geo_dir) / PROJECTS_GEO_FILE, engine="pyogrio")
    if "id" not in shapes.columns:  # a profile with no located objects
        shapes = gpd.GeoDataFrame({"id": pd.Series(dtype=str)}, geometry=[], crs=WGS84)
    shapes = shapes[["id", "geometry"]]
    merged = table.merge(shapes, on="id", how="left")
    for col in ("area_ha", "capital_bn"):
        merged[col] = pd.to_numeric(merged[col], errors="coerce")
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=WGS84)
