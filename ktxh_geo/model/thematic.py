"""One thematic map value: built once, read by the map page, the comparison page, every export and the bench.

``build`` does join → aggregate (on a newer edition) → classify → mark derived, and the value answers every
question the pages and exports used to work out themselves: title and subtitle, sources, whether a value
shown is illustrative or aggregated, and why an indicator was refused on an edition.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from ktxh_geo.errors import InputError
from ktxh_geo.model.aggregate import DERIVED_MARK, join_for_edition, mark_derived
from ktxh_geo.model.classify import SCHEMES, Classification, classify
from ktxh_geo.model.join import ILLUSTRATIVE_MARK, available_years
from ktxh_geo.text import format_date_vn
from ktxh_geo.vocab import FLAGGED, FLAGGED_MARK
from ktxh_geo.vocab.indicators import Indicator
from ktxh_geo.vocab.profile import Edition, Profile, active


@dataclass(frozen=True)
class MapRequest:
    """What a user asked to see: plain values, so a request is a cache key and a URL."""

    indicator: str
    year: int | None = None
    edition: str | None = None
    illustrative: bool = False
    scheme: str | None = None
    k: int = 5
    breaks: tuple[float, ...] | None = None
    where: tuple[
        tuple[str, str], ...
    ] = ()  # a drill-down filter on the edition's units, e.g. (("province_code", "24"),)


@dataclass(frozen=True)
class ThematicMap:
    """One indicator on one edition for one year: joined values, classes, legend, title, flags."""

    profile: Profile
    indicator: Indicator  # as catalogued
    shown: Indicator  # how values are classified (an aggregated status becomes a count of xã)
    year: int
    edition: Edition
    joined: gpd.GeoDataFrame
    classification: Classification
    refusal: str | None = None  # why the indicator cannot be aggregated onto this edition
    sources: tuple[str, ...] = field(default=())
    area_name: str = ""  # the area shown, when narrower than the profile's (a province of the national view)

    @property
    def illustrative(self) -> bool:
        """Any value shown comes from the illustrative dataset ("Số liệu minh họa")."""
        return bool((self.joined["status"] == "illustrative").any())

    @property
    def flagged(self) -> bool:
        """Any value shown is flagged by a plausibility rule (status nghi_van, drawn hatched)."""
        return bool((self.joined["status"] == FLAGGED).any())

    @property
    def aggregated(self) -> bool:
        """Any value shown was aggregated from former units along the crosswalk."""
        return bool(self.joined["derived_rule"].fillna("").ne("").any())

    @property
    def has_data(self) -> bool:
        return not self.joined["status"].isin(["missing", "not_applicable"]).all()

    @property
    def title(self) -> str:
        """The one title of this map, on screen, in presentation and in every export."""
        when = f"({self.shown.year_label})" if self.shown.year_label else f"năm {self.year}"
        title = f"{self.shown.name} {when} — {self.area_name or self.profile.area_name}"
        if len(self.profile.editions) > 1:
            title += f" — đơn vị hành chính {self.edition.short}"
        return title

    @property
    def units_text(self) -> str:
        """The units shown, counted: "99 xã, phường (từ 01/7/2025)", "19 xã, thị trấn (01/01/2020 – 31/12/2024)"."""
        ed = self.edition
        start = format_date_vn(ed.valid_from)
        period = f"{start} – {format_date_vn(ed.valid_to)}" if ed.valid_to else f"từ {start}"
        return f"{len(self.joined)} {ed.unit_words} ({period})"

    @property
    def subtitle(self) -> str:
        parts = [self.profile.plan_title] if self.profile.plan_title else []
        if not self.shown.is_categorical and self.classification.scheme:
            n = sum(1 for item in self.classification.legend if item.kind == "fill")
            if n:  # no class without values: say nothing of a classification rather than "0 lớp"
                parts.append(
                    f"Phân loại: {SCHEMES.get(self.classification.scheme, self.classification.scheme)}, {n} lớp"
                )
        if self.aggregated:
            parts.append(DERIVED_MARK)
        if self.illustrative:
            parts.append(ILLUSTRATIVE_MARK)
        if self.flagged:
            parts.append(f"{FLAGGED_MARK}: gạch chéo đỏ, không phải số liệu chính thức")
        return " · ".join(parts)


def years(values: pd.DataFrame, indicator_id: str, edition: str | None = None) -> list[int]:
    """Years with commune values for the indicator on ``edition`` or, for aggregation, on the base edition."""
    profile = active()
    edition = edition or profile.default_edition
    return available_years(values, indicator_id, edition) or available_years(values, indicator_id, profile.base_edition)


def build(
    request: MapRequest,
    indicators: dict[str, Indicator],
    values: pd.DataFrame,
    communes: gpd.GeoDataFrame,
) -> ThematicMap:
    """The thematic map of ``request`` from loaded data (``communes`` of the requested edition).

    Raises ``InputError`` (Vietnamese) for an unknown indicator, or when no year is given and none has values.
    """
    profile = active()
    edition = profile.edition(request.edition)
    if request.indicator not in indicators or not indicators[request.indicator].map:
        raise InputError(f"không có chỉ tiêu bản đồ “{request.indicator}”")
    indicator = indicators[request.indicator]
    year = request.year
    if year is None:  # the newest year with values; a year without values shows as "Chưa có số liệu"
        found = years(values, indicator.id, edition.id)
        if not found:
            raise InputError(f"chỉ tiêu “{indicator.id}” chưa có số liệu cấp xã")
        year = found[-1]
    joined, shown, refusal = join_for_edition(communes, values, indicator, year, request.illustrative)
    classification = mark_derived(classify(joined, shown, request.scheme, request.k, request.breaks), joined)
    sources = tuple(sorted({s for s in joined["source"] if s}))
    area = ""
    if request.where and len(communes) and "province" in communes.columns:
        area = str(communes["province"].iloc[0])
        area = area[0].lower() + area[1:] if area[:5] in ("Tỉnh ", "Thành") else area
    return ThematicMap(profile, indicator, shown, year, edition, joined, classification, refusal, sources, area)


def empty_note(tm: ThematicMap, all_values: pd.DataFrame, importable: bool) -> str | None:
    """Why a map shows no value at all, and what to do (None when it shows some, or says why it cannot).

    ``all_values``: every value, illustrative ones included; ``importable``: the indicator can be entered on the
    "Nhập số liệu" page.
    """
    if tm.has_data or tm.refusal:
        return None
    profile = tm.profile
    n = len(tm.joined)
    text = (
        f"Chưa có số liệu chính thức của “{tm.shown.name}” năm {tm.year} cho {n} {tm.edition.unit_words} trên bản đồ, "
        "nên mọi đơn vị đều là “Chưa có số liệu”."
    )
    steps = []
    own = all_values[(all_values["indicator_id"] == tm.indicator.id) & (all_values["year"] == tm.year)]
    if (own["status"] == "illustrative").any():
        steps.append("bật “Hiện số liệu minh họa” ở thanh bên để xem bộ số liệu minh họa (không chính thức)")
    official = own[own["status"] != "illustrative"]
    if tm.edition.id != profile.base_edition and (official["edition"] == profile.base_edition).any():
        base = profile.editions[profile.base_edition]
        steps.append(f"chọn đơn vị hành chính “{base.label}”, bộ đơn vị mà số liệu được ghi")
    if importable:
        steps.append("nhập số liệu thật ở trang “Nhập số liệu” (cần tài khoản biên tập)")
    if not steps:
        steps.append("chọn năm hoặc chỉ tiêu khác ở thanh bên")
    return f"{text} Để xem số liệu: {'; hoặc '.join(steps)}."
