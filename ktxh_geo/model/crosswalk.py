"""Unit history of Yên Thế: which unit a code or name meant when, its successors and its constituents.

Three editions of units follow one another (see ``editions.py``):

* 2020–2024: 19 units (2 thị trấn, 17 xã);
* 2025-H1 (01/01–30/6/2025): 17 units, after NQ 1191/NQ-UBTVQH15 merged Tam Hiệp into Tân Hiệp (which took
  code 07261, Tam Hiệp's old code; Tân Hiệp's 07276 was retired) and Hồng Kỳ into Đồng Kỳ (keeps 07282);
* 2025 (from 01/7/2025): 5 xã of Bắc Ninh province (NQ 1658/NQ-UBTVQH15, Điều 1, items 51–55).

Every merge is of whole units, so each unit of any edition is a set of 2020–2024 units ("members"). A code
alone is ambiguous (07261 = Tam Hiệp until 31/12/2024, the merged Tân Hiệp afterwards), so lookups take an
optional date. Only units of the former district are known: homonyms elsewhere (Đồng Tiến of Hiệp Hòa,
07816; Hồng Kỳ of Sóc Sơn) are never matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import pandas as pd

from ktxh_geo.io.shipped import load_crosswalk, load_units
from ktxh_geo.model.editions import EDITIONS, base_edition
from ktxh_geo.model.search import VARIANTS
from ktxh_geo.text import fold, fold_name

NQ_1191 = "NQ 1191/NQ-UBTVQH15 ngày 28/9/2024 (hiệu lực 01/01/2025)"
NQ_1658 = "NQ 1658/NQ-UBTVQH15 ngày 16/6/2025 (chính quyền mới hoạt động từ 01/7/2025)"
# Words that place a query inside the former district; any other qualifier means "somewhere else".
_OWN_AREA = ("yen the", "bac giang", "bac ninh")


@dataclass(frozen=True)
class UnitVersion:
    """One unit with a fixed extent: a code, a name and the period it had that extent."""

    code: str
    name: str
    full_name: str
    unit_type: str  # "xã" or "thị trấn"
    valid_from: date
    valid_to: date | None  # None: still in force
    members: tuple[str, ...]  # 2020–2024 unit codes making up this unit
    legal_basis: str = ""
    nq1658_item: str = ""

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    @property
    def editions(self) -> tuple[str, ...]:
        """Editions in which this unit appears (an unchanged unit is in 2020–2024 and 2025-H1)."""
        return tuple(e.id for e in EDITIONS.values() if self.valid_on(e.valid_from))

    @property
    def period(self) -> str:
        end = self.valid_to.strftime("%d/%m/%Y") if self.valid_to else "nay"
        return f"{self.valid_from.strftime('%d/%m/%Y')} – {end}"


@dataclass(frozen=True)
class Lineage:
    """A 2020–2024 unit, the 2025-H1 unit containing it and the 2025 commune containing it."""

    old: UnitVersion
    h1: UnitVersion
    new: UnitVersion


def _day(text: str) -> date | None:
    text = (text or "").strip()
    return date.fromisoformat(text[:10]) if re.match(r"\d{4}-\d{2}-\d{2}", text) else None


def _unit_type(type_text: str) -> str:
    return "thị trấn" if fold(type_text) == "thi tran" else "xã"


def build_versions(units: pd.DataFrame, crosswalk: pd.DataFrame) -> tuple[UnitVersion, ...]:
    """All unit versions from data/units.csv (19 + 2 interim rows) and data/crosswalk_2025.csv (5 communes)."""
    base_end = EDITIONS[base_edition()].valid_to
    h1_end = EDITIONS["2025-h1"].valid_to
    interim = units[units["valid_from"].str.startswith("2025-01-01")]
    base = units[~units.index.isin(interim.index)]
    changed = set()  # 2020–2024 units whose extent ended on 31/12/2024
    h1_members: dict[str, list[str]] = {}
    for row in crosswalk.itertuples():
        h1_members.setdefault(row.code_on_2025_06_30, []).append(row.old_gso_code)
    for code in interim["gso_code"]:
        changed |= set(h1_members[code])

    versions: list[UnitVersion] = []
    for row in base.itertuples():
        ends = row.gso_code in changed
        versions.append(
            UnitVersion(
                code=row.gso_code,
                name=row.name,
                full_name=row.name_full,
                unit_type=_unit_type(row.type),
                valid_from=_day(row.valid_from),
                valid_to=base_end if ends else (_day(row.valid_to) or h1_end),
                members=(row.gso_code,),
                legal_basis="NQ 813/NQ-UBTVQH14 ngày 21/11/2019 (hiệu lực 01/01/2020)",
                nq1658_item=row.nq1658_item,
            )
        )
    for row in interim.itertuples():
        versions.append(
            UnitVersion(
                code=row.gso_code,
                name=row.name,
                full_name=row.name_full,
                unit_type=_unit_type(row.type),
                valid_from=_day(row.valid_from),
                valid_to=_day(row.valid_to),
                members=tuple(sorted(h1_members[row.gso_code])),
                legal_basis=NQ_1191,
                nq1658_item=row.nq1658_item,
            )
        )
    for code, group in crosswalk.groupby("new_gso_code", sort=True):
        first = group.iloc[0]
        versions.append(
            UnitVersion(
                code=code,
                name=re.sub(r"^Xã\s+", "", first["new_name"]),
                full_name=first["new_name"],
                unit_type=_unit_type(first["new_type"]),
                valid_from=EDITIONS["2025"].valid_from,
                valid_to=None,
                members=tuple(sorted(group["old_gso_code"])),
                legal_basis=f"{NQ_1658}, Điều 1, mục {first['nq1658_item']}",
                nq1658_item=first["nq1658_item"],
            )
        )
    return tuple(versions)


@lru_cache(maxsize=1)
def versions() -> tuple[UnitVersion, ...]:
    """Unit versions of the shipped tables (cached: the files do not change while the app runs)."""
    return build_versions(load_units(), load_crosswalk())


def edition_units(edition: str, all_versions: tuple[UnitVersion, ...] | None = None) -> list[UnitVersion]:
    """The units of one edition, sorted by code."""
    day = EDITIONS[edition].valid_from
    return sorted((v for v in all_versions or versions() if v.valid_on(day)), key=lambda v: v.code)


def members_of(edition: str, all_versions: tuple[UnitVersion, ...] | None = None) -> dict[str, tuple[str, ...]]:
    """Code of each unit of ``edition`` → the 2020–2024 codes it is made of (nesting used for aggregation)."""
    return {v.code: v.members for v in edition_units(edition, all_versions)}


def container(old_code: str, edition: str, all_versions: tuple[UnitVersion, ...] | None = None) -> UnitVersion:
    """The unit of ``edition`` that contains the 2020–2024 unit ``old_code``."""
    for v in edition_units(edition, all_versions):
        if old_code in v.members:
            return v
    raise KeyError(f"{old_code!r} is not a 2020–2024 unit of huyện Yên Thế")


def _split_qualifier(query: str) -> tuple[str, str]:
    """ "Hồng Kỳ (Sóc Sơn)" / "Đồng Tiến, Hiệp Hòa" → (name, qualifier)."""
    parts = re.split(r"[,(\-–]", query, maxsplit=1)
    name = parts[0]
    rest = parts[1] if len(parts) > 1 else ""
    return name.strip(), rest.replace(")", " ").strip()


def _aliases(v: UnitVersion) -> set[str]:
    names = {fold_name(v.name), fold_name(v.full_name)}
    if v.members == (v.code,):
        names |= {fold_name(a) for a in VARIANTS.get(v.code, [])}
    return names


def lookup(
    query: str, on: date | None = None, all_versions: tuple[UnitVersion, ...] | None = None
) -> list[UnitVersion]:
    """Units a code or name (accent-insensitive) denotes, optionally only those in force ``on`` a day.

    "07261" → Tam Hiệp (2020–2024) and the merged Tân Hiệp (2025-H1); with ``on=date(2025, 3, 1)`` only the
    latter. "tan hiep" → Tân Hiệp 07276 (2020–2024) and Tân Hiệp 07261 (2025-H1). A code or a name of another
    district ("07816", "Hồng Kỳ (Sóc Sơn)") finds nothing.
    """
    all_versions = all_versions or versions()
    text = (query or "").strip()
    if not text:
        return []
    if re.fullmatch(r"\d{5}", text):
        found = [v for v in all_versions if v.code == text]
    else:
        name, qualifier = _split_qualifier(text)
        if qualifier and not any(area in fold(qualifier) for area in _OWN_AREA):
            return []
        q = fold_name(name)
        found = [v for v in all_versions if q and q in _aliases(v)]
    if on is not None:
        found = [v for v in found if v.valid_on(on)]
    return sorted(found, key=lambda v: (v.valid_from, v.code))


def successors(
    query: str, on: date | None = None, all_versions: tuple[UnitVersion, ...] | None = None
) -> list[Lineage]:
    """For each 2020–2024 unit a query denotes (or contains), its 2025-H1 unit and its 2025 commune.

    Looking up a 2025-H1 unit or a 2025 commune returns the lineages of all its constituents.
    """
    all_versions = all_versions or versions()
    old_codes: list[str] = []
    for v in lookup(query, on, all_versions):
        old_codes += [c for c in v.members if c not in old_codes]
    return [lineage(c, all_versions) for c in old_codes]


def lineage(old_code: str, all_versions: tuple[UnitVersion, ...] | None = None) -> Lineage:
    """The chain old unit → 2025-H1 unit → 2025 commune for one 2020–2024 code."""
    all_versions = all_versions or versions()
    old = container(old_code, base_edition(), all_versions)
    return Lineage(old, container(old_code, "2025-h1", all_versions), container(old_code, "2025", all_versions))


def predecessors(code: str, edition: str, all_versions: tuple[UnitVersion, ...] | None = None) -> list[UnitVersion]:
    """The 2020–2024 units that make up unit ``code`` of ``edition`` (empty if no such unit)."""
    all_versions = all_versions or versions()
    by_code = {v.code: v for v in edition_units(edition, all_versions)}
    if code not in by_code:
        return []
    return [container(c, base_edition(), all_versions) for c in by_code[code].members]


def history_table(all_versions: tuple[UnitVersion, ...] | None = None) -> pd.DataFrame:
    """One row per 2020–2024 unit: its codes, names, periods and legal basis in the three editions."""
    rows = []
    for old in edition_units(base_edition(), all_versions):
        chain = lineage(old.code, all_versions)
        rows.append(
            {
                "old_code": old.code,
                "old_name": old.full_name,
                "old_period": old.period,
                "h1_code": chain.h1.code,
                "h1_name": chain.h1.full_name,
                "h1_period": chain.h1.period,
                "h1_basis": chain.h1.legal_basis if chain.h1.members != (old.code,) else "không đổi",
                "new_code": chain.new.code,
                "new_name": chain.new.full_name,
                "new_from": chain.new.valid_from.strftime("%d/%m/%Y"),
                "new_basis": chain.new.legal_basis,
                "nq1658_item": chain.new.nq1658_item,
            }
        )
    return pd.DataFrame(rows)
