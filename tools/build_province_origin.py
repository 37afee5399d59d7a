"""Build profiles/national-2025/data/provinces_2025_origin.csv: each province from 01/7/2025, the provinces merged
into it and its seat, as sapnhap.bando.com.vn published them (17/7/2025; the scrape shipped with vietnamadminunits,
MIT). Joined to GSO codes by the province's name (data/provinces_2025.csv). A development tool.

    python tools/build_province_origin.py PATH/TO/sapnhap_provinces_2025-07-17.csv
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "profiles" / "national-2025" / "data"


def _key(name: str) -> str:
    from ktxh_geo.text import fold  # accents and tone positions differ between the sources ("Hóa", "Hoá")

    name = fold(name)
    for prefix in ("thu do ", "thanh pho ", "tinh "):
        name = name.removeprefix(prefix)
    return name


def main(source: str) -> None:
    codes = {
        _key(r["full_name"]): r["code"] for r in csv.DictReader((DATA / "provinces_2025.csv").open(encoding="utf-8"))
    }
    rows = []
    for r in csv.DictReader(Path(source).open(encoding="utf-8")):
        merged = r["truocsapnhap"].strip()
        seat = r["trungtamhc"].strip()
        rows.append(
            {
                "code": codes[_key(r["tentinh"])],
                "seat": "giữ nguyên như trước sắp xếp" if seat == "giữ nguyên" else seat,
                "seat_lon": "",
                "seat_lat": "",
                "predecessors": "không sáp nhập (giữ nguyên)" if merged == "không sáp nhập" else merged,
            }
        )
    rows.sort(key=lambda r: r["code"])
    with (DATA / "provinces_2025_origin.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} provinces")


if __name__ == "__main__":
    main(sys.argv[1])
