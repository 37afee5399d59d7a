"""What one exported map shows (``MapContext``) and how a request becomes one (``prepare``): the model half of an
export. ``render.export`` turns a context into files; the command line and the pages build contexts here.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd

from ktxh_geo.errors import ExportError
from ktxh_geo.io import shipped as load
from ktxh_geo.model import thematic
from ktxh_geo.model.projects import CATEGORIES
from ktxh_geo.model.thematic import ThematicMap
from ktxh_geo.model.viewstate import DEFAULT_LAYERS
from ktxh_geo.vocab.editions import EDITIONS, default_edition
from ktxh_geo.vocab.indicators import Indicator
from ktxh_geo.vocab.profile import active


@dataclass
class MapContext:
    """Everything one exported map shows: the thematic map, the area's outline and the object layers."""

    thematic: ThematicMap
    outline: gpd.GeoDataFrame
    projects: gpd.GeoDataFrame | None = None
    layers: tuple[str, ...] = DEFAULT_LAYERS
    fixed_labels: tuple[tuple[str, float, float], ...] = ()  # (text, lon, lat): the profile's ``map_labels``
    province: str | None = None  # one province of a national profile (its communes, framed on it)

    profile = property(lambda self: self.thematic.profile)
    indicator = property(lambda self: self.thematic.indicator)
    shown = property(lambda self: self.thematic.shown)
    year = property(lambda self: self.thematic.year)
    edition = property(lambda self: self.thematic.edition.id)
    joined = property(lambda self: self.thematic.joined)
    classification = property(lambda self: self.thematic.classification)
    title = property(lambda self: self.thematic.title)
    subtitle = property(lambda self: self.thematic.subtitle)


def mappable_indicators(indicators: dict[str, Indicator] | None = None) -> dict[str, Indicator]:
    """Indicators that can be drawn per commune (``map = 1`` in data/indicators.csv)."""
    return {k: v for k, v in (indicators or load.load_indicators()).items() if v.map}


def prepare(
    indicator_id: str,
    year: int | None = None,
    edition: str | None = None,
    include_illustrative: bool = False,
    layers: tuple[str, ...] | list[str] = DEFAULT_LAYERS,
    scheme: str | None = None,
    k: int = 5,
    breaks: tuple[float, ...] | None = None,
    province: str | None = None,
) -> MapContext:
    """Load the shipped data and build the map context; ``ExportError`` for bad requests.

    ``year`` defaults to the newest year with commune values (illustrative ones only count when
    ``include_illustrative``, which is off by default, as in the UI). ``province`` (a national profile): the
    communes of that province, framed on it.
    """
    indicators = mappable_indicators()
    if indicator_id not in indicators:
        raise ExportError(f"không có chỉ tiêu bản đồ '{indicator_id}'; xem danh sách: python -m ktxh_geo export --list")
    profile = active()
    where: dict[str, str] = {}
    if province:
        if not profile.drill_down:
            raise ExportError(f"{profile.label} không chia theo tỉnh, thành phố: bỏ --province")
        if province not in set(load.load_communes(profile.base_edition)["code"]):
            raise ExportError(f"không có tỉnh, thành phố mã '{province}'")
        edition = edition or profile.drill_down["edition"]
        where = {profile.drill_down["key"]: province}
    edition = edition or default_edition()
    if edition not in EDITIONS:
        raise ExportError(f"không có đơn vị hành chính '{edition}'; chọn một trong: {', '.join(EDITIONS)}")
    bad = [c for c in layers if c not in CATEGORIES]
    if bad:
        raise ExportError(f"không có lớp đối tượng '{bad[0]}'; chọn trong: {', '.join(CATEGORIES)}")
    values = load.load_values(include_illustrative)
    found = thematic.years(values, indicator_id, edition)
    if year is None and found:
        year = found[-1]
    if year is None or year not in found:
        hint = f"; các năm có số liệu: {', '.join(map(str, found))}" if found else ""
        if not include_illustrative and thematic.years(load.load_values(True), indicator_id, edition):
            hint += " (thêm --illustrative để dùng số liệu minh họa)"
        when = f" năm {year}" if year is not None else ""
        raise ExportError(f"chỉ tiêu '{indicator_id}' chưa có số liệu cấp xã{when}{hint}")
    request = thematic.MapRequest(
        indicator_id, year, edition, include_illustrative, scheme, k, breaks, tuple(where.items())
    )
    tm = thematic.build(request, indicators, values, load.load_communes(edition, where=where))
    if tm.refusal:
        raise ExportError(" ".join(tm.refusal.split()))
    if not tm.has_data:
        raise ExportError(
            f"chỉ tiêu '{indicator_id}' chưa có số liệu cấp xã năm {year} theo đơn vị hành chính {edition}"
        )
    outline = load.load_outline(province=province)
    return MapContext(tm, outline, load.load_projects(), tuple(layers), tuple(load.load_map_labels()), province)
