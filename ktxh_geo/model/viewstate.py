"""The map page's state as URL query parameters: parse (with fallbacks and notices) and serialise.

A shared link, a prepared slide and the page's widgets all go through ``ViewState``, so opening a link
restores exactly the view it was made from. Invalid or stale parameters never raise: they fall back to
defaults and produce a notice (Vietnamese, for the user) saying which parameter was ignored and why.
No Streamlit import here: pure functions, unit-tested.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING
from urllib.parse import urlencode

if TYPE_CHECKING:
    import pandas as pd

# Parameter names in the URL (short, stable; change them and old links go stale).
KEYS = (
    "indicator",
    "year",
    "edition",
    "layers",
    "scheme",
    "k",
    "breaks",
    "commune",
    "center",
    "zoom",
    "illustrative",
    "basemap",
    "present",
    "slide",
    "profile",
    "province",
    "contrast",
)
K_RANGE = (2, 7)
# User thresholds: at most 8 (9 classes, the most a ColorBrewer palette has), each finite.
MAX_BREAKS = 8
ZOOM_RANGE = (5.0, 19.0)
BASEMAPS = {"none": "Không dùng bản đồ nền (ngoại tuyến)", "osm": "OpenStreetMap (cần Internet)"}
DEFAULT_LAYERS = ("cluster", "village", "residential")


@dataclass(frozen=True)
class Options:
    """What the shipped data allows; ``from_params`` validates against it."""

    indicators: Mapping[str, IndicatorOptions]
    editions: tuple[str, ...]
    layers: tuple[str, ...]
    schemes: tuple[str, ...]
    basemaps: tuple[str, ...]
    communes: Mapping[str, frozenset[str]]  # edition -> GSO codes
    default_indicator: str
    default_edition: str
    default_layers: tuple[str, ...]
    profile: str = ""
    default_profile: str = ""
    provinces: frozenset[str] = frozenset()  # drill-down keys of a national profile
    drill_edition: str = ""  # the edition a province's units are on (a link with province= and no edition=)
    view_box: tuple[float, float, float, float] = (-90.0, -180.0, 90.0, 180.0)  # centre of a link must be inside


@dataclass(frozen=True)
class IndicatorOptions:
    years: tuple[int, ...]
    categorical: bool
    scheme: str = ""
    breaks: tuple[float, ...] = ()


@dataclass(frozen=True)
class ViewState:
    """Everything needed to redraw one view of the map page."""

    indicator: str
    year: int
    edition: str
    layers: tuple[str, ...]
    scheme: str | None = None  # None for categorical indicators
    k: int = 5
    breaks: tuple[float, ...] | None = None  # only with scheme "user"
    commune: str | None = None
    center: tuple[float, float] | None = None  # (lat, lon)
    zoom: float | None = None
    illustrative: bool = False
    basemap: str = "none"
    present: bool = False
    slide: int | None = None  # index in the deck, when stepping through slides
    profile: str | None = None  # locality profile (None: the default one)
    province: str | None = None  # drill-down of a national profile (a province code)
    contrast: bool = False  # high-contrast theme for projectors
    extra: dict = field(default_factory=dict, compare=False, repr=False)

    def to_params(self) -> dict[str, str]:
        """The state as query parameters (strings). Defaults of optional fields are left out."""
        p = {
            "indicator": self.indicator,
            "year": str(self.year),
            "edition": self.edition,
            "layers": ",".join(self.layers),
        }
        if self.scheme:
            p["scheme"] = self.scheme
            if self.scheme == "user":
                if self.breaks:
                    p["breaks"] = ",".join(_num(b) for b in self.breaks)
            else:
                p["k"] = str(self.k)
        if self.commune:
            p["commune"] = self.commune
        if self.center is not None and self.zoom is not None:
            p["center"] = f"{self.center[0]:.5f},{self.center[1]:.5f}"
            p["zoom"] = _num(self.zoom)
        if self.illustrative:
            p["illustrative"] = "1"
        if self.basemap != "none":
            p["basemap"] = self.basemap
        if self.contrast:
            p["contrast"] = "1"
        if self.present:
            p["present"] = "1"
        if self.slide is not None:
            p["slide"] = str(self.slide)
        if self.province:
            p["province"] = self.province
        if self.profile:
            p = {"profile": self.profile, **p}
        return p

    def query_string(self) -> str:
        return urlencode(self.to_params(), safe=",")

    @classmethod
    def default(cls, opts: Options, indicator: str | None = None) -> ViewState:
        ind_id = indicator if indicator in opts.indicators else opts.default_indicator
        ind = opts.indicators[ind_id]
        scheme = None if ind.categorical else (ind.scheme or "natural_breaks")
        return cls(
            indicator=ind_id,
            year=ind.years[-1] if ind.years else 2023,
            edition=opts.default_edition,
            layers=tuple(opts.default_layers),
            scheme=scheme,
            breaks=ind.breaks or None if scheme == "user" else None,
        )

    @classmethod
    def from_params(cls, params: Mapping[str, str | list[str]], opts: Options) -> tuple[ViewState, list[str]]:
        """Parse query parameters; unknown or invalid values fall back to defaults with a notice each."""
        raw = {k: _last(v) for k, v in params.items()}
        notices: list[str] = []

        def bad(key: str, why: str) -> None:
            notices.append(f"Tham số “{key}={_clip(raw.get(key, ''))}” không hợp lệ ({why}); dùng giá trị mặc định.")

        unknown = [key for key in raw if key not in KEYS]
        if unknown:  # one notice, however many: a link with 1,000 stray keys must not bury the map
            shown = ", ".join(f"“{_clip(k)}”" for k in unknown[:3]) + (
                f" và {len(unknown) - 3} tham số khác" if len(unknown) > 3 else ""
            )
            notices.append(f"Bỏ qua tham số không dùng: {shown}.")

        ind_id = raw.get("indicator")
        if ind_id is not None and ind_id not in opts.indicators:
            bad("indicator", "không có chỉ tiêu bản đồ này")
            ind_id = None
        state = cls.default(opts, ind_id)
        ind = opts.indicators[state.indicator]
        changes: dict = {}

        if "year" in raw:
            year = _int(raw["year"])
            if year is None or year not in ind.years:
                years = ", ".join(str(y) for y in ind.years) or "—"
                bad("year", f"năm có số liệu: {years}")
            else:
                changes["year"] = year

        if "edition" in raw:
            if raw["edition"] in opts.editions:
                changes["edition"] = raw["edition"]
            else:
                bad("edition", "không có bộ đơn vị hành chính này")

        if "layers" in raw:
            names = [s for s in raw["layers"].split(",") if s]
            unknown = [s for s in names if s not in opts.layers]
            if unknown:
                bad("layers", "lớp không có: " + ", ".join(unknown))
            changes["layers"] = tuple(s for s in names if s in opts.layers)

        if not ind.categorical:
            scheme = raw.get("scheme")
            if scheme is not None:
                if scheme in opts.schemes:
                    changes["scheme"] = scheme
                    if scheme != "user":
                        changes["breaks"] = None
                else:
                    bad("scheme", "phương pháp phân loại không có")
            scheme = changes.get("scheme", state.scheme)
            if "k" in raw:
                k = _int(raw["k"])
                if k is None or not K_RANGE[0] <= k <= K_RANGE[1]:
                    bad("k", f"số lớp từ {K_RANGE[0]} đến {K_RANGE[1]}")
                else:
                    changes["k"] = k
            if "breaks" in raw:
                breaks = _floats(raw["breaks"])
                if scheme != "user":
                    notices.append("Bỏ qua “breaks”: chỉ dùng với phân loại theo ngưỡng do người dùng đặt.")
                elif not breaks:
                    bad("breaks", "cần các số cách nhau bởi dấu phẩy, ví dụ 1.5,3,5")
                elif len(set(breaks)) > MAX_BREAKS:
                    bad("breaks", f"tối đa {MAX_BREAKS} ngưỡng")
                else:
                    changes["breaks"] = tuple(sorted(set(breaks)))
            if scheme == "user" and not changes.get("breaks", state.breaks):
                changes["breaks"] = ind.breaks or None
                if not ind.breaks:
                    notices.append("Phân loại theo ngưỡng cần ngưỡng; dùng ngắt tự nhiên.")
                    changes["scheme"] = "natural_breaks"
        else:
            for key in ("scheme", "k", "breaks"):
                if key in raw:
                    notices.append(f"Bỏ qua “{key}”: chỉ tiêu phân loại theo nhóm không dùng tham số này.")

        edition = changes.get("edition", state.edition)
        if "edition" not in raw and opts.drill_edition and raw.get("province") in opts.provinces:
            # "?province=01&commune=00004": a province's units are on the drill-down edition, as the page shows them
            edition = changes["edition"] = opts.drill_edition
        if "commune" in raw:
            if raw["commune"] in opts.communes.get(edition, frozenset()):
                changes["commune"] = raw["commune"]
            else:
                bad("commune", f"không có mã đơn vị này trong bộ đơn vị {edition}")

        if "center" in raw or "zoom" in raw:
            center = _floats(raw.get("center", ""))
            zoom = _float(raw.get("zoom", ""))
            lat0, lon0, lat1, lon1 = opts.view_box
            if len(center) != 2 or not (lat0 <= center[0] <= lat1 and lon0 <= center[1] <= lon1):
                bad("center", "cần “vĩ độ,kinh độ” trong vùng của địa phương")
            elif zoom is None or not ZOOM_RANGE[0] <= zoom <= ZOOM_RANGE[1]:
                bad("zoom", f"mức thu phóng từ {ZOOM_RANGE[0]:g} đến {ZOOM_RANGE[1]:g}")
            else:
                changes["center"] = (center[0], center[1])
                changes["zoom"] = zoom

        for key in ("illustrative", "present", "contrast"):
            if key in raw:
                flag = _flag(raw[key])
                if flag is None:
                    bad(key, "dùng 1 hoặc 0")
                else:
                    changes[key] = flag

        if "basemap" in raw:
            if raw["basemap"] in opts.basemaps:
                changes["basemap"] = raw["basemap"]
            else:
                bad("basemap", "bản đồ nền không có")

        if opts.profile and opts.profile != opts.default_profile:
            changes["profile"] = opts.profile
        if "province" in raw:
            if raw["province"] in opts.provinces:
                changes["province"] = raw["province"]
            else:
                bad("province", "không có tỉnh, thành phố mã này")

        if "slide" in raw:
            slide = _int(raw["slide"])
            if slide is None or slide < 0:
                bad("slide", "số thứ tự trang trình chiếu")
            else:
                changes["slide"] = slide

        return replace(state, **changes), notices


def _clip(text: str, limit: int = 40) -> str:
    """A URL value shortened for a notice (a link may carry kilobytes of junk)."""
    text = str(text)
    return text if len(text) <= limit else text[:limit] + "…"


def _last(v: str | list[str]) -> str:
    return v[-1] if isinstance(v, list) else str(v)


def _num(x: float) -> str:
    return f"{x:g}" if x == int(x) or abs(x) >= 1e-4 else repr(x)


def _int(text: str) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _float(text: str) -> float | None:
    try:
        x = float(text)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _floats(text: str) -> list[float]:
    parts = [p for p in text.split(",") if p.strip()]
    out = [_float(p) for p in parts]
    return [] if any(x is None for x in out) else out  # type: ignore[misc]


def _flag(text: str) -> bool | None:
    return {"1": True, "true": True, "0": False, "false": False}.get(text.strip().lower())


def build_options(indicators: Mapping, values, communes: Mapping[str, frozenset[str]], **defaults) -> Options:
    """Options from the catalogue (``Indicator`` objects with ``map`` set) and the values table."""
    from ktxh_geo.model.join import available_years

    inds = {
        i.id: IndicatorOptions(
            years=tuple(available_years(values, i.id)) or (2023,),
            categorical=i.is_categorical,
            scheme=i.scheme,
            breaks=tuple(i.breaks),
        )
        for i in indicators.values()
        if i.map
    }
    return Options(indicators=inds, communes=communes, **defaults)


def shipped_options(values: pd.DataFrame | None = None) -> Options:
    """Options for the shipped data (the map page's indicators, editions, layers, schemes, base maps); ``values``:
    the values to take years from (default: shipped and entered ones, read here)."""
    from ktxh_geo.io import shipped as load
    from ktxh_geo.model.classify import SCHEMES
    from ktxh_geo.model.projects import CATEGORIES
    from ktxh_geo.vocab.editions import EDITIONS, default_edition
    from ktxh_geo.vocab.profile import DEFAULT_PROFILE, active

    profile = active()
    drill = profile.drill_down
    has_objects = len(load.load_projects()) > 0
    return build_options(
        load.load_indicators(),
        load.load_values(True) if values is None else values,
        {e: frozenset(load.load_communes(e)["code"]) for e in EDITIONS},
        editions=tuple(EDITIONS),
        layers=tuple(CATEGORIES) if has_objects else (),
        schemes=tuple(SCHEMES),
        basemaps=tuple(BASEMAPS),
        default_indicator=profile.default_indicator,
        default_edition=default_edition(),
        default_layers=DEFAULT_LAYERS if has_objects else (),
        profile=profile.id,
        default_profile=DEFAULT_PROFILE,
        provinces=frozenset(load.load_communes(profile.base_edition)["code"]) if drill else frozenset(),
        drill_edition=drill.get("edition", "") if drill else "",
        view_box=profile.view_box,
    )
