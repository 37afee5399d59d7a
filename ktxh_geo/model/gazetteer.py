"""One gazetteer: how a unit name someone typed becomes GSO codes — for search, the unit history and import.

One matching key (``match_key``): folded (no diacritics, đ → d, lower case), punctuation read as spaces, and one
leading unit prefix dropped ("xã", "x.", "phường", "P.", "thị trấn", "TT", "đặc khu"). One alias builder
(``unit_aliases``): a unit's name, its full name and the spellings the locality profile lists for it
(``name_variants``). One index (``NameIndex``) from aliases to codes. Folding is only used to *find*; what comes
back is always a code of the units searched.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import pandas as pd

from ktxh_geo.model.datasets import units_in_year, validity_text
from ktxh_geo.text import fold
from ktxh_geo.vocab.profile import active

_PUNCTUATION = re.compile(r"[.,;:_\-–—/()]+")
# Unit prefixes of commune-level names, longest first ("thi tran" before "tt", "phuong" before "p").
_UNIT_PREFIX = re.compile(r"^(?:thi tran|dac khu|phuong|xa|tt|x|p)\s+")


def match_key(text: object) -> str:
    """Matching key of a unit name: "TT. Tân Lập" → "tan lap", "P. Vũ Ninh" → "vu ninh", "xã  Tân Lập" → "tan lap"."""
    folded = fold(_PUNCTUATION.sub(" ", fold(text)))
    return _UNIT_PREFIX.sub("", folded).strip()


def area_key(profile=None) -> str:
    """The locality's own name as a key, without its area word: "huyện Tân Lập" → "tan lap"."""
    profile = profile or active()
    name, word = fold(profile.area_name), fold(profile.area_word)
    return name.removeprefix(word + " ").strip() if word else name


def variants(code: str) -> tuple[str, ...]:
    """Spellings of unit ``code`` found in sources that are not its official name (profile ``name_variants``)."""
    return tuple(active().name_variants.get(code, ()))


def unit_aliases(code: str, name: str, full_name: str, with_variants: bool = True) -> list[tuple[str, str]]:
    """(code, alias) pairs of one unit: its name, its full name and (by default) its known variant spellings."""
    names = [name, full_name, *(variants(code) if with_variants else ())]
    return [(code, str(n)) for n in names if n and str(n).strip()]


@dataclass(frozen=True)
class Alias:
    """One name a unit is known by: the text as written and its matching key."""

    code: str
    text: str
    key: str


class NameIndex:
    """Aliases → codes, built once from (code, alias) pairs."""

    def __init__(self, pairs: Iterable[tuple[str, str]]):
        self.aliases: tuple[Alias, ...] = tuple(Alias(c, t, match_key(t)) for c, t in dict.fromkeys(pairs))
        by_key: dict[str, set[str]] = {}
        for alias in self.aliases:
            if alias.key:
                by_key.setdefault(alias.key, set()).add(alias.code)
        self.by_key: dict[str, set[str]] = by_key

    @classmethod
    def of_units(cls, units: pd.DataFrame, code: str = "code", name: str = "name", full: str = "full_name"):
        """The index of a unit table (a layer's ``code/name/full_name`` or data/units.csv's columns)."""
        return cls(
            pair
            for c, n, f in zip(units[code], units[name], units[full], strict=True)
            for pair in unit_aliases(str(c), n, f)
        )

    def codes(self, key: str) -> set[str]:
        """Codes whose alias has exactly this key."""
        return self.by_key.get(key, set())

    def starting(self, key: str) -> set[str]:
        """Codes with an alias that starts with the whole words of ``key`` ("tan" → Tân An, Tân Lập …)."""
        return {c for k, cs in self.by_key.items() if key and k.startswith(key + " ") for c in cs}

    def close(self, key: str, n: int = 3) -> list[str]:
        """Keys spelled like ``key`` (typing mistakes), best first."""
        return difflib.get_close_matches(key, list(self.by_key), n=n, cutoff=0.6) if len(key) <= 100 else []


@dataclass
class NameMatch:
    """How one row's commune cell was resolved (import)."""

    row: int
    text: str
    code: str | None
    status: str  # "code", "name", "manual", "unmatched", "ambiguous", "not_in_year", "other_scope", "skipped"
    suggestions: list[tuple[str, str]] = field(default_factory=list)  # (code, full name)


@dataclass(frozen=True)
class Gazetteer:
    """Unit names of one year → codes (import), plus every other name the unit list knows (for clear messages)."""

    year: int
    valid: pd.DataFrame  # units of the year (gso_code, name_full, name, type, valid_from, valid_to)
    all_units: pd.DataFrame

    @classmethod
    def build(cls, units: pd.DataFrame, year: int, country: pd.DataFrame | None = None) -> Gazetteer:
        """Names of ``units`` (the scope: a district, or one province of the country) in ``year``; ``country``
        (all units) lets a name or code from outside the scope be reported as such, never matched silently."""
        return cls(year, units_in_year(units, year), units if country is None else country)

    @cached_property
    def _in_year_elsewhere(self) -> frozenset[str]:
        """Codes in force in the year outside the scope (empty when the scope is the whole unit list)."""
        anywhere = set(units_in_year(self.all_units, self.year)["gso_code"])
        return frozenset(anywhere - self._valid_codes) if len(self.all_units) > len(self.valid) else frozenset()

    def _where(self, r) -> str:
        province = getattr(r, "province", "") or ""
        return f"{r.name_full}, {province}" if province else r.name_full

    def full_name(self, code: str) -> str:
        return self._full_names.get(code, code)

    @cached_property
    def _full_names(self) -> dict[str, str]:
        return dict(zip(self.valid["gso_code"], self.valid["name_full"], strict=True))

    @cached_property
    def _valid_codes(self) -> frozenset[str]:
        return frozenset(self.valid["gso_code"])

    def _build_aliases(self) -> NameIndex:
        return NameIndex.of_units(self.valid, "gso_code", "name", "name_full")

    @cached_property
    def _index(self) -> NameIndex:
        return self._build_aliases()  # once per Gazetteer, not once per row

    @cached_property
    def _other_years(self) -> list[tuple[str, object]]:
        """(name key, row) of every unit of the unit list, valid in the year or not."""
        return [(match_key(r.name), r) for r in self.all_units.itertuples()]

    def aliases(self) -> dict[str, set[str]]:
        """Name key → codes of the year's units (names, full names and known variants); built once."""
        return self._index.by_key

    def match(self, text: str) -> NameMatch:
        key = match_key(text)
        index = self._index
        codes = index.codes(key)
        if len(codes) == 1:
            return NameMatch(0, text, next(iter(codes)), "name")
        if len(codes) > 1:
            return NameMatch(0, text, None, "ambiguous", [(c, self.full_name(c)) for c in sorted(codes)])
        # a whole-word prefix of several names ("Đồng") is ambiguous rather than unknown
        starts = sorted(index.starting(key))
        if len(starts) > 1:
            return NameMatch(0, text, None, "ambiguous", [(c, self.full_name(c)) for c in starts])
        # a unit that existed in another year (one merged away before the chosen year)
        elsewhere = [r for unit_key, r in self._other_years if key and unit_key == key]
        outside = [(r.gso_code, self._where(r)) for r in elsewhere if r.gso_code in self._in_year_elsewhere]
        if outside:  # a homonym in another province: matched within the chosen one first, and said so
            return NameMatch(0, text, None, "other_scope", outside[:5])
        if elsewhere:
            r = elsewhere[0]
            return NameMatch(0, text, None, "not_in_year", [(r.gso_code, f"{r.name_full} ({validity_text(r)})")])
        suggestions = [(c, self.full_name(c)) for k in index.close(key) for c in sorted(index.codes(k))]
        suggestions += [(c, self.full_name(c)) for c in starts if (c, self.full_name(c)) not in suggestions]
        return NameMatch(0, text, None, "unmatched", suggestions)

    def code_status(self, code: str) -> tuple[bool, str]:
        """(valid in the year, message if not)."""
        if code in self._valid_codes:
            return True, ""
        known = self.all_units[self.all_units["gso_code"] == code]
        if len(known) and code in self._in_year_elsewhere:
            return False, f"mã {code} là của {self._where(known.iloc[0])}, không thuộc phạm vi đã chọn"
        if len(known):
            r = known.iloc[0]
            return False, f"mã {code} ({r['name_full']}, hiệu lực {validity_text(r)}) không tồn tại năm {self.year}"
        return False, f"mã {code} không phải đơn vị hành chính của {active().area_name}"
