"""The administrative editions of the active locality profile (``vocab.profile``).

``EDITIONS`` is a live view: it always answers for the profile of the current run, so a session that
switches to another locality sees that locality's editions.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from ktxh_geo.vocab.profile import Edition, active


class _Editions(Mapping[str, Edition]):
    """The active profile's editions by id, in the profile's order."""

    def __getitem__(self, key: str) -> Edition:
        return active().editions[key]

    def __iter__(self) -> Iterator[str]:
        return iter(active().editions)

    def __len__(self) -> int:
        return len(active().editions)


EDITIONS: Mapping[str, Edition] = _Editions()


def default_edition() -> str:
    return active().default_edition


def base_edition() -> str:
    """The edition the plan's commune figures are recorded on (other editions aggregate from it)."""
    return active().base_edition


def get_edition(edition_id: str | None = None) -> Edition:
    """The edition (default: the profile's default) or ``KeyError`` naming the valid ids."""
    return active().edition(edition_id)
