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

from ktxh_geo.errors import DataError, LocationError
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
    official_list: Path | None = None  # the statistics office's list for valid_from (validate checks the layer)
    unit_words: str = "đơn vị hành chính"  # what its units are called: "xã, thị trấn", "xã, phường", "tỉnh, thành phố"


@dataclass(frozen=True)
class DatasetColumn:
    """One value column of an import dataset: an indicator of data/indicators.csv and how a cell is parsed."""

    indicator: str
    kind: str  # "rate", "criteria", "count" or "category"
    required: bool = False


@dataclass(frozen=True)
class DatasetSpec:
    """An import dataset of the profile (``[[datasets]]``): which indicators one uploaded file may carry."""

    id: str
    title: str
    description: str
    columns: tuple[DatasetColumn, ...]


@dataclass(frozen=True)
class YearEdition:
    """Figures of the years ``first``..``last`` are recorded on the units of ``edition`` (``[datasets_editions]``)."""

    first: int
    last: int
    edition: str


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
    plan_note: str = ""  # what to know about the plan's figures (the overview's caption, after its source)
    chart_note: str = ""  # Markdown under the overview's charts (what a starred bar means)
    history_note: str = ""  # Markdown of the unit history page (shipped text, trusted)
    history_search_hint: str = ""
    interim_edition: str = ""  # the edition of a transitional period (units merged before a reform), if any
    reform_edition: str = ""  # the edition reached through data/crosswalk_2025.csv, if any
    own_area_words: tuple[str, ...] = ()  # folded words placing a name query inside the area ("<xã>, <huyện>")
    boundary_credit: str = ""  # credit line of the boundary sources (geo/LICENSES.md), printed on every map
    metric_crs_label: str = ""  # how to name metric_crs in text (default: the CRS's own name, from pyproj)
    datasets: tuple[DatasetSpec, ...] = ()  # import datasets (page "Nhập số liệu"); none: nothing to import
    edition_by_year: tuple[YearEdition, ...] = ()  # import year → edition of its figures
    default_import_year: int | None = None
    # "strict": units must not overlap nor leave gaps against the outline (validate fails on > 1 m²);
    # "report": measured and reported only (a third-party display layer with known source defects)
    coverage: str = "strict"
    map_labels: tuple[tuple[str, str, str], ...] = ()  # (text, edition, unit code): named on every map showing it
    label_first: tuple[str, ...] = ()  # codes of units named before any other, never crowded out (the capitals)
    origin_file: Path | None = None  # each unit's predecessors and seat (data/units_2025_origin.csv), if any
    licence_file: Path | None = None  # the licences its data carries (default geo/LICENSES.md)
    area_word: str = ""  # the kind of area in messages: "huyện", "tỉnh", "quốc gia" ("ngoài huyện", "ranh giới tỉnh")

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    @property
    def geo_dir(self) -> Path:
        return self.folder / "geo"

    def vn2000_crs(self):
        """This locality's VN-2000 plane as a pyproj CRS (``LocationError`` when the profile declares none)."""
        proj = self.vn2000.get("proj")
        if not proj:
            raise LocationError(f"Hồ sơ địa phương “{self.label}” không khai báo hệ VN-2000; hãy nhập WGS84.")
        return crs_from_proj(str(proj))

    @property
    def vn2000_label(self) -> str:
        """How the VN-2000 plane is named in text ("VN-2000, kinh tuyến trục …")."""
        return str(self.vn2000.get("label", "VN-2000"))

    def edition(self, edition_id: str | None = None) -> Edition:
        """The edition (default: the profile's default) or ``KeyError`` naming the valid ids."""
        key = edition_id or self.default_edition
        try:
            return self.editions[key]
        except KeyError:
            raise KeyError(f"Unknown edition {key!r}; expected one of {', '.join(self.editions)}") from None


@cache
def crs_from_proj(proj: str):
    """A pyproj CRS from a PROJ string (cached: building one is slow)."""
    from pyproj import CRS

    return CRS.from_proj4(proj)


def _date(value) -> date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value))


_AREA_WORDS = {"district": "huyện", "province": "tỉnh", "national": "quốc gia"}  # default area_word per kind


def _crs_name(crs: str) -> str:
    """A CRS's own name ("WGS 84 / UTM zone 48N"), or the code itself when pyproj does not know it."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        return CRS.from_user_input(crs).name
    except CRSError:
        return crs


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
                official_list=(folder / e["official_list"]).resolve() if e.get("official_list") else None,
                unit_words=e.get("unit_words", "đơn vị hành chính"),
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
            plan_note=doc.get("plan_note", ""),
            chart_note=doc.get("chart_note", ""),
            history_note=doc.get("history_note", ""),
            history_search_hint=doc.get("history_search_hint", ""),
            interim_edition=doc.get("interim_edition", ""),
            reform_edition=doc.get("reform_edition", ""),
            own_area_words=tuple(doc.get("own_area_words", ())),
            boundary_credit=doc.get("boundary_credit", ""),
            metric_crs_label=doc.get("metric_crs_label") or _crs_name(doc.get("metric_crs", "EPSG:32648")),
            datasets=tuple(
                DatasetSpec(
                    id=d["id"],
                    title=d["title"],
                    description=d.get("description", ""),
                    columns=tuple(
                        DatasetColumn(c["indicator"], c["kind"], bool(c.get("required", False))) for c in d["columns"]
                    ),
                )
                for d in doc.get("datasets", [])
            ),
            edition_by_year=tuple(
                YearEdition(int(r["from"]), int(r["to"]), r["edition"])
                for r in doc.get("datasets_editions", {}).get("edition_by_year", [])
            ),
            default_import_year=doc.get("datasets_editions", {}).get("default_year"),
            map_labels=tuple((m["text"], m["edition"], str(m["code"])) for m in doc.get("map_labels", [])),
            label_first=tuple(str(c) for c in doc.get("label_first", [])),
            origin_file=(folder / doc["origin_file"]).resolve() if doc.get("origin_file") else None,
            licence_file=(folder / doc.get("licence_file", "geo/LICENSES.md")).resolve(),
            area_word=doc.get("area_word", _AREA_WORDS.get(doc.get("kind", "district"), "")),
            coverage=doc.get("coverage", "strict" if doc.get("kind", "district") == "district" else "report"),
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
