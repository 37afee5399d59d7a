"""Build the official list of the 3,321 communes, wards and special zones in force on 01/7/2025 (run once).

Two packages carry the national statistics office's 2025 list; they differ, and Công văn 1027/CTK-CSCL (Cục Thống
kê, 25/6/2025, "Danh mục và mã số các đơn vị hành chính cấp xã") decides where they do:
  vietnamadminunits 1.0.4 (PyPI, MIT © 2025 Tran Ngoc Minh Hieu): data/dataset.db, table admin_units
  vietnam-provinces 2025.8.1 (PyPI; its data version 2025-08-03, the first release after 01/7/2025; its metadata
      calls the list the statistics office's "Draft of new administrative units"): data/flat-divisions.json
  tools/cv1027_rows_read.csv: the rows of Công văn 1027 read for every difference, from the transcription
      dvhcvn/20250701:input/docs/1027_CTK-CSCL.md@62ea64ea0ba0f0f932ccb6573e05d3b1a5ef5029 (code, row "Stt")
Writes into OUT (normally profiles/national-2025/data):
  official_units_2025-07-01.csv              code, full_name, unit_type, province_code, province
  official_units_2025-07-01_differences.csv  every difference between the packages and how Công văn 1027 decided it
  official_units_2025-07-01.md               source, method, counts
Names are compared with the tone mark's position inside a syllable ignored (hoà = hòa): the two spellings are one
name. The build stops if a difference has no row of Công văn 1027 read for it.

Usage: .venv/bin/python tools/build_official_list.py VAU_DATASET_DB VP_FLAT_DIVISIONS_JSON OUT
(the wheels: `pip download --no-deps vietnamadminunits==1.0.4 vietnam-provinces==2025.8.1`, then unzip)
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sqlite3
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from build_national_units import apostrophe_key, nfc_ws, unit_type  # noqa: E402

HERE = Path(__file__).resolve().parent
CV1027 = "dvhcvn/20250701:input/docs/1027_CTK-CSCL.md@62ea64ea0ba0f0f932ccb6573e05d3b1a5ef5029"
COLUMNS = ["code", "full_name", "unit_type", "province_code", "province"]


def read_packages(vau_db: str, vp_json: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(vietnamadminunits, vietnam-provinces) as frames with code, full_name, province (and province_code)."""
    con = sqlite3.connect(vau_db)
    vau = pd.read_sql(
        "select wardCode code, ward full_name, wardType, provinceCode province_code, province from admin_units", con
    )
    vp = pd.DataFrame(json.load(open(vp_json, encoding="utf-8")))
    vp = pd.DataFrame(
        {"code": vp.code.map(lambda c: f"{int(c):05d}"), "full_name": vp.name, "province": vp.province_name}
    )
    for df in (vau, vp):
        df["full_name"] = df.full_name.map(nfc_ws)
        df["key"] = df.full_name.map(apostrophe_key)
    assert len(vau) == len(vp) == 3321 and vau.code.is_unique and vp.code.is_unique
    return vau, vp


def _province_key(name: str) -> str:
    return apostrophe_key(re.sub(r"^(tp|thành phố|tỉnh)\s+", "", nfc_ws(name), flags=re.IGNORECASE))


def _name_key(name: str) -> str:
    return apostrophe_key(name.replace("\u2013", "-"))  # "Chân Mây – Lăng Cô" = "Chân Mây - Lăng Cô"


def differences(vau: pd.DataFrame, vp: pd.DataFrame, rows: dict[str, str]) -> pd.DataFrame:
    """Every unit whose code or name differs between the packages, with the row of Công văn 1027 that decides it.

    Units are followed by name within their province. ``rows`` maps a code as written in Công văn 1027 (with the
    name of that row) to its row number ("Stt").
    """
    vp_by_name = {(_province_key(r.province), _name_key(r.full_name)): r for r in vp.itertuples()}
    vp_by_code = vp.set_index("code")
    out = []
    for r in vau.itertuples():
        twin = vp_by_name.get((_province_key(r.province), _name_key(r.full_name)))
        if twin is None:  # no unit of that name: vietnam-provinces names the code otherwise
            twin = next(vp[vp.code == r.code].itertuples())
        same_name = (
            _name_key(vp_by_code.at[r.code, "full_name"]) == _name_key(r.full_name)
            if r.code in vp_by_code.index
            else False
        )
        if twin.code == r.code and same_name:
            continue
        out.append(dict(vau_code=r.code, vau_name=r.full_name, vp_code=twin.code, vp_name=twin.full_name))
    d = pd.DataFrame(out)
    d["cv1027_stt"] = [rows.get(a) or rows.get(b) for a, b in zip(d.vau_code, d.vp_code, strict=True)]
    missing = d[d.cv1027_stt.isna()]
    assert missing.empty, f"no row of Công văn 1027 read for {missing[['vau_code', 'vp_code']].values.tolist()}"
    d["decided_code"] = [a if a in rows else b for a, b in zip(d.vau_code, d.vp_code, strict=True)]
    d["decision"] = [
        "vietnamadminunits" if c == a else "vietnam-provinces" for c, a in zip(d.decided_code, d.vau_code, strict=True)
    ]
    return d.sort_values("decided_code").reset_index(drop=True)


def official_list(vau: pd.DataFrame, vp: pd.DataFrame, diff: pd.DataFrame) -> pd.DataFrame:
    """vietnamadminunits' rows with each difference decided by Công văn 1027; the type from the name's prefix."""
    out = vau.set_index("code")
    for r in diff[diff.decision == "vietnam-provinces"].itertuples():
        assert r.vp_code not in out.index, r.vp_code
        out = out.rename(index={r.vau_code: r.vp_code})
    out = out.reset_index()
    out["unit_type"] = out.full_name.map(unit_type)
    out = out.sort_values("code").reset_index(drop=True)
    assert out.code.is_unique and len(out) == 3321 and out.code.str.fullmatch(r"\d{5}").all()
    return out[COLUMNS]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("vau_db")
    ap.add_argument("vp_json")
    ap.add_argument("out")
    a = ap.parse_args()
    with open(HERE / "cv1027_rows_read.csv", encoding="utf-8") as fh:
        read = list(csv.DictReader(fh))
    rows = {r["code"]: r["cv1027_stt"] for r in read}
    vau, vp = read_packages(a.vau_db, a.vp_json)
    diff = differences(vau, vp, rows)
    official = official_list(vau, vp, diff)
    # the types Công văn 1027 states where vietnamadminunits' own wardType contradicts its name (checked rows)
    inconsistent = vau[vau.full_name.map(unit_type) != vau.wardType.str.lower()]
    assert set(inconsistent.code) <= set(rows), set(inconsistent.code) - set(rows)
    out = Path(a.out)
    official.to_csv(out / "official_units_2025-07-01.csv", index=False, lineterminator="\n")
    diff.to_csv(out / "official_units_2025-07-01_differences.csv", index=False, lineterminator="\n")
    counts = official.unit_type.value_counts().to_dict()
    by = diff.decision.value_counts().to_dict()
    doc = f"""# Official list of the units in force on 01/7/2025 (`official_units_2025-07-01.csv`)

Generated by `tools/build_official_list.py` (do not edit by hand; re-run it). `python -m ktxh_geo validate` checks
every unit of the 2025 edition (code, name, type, province) against this list and fails on any mismatch.

- **Authority**: Công văn 1027/CTK-CSCL of Cục Thống kê, 25/6/2025, Phụ lục I "Danh mục và mã số các đơn vị hành
  chính cấp xã" (3,321 rows), read from the transcription `{CV1027}`.
- **Rows from**: PyPI `vietnamadminunits` 1.0.4 (`data/dataset.db`, table `admin_units`; MIT © 2025 Tran Ngoc Minh
  Hieu), checked against PyPI `vietnam-provinces` 2025.8.1 (`data/flat-divisions.json`, data version 2025-08-03, the
  first release after 01/7/2025; its own metadata calls its list the statistics office's draft).
- **Differences**: the packages differ on {len(diff)} units (the code, or the name under a code:
  vietnam-provinces gives some codes to the neighbouring unit). Every one was looked up in Công văn 1027 (its row, `cv1027_stt`, is in
  `official_units_2025-07-01_differences.csv`, and the rows read are in `tools/cv1027_rows_read.csv`): decided for
  vietnamadminunits {by.get("vietnamadminunits", 0)}, for vietnam-provinces {by.get("vietnam-provinces", 0)}
  ({", ".join(f"{r.decided_code} {r.vp_name}" for r in diff[diff.decision == "vietnam-provinces"].itertuples())}).
- **Types**: from the prefix of the name (Xã / Phường / Đặc khu). Where vietnamadminunits' own `wardType`
  contradicts its name ({", ".join(f"{r.code} {r.full_name}" for r in inconsistent.itertuples())}), Công văn 1027 was
  read: the name's prefix is right in every case. Totals: {counts.get("xã", 0):,} xã, {counts.get("phường", 0):,}
  phường, {counts.get("đặc khu", 0)} đặc khu.
- **Names** are compared with the position of the tone mark inside a syllable ignored (`Hoà` = `Hòa`, `Thuỵ` =
  `Thụy`) and apostrophes unified (`’` = `'`); every letter, vowel mark and the tone itself must agree.
- **Provinces**: GSO 2-digit codes and names of vietnamadminunits (34; Đồng Nai is `Tỉnh Đồng Nai` on 01/7/2025).
"""
    (out / "official_units_2025-07-01.md").write_text(doc, encoding="utf-8")
    print("official list:", counts, "| differences:", by)


if __name__ == "__main__":
    main()
