"""The commune card: everything the locality knows about one unit, in one typed value.

For one unit of one edition (a commune, a ward, or a province of the country): each mappable indicator's latest
value with its unit, status and source, its rank among the units shown with it, its values over the years, the
plan's target where one is given, the plan's objects inside it, and where it came from (the 2025 merger: its
predecessors and its administrative seat). The map page shows it, the print (PDF/Word) writes it: one value, read
by both, so the page and the paper never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict

import geopandas as gpd
import pandas as pd

from ktxh_geo.model.aggregate import join_for_edition
from ktxh_geo.model.join import ILLUSTRATIVE_MARK, STATUS_LABELS
from ktxh_geo.model.projects import CATEGORIES
from ktxh_geo.model.projects import STATUS_LABELS as OBJECT_STATUS
from ktxh_geo.model.thematic import years
from ktxh_geo.text import format_number, format_value
from ktxh_geo.vocab.indicators import Indicator
from ktxh_geo.vocab.profile import active

NO_VALUE = ("missing", "not_applicable")
ORIGIN_SOURCE = (
    "sapnhap.bando.com.vn (Cục Đo đạc, Bản đồ và Thông tin địa lý Việt Nam), dữ liệu lấy ngày 17/7/2025 qua "
    "vietnamadminunits (giấy phép MIT)"
)


@dataclass(frozen=True)
class YearValue:
    """The unit's value of one year (``display`` as on the map: "2,83 %", "Chưa có số liệu")."""

    year: int
    value: float | None
    display: str
    status: str


@dataclass(frozen=True)
class CardFigure:
    """One indicator on the card: the latest value, its provenance, rank, years and target."""

    indicator: Indicator  # as shown (an aggregated NTM status becomes a count of xã)
    year: int | None  # the year of ``display`` (None: no year has a value)
    year_text: str  # what is known of the year ("2023", or the indicator's year label)
    display: str
    status: str
    source: str
    note: str
    rank: int | None = None  # 1 = the highest value among ``ranked`` units
    ranked: int = 0  # units with a numeric value that year
    series: tuple[YearValue, ...] = ()
    target: str = ""  # "1,93 % (năm 2024, chỉ tiêu của <area>)"; "" when the plan gives none
    refusal: str = ""  # why the indicator cannot be shown on this edition

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def has_value(self) -> bool:
        return self.status not in NO_VALUE

    @property
    def rank_text(self) -> str:
        """ "3/19 (cao → thấp)"; "" when not ranked (categories, no value)."""
        return f"{self.rank}/{self.ranked} (cao → thấp)" if self.rank else ""

    @property
    def years_text(self) -> str:
        """ "2022: 3,1 % · 2023: 2,83 %": each year with a value (a single year says so)."""
        shown = [f"{v.year}: {v.display}" for v in self.series if v.status not in NO_VALUE]
        return " · ".join(shown)


@dataclass(frozen=True)
class CardObject:
    """One object of the plan's register inside the unit."""

    id: str
    name: str
    category: str  # label ("Cụm công nghiệp (CCN)")
    status: str  # label ("Kế hoạch")


@dataclass(frozen=True)
class CommuneCard:
    """Everything known about one unit (see module doc)."""

    code: str
    full_name: str
    area_name: str  # the area its rank is among (the district, the province, the country)
    units: int  # units of that area on the map
    unit_words: str  # "xã, thị trấn", "xã, phường", "tỉnh, thành phố"
    edition_label: str
    figures: tuple[CardFigure, ...]
    objects: tuple[CardObject, ...] = ()
    predecessors: str = ""  # as published, split notes kept ("Xã A, Xã B (phần còn lại …)")
    successor: str = ""  # a former unit: the unit it became part of (its name, code and date)
    seat: str = ""
    origin_source: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def title(self) -> str:
        return f"{self.full_name} (mã {self.code})"

    @property
    def illustrative(self) -> bool:
        return any(f.status == "illustrative" for f in self.figures)

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.source for f in self.figures if f.source and f.has_value))

    def figure_rows(self) -> list[list[str]]:
        """The figures as printed: indicator (unit), value, year, rank, status, source."""
        rows = []
        for f in self.figures:
            name = f"{f.indicator.name} ({f.indicator.unit})" if f.indicator.unit else f.indicator.name
            years_text = f.years_text if len([v for v in f.series if v.status not in NO_VALUE]) > 1 else f.year_text
            value = f.display + (f"\nChỉ tiêu: {f.target}" if f.target else "")
            status = f.status_label if f.has_value else ""
            rows.append([name, value, years_text if f.has_value else "", f.rank_text, status, f.source or f.refusal])
        return rows


FIGURE_HEADERS = ["Chỉ tiêu", "Giá trị", "Năm", "Xếp hạng", "Loại số liệu", "Nguồn"]


def _rank(joined: pd.DataFrame, code: str) -> tuple[int | None, int]:
    """Rank of ``code`` by value, highest first (ties share the better rank), among units with a numeric value."""
    has = joined[~joined["status"].isin(NO_VALUE) & joined["value"].notna()]
    if code not in set(has["code"]):
        return None, len(has)
    ranks = has["value"].rank(ascending=False, method="min")
    return int(ranks[has["code"] == code].iloc[0]), len(has)


def _target(values: pd.DataFrame, indicator: Indicator, code: str, edition: str, area_name: str) -> str:
    """The plan's target for the unit, else the area's own target (said to be the area's), else ""."""
    rows = values[(values["indicator_id"] == indicator.id) & (values["status"] == "target")]
    own = rows[(rows["level"] == "commune") & (rows["code"] == code) & (rows["edition"] == edition)]
    whose = ""
    if own.empty:
        profile = active()
        own = rows[(rows["level"] != "commune") & (rows["code"] == profile.area_code)]
        whose = f", chỉ tiêu của {area_name}"
    if own.empty:
        return ""
    row = own.sort_values("year").iloc[-1]
    text = row["value_text"] or format_value(row["value"], indicator.unit, indicator.decimals)
    return f"{text} (năm {int(row['year'])}{whose})"


def figure(
    indicator: Indicator,
    code: str,
    edition: str,
    values: pd.DataFrame,
    communes: gpd.GeoDataFrame,
    illustrative: bool,
    area_name: str,
) -> CardFigure:
    """One indicator of the card, joined exactly as the map joins it (aggregated on a newer edition)."""
    found = years(values, indicator.id, edition)
    series, latest, refusal = [], None, ""
    for year in found:
        joined, shown, refused = join_for_edition(communes, values, indicator, year, illustrative)
        refusal = refused or refusal
        row = joined[joined["code"] == code]
        if row.empty:
            continue
        row = row.iloc[0]
        if row["status"] == "target":  # a plan target is not a result: shown as the target
            continue
        value = float(row["value"]) if pd.notna(row["value"]) else None
        series.append(YearValue(year, value, str(row["display"]), str(row["status"])))
        if row["status"] not in NO_VALUE or latest is None:
            latest = (year, joined, shown, row)
    target = _target(values, indicator, code, edition, area_name)
    if latest is None:
        return CardFigure(indicator, None, "", "Chưa có số liệu", "missing", "", "", target=target, refusal=refusal)
    year, joined, shown, row = latest
    rank, ranked = (None, 0) if shown.is_categorical else _rank(joined, code)
    return CardFigure(
        indicator=shown,
        year=year,
        year_text=str(row.get("year_text") or year),
        display=str(row["display"]),
        status=str(row["status"]),
        source=str(row["source"]),
        note=str(row.get("derived_rule") or row["value_note"] or ""),
        rank=rank,
        ranked=ranked,
        series=tuple(series),
        target=target,
        refusal=refusal or "",
    )


def objects_in(projects: gpd.GeoDataFrame | None, unit: gpd.GeoSeries | None, codes: set[str]) -> list[CardObject]:
    """Objects of the register inside the unit: listed with one of ``codes`` or located inside its polygon."""
    if projects is None or projects.empty:
        return []
    listed = projects["commune_codes"].fillna("").map(lambda s: bool(codes & {c.strip() for c in str(s).split(";")}))
    inside = pd.Series(False, index=projects.index)
    if unit is not None:
        located = projects.geometry.notna() & ~projects.geometry.is_empty
        points = projects.loc[located].geometry.representative_point()
        inside.loc[located] = points.within(unit)
    chosen = projects[listed | inside]
    return [
        CardObject(
            str(r["id"]),
            str(r["name"]),
            CATEGORIES.get(r["category"], str(r["category"])),
            OBJECT_STATUS.get(r["status"], str(r["status"])),
        )
        for _, r in chosen.sort_values(["category", "name"]).iterrows()
    ]


class _Origin(TypedDict, total=False):
    """The origin fields of a ``CommuneCard`` that ``_origin`` knows (any of them may be missing)."""

    predecessors: str
    successor: str
    seat: str
    origin_source: str


def _origin(code: str, edition: str, origin: pd.DataFrame, communes: gpd.GeoDataFrame) -> _Origin:
    """Predecessors, successor and seat: the published origin table, else the profile's own unit history."""
    row = origin[origin["code"] == code] if len(origin) else origin
    if len(row):
        r = row.iloc[0]
        return {"predecessors": r["predecessors"], "seat": r["seat"], "origin_source": ORIGIN_SOURCE}
    profile = active()
    if not profile.reform_edition:
        return {}
    from ktxh_geo.model import crosswalk

    try:
        if edition == profile.base_edition:
            lin = crosswalk.lineage(code)
            new = lin.new
            start = new.valid_from.strftime("%d/%m/%Y")
            others = [crosswalk.container(c, profile.base_edition).full_name for c in new.members if c != code]
            with_ = f", cùng với {', '.join(others)}" if others else ""
            successor = f"{new.full_name} (mã {new.code}) từ {start}{with_}"
            return {"successor": successor, "origin_source": crosswalk.legal_text("reform")}
        units = crosswalk.predecessors(code, edition)
    except (KeyError, ValueError):
        return {}
    out: _Origin = {"predecessors": ", ".join(u.full_name for u in units if u.code != code or len(units) > 1)}
    unit = communes[communes["code"] == code]
    if "admin_centre_stated" in unit.columns and len(unit):
        out["seat"] = str(unit["admin_centre_stated"].iloc[0] or "")
    basis = crosswalk.legal_text("reform" if edition == profile.reform_edition else "interim")
    out["origin_source"] = basis
    return out if out["predecessors"] else {}


def _area(communes: gpd.GeoDataFrame) -> str:
    """The one province all ``communes`` are in (a province of the national view), as the map titles say it."""
    if active().kind != "national" or "province" not in communes.columns or communes["province"].nunique() != 1:
        return ""
    area = str(communes["province"].iloc[0])
    return area[0].lower() + area[1:] if area[:5] in ("Tỉnh ", "Thành") else area


def commune_card(
    code: str,
    edition: str,
    indicators: dict[str, Indicator],
    values: pd.DataFrame,
    communes: gpd.GeoDataFrame,
    projects: gpd.GeoDataFrame | None = None,
    origin: pd.DataFrame | None = None,
    illustrative: bool = False,
    area_name: str = "",
) -> CommuneCard:
    """The card of unit ``code`` among ``communes`` (the units of ``edition`` shown with it, e.g. one province's).

    ``KeyError`` when ``code`` is not one of ``communes``.
    """
    profile = active()
    unit = communes[communes["code"] == code]
    if unit.empty:
        raise KeyError(code)
    area_name = area_name or _area(communes) or profile.area_name
    figures = tuple(
        figure(ind, code, edition, values, communes, illustrative, area_name) for ind in indicators.values() if ind.map
    )
    codes = {code}
    if profile.reform_edition and edition != profile.base_edition:
        from ktxh_geo.model import crosswalk

        codes |= set(crosswalk.members_of(edition).get(code, ()))
    geom = unit.geometry.iloc[0] if unit.geometry.iloc[0] is not None else None
    ed = profile.editions[edition]
    return CommuneCard(
        code=code,
        full_name=str(unit["full_name"].iloc[0]),
        area_name=area_name,
        units=len(communes),
        unit_words=ed.unit_words,
        edition_label=ed.label,
        figures=figures,
        objects=tuple(objects_in(projects, geom, codes)),
        **_origin(code, edition, origin if origin is not None else pd.DataFrame(), communes),
    )


def card_notes(card: CommuneCard) -> list[str]:
    """What to know when reading the card (illustrative values, ranks, aggregated values)."""
    out = []
    if card.illustrative:
        out.append(f"{ILLUSTRATIVE_MARK}: giá trị có loại “{ILLUSTRATIVE_MARK}” không phải số liệu chính thức.")
    if any(f.rank for f in card.figures):
        out.append(
            f"Xếp hạng: thứ tự theo giá trị từ cao xuống thấp trong {format_number(card.units, 0)} "
            f"{card.unit_words} của {card.area_name} có số liệu (hạng 1 là giá trị cao nhất)."
        )
    if any(f.note and f.note.startswith(("tổng", "bình quân", "đếm")) for f in card.figures):
        out.append("Số liệu gộp theo đơn vị mới: tính từ các đơn vị cũ theo quy tắc của chỉ tiêu.")
    return out
