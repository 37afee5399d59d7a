"""Unit history of the active locality: which unit a code or name meant when, its successors and constituents.

Up to three editions of units follow one another (the profile's ``base_edition``, ``interim_edition`` and
``reform_edition``; see ``editions.py``): the base edition's units, listed in data/units.csv; the interim
edition, whose changed units (rows of units.csv starting on the interim edition's first day) are mergers of
base units; and the reform edition, whose units data/crosswalk_2025.csv builds from base units. The legal
basis of each edition is the profile's ``legal`` (``base``, ``interim``, ``reform``).

Every merge is of whole units, so each unit of any edition is a set of base-edition units ("members"). A code
alone can be ambiguous (a code reused by a merged unit means the old unit before the merger and the merged
unit after), so lookups take an optional date. Only the area's own units are known: homonyms elsewhere are
never matched. A profile with no unit list (no data/units.csv) has no history: every function returns empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import pandas as pd

from ktxh_geo.io.shipped import load_crosswalk, load_units
from ktxh_geo.model.gazetteer import area_key, match_key, unit_aliases
from ktxh_geo.text import fold, format_date_vn
from ktxh_geo.vocab.editions import EDITIONS, base_edition
from ktxh_geo.vocab.profile import active

# Former module constants, now the active profile's legal texts (read as ``crosswalk.<name>``).
_LEGAL_ALIASES = {"NQ_1191": "interim", "NQ_1658": "reform"}


def __getattr__(name: str) -> str:
    if name in _LEGAL_ALIASES:
        return legal_text(_LEGAL_ALIASES[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def legal_text(key: str) -> str:
    """The legal basis of an edition of the active profile: ``key`` is "base", "interim" or "reform"."""
    return active().legal.get(key, "")


def _own_area_words() -> tuple[str, ...]:
    """Folded words placing a name query inside the area: the profile's ``own_area_words`` and its name."""
    return tuple(w for w in (*active().own_area_words, area_key()) if w)


@dataclass(frozen=True)
class UnitVersion:
    """One unit with a fixed extent: a code, a name and the period it had that extent."""

    code: str
    name: str
    full_name: str
    unit_type: str  # "xã" or "thị trấn"
    valid_from: date
    valid_to: date | None  # None: still in force
    members: tuple[str, ...]  # base-edition unit codes making up this unit
    legal_basis: str = ""
    nq1658_item: str = ""

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    @property
    def editions(self) -> tuple[str, ...]:
        """Editions in which this unit appears (a unit unchanged by the interim mergers is in two)."""
        return tuple(e.id for e in EDITIONS.values() if self.valid_on(e.valid_from))

    @property
    def period(self) -> str:
        end = format_date_vn(self.valid_to) if self.valid_to else "nay"
        return f"{format_date_vn(self.valid_from)} – {end}"


@dataclass(frozen=True)
class Lineage:
    """A base-edition unit, the interim-edition unit containing it and the reform-edition unit containing it.

    A profile with no interim edition has ``h1`` = ``old``.
    """

    old: UnitVersion
    h1: UnitVersion
    new: UnitVersion


def _day(text: str) -> date | None:
    text = (text or "").strip()
    return date.fromisoformat(text[:10]) if re.match(r"\d{4}-\d{2}-\d{2}", text) else None


def _unit_type(type_text: str) -> str:
    return "thị trấn" if fold(type_text) == "thi tran" else "xã"


def _edition_start(edition_id: str) -> date | None:
    return EDITIONS[edition_id].valid_from if edition_id in EDITIONS else None


def _edition_end(edition_id: str) -> date | None:
    return EDITIONS[edition_id].valid_to if edition_id in EDITIONS else None


def build_versions(units: pd.DataFrame, crosswalk: pd.DataFrame) -> tuple[UnitVersion, ...]:
    """All unit versions from data/units.csv (base and interim rows) and data/crosswalk_2025.csv (reform units).

    Empty for a profile with no unit list.
    """
    if units.empty:
        return ()
    profile = active()
    base_end = EDITIONS[base_edition()].valid_to
    interim_from = _edition_start(profile.interim_edition)
    reform_from = _edition_start(profile.reform_edition)
    # a base unit with no end date lasts until the interim edition ends, else until the reform
    last_day = _edition_end(profile.interim_edition) or (reform_from - timedelta(days=1) if reform_from else None)
    is_interim = units["valid_from"].map(lambda text: interim_from is not None and _day(text) == interim_from)
    interim = units[is_interim]
    base = units[~is_interim]
    changed = set()  # base units whose extent ended with the base edition
    h1_members: dict[str, list[str]] = {}
    for row in crosswalk.itertuples():
        h1_members.setdefault(row.code_on_2025_06_30, []).append(row.old_gso_code)
    for code in interim["gso_code"]:
        changed |= set(h1_members.get(code, [code]))

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
                valid_to=base_end if ends else (_day(row.valid_to) or last_day),
                members=(row.gso_code,),
                legal_basis=legal_text("base"),
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
                members=tuple(sorted(h1_members.get(row.gso_code, [row.gso_code]))),
                legal_basis=legal_text("interim"),
                nq1658_item=row.nq1658_item,
            )
        )
    if reform_from is None:
        return tuple(versions)
    for code, group in crosswalk.groupby("new_gso_code", sort=True):
        first = group.iloc[0]
        item = first["nq1658_item"]
        basis = legal_text("reform")
        versions.append(
            UnitVersion(
                code=code,
                name=re.sub(r"^Xã\s+", "", first["new_name"]),
                full_name=first["new_name"],
                unit_type=_unit_type(first["new_type"]),
                valid_from=reform_from,
                valid_to=None,
                members=tuple(sorted(group["old_gso_code"])),
                legal_basis=f"{basis}, Điều 1, mục {item}" if item else basis,
                nq1658_item=item,
            )
        )
    return tuple(versions)


def versions() -> tuple[UnitVersion, ...]:
    """Unit versions of the active profile's shipped tables (cached per profile: the files do not change)."""
    profile = active()
    return _versions(profile.id, profile.data_dir)


@lru_cache(maxsize=8)
def _versions(profile_id: str, data: Path) -> tuple[UnitVersion, ...]:
    crosswalk = load_crosswalk(data)
    if crosswalk.empty:  # a unit list for matching names only (a province, the country): no history to tell
        return ()
    return build_versions(load_units(data), crosswalk)


def edition_units(edition: str, all_versions: tuple[UnitVersion, ...] | None = None) -> list[UnitVersion]:
    """The units of one edition, sorted by code."""
    day = EDITIONS[edition].valid_from
    return sorted((v for v in all_versions or versions() if v.valid_on(day)), key=lambda v: v.code)


def members_of(edition: str, all_versions: tuple[UnitVersion, ...] | None = None) -> dict[str, tuple[str, ...]]:
    """Code of each unit of ``edition`` → the base-edition codes it is made of (nesting used for aggregation)."""
    return {v.code: v.members for v in edition_units(edition, all_versions)}


def container(old_code: str, edition: str, all_versions: tuple[UnitVersion, ...] | None = None) -> UnitVersion:
    """The unit of ``edition`` that contains the base-edition unit ``old_code``."""
    for v in edition_units(edition, all_versions):
        if old_code in v.members:
            return v
    base = EDITIONS[base_edition()].short
    raise KeyError(f"{old_code!r} is not a {base} unit of {active().area_name}")


def _split_qualifier(query: str) -> tuple[str, str]:
    """ "<name> (<place>)" / "<name>, <place>" → (name, qualifier)."""
    parts = re.split(r"[,(\-–]", query, maxsplit=1)
    name = parts[0]
    rest = parts[1] if len(parts) > 1 else ""
    return name.strip(), rest.replace(")", " ").strip()


def _aliases(v: UnitVersion) -> set[str]:
    """Keys of a unit version's names; the variants of a code only on the unit that code named unchanged."""
    return {match_key(a) for _, a in unit_aliases(v.code, v.name, v.full_name, with_variants=v.members == (v.code,))}


def lookup(
    query: str, on: date | None = None, all_versions: tuple[UnitVersion, ...] | None = None
) -> list[UnitVersion]:
    """Units a code or name (accent-insensitive) denotes, optionally only those in force ``on`` a day.

    A code reused by a merged unit finds the old unit and the merged one; with ``on`` only the one in force
    that day. A name finds every unit that bore it (the old unit and a merged unit that kept the name). A code
    or a name of another area ("<name> (<another district>)") finds nothing.
    """
    all_versions = all_versions or versions()
    text = (query or "").strip()
    if not text:
        return []
    if re.fullmatch(r"\d{5}", text):
        found = [v for v in all_versions if v.code == text]
    else:
        name, qualifier = _split_qualifier(text)
        if qualifier and not any(area in fold(qualifier) for area in _own_area_words()):
            return []
        q = match_key(name)
        found = [v for v in all_versions if q and q in _aliases(v)]
    if on is not None:
        found = [v for v in found if v.valid_on(on)]
    return sorted(found, key=lambda v: (v.valid_from, v.code))


def successors(
    query: str, on: date | None = None, all_versions: tuple[UnitVersion, ...] | None = None
) -> list[Lineage]:
    """For each base-edition unit a query denotes (or contains), its interim unit and its reform unit.

    Looking up an interim or a reform unit returns the lineages of all its constituents.
    """
    all_versions = all_versions or versions()
    old_codes: list[str] = []
    for v in lookup(query, on, all_versions):
        old_codes += [c for c in v.members if c not in old_codes]
    return [lineage(c, all_versions) for c in old_codes]


def lineage(old_code: str, all_versions: tuple[UnitVersion, ...] | None = None) -> Lineage:
    """The chain old unit → interim unit → reform unit for one base-edition code (``KeyError`` if unknown)."""
    all_versions = all_versions or versions()
    profile = active()
    old = container(old_code, base_edition(), all_versions)
    h1 = container(old_code, profile.interim_edition, all_versions) if profile.interim_edition else old
    new = container(old_code, profile.reform_edition, all_versions) if profile.reform_edition else h1
    return Lineage(old, h1, new)


def predecessors(code: str, edition: str, all_versions: tuple[UnitVersion, ...] | None = None) -> list[UnitVersion]:
    """The base-edition units that make up unit ``code`` of ``edition`` (empty if no such unit)."""
    all_versions = all_versions or versions()
    by_code = {v.code: v for v in edition_units(edition, all_versions)}
    if code not in by_code:
        return []
    return [container(c, base_edition(), all_versions) for c in by_code[code].members]


HISTORY_COLUMNS = [
    "old_code",
    "old_name",
    "old_period",
    "h1_code",
    "h1_name",
    "h1_period",
    "h1_basis",
    "new_code",
    "new_name",
    "new_from",
    "new_basis",
    "nq1658_item",
]


def history_table(all_versions: tuple[UnitVersion, ...] | None = None) -> pd.DataFrame:
    """One row per base-edition unit: its codes, names, periods and legal basis in each edition (empty: none)."""
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
                "new_from": format_date_vn(chain.new.valid_from),
                "new_basis": chain.new.legal_basis,
                "nq1658_item": chain.new.nq1658_item,
            }
        )
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


# ---- units from 01/7/2025 of a province or the country: predecessors and seat as published (no history table) ----

ORIGIN_HEADERS = {
    "code": "Mã",
    "full_name": "Đơn vị",
    "province": "Tỉnh, thành phố",
    "predecessors": "Gồm các đơn vị trước sắp xếp",
    "seat": "Trụ sở (theo công bố)",
}


def _predecessor_names(text: str) -> list[str]:
    """The unit names of a published predecessors text, notes in brackets left out: "Xã A, Xã B (phần còn lại …)"."""
    return [n.strip() for n in re.sub(r"\([^)]*\)", "", text or "").split(",") if n.strip()]


def origin_table(units: pd.DataFrame, origin: pd.DataFrame) -> pd.DataFrame:
    """Each unit (``code``, ``full_name``[, ``province``]) with its predecessors and seat as published."""
    columns = ["code", "full_name", *(["province"] if "province" in units.columns else [])]
    table = units[columns].merge(origin[["code", "predecessors", "seat"]], on="code", how="left")
    return table.fillna({"predecessors": "", "seat": ""})


def find_origins(table: pd.DataFrame, query: str) -> pd.DataFrame:
    """Rows of ``origin_table`` a name or code denotes: the unit itself, or a unit merged into it ("Quán Thánh")."""
    text = (query or "").strip()
    if re.fullmatch(r"\d{5}", text):
        return table[table["code"] == text]
    key = match_key(text)
    if not key:
        return table.iloc[0:0]

    def hit(name: str, predecessors: str) -> bool:
        keys = [match_key(name), *(match_key(n) for n in _predecessor_names(predecessors))]
        return any(k == key or k.startswith(key + " ") for k in keys)

    return table[[hit(n, p) for n, p in zip(table["full_name"], table["predecessors"], strict=True)]]
