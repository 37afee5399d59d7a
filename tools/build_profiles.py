"""Build the data tables of the province and national profiles from profiles/national-2025/data (run once).

Writes, for ``national-2025`` (every province and, by drill-down, every commune) and ``bac-ninh-2025`` (the 99
communes and wards of Bắc Ninh, province code 24):
  data/indicators.csv  population, area, density, unit type (official, sourced; density computed, marked so);
  data/values.csv      one row per unit and indicator with its source; missing population stays missing;
  data/illustrative_commune_values.csv, data/projects.csv, data/slides.json and geo/projects.geojson (empty).
Usage: python tools/build_profiles.py
"""

import csv
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NATIONAL = ROOT / "profiles" / "national-2025" / "data"
VALUE_COLUMNS = ["indicator_id", "level", "code", "edition", "year", "value", "value_text", "status", "source", "note"]
SRC_AREA = (
    "Diện tích công bố: vietnamese-provinces-database (© 2021 Thang Le Quoc, MIT; từ sapnhap.bando.com.vn), "
    "xem profiles/national-2025/geo/SOURCES.md"
)
SRC_POP = (
    "Dân số: sapnhap.bando.com.vn qua vietnamadminunits (© 2025 Tran Ngoc Minh Hieu, MIT), bản ngày 17/7/2025; "
    "số liệu trong hồ sơ sắp xếp 2025 (năm số liệu không được nêu)"
)
SRC_TYPE = "Loại đơn vị theo tên đầy đủ trong lớp ranh giới có mã GSO (vietnamese-provinces-database, MIT)"
YEAR = "2025"
INDICATORS = [
    # id, name, unit, kind, decimals, scheme, palette, categories, description
    (
        "population",
        "Dân số",
        "người",
        "numeric",
        0,
        "quantiles",
        "YlOrRd",
        "",
        "Dân số trong hồ sơ sắp xếp đơn vị hành chính 2025 (năm số liệu không được nêu).",
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
    ),
]


def write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def unit_rows(units: list[dict], edition: str) -> list[list]:
    rows = []
    for u in units:
        code = u["code"]
        rows.append(["area_km2", "commune", code, edition, YEAR, u["area_km2"], "", "official", SRC_AREA, ""])
        if u["population"]:
            rows.append(["population", "commune", code, edition, YEAR, u["population"], "", "official", SRC_POP, ""])
            if u["area_km2"] and float(u["area_km2"]) > 0:
                density = round(int(u["population"]) / float(u["area_km2"]))
                rows.append(
                    [
                        "density",
                        "commune",
                        code,
                        edition,
                        YEAR,
                        str(density),
                        "",
                        "inferred",
                        f"{SRC_POP}; {SRC_AREA}",
                        "Tính = dân số / diện tích công bố (làm tròn đến người/km²)",
                    ]
                )
        if u.get("unit_type"):
            rows.append(["unit_type", "commune", code, edition, YEAR, "", u["unit_type"], "official", SRC_TYPE, ""])
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
        ]
        for i, n, u, k, d, s, p, c, desc in INDICATORS
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


def main() -> None:
    units = list(csv.DictReader(open(NATIONAL / "units_2025.csv", encoding="utf-8")))
    provinces = list(csv.DictReader(open(NATIONAL / "provinces_2025.csv", encoding="utf-8")))
    # national: provinces as the units of edition "provinces", communes of edition "2025" (drill-down)
    nat = ROOT / "profiles" / "national-2025"
    indicators_csv(nat)
    prov_rows = unit_rows([{**p, "unit_type": ""} for p in provinces], "provinces")
    write_csv(nat / "data" / "values.csv", VALUE_COLUMNS, prov_rows + unit_rows(units, "2025"))
    empty_extras(nat, "Dân số các tỉnh, thành phố", {"indicator": "population", "year": YEAR, "edition": "provinces"})
    units_csv(nat, units)
    # Bắc Ninh: its 99 communes and wards
    bn = ROOT / "profiles" / "bac-ninh-2025"
    indicators_csv(bn)
    write_csv(
        bn / "data" / "values.csv", VALUE_COLUMNS, unit_rows([u for u in units if u["province_code"] == "24"], "2025")
    )
    empty_extras(bn, "Mật độ dân số các xã, phường", {"indicator": "density", "year": YEAR, "edition": "2025"})
    units_csv(bn, [u for u in units if u["province_code"] == "24"])
    print("ok")


if __name__ == "__main__":
    main()
