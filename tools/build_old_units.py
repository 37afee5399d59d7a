"""Build profiles/national-2025/data/old_units_2024.csv: each commune of 2024 (before 01/7/2025) and the 2025
unit(s) it went into, from the data of vietnamadminunits (PyPI, MIT, © 2025 Tran Ngoc Minh Hieu; derived from
sapnhap.bando.com.vn, 17/7/2025). A development tool: the product reads only the CSV it writes.

    python tools/build_old_units.py PATH/TO/vietnamadminunits   # the package folder (holding data/)

Columns: old_code, old_name, old_district, old_province_code, old_province, new_code, new_codes, split.
``split`` = 1 when the old unit was divided among several 2025 units (``new_codes``: all of them, ";"); then
``new_code`` is the unit the publisher names as its main successor, never to be given the whole figure.
"""

from __future__ import annotations

import csv
import json
import sqlite3
import sys
from pathlib import Path

# The package's code of one unit differs from the GSO-coded boundary layer's (see data/SOURCES.md): the layer's wins.
LAYER_CODES = {"23938": "23737"}  # Xã Ia Mơ
OUT = Path(__file__).resolve().parent.parent / "profiles" / "national-2025" / "data" / "old_units_2024.csv"


def main(package: str) -> None:
    root = Path(package)
    db = sqlite3.connect(root / "data" / "dataset.db")
    conv = json.loads((root / "data" / "converter_2025.json").read_text(encoding="utf-8"))
    new_code = {
        (p, w): LAYER_CODES.get(c, c)
        for p, w, c in db.execute("select provinceKey, wardKey, wardCode from admin_units").fetchall()
    }
    whole: dict[str, str] = {}  # old "province_district_ward" key → new code
    for new_province, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_ward, olds in wards.items():
            for old in olds:
                whole.setdefault(old, new_code[(new_province, new_ward)])
    divided: dict[str, list[tuple[str, bool]]] = {}
    for new_province, olds in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, parts in olds.items():
            divided[old] = [(new_code[(new_province, p["newWardKey"])], p["isDefaultNewWard"]) for p in parts]
    rows = db.execute(
        "select wardCode, ward, district, provinceCode, province, provinceKey, districtKey, wardKey "
        "from admin_units_legacy order by wardCode"
    ).fetchall()
    with OUT.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(
            [
                "old_code",
                "old_name",
                "old_district",
                "old_province_code",
                "old_province",
                "new_code",
                "new_codes",
                "split",
            ]
        )
        for code, ward, district, pcode, province, pk, dk, wk in rows:
            key = f"{pk}_{dk}_{wk}"
            if key in divided:
                parts = divided[key]
                main_code = next((c for c, default in parts if default), parts[0][0])
                codes = sorted({c for c, _ in parts} | ({whole[key]} if key in whole else set()))
                w.writerow([code, ward, district, pcode, province, main_code, ";".join(codes), 1])
            elif key in whole:
                w.writerow([code, ward, district, pcode, province, whole[key], whole[key], 0])
            else:
                w.writerow([code, ward, district, pcode, province, "", "", 0])
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
