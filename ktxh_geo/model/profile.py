"""Locality profiles: everything specific to one place, as data, loaded through one typed object.

A profile is a folder ``profiles/<id>/`` with ``profile.toml`` (names, codes, editions and their labels, the
plan, default view, map extent, the VN-2000 zone …), ``data/`` (indicators, values, crosswalk, slides) and
``geo/`` (boundaries). No place name or code lives in the package; a second locality is a second folder.

The profile in use is per script run (``use``: each Streamlit session, each CLI call), defaulting to env
``KTXH_PROFILE`` or the first shipped one; ``active()`` gives it to code that has no other way to know.
"""

from __future__ import annotations

import contextvars
import os
import tomllib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

from ktxh_geo.errors import DataError
from ktxh_geo.settings import profiles_dir

DEFAULT_PROFILE = "yen-the-2024"


@dataclass(frozen=True)
class Edition:
    """One set of administrative units in force over a period."""

    id: str
    label: str
    short: str
    path: Path
    n_units: int
    valid_from: date
    valid_to: date | None
    where: Mapping[str, str] = field(default_factory=dict)  # attribute filter on the layer (e.g. a province)


@dataclass(frozen=True)
class Profile:
    id: str
    label: str
    kind: str  # "district", "province" or "national"
    folder: Path
    area_name: str
    area_label: str
    area_code: str
    plan_title: str
    plan_short: str
    plan_source: str
    default_indicator: str
    base_edition: str
    default_edition: str
    outline: Path | None
    metric_crs: str
    view_box: tuple[float, float, float, float]
    editions: Mapping[str, Edition]
    unit_search_hint: str = ""
    province: str = ""
    vn2000: Mapping[str, object] = field(default_factory=dict)
    name_variants: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    interim_codes: Mapping[str, str] = field(default_factory=dict)
    legal: Mapping[str, str] = field(default_factory=dict)
    outline_where: Mapping[str, str] = field(default_factory=dict)
    overlays: tuple[tuple[str, Path], ...] = ()  # (label, file): outlines drawn over the map (e.g. a former district)
    drill_down: Mapping[str, str] = field(default_factory=dict)  # {"edition": …, "key": …} (national view)

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def geo_dir(self) -> Path:
        return self.folder / "geo"

    def edition(self, edition_id: str | None = None) -> Edition:
        """The edition (default: the profile's default) or ``KeyError`` naming the valid ids."""
        key = edition_id or self.default_edition
        try:
            return self.editions[key]
        except KeyError:
            raise KeyError(f"Unknown edition {key!r}; expected one of {', '.join(self.editions)}") from None


def _date(value) -> date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def read_profile(folder: Path) -> Profile:
    """Parse ``folder/profile.toml``; ``DataError`` names the file and the field on a problem."""
    path = folder / "profile.toml"
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise DataError(f"{path}: không đọc được hồ sơ địa phương ({exc})") from None
    try:
        editions = {
            e["id"]: Edition(
                id=e["id"],
                label=e["label"],
                short=e.get("short", e["label"]),
                path=(folder / e["file"]).resolve(),
                n_units=int(e.get("n_units", 0)),
                valid_from=_date(e["valid_from"]),
                valid_to=_date(e.get("valid_to")),
                where=dict(e.get("where", {})),
            )
            for e in doc["editions"]
        }
        return Profile(
            id=doc["id"],
            label=doc["label"],
            kind=doc.get("kind", "district"),
            folder=folder.resolve(),
            area_name=doc["area_name"],
            area_label=doc.get("area_label", doc["area_name"]),
            area_code=str(doc.get("area_code", "")),
            plan_title=doc.get("plan_title", ""),
            plan_short=doc.get("plan_short", ""),
            plan_source=doc.get("plan_source", ""),
            default_indicator=doc["default_indicator"],
            base_edition=doc.get("base_edition", doc["default_edition"]),
            default_edition=doc["default_edition"],
            outline=(folder / doc["outline"]).resolve() if doc.get("outline") else None,
            metric_crs=doc.get("metric_crs", "EPSG:32648"),
            view_box=tuple(float(v) for v in doc["view_box"]),
            editions=editions,
            unit_search_hint=doc.get("unit_search_hint", ""),
            province=doc.get("province", ""),
            vn2000=dict(doc.get("vn2000", {})),
            name_variants={k: tuple(v) for k, v in doc.get("name_variants", {}).items()},
            interim_codes=dict(doc.get("interim_codes", {})),
            legal=dict(doc.get("legal", {})),
            outline_where=dict(doc.get("outline_where", {})),
            overlays=tuple((o["label"], (folder / o["file"]).resolve()) for o in doc.get("overlays", [])),
            drill_down=dict(doc.get("drill_down", {})),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise DataError(f"{path}: thiếu hoặc sai trường {exc} trong hồ sơ địa phương") from None


def available() -> dict[str, str]:
    """Shipped profiles: id → label (folders of ``profiles/`` holding a profile.toml)."""
    out = {}
    for folder in sorted(profiles_dir().iterdir()):
        if (folder / "profile.toml").is_file():
            out[folder.name] = load(folder.name).label
    ordered = {DEFAULT_PROFILE: out.pop(DEFAULT_PROFILE)} if DEFAULT_PROFILE in out else {}
    return ordered | out


@cache
def load(profile_id: str) -> Profile:
    """The profile ``profile_id`` (cached: shipped files do not change while the app runs)."""
    folder = profiles_dir() / profile_id
    if not (folder / "profile.toml").is_file():
        raise DataError(f"Không có hồ sơ địa phương “{profile_id}” (thư mục profiles/{profile_id}/profile.toml).")
    return read_profile(folder)


_ACTIVE: contextvars.ContextVar[str | None] = contextvars.ContextVar("ktxh_profile", default=None)


def active() -> Profile:
    """The profile of the current run: set by ``use``/``set_active``, else env KTXH_PROFILE, else the default."""
    return load(_ACTIVE.get() or os.environ.get("KTXH_PROFILE") or DEFAULT_PROFILE)


def set_active(profile_id: str | None) -> None:
    """Make ``profile_id`` the profile of this run (a Streamlit script run, a CLI command)."""
    if profile_id is not None:
        load(profile_id)  # fail early on an unknown id
    _ACTIVE.set(profile_id)


@contextmanager
def use(profile_id: str) -> Iterator[Profile]:
    """Run a block with ``profile_id`` active (tests, batch exports of several profiles)."""
    token = _ACTIVE.set(load(profile_id).id)
    try:
        yield load(profile_id)
    finally:
        _ACTIVE.reset(token)
