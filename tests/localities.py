"""What belongs to one shipped locality and not to another: the strings and unit codes a page or an export of one
locality must never show (read from the other profiles, never typed here)."""

from __future__ import annotations

from functools import cache

from ktxh_geo.io import shipped
from ktxh_geo.vocab import profile as profiles

# What the product said for one district only, wherever it was: never on a province or the country.
DISTRICT_WORDING = ["Xem toàn huyện", "ngoài huyện", "Ngoài huyện", "Tìm xã, thị trấn", "toàn huyện", "5 xã mới"]


def texts_of(profile_id: str) -> set[str]:
    """Strings that name a locality: its label, plan and the labels of its editions."""
    p = profiles.load(profile_id)
    return {t for t in (p.label, p.plan_title, p.plan_short, *(e.label for e in p.editions.values())) if t}


@cache
def codes_of(profile_id: str) -> frozenset[str]:
    """The 5-digit unit codes of a locality, in every edition and its unit list."""
    with profiles.use(profile_id) as p:
        codes = set(shipped.load_units()["gso_code"])
        for ed in p.editions:
            codes |= set(shipped.load_communes(ed)["code"])
    return frozenset(c for c in codes if len(c) == 5)


@cache
def foreign(profile_id: str) -> tuple[frozenset[str], frozenset[str]]:
    """The other localities' strings (not also written in this profile) and unit codes (not also this one's)."""
    ids = list(profiles.available())
    mine = profiles.load(profile_id)
    own_text = " ".join([*texts_of(profile_id), *(label for label, _ in mine.overlays), mine.history_note])
    texts = {t for other in ids if other != profile_id for t in texts_of(other) if t not in own_text}
    if mine.kind != "district":
        texts |= set(DISTRICT_WORDING)
    codes = set().union(*(codes_of(o) for o in ids if o != profile_id)) - codes_of(profile_id)
    return frozenset(texts), frozenset(codes)
