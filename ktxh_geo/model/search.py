"""Find communes by name, with or without diacritics, including known variants.

Folding is used only to *find* candidates; results are always GSO codes of the chosen edition. Variant
spellings and the codes units had in a transitional edition come from the active locality profile.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ktxh_geo.model.profile import active
from ktxh_geo.text import fold, fold_name, nfc


def variants(code: str) -> tuple[str, ...]:
    """Spellings of unit ``code`` found in sources that are not its official name (profile ``name_variants``)."""
    return tuple(active().name_variants.get(code, ()))


@dataclass(frozen=True)
class Match:
    code: str
    name: str
    full_name: str
    via: str  # the name that matched (official, variant, or a former unit's name)
    exact: bool


def _aliases(communes: pd.DataFrame, units: pd.DataFrame | None) -> list[tuple[str, str]]:
    """(code, alias) pairs: official names, variants and, on newer editions, former units."""
    pairs: list[tuple[str, str]] = []
    codes = set(communes["code"])
    for row in communes.itertuples():
        pairs += [(row.code, row.name), (row.code, row.full_name)]
        pairs += [(row.code, v) for v in variants(row.code)]
    if units is not None and len(communes) and communes["edition"].iloc[0] != active().base_edition:
        edition = communes["edition"].iloc[0]
        for row in units.itertuples():
            target = row.successor_2025_code if edition == active().reform_edition else _interim_code(row)
            if target in codes:
                pairs += [(target, row.name)] + [(target, v) for v in variants(row.gso_code)]
    return pairs


def _interim_code(unit) -> str:
    """Code a base-edition unit had in the interim edition (profile ``interim_codes``: a merged unit's new code)."""
    return active().interim_codes.get(unit.gso_code, unit.gso_code)


def search_communes(query: str, communes: pd.DataFrame, units: pd.DataFrame | None = None) -> list[Match]:
    """Communes whose name (or a variant) matches ``query``; exact matches first.

    An unaccented query, the accented name and the name with its prefix ("xã …") all find the unit; a
    variant spelling finds the unit it names. A query typed with diacritics prefers the unit spelled
    exactly so (a query "Đông …" ranks units spelled "Đông" before those spelled "Đồng").
    """
    q = fold_name(query)
    if not q:
        return []
    words = nfc(query).strip().lower().split()
    typed = " ".join(words[len(words) - len(q.split()) :])  # without "xã"/"TT" prefix
    by_code = communes.set_index("code")
    best: dict[str, tuple[int, str]] = {}
    for code, alias in _aliases(communes, units):
        folded = fold_name(alias)
        if folded == q:
            rank = 0
        elif folded.startswith(q) or f" {q}" in f" {folded}":
            rank = 2
        else:
            continue
        if typed and typed != fold(typed) and typed not in nfc(alias).lower():
            rank += 1  # diacritics typed but not these ones
        if code not in best or rank < best[code][0]:
            best[code] = (rank, alias)
    ordered = sorted(best.items(), key=lambda kv: (kv[1][0], kv[0]))
    return [
        Match(code, by_code.at[code, "name"], by_code.at[code, "full_name"], alias, rank == 0)
        for code, (rank, alias) in ordered
    ]
