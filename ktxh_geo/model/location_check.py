"""Location check: does each object's geometry lie in the commune(s) the register declares?

A spatial join of every part of an object's geometry to the base edition's communes. Rules (deterministic):

- a point lying exactly on a shared boundary is *in both* communes (``covers``), so it is not a mismatch
  when either of them is declared;
- a line or polygon part is in the communes whose interior it crosses (touching a boundary does not count);
- a part in none of the communes and not covered by the area's outline is *outside the area*;
- a part whose communes do not include any declared commune is a *mismatch*.

Every object that needs attention gets one row with all its reasons in Vietnamese (the "Cần kiểm tra" list).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from ktxh_geo.model.projects import commune_codes
from ktxh_geo.text import format_number
from ktxh_geo.vocab.profile import active

KINDS = {
    "outside": "Ngoài địa bàn",  # shown as "Ngoài <area_word>" ("Ngoài huyện", "Ngoài tỉnh"): kind_label()
    "mismatch": "Sai xã",
    "no_location": "Chưa có vị trí",
    "approximate": "Vị trí gần đúng",
}
KIND_ORDER = list(KINDS)
COLUMNS = ["id", "name", "kind", "kind_label", "reason", "declared", "found"]


@dataclass(frozen=True)
class PartHit:
    """Communes one geometry part falls in (codes), and whether the area's outline covers it."""

    codes: tuple[str, ...]
    in_district: bool


def kind_label(kind: str) -> str:
    """Vietnamese label of a kind of finding; "outside" names the kind of area of the active profile."""
    word = active().area_word
    return f"Ngoài {word}" if kind == "outside" and word else KINDS[kind]


def communes_of_part(part: BaseGeometry, communes: gpd.GeoDataFrame, district: BaseGeometry) -> PartHit:
    """Communes a single part lies in (boundary points count in every commune sharing the boundary)."""
    if part.geom_type == "Point":
        mask = communes.geometry.covers(part)
    else:
        mask = communes.geometry.relate_pattern(part, "T********")
    codes = tuple(sorted(communes.loc[mask, "code"]))
    return PartHit(codes, bool(district.covers(part)))


def _names(codes, names: dict[str, str]) -> str:
    return ", ".join(f"{names.get(c, c)} ({c})" for c in codes)


def _km(metres: float) -> str:
    return f"{format_number(metres / 1000, 2)} km" if metres >= 1000 else f"{format_number(metres, 0)} m"


def check_object(
    row, communes: gpd.GeoDataFrame, district: BaseGeometry, names: dict[str, str]
) -> tuple[str, list[str], list[str]] | None:
    """(worst kind, reasons, found codes) for one register row, or None when nothing needs checking."""
    declared = commune_codes(row["commune_codes"])
    geom = row["geometry"]
    reasons: list[tuple[str, str]] = []
    found: list[str] = []
    if geom is None or geom.is_empty:
        if declared:
            text = f"Chưa có vị trí trên bản đồ (đã khai báo {_names(declared, names)})"
        else:
            text = "Chưa có vị trí: danh mục không ghi xã và chưa có tọa độ"
        return "no_location", [text], []
    for part in shapely.get_parts(geom):
        hit = communes_of_part(part, communes, district)
        found += [c for c in hit.codes if c not in found]
        profile = active()
        if not hit.codes and not hit.in_district:
            dist = (
                gpd.GeoSeries([part], crs="EPSG:4326")
                .to_crs(profile.metric_crs)
                .distance(gpd.GeoSeries([district], crs="EPSG:4326").to_crs(profile.metric_crs))[0]
            )
            where = f"ranh giới {profile.area_word}".strip()
            reasons.append(("outside", f"Nằm ngoài {profile.area_name} (cách {where} {_km(dist)})"))
        elif not hit.in_district:
            reasons.append(("outside", f"Một phần nằm ngoài {profile.area_name}"))
        if hit.codes and declared and not set(hit.codes) & set(declared):
            reasons.append(
                ("mismatch", f"Vị trí nằm ở {_names(hit.codes, names)}, danh mục ghi {_names(declared, names)}")
            )
        elif hit.codes and not declared:
            reasons.append(("mismatch", f"Danh mục chưa ghi xã; vị trí nằm ở {_names(hit.codes, names)}"))
    precision = row["location_precision"]
    if precision in ("approximate", "commune"):
        where = _names(declared, names) if declared else "chưa rõ xã"
        if precision == "commune":
            reasons.append(("approximate", f"Vị trí gần đúng: chỉ biết xã ({where}); điểm đặt tạm trong phạm vi xã"))
        else:
            reasons.append(("approximate", f"Vị trí gần đúng ({where}); cần tọa độ chính xác"))
    elif precision == "unknown":
        reasons.append(("approximate", "Chưa rõ độ chính xác của vị trí"))
    if not reasons:
        return None
    unique = list(dict.fromkeys(text for _, text in reasons))
    worst = min((kind for kind, _ in reasons), key=KIND_ORDER.index)
    return worst, unique, found


def check_locations(projects: gpd.GeoDataFrame, communes: gpd.GeoDataFrame, outline: gpd.GeoDataFrame) -> pd.DataFrame:
    """The "Cần kiểm tra" list: one row per object needing attention, worst first, then register order."""
    communes = communes.to_crs("EPSG:4326")
    district = outline.to_crs("EPSG:4326").union_all()
    names = dict(zip(communes["code"], communes["full_name"], strict=True))
    rows = []
    for order, row in enumerate(projects.to_crs("EPSG:4326").to_dict("records")):
        result = check_object(row, communes, district, names)
        if result is None:
            continue
        kind, reasons, found = result
        rows.append(
            {
                "id": row["id"],
                "name": row["name"],
                "kind": kind,
                "kind_label": kind_label(kind),
                "reason": "; ".join(reasons),
                "declared": ";".join(commune_codes(row["commune_codes"])),
                "found": ";".join(found),
                "_order": (KIND_ORDER.index(kind), order),
            }
        )
    out = pd.DataFrame(rows, columns=COLUMNS + ["_order"])
    return out.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


def format_text(report: pd.DataFrame) -> str:
    """One line per object: "id, name, reason"."""
    return "".join(f"{r.id}, {r.name}, {r.reason}\n" for r in report.itertuples())


def format_csv(report: pd.DataFrame) -> str:
    """CSV (UTF-8) with id, name, kind, reason, declared and found communes."""
    buf = io.StringIO()
    report[["id", "name", "kind", "reason", "declared", "found"]].to_csv(
        buf, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n"
    )
    return buf.getvalue()
