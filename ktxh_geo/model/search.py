"""Find units by name, with or without diacritics, including known variants and former units' names.

The names and their matching key come from the gazetteer (``model.gazetteer``); this module only ranks. Results
are always GSO codes of the units searched. Variant spellings and the codes units had in a transitional edition
come from the active locality profile.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from ktxh_geo.model.gazetteer import NameIndex, match_key, unit_aliases, variants
from ktxh_geo.text import fold, nfc
from ktxh_geo.vocab.profile import active


@dataclass(frozen=True)
class Match:
    code: str
    name: str
    full_name: str
    via: str  # the name that matched (official, variant, or a former unit's name)
    exact: bool
    province: str = ""  # the unit's province (a search across the country)


def _former_names(communes: pd.DataFrame, units: pd.DataFrame | None) -> list[tuple[str, str]]:
    """(code, former name) pairs: on a newer edition of a district, the names of the units merged into each."""
    profile = active()
    if units is None or not len(communes) or communes["edition"].iloc[0] == profile.base_edition:
        return []
    if not (profile.interim_edition or profile.reform_edition):  # no unit history (a province, the country)
        return []
    edition = communes["edition"].iloc[0]
    codes = set(communes["code"])
    pairs: list[tuple[str, str]] = []
    for row in units.itertuples():
        if edition == profile.reform_edition:
            target = row.successor_2025_code
        else:
            target = profile.interim_codes.get(row.gso_code, row.gso_code)
        if target in codes:
            pairs += [(target, row.name)] + [(target, v) for v in variants(row.gso_code)]
    return pairs


def name_index(communes: pd.DataFrame, units: pd.DataFrame | None = None) -> NameIndex:
    """The names ``search_communes`` looks in: the units' own names and variants, and former units' names."""
    own = [
        p
        for c, n, f in zip(communes["code"], communes["name"], communes["full_name"], strict=True)
        for p in unit_aliases(c, n, f)
    ]
    return NameIndex(own + _former_names(communes, units))


def search_communes(
    query: str, communes: pd.DataFrame, units: pd.DataFrame | None = None, index: NameIndex | None = None
) -> list[Match]:
    """Units whose name (or a variant, or a former unit's name) matches ``query``; exact matches first.

    An unaccented query, the accented name and the name with its prefix ("xã …", "P. …") all find the unit; a
    variant spelling finds the unit it names. A query typed with diacritics prefers the unit spelled exactly so
    (a query "Đông …" ranks units spelled "Đông" before those spelled "Đồng"). ``index``: a prebuilt
    ``name_index(communes, units)`` (a search across the country's 3,321 communes builds it once).
    """
    q = match_key(query)
    if not q:
        return []
    words = nfc(query).strip().lower().split()
    typed = " ".join(words[len(words) - len(q.split()) :])  # without the "xã"/"P." prefix
    by_code = communes.set_index("code")
    best: dict[str, tuple[int, str]] = {}
    for alias in (index or name_index(communes, units)).aliases:
        if alias.key == q:
            rank = 0
        elif alias.key.startswith(q) or f" {q}" in f" {alias.key}":
            rank = 2
        else:
            continue
        if typed and typed != fold(typed) and typed not in nfc(alias.text).lower():
            rank += 1  # diacritics typed but not these ones
        if alias.code not in best or rank < best[alias.code][0]:
            best[alias.code] = (rank, alias.text)
    ordered = sorted(best.items(), key=lambda kv: (kv[1][0], kv[0]))
    province = by_code["province"] if "province" in by_code.columns else None
    return [
        Match(
            code,
            by_code.at[code, "name"],
            by_code.at[code, "full_name"],
            alias,
            rank == 0,
            "" if province is None else str(province.at[code]),
        )
        for code, (rank, alias) in ordered
    ]


def unit_at(units: gpd.GeoDataFrame, lon: float, lat: float) -> str | None:
    """Code of the unit containing the point (lon, lat in WGS84), or None outside every unit (a click at sea)."""
    point = gpd.GeoSeries([Point(lon, lat)], crs="EPSG:4326").to_crs(units.crs).iloc[0]
    hits = units.index[units.geometry.intersects(point)]
    return str(units.loc[hits[0], "code"]) if len(hits) else None
