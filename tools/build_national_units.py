"""Build the attribute tables of the national 2025 profile (3,321 communes/wards, 34 provinces).

Reads, at build time only, the reference folder given as SHARED (normally ../shared):
  geodata/vn_communes_2025.fgb, geodata/vn_provinces_2025.fgb   GSO codes, names, published areas
      (thanglequoc/vietnamese-provinces-database@cd58063299585146ded3981f2272946ef19ced54, MIT © 2021 Thang Le Quoc)
  facts/sapnhap_wards_2025-07-17.csv, facts/sapnhap_provinces_2025-07-17.csv   population (and a second area)
      (tranngocminhhieu/vietnamadminunits:data/raw/@780c27980afdae76d5c6e7b252955f6b571f34ca,
       MIT © 2025 Tran Ngoc Minh Hieu; scrape of sapnhap.bando.com.vn, 2025-07-17)
  geodata/communes_2025.geojson, facts/crosswalk_2025.csv   Yên Thế check only
Writes into OUT (normally profiles/national-2025/data):
  units_2025.csv, provinces_2025.csv, units_2025_population_review.csv, SOURCES.md,
  units_2025_origin.csv (seat, published point and predecessors of every unit, from the same join; points that lie
  in another unit are withheld and listed in SOURCES.md)

The join is (province, unit type, name) on names that keep every Vietnamese letter and tone; names are never
ASCII-folded. Matching passes:
  exact            NFC + collapsed whitespace, strings equal
  tone_normalised  equal once the position of the tone mark inside each syllable is ignored (hoà = hòa,
                   thuỷ = thủy); letters, their diacritics and the tone itself must still be equal
  manual           the explicit table MANUAL below (apostrophe variants, unit type changed between sources);
                   each entry is checked against the published area of both sources
Population is copied only where the sapnhap row demonstrably describes the same unit; see population_decision().

Usage: .venv/bin/python tools/build_national_units.py SHARED OUT GEO_OUT [--vau-db PATH/TO/vietnamadminunits/data/dataset.db]
(the shipped SOURCES.md was written with --vau-db from the PyPI wheel vietnamadminunits==1.0.4, unpacked:
 `pip download --no-deps vietnamadminunits==1.0.4` and unzip; the package is a build-time check only)
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sqlite3
import sys
import unicodedata as ud

import geopandas as gpd
import pandas as pd
import pyogrio

from ktxh_geo.text import name_key
from ktxh_geo.text import tone_key as text_tone_key

FGB_COMMIT = "cd58063299585146ded3981f2272946ef19ced54"
VAU_COMMIT = "780c27980afdae76d5c6e7b252955f6b571f34ca"
CREDIT = (
    "Dân số: sapnhap.bando.com.vn (17/7/2025) qua vietnamadminunits — © 2025 Tran Ngoc Minh Hieu, MIT; "
    "ranh giới, mã, diện tích công bố: vietnamese-provinces-database — © 2021 Thang Le Quoc, MIT."
)
POP_YEAR = "số liệu trong hồ sơ sắp xếp 2025 (năm số liệu không được nêu)"


# Explicit resolutions: (province_code, sapnhap loai, sapnhap tenhc in NFC) -> (GSO code, kind, note).
# Evidence (both names, both types, both areas) is recomputed and printed by the build and written to SOURCES.md.
MANUAL = {
    # apostrophe: the scrape writes U+2019 (’), the GSO-coded layer U+0027 (')
    ("66", "xã", "Cư M’gar"): ("24280", "apostrophe", ""),
    ("66", "xã", "Cư M’ta"): ("24436", "apostrophe", ""),
    ("66", "xã", "Ea H’Leo"): ("24184", "apostrophe", ""),
    ("66", "xã", "Ea M’Droh"): ("24286", "apostrophe", ""),
    ("66", "xã", "M’Drắk"): ("24412", "apostrophe", ""),
    ("68", "phường", "B’Lao"): ("24829", "apostrophe", ""),
    ("68", "xã", "D’Ran"): ("24934", "apostrophe", ""),
    # unit type differs: the scrape (2025-07-17) against the GSO-coded layer; same name, the only unit of that name
    # in the province
    ("92", "phường", "Phong Điền"): ("31299", "type", ""),
    ("92", "xã", "Tân Lộc"): ("31213", "type", ""),
    ("31", "phường", "Vĩnh Hòa"): ("11848", "type", "tone mark also placed differently (Vĩnh Hoà)"),
    ("31", "xã", "Việt Hòa"): ("10543", "type", "tone mark also placed differently (Việt Hoà)"),
}

YEN_THE = ["07246", "07264", "07282", "07288", "07294"]
# A published point counts as the unit's own when it lies in the unit's polygon or within this distance of it: the
# points are given to 3-5 decimals (about 100 m) and the polygons are simplified at 50 m.
POINT_TOLERANCE_M = 1000
METRIC_CRS = "EPSG:32648"  # the CRS the shared layers were simplified in (UTM 48N)
OFFICIAL_FILE = "official_units_2025-07-01.csv"  # tools/build_official_list.py
ORIGIN_COLUMNS = ["code", "seat", "seat_lon", "seat_lat", "predecessors"]
NOT_STATED = "đang cập nhật"  # the portal's "being updated": no value


def nfc_ws(s: str) -> str:
    """NFC, one space between words, ' - ' around hyphens (as written otherwise)."""
    s = ud.normalize("NFC", s)
    s = re.sub(r"\s*-\s*", " - ", s)
    return re.sub(r"\s+", " ", s).strip()


def tone_key(s: str) -> str:
    """Canonical form that ignores where the tone mark sits in a syllable (``ktxh_geo.text.tone_key``)."""
    return text_tone_key(s)


def apostrophe_key(s: str) -> str:
    return name_key(s)


def province_key(s: str) -> str:
    s = re.sub(r"^(thủ đô|tỉnh|thành phố)\s+", "", nfc_ws(s), flags=re.IGNORECASE)
    return tone_key(s)


def unit_type(full_name: str) -> str:
    m = re.match(r"(xã|phường|đặc khu)\s", nfc_ws(full_name), flags=re.IGNORECASE)
    if not m:
        raise ValueError(f"no unit type prefix in {full_name!r}")
    return m.group(1).lower()


def vn_number(s: str) -> float | None:
    """'3.359,80' -> 3359.8 ; '8.718.000' -> 8718000 (Vietnamese separators in the province table)."""
    s = s.strip()
    if not s:
        return None
    return float(s.replace(".", "").replace(",", "."))


def ward_population(s: str) -> int | None:
    """Plain integers; '30,509' (thousands separator, 4 rows) -> 30509; 'đang cập nhật' (being updated) -> None."""
    s = s.strip()
    if re.fullmatch(r"\d+", s):
        return int(s)
    if re.fullmatch(r"\d{1,3}(,\d{3})+", s):
        return int(s.replace(",", ""))
    return None


def official_fixes(c: pd.DataFrame, official: pd.DataFrame) -> list[tuple[str, str, str, str]]:
    """What the official list of 01/7/2025 corrects in the GSO-coded layer: (code, field, layer value, official value).

    A unit is the official row of the same province whose name agrees (tone position and apostrophes unified); its
    code, its type (the prefix of ``full_name``) and its province's name follow the official list. Names keep the
    layer's spelling (``Hoà`` and ``Hòa`` are one name).
    """
    by_name = {(r.province_code, apostrophe_key(_strip_type(r.full_name))): r for r in official.itertuples()}
    fixes = []
    for r in c.itertuples():
        o = by_name[(r.province_code, apostrophe_key(r.name))]
        if o.code != r.code:
            fixes.append((r.code, "code", r.code, o.code))
        if unit_type(r.full_name) != o.unit_type:
            fixes.append((r.code, "full_name", r.full_name, f"{o.unit_type.capitalize()} {r.name}"))
        if province_key(r.province) != province_key(o.province) or r.province.split()[0] != o.province.split()[0]:
            fixes.append((r.code, "province", r.province, o.province))
    return fixes


def _strip_type(full_name: str) -> str:
    return re.sub(r"^(xã|phường|đặc khu)\s+", "", nfc_ws(full_name), flags=re.IGNORECASE)


def fixed_layer(S: str, layer: str, official: pd.DataFrame) -> gpd.GeoDataFrame:
    """The shared layer (``communes`` or ``provinces``) with the attributes the official list corrects."""
    g = pyogrio.read_dataframe(f"{S}/geodata/vn_{layer}_2025.fgb")
    communes = (
        g if layer == "communes" else pyogrio.read_dataframe(f"{S}/geodata/vn_communes_2025.fgb", read_geometry=False)
    )
    fixes = official_fixes(communes, official)
    if layer == "communes":
        for code, field, _, value in fixes:
            g.loc[g.code == code, field] = value
    else:  # a province's full name, as the official list writes it for its units
        renamed = {old: new for _, field, old, new in fixes if field == "province"}
        g["full_name"] = g.full_name.replace(renamed)
    return g


def write_layers(S: str, official: pd.DataFrame, geo_out: str) -> list[tuple[str, str, str, str]]:
    """Write the corrected layers into ``geo_out`` (geometry unchanged); returns the corrections made."""
    for layer in ("communes", "provinces"):
        g = fixed_layer(S, layer, official)
        pyogrio.write_dataframe(g, f"{geo_out}/vn_{layer}_2025.fgb", driver="FlatGeobuf", layer=f"vn_{layer}_2025")
    c = pyogrio.read_dataframe(f"{S}/geodata/vn_communes_2025.fgb", read_geometry=False)
    return official_fixes(c, official)


def join_scrape(
    S: str, official: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame, list[dict]]:
    """Join every sapnhap ward row to its GSO-coded polygon: (communes, provinces, wards, ward provinces, manual rows).

    The wards frame gets `fgb_i` (row of the communes frame) and `method` (exact / tone_normalised / manual); the
    build stops if a row cannot be placed, so every later table (population, seats, predecessors) uses this one join.
    The layers are read with the attributes the official list corrects (``fixed_layer``).
    """
    c, p = (fixed_layer(S, layer, official).drop(columns="geometry") for layer in ("communes", "provinces"))
    w = pd.read_csv(f"{S}/facts/sapnhap_wards_2025-07-17.csv", dtype=str, keep_default_na=False)
    wp = pd.read_csv(f"{S}/facts/sapnhap_provinces_2025-07-17.csv", dtype=str, keep_default_na=False)
    assert len(c) == 3321 and c.code.is_unique and len(p) == 34 and len(w) == 3321 and len(wp) == 34

    # ---- provinces: sapnhap province name -> GSO province code (all 34 must match, one to one)
    pcode = {province_key(n): code for code, n in zip(p.code, p.name, strict=False)}
    assert len(pcode) == 34
    w["province_code"] = w.tentinh.map(lambda s: pcode.get(province_key(s)))
    wp["code"] = wp.tentinh.map(lambda s: pcode.get(province_key(s)))
    assert w.province_code.notna().all(), set(w.tentinh[w.province_code.isna()])
    assert wp.code.notna().all() and wp.code.is_unique, list(wp.tentinh[wp.code.isna()])
    assert c.province_code.map(lambda x: x in pcode.values()).all()

    c["unit_type"] = c.full_name.map(unit_type)
    c["key_exact"] = c.name.map(nfc_ws)
    c["key_tone"] = c.name.map(tone_key)
    w["tenhc_nfc"] = w.tenhc.map(nfc_ws)
    w["key_tone"] = w.tenhc.map(tone_key)
    w["sap_area"] = pd.to_numeric(w.dientichkm2.replace("", None))
    w["sap_pop"] = w.dansonguoi.map(ward_population).astype("Int64")
    for df, cols in (
        (c, ["province_code", "unit_type", "key_exact"]),
        (c, ["province_code", "unit_type", "key_tone"]),
        (w, ["province_code", "loai", "tenhc_nfc"]),
        (w, ["province_code", "loai", "key_tone"]),
    ):
        assert not df.duplicated(cols).any(), cols

    # ---- pass 1 / 2: (province, type, name)
    cidx_exact = {
        k: i for i, k in zip(c.index, zip(c.province_code, c.unit_type, c.key_exact, strict=False), strict=False)
    }
    cidx_tone = {
        k: i for i, k in zip(c.index, zip(c.province_code, c.unit_type, c.key_tone, strict=False), strict=False)
    }
    code_to_i = dict(zip(c.code, c.index, strict=False))
    match: dict[int, tuple[int, str]] = {}  # sapnhap row -> (fgb row, method)
    manual_rows = []
    for i, r in w.iterrows():
        k = (r.province_code, r.loai, r.tenhc_nfc)
        if k in cidx_exact:
            match[i] = (cidx_exact[k], "exact")
        elif (r.province_code, r.loai, r.key_tone) in cidx_tone:
            match[i] = (cidx_tone[(r.province_code, r.loai, r.key_tone)], "tone_normalised")
        elif k in MANUAL:
            code, kind, note = MANUAL[k]
            j = code_to_i[code]
            f = c.loc[j]
            # the manual entry must be the only unit of the province with that name (apostrophes unified, any type)
            same = c[(c.province_code == r.province_code) & (c.name.map(apostrophe_key) == apostrophe_key(r.tenhc))]
            assert list(same.code) == [code], (k, list(same.code))
            if kind == "type":
                assert f.unit_type != r.loai and f.key_tone == r.key_tone, k
            match[i] = (j, "manual")
            manual_rows.append(
                dict(
                    key=k,
                    code=code,
                    province=f.province,
                    sap_type=r.loai,
                    sap_name=r.tenhc_nfc,
                    gso_full_name=f.full_name,
                    kind=kind,
                    sap_area=r.sap_area,
                    fgb_area=f.area_km2,
                    note=note,
                )
            )
    unmatched = [i for i in w.index if i not in match]
    used = [j for j, _ in match.values()]
    assert len(set(used)) == len(used), "two scrape rows matched one code"
    stale = set(MANUAL) - {m_["key"] for m_ in manual_rows}
    assert not stale, stale
    if unmatched:
        print("UNMATCHED scrape rows:", w.loc[unmatched, ["tentinh", "loai", "tenhc"]].to_string())
        sys.exit(1)

    w["fgb_i"] = [match[i][0] for i in w.index]
    w["method"] = [match[i][1] for i in w.index]
    return c, p, w, wp, manual_rows


def published_text(s: str) -> str:
    """A text field as the portal publishes it, trimmed of surrounding (also no-break) spaces; line breaks inside are
    kept (some units list several seats, one per line). The portal's "đang cập nhật" (being updated) is no value."""
    s = s.strip()
    return "" if s.casefold() == NOT_STATED else s


def origin_table(S: str, c: pd.DataFrame, w: pd.DataFrame, official: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Seat, published point and predecessors of every joined unit, and the review of points that are not the unit's.

    `seat` = `trungtamhc`, `seat_lon`/`seat_lat` = `kinhdo`/`vido` (strings as published), `predecessors` =
    `truocsapnhap` as published ("phần còn lại …" notes and "Không sáp nhập" kept). A point is withheld (left empty,
    listed in the review) when it lies more than POINT_TOLERANCE_M outside the unit's own polygon and inside, or
    nearer to, another unit: it then describes another place. Nothing is moved or estimated.
    """
    g = fixed_layer(S, "communes", official)[["code", "full_name", "geometry"]].to_crs(METRIC_CRS).set_index("code")
    o = pd.DataFrame(
        {
            "code": c.loc[w.fgb_i, "code"].to_numpy(),
            "seat": w.trungtamhc.map(published_text).to_numpy(),
            "seat_lon": w.kinhdo.str.strip().to_numpy(),
            "seat_lat": w.vido.str.strip().to_numpy(),
            "predecessors": w.truocsapnhap.map(published_text).to_numpy(),
        }
    )
    has_point = o.seat_lon.str.fullmatch(r"\d+(\.\d+)?") & o.seat_lat.str.fullmatch(r"\d+(\.\d+)?")
    pts = gpd.GeoSeries(
        gpd.points_from_xy(pd.to_numeric(o.seat_lon.where(has_point)), pd.to_numeric(o.seat_lat.where(has_point))),
        crs="EPSG:4326",
    ).to_crs(METRIC_CRS)
    review = []
    for i, r in o.iterrows():
        if not has_point[i]:
            o.loc[i, ["seat_lon", "seat_lat"]] = ""
            continue
        pt = pts[i]
        own = g.geometry[r.code].distance(pt)
        if own == 0:
            continue
        inside = g.index[g.geometry.contains(pt)]
        nearest = g.geometry.distance(pt).idxmin()
        where = inside[0] if len(inside) else nearest
        keep = own <= POINT_TOLERANCE_M or (not len(inside) and nearest == r.code)
        if not keep:
            o.loc[i, ["seat_lon", "seat_lat"]] = ""
        review.append(
            dict(
                code=r.code,
                full_name=g.full_name[r.code],
                lon=w.kinhdo.iloc[i].strip(),
                lat=w.vido.iloc[i].strip(),
                distance_m=round(own),
                falls_in=(f"{where} {g.full_name[where]}" if len(inside) else f"ngoài mọi đơn vị; gần nhất {where}"),
                decision="kept" if keep else "withheld",
            )
        )
    o = o.sort_values("code").reset_index(drop=True)
    assert o.code.is_unique and len(o) == len(c)
    return o, pd.DataFrame(review).sort_values(["decision", "distance_m"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("shared")
    ap.add_argument("out")
    ap.add_argument("geo_out", help="where the corrected layers go (normally profiles/national-2025/geo)")
    ap.add_argument("--vau-db", help="vietnamadminunits 1.0.4 data/dataset.db, for an independent check")
    a = ap.parse_args()
    S = a.shared
    os.makedirs(a.out, exist_ok=True)
    official = pd.read_csv(f"{a.out}/{OFFICIAL_FILE}", dtype=str, keep_default_na=False)
    fixes = write_layers(S, official, a.geo_out)
    print("corrected from the official list:", fixes)
    c, p, w, wp, manual_rows = join_scrape(S, official)
    unmatched: list[int] = []  # join_scrape stops the build on any unmatched row

    # ---- homonym copies: the scrape gives some same-name units in different provinces one identical
    # (area, population) pair; only the copy whose area agrees with the GSO-coded layer is kept.
    w["fgb_area"] = c.loc[w.fgb_i, "area_km2"].to_numpy()
    w["rel_diff"] = (w.sap_area - w.fgb_area).abs() / w.fgb_area
    valid = w.sap_pop.notna() & w.sap_area.notna() & (w.sap_area > 0)
    grp = w[valid].groupby(["dientichkm2", "sap_pop"]).key_tone.transform("size")
    w["copy_group"] = 0
    w.loc[grp.index, "copy_group"] = grp
    w["copy_owner"] = False
    for _, g in w[w.copy_group > 1].groupby(["dientichkm2", "sap_pop"]):
        best = g.rel_diff.idxmin()
        if g.rel_diff[best] <= 0.02 and (g.rel_diff <= 0.02).sum() == 1:
            w.loc[best, "copy_owner"] = True

    def population_decision(r) -> tuple[str, str]:
        if pd.isna(r.sap_pop):
            return "empty", f"scrape gives no number ({r.dansonguoi!r})"
        if r.copy_group > 1 and not r.copy_owner:
            return "withheld", (
                f"homonym copy: the same area and population ({r.dientichkm2} km², {r.sap_pop}) "
                f"appear on {r.copy_group} same-name units in different provinces; this unit's "
                f"published area is {r.fgb_area} km²"
            )
        if pd.isna(r.sap_area) or r.sap_area == 0:
            return "kept", "scrape gives no area: not cross-checked"
        if r.rel_diff > 0.10:
            return "withheld", (
                f"areas disagree by {r.rel_diff:.0%} ({r.sap_area} vs {r.fgb_area} km²): the figures "
                f"may describe another territory"
            )
        if r.copy_group > 1:
            return "kept", f"homonym group of {r.copy_group}; this unit's area matches"
        if r.rel_diff > 0.02:
            return "kept", f"areas differ by {r.rel_diff:.1%} ({r.sap_area} vs {r.fgb_area} km²)"
        return "kept", ""

    dec = w.apply(population_decision, axis=1, result_type="expand")
    w["decision"], w["reason"] = dec[0], dec[1]
    w["population"] = w.sap_pop.where(w.decision == "kept")

    # ---- units table
    u = c.loc[w.fgb_i, ["code", "name", "full_name", "unit_type", "province_code", "province", "area_km2"]].copy()
    u["population"] = pd.array(w.population.to_list(), dtype="Int64")
    u["match"] = w.method.to_numpy()
    u["population_area_km2"] = w.sap_area.to_numpy()  # the area the portal publishes with the population (evidence)
    u = u.sort_values("code").reset_index(drop=True)
    assert len(u) == 3321 and u.code.str.fullmatch(r"\d{5}").all() and u.province_code.str.fullmatch(r"\d{2}").all()
    u.to_csv(f"{a.out}/units_2025.csv", index=False, lineterminator="\n")

    review = w[(w.reason != "")].copy()
    review["code"] = c.loc[review.fgb_i, "code"].to_numpy()
    review["full_name"] = c.loc[review.fgb_i, "full_name"].to_numpy()
    review["province"] = c.loc[review.fgb_i, "province"].to_numpy()
    review = review.rename(
        columns={
            "loai": "scrape_type",
            "tenhc_nfc": "scrape_name",
            "dientichkm2": "scrape_area_km2",
            "dansonguoi": "scrape_population",
            "fgb_area": "area_km2",
        }
    )
    review = review[
        [
            "code",
            "full_name",
            "province",
            "scrape_type",
            "scrape_name",
            "scrape_area_km2",
            "area_km2",
            "scrape_population",
            "decision",
            "reason",
        ]
    ].sort_values("code")
    review.to_csv(f"{a.out}/units_2025_population_review.csv", index=False, lineterminator="\n")

    # ---- provinces table
    wp["area_sap"] = wp.dientichkm2.map(vn_number)
    wp["population"] = wp.dansonguoi.map(lambda s: int(vn_number(s)))
    pr = p[["code", "name", "full_name", "area_km2"]].merge(
        wp[["code", "population", "area_sap", "tentinh"]], on="code", how="left", validate="1:1"
    )
    assert pr.population.notna().all() and len(pr) == 34
    pr = pr.sort_values("code").reset_index(drop=True)
    pr[["code", "name", "full_name", "area_km2", "population"]].to_csv(
        f"{a.out}/provinces_2025.csv", index=False, lineterminator="\n"
    )

    # ---- checks printed
    counts = u.match.value_counts().to_dict()
    print("matched:", counts, "unmatched:", len(unmatched))
    print(
        "population: kept",
        int((w.decision == "kept").sum()),
        "| withheld",
        int((w.decision == "withheld").sum()),
        "| no number in scrape",
        int((w.decision == "empty").sum()),
    )
    print(
        "type from full_name prefix:",
        u.unit_type.value_counts().to_dict(),
        "| scrape loai:",
        w.loai.value_counts().to_dict(),
    )
    bn = u[u.province_code == "24"]
    print("Bắc Ninh (24) units:", len(bn))
    print("provinces: 34 joined; area |diff| > 1 km² between FGB and scrape:")
    for _, r in pr[(pr.area_km2 - pr.area_sap).abs() > 1].iterrows():
        print(f"   {r.code} {r['name']}: {r.area_km2} vs {r.area_sap}")
    psum = u.groupby("province_code").population.sum()
    pr["ward_sum"] = pr.code.map(psum)

    yt = _yen_the_check(S, u)
    vau = _vau_check(a.vau_db, u) if a.vau_db else None
    origin, points = origin_table(S, c, w, official)
    origin[ORIGIN_COLUMNS].to_csv(f"{a.out}/units_2025_origin.csv", index=False, lineterminator="\n")
    print(
        "origin: seats",
        int((origin.seat != "").sum()),
        "| points",
        int((origin.seat_lon != "").sum()),
        "| points withheld",
        int((points.decision == "withheld").sum()) if len(points) else 0,
        "| predecessors",
        int((origin.predecessors != "").sum()),
    )
    _write_sources(a.out, u, w, pr, manual_rows, counts, len(unmatched), yt, vau, bn, origin, points, fixes)


def _yen_the_check(S: str, u: pd.DataFrame) -> list[dict]:
    g = json.load(open(f"{S}/geodata/communes_2025.geojson", encoding="utf-8"))
    gp = {f["properties"]["code"]: f["properties"] for f in g["features"]}
    cw = {}
    with open(f"{S}/facts/crosswalk_2025.csv", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            cw[r["new_gso_code"]] = r
    rows = []
    print("Yên Thế check (units_2025.csv vs communes_2025.geojson vs crosswalk_2025.csv):")
    for code in YEN_THE:
        r = u[u.code == code].iloc[0]
        gpop, garea = gp[code]["population"], gp[code]["area_km2_published"]
        cpop, carea = int(cw[code]["new_population"]), float(cw[code]["new_area_km2"])
        ok = (r.population == gpop == cpop) and (round(r.area_km2, 2) == garea == carea)
        rows.append(
            dict(
                code=code,
                name=r["name"],
                pop=r.population,
                area=r.area_km2,
                gpop=gpop,
                garea=garea,
                cpop=cpop,
                carea=carea,
                ok=ok,
            )
        )
        print(
            f"   {code} {r['name']:<11} pop {r.population} / {gpop} / {cpop}   area {r.area_km2} / {garea} / {carea}"
            f"   {'OK' if ok else 'DIFFERENT'}"
        )
    return rows


def _vau_check(db: str, u: pd.DataFrame) -> dict:
    con = sqlite3.connect(db)
    v = pd.read_sql(
        "select provinceCode, province, wardCode, ward, wardShort, wardType, wardAreaKm2 from admin_units", con
    )
    m = u.merge(v, left_on="code", right_on="wardCode", how="outer", indicator=True)
    both = m[m._merge == "both"]
    res = dict(
        n=len(v),
        codes_only_here=int((m._merge == "left_only").sum()),
        codes_only_vau=int((m._merge == "right_only").sum()),
        province_diff=int((both.province_code != both.provinceCode).sum()),
        name_exact=int((both.name.map(nfc_ws) == both.wardShort.map(nfc_ws)).sum()),
        name_tone=int((both.name.map(apostrophe_key) == both.wardShort.map(apostrophe_key)).sum()),
        type_diff=both[both.unit_type != both.ward.map(unit_type)][["code", "full_name", "ward"]].values.tolist(),
        wardtype_inconsistent=both[both.ward.map(unit_type) != both.wardType.str.lower()][
            ["code", "ward", "wardType"]
        ].values.tolist(),
        area_diff=int(((both.area_km2 - both.wardAreaKm2).abs() > 0.005).sum()),
        code_diff=[
            (x.code, x.full_name, y.wardCode, y.ward)
            for x in m[m._merge == "left_only"].itertuples()
            for y in m[m._merge == "right_only"].itertuples()
            if x.province_code == y.provinceCode
        ],
        name_diff=both[both.name.map(apostrophe_key) != both.wardShort.map(apostrophe_key)][
            ["code", "name", "wardShort"]
        ].values.tolist(),
    )
    print("vietnamadminunits check:", {k: (len(x) if isinstance(x, list) else x) for k, x in res.items()})
    for x in res["name_diff"][:20]:
        print("   name differs:", x)
    for k in ("type_diff", "wardtype_inconsistent", "code_diff"):
        for x in res[k]:
            print(f"   {k}:", x)
    return res


def _fmt_area(x) -> str:
    return "—" if pd.isna(x) else f"{x:g}"


def _write_origin_section(A, origin: pd.DataFrame, points: pd.DataFrame) -> None:
    """SOURCES.md: where units_2025_origin.csv comes from, what was left out and why."""
    n = len(origin)
    seats, pts, preds = (int((origin[col] != "").sum()) for col in ("seat", "seat_lon", "predecessors"))
    unchanged = int((origin.predecessors == "Không sáp nhập").sum())
    remainder = int(origin.predecessors.str.contains("phần còn lại", regex=False).sum())
    withheld = points[points.decision == "withheld"] if len(points) else points
    kept_off = points[points.decision == "kept"] if len(points) else points
    A("## Seats, points and predecessors (`units_2025_origin.csv`)\n")
    A(
        "- **Source**: the same scrape and the same join as the population (every scrape row is placed on one GSO "
        f"code, or the build stops): `tranngocminhhieu/vietnamadminunits:data/raw/sapnhap.bando.com.vn_ward_2025-07-17.csv@{VAU_COMMIT}` "
        "(MIT, © 2025 Tran Ngoc Minh Hieu), a scrape of https://sapnhap.bando.com.vn (Cục Đo đạc, Bản đồ và Thông "
        "tin địa lý Việt Nam) made on 17/7/2025. Columns: `seat` = `trungtamhc` (the stated administrative seat, "
        "as text), `seat_lon`/`seat_lat` = `kinhdo`/`vido` (WGS84 degrees, as published), `predecessors` = "
        "`truocsapnhap` (the units merged into this one, as one text, with the portal's notes such as “(phần còn "
        "lại sau khi sáp nhập vào …)” — the remainder after a part went to another unit)."
    )
    A(
        "- **Kept as published**: surrounding spaces (also no-break spaces) are trimmed; line breaks inside a seat "
        "are kept (some units list several seats, one per line); “Không sáp nhập” (not merged) is kept as the "
        "portal's statement. The portal's “đang cập nhật” (being updated) is no value and is left empty.\n"
    )
    A(
        f"- **Counts**: {n} units; seat stated for **{seats}** (empty for {n - seats}: “đang cập nhật”); point kept "
        f"for **{pts}** (withheld for {n - pts}, below); predecessors for **{preds}** ({unchanged} of them “Không "
        f"sáp nhập”, {remainder} with a “phần còn lại” note)."
    )
    A(
        "- **What the point is**: the portal does not say. It is not necessarily the seat: for the former Yên Thế "
        "communes Bố Hạ and Đồng Kỳ it lies 6.7 and 7.9 km from the stated seats (shared FACTS.md §3b). Show it as "
        "“điểm của đơn vị trên sapnhap.bando.com.vn”, not as a surveyed position of the seat."
    )
    A(
        f"- **Points checked against the unit's polygon** (`../geo/vn_communes_2025.fgb`, in {METRIC_CRS}): a point "
        f"counts as the unit's when it lies in the polygon or within {POINT_TOLERANCE_M} m of it (points are given "
        "to 3–5 decimals, about 100 m; polygons are simplified at 50 m), or when it lies outside every polygon (at "
        "sea) and the unit's own polygon is the nearest (island and coastal units). Otherwise it lies in, or nearer "
        "to, another unit and is **withheld** (empty): it describes another place (several are pairs whose points "
        "are swapped, e.g. Lương Sơn / Sơn Lương in Phú Thọ). The seat text and the predecessors are kept. Nothing "
        "was moved or estimated.\n"
    )
    for title, rows in (
        (f"Points withheld ({len(withheld)})", withheld),
        (f"Points outside the unit's polygon but kept ({len(kept_off)})", kept_off),
    ):
        A(f"**{title}**\n")
        A("| code | unit | published lon, lat | distance outside the unit | the point falls in |")
        A("|---|---|---|---|---|")
        for r in rows.itertuples():
            A(f"| {r.code} | {r.full_name} | {r.lon}, {r.lat} | {r.distance_m:,} m | {r.falls_in} |")
        A("")


def _write_sources(out, u, w, pr, manual_rows, counts, n_unmatched, yt, vau, bn, origin, points, fixes) -> None:
    L = []
    A = L.append
    A("# National 2025 attribute tables — sources, method, checks\n")
    A("Generated by `tools/build_national_units.py` (do not edit by hand; re-run it). Files in this folder:\n")
    A("| file | rows | content |\n|---|---|---|")
    A(
        f"| `units_2025.csv` | {len(u)} | every commune/ward/đặc khu in force from 2025-07-01: `code` (GSO, 5 digits), `name`, "
        "`full_name`, `unit_type`, `province_code` (GSO, 2 digits), `province`, `area_km2` (published), `population`, "
        "`match`, `population_area_km2` (the area the portal publishes with the population: evidence of which "
        "territory the figure describes) |"
    )
    A(f"| `provinces_2025.csv` | {len(pr)} | the 34 provinces: `code`, `name`, `full_name`, `area_km2`, `population` |")
    A(
        f"| `units_2025_population_review.csv` | {int((w.reason != '').sum())} | every unit whose population is empty, "
        "withheld or only weakly checked, with both areas and the reason |"
    )
    A(
        f"| `units_2025_origin.csv` | {len(origin)} | every unit's administrative seat, the portal's point and its "
        "predecessors as published: `code`, `seat`, `seat_lon`, `seat_lat`, `predecessors` (see “Seats, points and "
        "predecessors” below) |\n"
    )
    A("## Sources\n")
    A(
        f"- **Codes, names, full names, provinces, published areas** (`code`, `name`, `full_name`, `province_code`, "
        f"`province`, `area_km2` in both tables): `../geo/vn_communes_2025.fgb` and `../geo/vn_provinces_2025.fgb`, "
        f"built from `thanglequoc/vietnamese-provinces-database:json/geojson/@{FGB_COMMIT}` "
        "(fields `code`, `name`, `fullName`, `areaKm2`; MIT, © 2021 Thang Le Quoc). See `../geo/SOURCES.md`."
    )
    A(
        "- **Population** (and a second area, used only as a check): "
        f"`tranngocminhhieu/vietnamadminunits:data/raw/sapnhap.bando.com.vn_ward_2025-07-17.csv@{VAU_COMMIT}` and "
        "the province table scraped the same day (`sapnhap_provinces_2025-07-17.csv`, copied unchanged from the same "
        "repository's `data/raw/` at the same commit according to the shared FACTS.md, which does not record its "
        "upstream file name), a scrape of "
        "https://sapnhap.bando.com.vn made on 2025-07-17 (fields `tentinh`, `loai`, `tenhc`, `dientichkm2`, `dansonguoi`; "
        "MIT, © 2025 Tran Ngoc Minh Hieu)."
    )
    A(
        f"- **Reference year of the population: unknown.** The portal shows the figures of the 2025 merger dossiers: "
        f"“{POP_YEAR}”. Show it as such; do not label it with a year."
    )
    lower = [f"{r.code} `{r.full_name}`" for r in u.itertuples() if not r.full_name[:1].isupper()]
    A(
        "- `unit_type` comes from the prefix of `full_name` in the GSO-coded layer (written as xã / phường / "
        f"đặc khu; full_name itself is kept as published, including lower-case prefixes: {', '.join(lower) or 'none'}), "
        "**not** from the scrape's `loai`: "
        "the two disagree for 14 units (listed under manual resolutions), and the coded layer is the one the codes "
        "and polygons come from.\n"
    )
    A("## Join method (never on ASCII-folded names)\n")
    A(
        "1. Provinces: the scrape's `tentinh` (e.g. `tỉnh Ninh BÌnh`, `Thủ đô Hà Nội`) without its prefix "
        "(thủ đô / tỉnh / thành phố), NFC, case-folded, tone position ignored → the 34 GSO province names. "
        "All 34 match one to one, in both scrape files."
    )
    A("2. Units, key (province code, unit type, name), three passes:")
    A("   - `exact`: NFC and collapsed whitespace, names equal as written;")
    A(
        "   - `tone_normalised`: equal once the position of the tone mark within each syllable is ignored — each "
        "syllable's tone (huyền, sắc, hỏi, ngã, nặng) is taken out and put at the syllable's end, so `hoà`/`hòa`, "
        "`thuỷ`/`thủy`, `khoẻ`/`khỏe` coincide, while every letter, every vowel diacritic and the tone itself must "
        "still agree (`Đồng` ≠ `Đông`). The names written to the output are always the GSO-coded layer's, unchanged;"
    )
    A(
        "   - `manual`: the explicit table in the script, below. Each entry is asserted to be the only unit of its "
        "province with that name, and both areas are shown."
    )
    A(
        f"3. Result: exact **{counts.get('exact', 0)}**, tone_normalised **{counts.get('tone_normalised', 0)}**, "
        f"manual **{counts.get('manual', 0)}**, unmatched **{n_unmatched}**; one scrape row per code (1:1). "
        "(Keys are unique on both sides within a province and type.)\n"
    )
    A("### Manual resolutions\n")
    A("| code | province | scrape (type, name) | GSO full_name | why | area scrape / published (km²) | note |")
    A("|---|---|---|---|---|---|---|")
    for r in manual_rows:
        why = "apostrophe ’ (U+2019) vs ' (U+0027)" if r["kind"] == "apostrophe" else "unit type differs"
        A(
            f"| {r['code']} | {r['province']} | {r['sap_type']} {r['sap_name']} | {r['gso_full_name']} | {why} | "
            f"{_fmt_area(r['sap_area'])} / {_fmt_area(r['fgb_area'])} | {r['note']} |"
        )
    A(
        "\nThe 4 type differences left: 2 in Cần Thơ and 2 in Hải Phòng, in opposite directions. Công văn 1027/CTK-CSCL "
        "(rows 1066, 1074, 3170, 3171) gives the coded layer's types, so the scrape's `loai` is wrong for these four.\n"
    )
    A("## Corrections from the official list of 01/7/2025\n")
    A(
        "The GSO-coded layer is checked against `official_units_2025-07-01.csv` (`tools/build_official_list.py`: "
        "Công văn 1027/CTK-CSCL of 25/6/2025, via vietnamadminunits 1.0.4 and vietnam-provinces 2025.8.1). Where they "
        "differ, the official list wins, in the tables here **and** in `../geo/vn_communes_2025.fgb` / "
        "`vn_provinces_2025.fgb` (rewritten by this build from the shared layers, geometry unchanged):\n"
    )
    A(
        "| code in the layer | field | layer (vietnamese-provinces-database) | official on 01/7/2025 |\n|---|---|---|---|"
    )
    for code, field, old, new in fixes:
        if field != "province":
            A(f"| {code} | {field} | {old} | {new} |")
    renamed = sorted({(old, new) for _, field, old, new in fixes if field == "province"})
    for old, new in renamed:
        n = sum(1 for f in fixes if f[1] == "province" and f[2] == old)
        A(f"| all {n} units of the province, and the province in `vn_provinces_2025.fgb` | province | {old} | {new} |")
    A(
        "\n- **Ba Chẽ**: Công văn 1027 row 757 and vietnamadminunits give 06970; the layer's 06978 is wrong (the upstream "
        "dataset later fixed it itself)."
    )
    A(
        "- **Ia Mơ** (Gia Lai): the unit is the former Xã Ia Mơ of huyện Chư Prông, not merged (“Không sáp nhập”), "
        "whose code until 30/6/2025 was 23938 (vietnamadminunits, the layer). Công văn 1027 (row 2170) and the statistics "
        "office's list in vietnam-provinces give it **23737** (until 30/6/2025 the code of Xã Ia Mơ Nông, huyện Chư "
        "Păh). The official code is used; the difference is recorded here, not resolved."
    )
    A(
        "- **Đồng Nai**: on 01/7/2025 the province was Tỉnh Đồng Nai and these ten units were xã (Công văn 1027 rows "
        "2476–2549; the scrape agrees). The layer carries a later state (Thành phố Đồng Nai, phường); a later change "
        "belongs to a later edition. Totals as of 01/7/2025: 2,621 xã, 687 phường, 13 đặc khu.\n"
    )
    # population
    kept, wh, em = (int((w.decision == d).sum()) for d in ("kept", "withheld", "empty"))
    A("## Population: what was copied, what was not\n")
    A(
        f"- **{kept}** units have a population, **{wh}** are withheld, **{em}** have none in the source "
        "(`đang cập nhật`, “being updated”). Four scrape values use a thousands comma (`30,509`); they were read as "
        "integers."
    )
    copies = w[(w.decision == "withheld") & w.reason.str.startswith("homonym copy")]
    by_area = w[(w.decision == "withheld") & w.reason.str.startswith("areas disagree")]
    grouped = w[w.copy_group > 1].groupby(["dientichkm2", "sap_pop"])
    mixed = [g for _, g in grouped if g.key_tone.nunique() > 1]
    mixed_text = "; ".join(" / ".join(f"{r.tenhc_nfc} ({r.tentinh})" for r in g.itertuples()) for g in mixed)
    A(
        f"- **What was done with the {wh} withheld values.** (1) **{len(copies)} copies**: the scrape gives some units (mostly namesakes) "
        "in different provinces *the same* area and population (e.g. 207.2 km² and one population for `Xã Tân Tiến` "
        "in five provinces); the units are grouped by that identical (area, population) pair, **not by name**: "
        f"{len(mixed)} groups mix different names ({mixed_text}). "
        f"{int((w.copy_group > 1).sum())} rows are in such groups; in each, at most one member is genuine: it is kept "
        "only if it is the one member whose scrape area agrees (≤ 2 %) with the published area of the GSO-coded "
        f"layer; the others are withheld. (2) **{len(by_area)} area mismatches**: independently, a population is "
        "withheld where the scrape's area and the published area disagree by more than 10 %, since the figures may "
        "then describe another territory (example: Xã Yên Bình, Lào Cai, scrape 9.0 km² and 653,422 people — the "
        "population of the whole province of Điện Biên in the province file). A copy whose areas differ only by "
        "rounding (Xã An Nhơn Tây, Gia Lai: 77.7 km² in the scrape, the Hồ Chí Minh unit's published area) is not "
        "caught here: the plausibility rules flag it (`ktxh_geo/model/plausibility.py`)."
    )
    A(
        "- Every such unit is listed, with both areas and the reason, in `units_2025_population_review.csv`. "
        "A withheld value is not a corrected value: nothing was estimated or filled in."
    )
    A("- Province populations are the province file's own figures (`8.718.000` → 8718000), not sums of wards.\n")
    _write_origin_section(A, origin, points)
    # checks
    A("## Checks (printed by the build)\n")
    A(f"- Bắc Ninh (province 24): **{len(bn)}** units.")
    A(
        "- The five former Yên Thế communes against `geo/communes_2025.geojson` (`population`, `area_km2_published`) "
        "and `facts/crosswalk_2025.csv` (`new_population`, `new_area_km2`):\n"
    )
    A(
        "| code | name | population here / geojson / crosswalk | area here / geojson / crosswalk | |\n|---|---|---|---|---|"
    )
    for r in yt:
        A(
            f"| {r['code']} | {r['name']} | {r['pop']} / {r['gpop']} / {r['cpop']} | {r['area']} / {r['garea']} / "
            f"{r['carea']} | {'equal' if r['ok'] else 'DIFFERENT'} |"
        )
    if vau:
        A(
            f"\n- Independent check against PyPI `vietnamadminunits` 1.0.4 (`data/dataset.db`, table `admin_units`, "
            f"{vau['n']} rows): codes only here {vau['codes_only_here']}, only there {vau['codes_only_vau']}; "
            f"province code differs {vau['province_diff']}; short names equal as written {vau['name_exact']}, equal "
            f"with tone position/apostrophes unified {vau['name_tone']}; unit type differs {len(vau['type_diff'])}; "
            f"area differs by > 0.005 km² {vau['area_diff']} (its `wardAreaKm2` is the same scrape's `dientichkm2`, "
            "homonym copies included, so it is not an independent check of area)."
        )
        for x in vau["code_diff"]:
            A(
                f"  - **code differs**: `{x[1]}` is {x[0]} here (GSO-coded layer) and {x[2]} there (`{x[3]}`). Not "
                "resolved here; the output keeps the coded layer's code, which is also the polygon's."
            )
        for x in vau["name_diff"]:
            A(f"  - name differs: {x[0]} `{x[1]}` here, `{x[2]}` there")
        for x in vau["type_diff"]:
            A(f"  - type differs: {x[0]} `{x[1]}` here, `{x[2]}` there")
        for x in vau["wardtype_inconsistent"]:
            A(f"  - inside the package, {x[0]} `{x[1]}` has `wardType` {x[2]}")
    A("\n## Licence and the credit line to show\n")
    A(
        "Both sources are MIT; the notices are in `../geo/LICENSES.md` and must travel with these files. Wherever a "
        "population or area from these tables is shown or exported (map popups, tables, CSV/Excel exports, slides), "
        "show this line:\n"
    )
    A(f"> {CREDIT}\n")
    A(f"and state the population's reference as: “{POP_YEAR}”.")
    with open(f"{out}/SOURCES.md", "w", encoding="utf-8") as fh:
        fh.write("\n".join(L) + "\n")


if __name__ == "__main__":
    main()
