"""Build the data tables of the province and national profiles from profiles/national-2025/data (run once).

Writes, for ``national-2025`` (every province and, by drill-down, every commune) and ``bac-ninh-2025`` (the 99
communes and wards of Bắc Ninh, province code 24):
  data/indicators.csv  population, area, density, unit type (population and density say that the source states no
                       year: ``year_label``);
  data/values.csv      one row per unit and indicator with its source and status: official, computed (densities, with
                       the formula), nghi_van (figures the plausibility rules flag, with the rule); missing stays missing;
  national-2025/data/plausibility_flags.csv  every flagged figure with its rule and reason (ktxh_geo.model.plausibility);
  national-2025/data/province_sum_conflicts.csv  provinces whose communes add up to more than 1 % off its own figure;
  data/illustrative_commune_values.csv, data/projects.csv, data/slides.json and geo/projects.geojson (empty).
Usage: python tools/build_profiles.py
"""

import csv
import json
from pathlib import Path

import pandas as pd
import pyogrio

from ktxh_geo.model import plausibility

ROOT = Path(__file__).resolve().parent.parent
NATIONAL = ROOT / "profiles" / "national-2025" / "data"
VALUE_COLUMNS = ["indicator_id", "level", "code", "edition", "year", "value", "value_text", "status", "source", "note"]
SRC_AREA = "Diện tích công bố: vietnamese-provinces-database (© 2021 Thang Le Quoc, MIT; từ sapnhap.bando.com.vn)"
SRC_POP = (
    "Dân số: sapnhap.bando.com.vn qua vietnamadminunits (© 2025 Tran Ngoc Minh Hieu, MIT), bản ngày 17/7/2025; "
    "số liệu trong hồ sơ sắp xếp 2025 (năm số liệu không được nêu)"
)
SRC_TYPE = "Loại đơn vị theo tên đầy đủ trong lớp ranh giới có mã GSO (vietnamese-provinces-database, MIT)"
YEAR = "2025"  # the edition's year: the key of the values, not the year of the figures (see YEAR_LABEL)
YEAR_LABEL = "năm số liệu không được nêu; công bố 17/7/2025"
FORMULA = "Tính = dân số / diện tích công bố (làm tròn đến người/km²)"
CONFLICT_THRESHOLD = 0.01
INDICATORS = [
    # id, name, unit, kind, decimals, scheme, palette, categories, description, year_label
    (
        "population",
        "Dân số",
        "người",
        "numeric",
        0,
        "quantiles",
        "YlOrRd",
        "",
        "Dân số trong hồ sơ sắp xếp đơn vị hành chính 2025 (năm số liệu không được nêu; công bố 17/7/2025).",
        YEAR_LABEL,
    ),
    (
        "area_km2",
        "Diện tích tự nhiên",
        "km²",
        "numeric",
        2,
        "quantiles",
        "YlGn",
        "",
        "Diện tích công bố của đơn vị hành chính từ 01/7/2025.",
        "",
    ),
    (
        "density",
        "Mật độ dân số",
        "người/km²",
        "numeric",
        0,
        "quantiles",
        "YlOrRd",
        "",
        "Tính bằng dân số chia diện tích công bố (không phải số liệu công bố riêng).",
        YEAR_LABEL,
    ),
    (
        "unit_type",
        "Loại đơn vị hành chính",
        "",
        "category",
        0,
        "",
        "",
        "xã|phường|đặc khu",
        "Xã, phường hoặc đặc khu từ 01/7/2025.",
        "",
    ),
]


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def unit_rows(units: list[dict], edition: str, flags: dict[tuple[str, str], list[plausibility.Flag]]) -> list[list]:
    """Values of the units: area and type official, population official or flagged, density computed or flagged."""
    rows = []
    for u in units:
        code = u["code"]
        rows.append(["area_km2", "commune", code, edition, YEAR, u["area_km2"], "", "official", SRC_AREA, ""])
        if u["population"]:
            flagged = flags.get((code, "population"), [])
            status, note = ("nghi_van", "; ".join(f.note for f in flagged)) if flagged else ("official", "")
            rows.append(["population", "commune", code, edition, YEAR, u["population"], "", status, SRC_POP, note])
            if u["area_km2"] and float(u["area_km2"]) > 0:
                density = round(int(u["population"]) / float(u["area_km2"]))
                flagged = flags.get((code, "density"), [])
                status = "nghi_van" if flagged else "computed"
                note = "; ".join([FORMULA, *(f.note for f in flagged)])
                rows.append(
                    [
                        "density",
                        "commune",
                        code,
                        edition,
                        YEAR,
                        str(density),
                        "",
                        status,
                        f"{SRC_POP}; {SRC_AREA}",
                        note,
                    ]
                )
        if u.get("unit_type"):
            rows.append(["unit_type", "commune", code, edition, YEAR, "", u["unit_type"], "official", SRC_TYPE, ""])
    return rows


def population_flags(units: list[dict]) -> list[plausibility.Flag]:
    """The plausibility rules over the 3,321 units (neighbours from the national layer, predecessors from the origin
    table, the area published with each population as the evidence for copies)."""
    layer = pyogrio.read_dataframe(ROOT / "profiles/national-2025/geo/vn_communes_2025.fgb", columns=["code"])
    origin = pd.read_csv(NATIONAL / "units_2025_origin.csv", dtype=str, keep_default_na=False)
    frame = pd.DataFrame(units)
    figure_area = {
        u["code"]: float(u["population_area_km2"]) for u in units if u["population_area_km2"] not in ("", "0", "0.0")
    }
    return plausibility.check_population(
        frame,
        plausibility.neighbours(layer),
        dict(zip(origin["code"], origin["predecessors"].map(plausibility.count_predecessors), strict=True)),
        figure_area,
    )


def sum_conflicts(units: list[dict], provinces: list[dict]) -> list[list]:
    """Provinces whose communes' population or area add up to more than 1 % off the province's own figure."""
    u = pd.DataFrame(units)
    rows = []
    for measure in ("population", "area_km2"):
        u[measure] = pd.to_numeric(u[measure], errors="coerce")
        sums = u.groupby("province_code")[measure].agg(["sum", "count", "size"])
        for p in provinces:
            figure = float(p[measure])
            total, have, n = sums.loc[p["code"]]
            gap = total - figure
            if abs(gap) > CONFLICT_THRESHOLD * figure:
                decimals = 0 if measure == "population" else 2
                rows.append(
                    [p["code"], p["full_name"], measure, f"{figure:.{decimals}f}", f"{total:.{decimals}f}",
                     int(have), int(n), f"{gap:.{decimals}f}", f"{100 * gap / figure:.1f}"]
                )  # fmt: skip
    return rows


def empty_extras(folder: Path, title: str, params: dict) -> None:
    write_csv(folder / "data" / "illustrative_commune_values.csv", VALUE_COLUMNS, [])
    header = "id,name,category,commune_codes,status,area_ha,investor,capital_bn,decision_no,decision_date,source,location_precision,notes"
    (folder / "data" / "projects.csv").write_text(header + "\n", encoding="utf-8")
    (folder / "geo").mkdir(exist_ok=True)
    (folder / "geo" / "projects.geojson").write_text(
        '{"type": "FeatureCollection", "features": []}\n', encoding="utf-8"
    )
    deck = {"slides": [{"title": title, "params": params}]}
    (folder / "data" / "slides.json").write_text(
        json.dumps(deck, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )


def indicators_csv(folder: Path) -> None:
    header = [
        "id",
        "name",
        "unit",
        "kind",
        "level",
        "applies_to",
        "group",
        "aggregation",
        "denominator",
        "min",
        "max",
        "decimals",
        "scheme",
        "breaks",
        "palette",
        "categories",
        "map",
        "description",
        "year_label",
    ]
    rows = [
        [
            i,
            n,
            u,
            k,
            "commune",
            "all",
            "dan_so",
            "none",
            "",
            "0" if k == "numeric" else "",
            "",
            d,
            s,
            "",
            p,
            c,
            "1",
            desc,
            year_label,
        ]
        for i, n, u, k, d, s, p, c, desc, year_label in INDICATORS
    ]
    write_csv(folder / "data" / "indicators.csv", header, rows)


UNIT_HEADER = [
    "gso_code",
    "name_full",
    "name",
    "type",
    "valid_from",
    "valid_to",
    "successor_2025_code",
    "nq1658_item",
    "province_code",
    "province",
]


def units_csv(folder: Path, units: list[dict]) -> None:
    """The unit list the importer matches names against (codes, names, types, province; valid from 01/7/2025)."""
    rows = [
        [
            u["code"],
            u["full_name"],
            u["name"],
            u["unit_type"].capitalize(),
            "2025-07-01",
            "",
            "",
            "",
            u["province_code"],
            u["province"],
        ]
        for u in units
    ]
    write_csv(folder / "data" / "units.csv", UNIT_HEADER, rows)


FLAG_COLUMNS = ["code", "full_name", "indicator_id", "rule", "rule_title", "reason"]
CONFLICT_COLUMNS = [
    "province_code",
    "province",
    "measure",
    "province_figure",
    "communes_sum",
    "communes_with_figure",
    "communes",
    "gap",
    "gap_pct",
]


def main() -> None:
    units = list(csv.DictReader(open(NATIONAL / "units_2025.csv", encoding="utf-8")))
    provinces = list(csv.DictReader(open(NATIONAL / "provinces_2025.csv", encoding="utf-8")))
    found = population_flags(units)
    flags: dict[tuple[str, str], list[plausibility.Flag]] = {}
    for f in found:
        flags.setdefault((f.code, f.indicator_id), []).append(f)
    table = plausibility.flag_table(found, pd.DataFrame(units))
    table.to_csv(NATIONAL / "plausibility_flags.csv", index=False, lineterminator="\n")
    conflicts = sum_conflicts(units, provinces)
    write_csv(NATIONAL / "province_sum_conflicts.csv", CONFLICT_COLUMNS, conflicts)
    bn_conflicts = [r for r in conflicts if r[0] == "24"]
    write_csv(ROOT / "profiles/bac-ninh-2025/data/province_sum_conflicts.csv", CONFLICT_COLUMNS, bn_conflicts)
    # national: provinces as the units of edition "provinces", communes of edition "2025" (drill-down)
    nat = ROOT / "profiles" / "national-2025"
    indicators_csv(nat)
    prov_rows = unit_rows([{**p, "unit_type": ""} for p in provinces], "provinces", {})
    write_csv(nat / "data" / "values.csv", VALUE_COLUMNS, prov_rows + unit_rows(units, "2025", flags))
    empty_extras(nat, "Dân số các tỉnh, thành phố", {"indicator": "population", "year": YEAR, "edition": "provinces"})
    units_csv(nat, units)
    # Bắc Ninh: its 99 communes and wards
    bn = ROOT / "profiles" / "bac-ninh-2025"
    indicators_csv(bn)
    bn_units = [u for u in units if u["province_code"] == "24"]
    write_csv(bn / "data" / "values.csv", VALUE_COLUMNS, unit_rows(bn_units, "2025", flags))
    empty_extras(bn, "Mật độ dân số các xã, phường", {"indicator": "density", "year": YEAR, "edition": "2025"})
    units_csv(bn, bn_units)
    print("ok:", len(found), "flags on", len({f.code for f in found}), "units")


if __name__ == "__main__":
    main()
