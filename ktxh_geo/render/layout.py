"""Print layout of a thematic map (matplotlib, no browser): map, legend, scale bar, north arrow, footer.

Drawn from the same ``ThematicMap`` as the screen (joined units, ``Classification``), so colours, class labels and
legend entries match. The map is drawn in the profile's metric CRS (``metric_crs``) so the scale bar measures true
kilometres, and framed on the outline it is given (the district, the province, the country, or one province of
the country). All positions are laid out in millimetres on the paper; fonts scale with the paper size. Text stays
text (no path effects), so it is selectable in the PDF. Labels are placed on paper without overlapping each other,
the scale bar, the north arrow or the object markers; the profile's fixed labels (the archipelagos on a map of the
country) come first, then units by size; a label that finds no free place is left out and the footer says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache

import geopandas as gpd
import matplotlib
import numpy as np
import shapely
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.patches import Polygon, Rectangle
from matplotlib.text import Text
from matplotlib.textpath import TextToPath
from matplotlib.typing import RcKeyType
from shapely.geometry import Point

from ktxh_geo.model.classify import NO_DATA_COLOR
from ktxh_geo.model.join import ILLUSTRATIVE_MARK
from ktxh_geo.model.projects import CATEGORIES, CATEGORY_COLORS, layer_objects
from ktxh_geo.model.thematic import ThematicMap
from ktxh_geo.text import format_date_vn, format_number, printable
from ktxh_geo.vocab import FLAGGED
from ktxh_geo.vocab.profile import Profile, active

FONT = "DejaVu Sans"  # bundled with matplotlib; covers every Vietnamese letter
PAPERS_MM = {"a4": (297.0, 210.0), "a3": (420.0, 297.0)}  # landscape (width, height)
ORIENTATIONS = ("landscape", "portrait")


def boundary_credit(profile: Profile | None = None) -> str:
    """Credit line of a profile's boundary sources (``boundary_credit``) and the map's coordinate system."""
    profile = profile or active()
    crs = f"Hệ tọa độ in bản đồ: {profile.metric_crs_label} ({profile.metric_crs})."
    return f"{profile.boundary_credit} {crs}" if profile.boundary_credit else crs


def plan_line(profile: Profile | None = None, area_name: str = "") -> str:
    """Who made the map, for which area (print footer; the plan itself is in the subtitle)."""
    return f"Lập bằng ktxh-geo, {area_name or (profile or active()).area_name}."


def source_line(sources: list[str], year: int) -> str:
    """ "Nguồn số liệu: …." — or, on a map with no values, that there are none (never an empty "—")."""
    if sources:
        return "Nguồn số liệu: " + "; ".join(sources) + "."
    return f"Nguồn số liệu: chưa có số liệu của chỉ tiêu này năm {year} cho các đơn vị trên bản đồ."


def capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


APPROX_NOTE = "Vị trí gần đúng: chỉ biết xã, điểm đặt trong phạm vi xã."
COMMUNE_EDGE = "#444444"
OUTLINE_COLOR = "#111111"
MAP_BACKGROUND = "#fafaf7"
HATCH = "///"
HATCH_COLOR = "#7a7a7a"  # lighter than the boundaries, so the lines read as "no data", not as edges
FLAG_HATCH = "\\\\\\"  # a flagged figure (status nghi_van): its own hatch, the other way, in red
FLAG_HATCH_COLOR = "#c0392b"
HATCHES = {"no_data": (HATCH, HATCH_COLOR), "flagged": (FLAG_HATCH, FLAG_HATCH_COLOR)}  # legend kind → hatch
_TEXT_TO_PATH = TextToPath()
RC: dict[RcKeyType, object] = {
    "font.family": "sans-serif",
    "font.sans-serif": [FONT],
    "pdf.fonttype": 42,  # embed TrueType (DejaVu Sans) so PDF text is selectable and searchable
    "ps.fonttype": 42,
    "hatch.linewidth": 0.5,
    "axes.unicode_minus": False,
    "text.usetex": False,  # data text is printed as it is: no LaTeX
}


@dataclass(frozen=True)
class MapLabel:
    """A label to place on the map: text at an anchor (metric CRS), kept inside ``area`` if given."""

    text: str
    x: float
    y: float
    size: float  # points
    weight: str = "bold"
    area: object = None  # a unit's polygon (metric): the label stays on it; None: anywhere near the anchor
    code: str = ""
    fixed: bool = False  # a profile's fixed label (an archipelago): placed first, never dropped for a unit's
    leader: bool = False  # may move off its unit, with a thin line back to it, when nothing nearer is free


@dataclass
class Layout:
    """A laid-out map figure; ``to_pixel`` maps metric-CRS metres to pixels of the saved PNG."""

    figure: Figure
    map_ax: matplotlib.axes.Axes
    dpi: int
    label_points: dict[str, tuple[float, float]] = field(default_factory=dict)
    marker_points: list[tuple[float, float]] = field(default_factory=list)
    m_per_mm: float = 0.0  # ground metres per millimetre of paper (the map scale / 1000)
    scale_km: float = 0.0  # length of the scale bar
    label_boxes: list[tuple[str, tuple[float, float, float, float]]] = field(default_factory=list)  # text, mm box
    dropped: list[str] = field(default_factory=list)  # unit labels with no free place on this paper

    @property
    def size_px(self) -> tuple[int, int]:
        w, h = self.figure.get_size_inches() * self.dpi
        return round(w), round(h)

    def to_pixel(self, x: float, y: float) -> tuple[float, float]:
        """Pixel (column, row from the top) of a metric-CRS point in the PNG saved at ``dpi``."""
        dx, dy = self.map_ax.transData.transform((x, y))
        scale = self.dpi / self.figure.dpi
        return dx * scale, self.size_px[1] - dy * scale

    def label_boxes_pt(self) -> list[tuple[str, tuple[float, float, float, float]]]:
        """The placed labels' boxes in PDF points from the page's top-left corner (x0, y0, x1, y1), as pdftotext
        -bbox reports words."""
        x0, y0 = self.map_ax.get_xlim()[0], self.map_ax.get_ylim()[0]
        height_pt = self.figure.get_size_inches()[1] * 72
        out = []
        for text, (u0, v0, u1, v1) in self.label_boxes:
            corners = [(x0 + u * self.m_per_mm, y0 + v * self.m_per_mm) for u, v in ((u0, v0), (u1, v1))]
            (ax0, ay0), (ax1, ay1) = (self.map_ax.transData.transform(c) * 72 / self.figure.dpi for c in corners)
            out.append((text, (ax0, height_pt - ay1, ax1, height_pt - ay0)))
        return out


def paper_size_mm(paper: str, orientation: str) -> tuple[float, float]:
    """(width, height) of the sheet in millimetres."""
    if paper not in PAPERS_MM:
        raise ValueError(f"unknown paper {paper!r}; expected one of {', '.join(PAPERS_MM)}")
    if orientation not in ORIENTATIONS:
        raise ValueError(f"unknown orientation {orientation!r}; expected one of {', '.join(ORIENTATIONS)}")
    w, h = PAPERS_MM[paper]
    return (w, h) if orientation == "landscape" else (h, w)


@cache
def _charmap() -> frozenset[int]:
    path = findfont(FontProperties(family=FONT), fallback_to_default=False)
    return frozenset(get_font(path).get_charmap())


def missing_glyphs(fig: Figure) -> set[str]:
    """Characters of the figure's texts that DejaVu Sans cannot draw (they would print as boxes)."""
    cmap = _charmap()
    return {ch for t in fig.findobj(Text) for ch in t.get_text() if not ch.isspace() and ord(ch) not in cmap}


@cache
def _advance_pt(ch: str, weight: str) -> float:
    """Advance width of one character at 1 pt (measured once per process)."""
    prop = FontProperties(family=FONT, size=100, weight=weight)
    width, _, _ = _TEXT_TO_PATH.get_text_width_height_descent("x" + ch + "x", prop, ismath=False)
    return (width - 2 * _x_width(weight)) / 100


@cache
def _x_width(weight: str) -> float:
    prop = FontProperties(family=FONT, size=100, weight=weight)
    return _TEXT_TO_PATH.get_text_width_height_descent("x", prop, ismath=False)[0]


def _text_width_mm(text: str, size_pt: float, weight: str = "normal") -> float:
    """Width on paper, from cached glyph advances (kerning ignored, so 3 % spare)."""
    return 1.03 * sum(_advance_pt(ch, weight) for ch in text) * size_pt * 25.4 / 72


def _wrap(text: str, width_mm: float, size_pt: float, weight: str = "normal") -> str:
    """Greedy word wrap measured with the real font metrics; data text is printed as typed (``_plain``)."""
    lines: list[str] = []
    for word in _plain(text).split():
        if lines and _text_width_mm(lines[-1] + " " + word, size_pt, weight) <= width_mm:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "\n".join(lines)


def wrap_text(text: str, width_mm: float, size_pt: float, weight: str = "normal") -> str:
    """``text`` wrapped to ``width_mm`` in DejaVu Sans at ``size_pt``, its own line breaks kept (print layouts)."""
    return "\n".join(_wrap(part, width_mm, size_pt, weight) for part in str(text).split("\n"))


def _plain(text: object) -> str:
    """Data text for print: line breaks and tabs become spaces, other control and bidi characters show escaped."""
    return printable(" ".join(str(text).split()))


def _height_mm(text: str, size_pt: float, spacing: float = 1.25) -> float:
    return (text.count("\n") + 1) * size_pt * 0.3528 * spacing


class _NoDraw:
    """Stands in for an Axes when the legend is only measured."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def _nice_length_km(span_m: float) -> float:
    """A round scale-bar length (1, 2, 2,5 or 5 × 10ⁿ km) near a quarter of the map's width."""
    target = span_m / 4000
    for exponent in range(-1, 5):
        for digit in (1, 2, 2.5, 5):
            km = digit * 10**exponent
            if km >= target * 0.6:
                return km
    return 10_000.0


def _polys(geom):
    return list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]


def _add_polygon(ax, geom, **kw) -> None:
    for poly in _polys(geom):
        ax.add_artist(Polygon(np.asarray(poly.exterior.coords), closed=True, **kw))  # limits are set by hand
        for ring in poly.interiors:  # no holes in the shipped data; outline them if any appear
            ax.add_artist(Polygon(np.asarray(ring.coords), closed=True, **{**kw, "fill": False}))


def render_layout(
    tm: ThematicMap,
    outline: gpd.GeoDataFrame,
    projects: gpd.GeoDataFrame | None,
    layers: list[str] | tuple[str, ...],
    title: str,
    subtitle: str,
    paper: str = "a4",
    orientation: str = "landscape",
    dpi: int = 300,
    export_date: date | None = None,
    fixed_labels: list[tuple[str, float, float]] | tuple = (),
) -> Layout:
    """Lay out one thematic map on a sheet of paper (nothing is saved here).

    ``outline`` frames the map (the area shown); ``fixed_labels`` are (text, lon, lat) printed whenever they fall
    in the frame (the archipelagos on a map of the country).
    """
    with matplotlib.rc_context(RC):
        return _render(
            tm, outline, projects, layers, title, subtitle, paper, orientation, dpi, export_date, list(fixed_labels)
        )


def _render(tm, outline, projects, layers, title, subtitle, paper, orientation, dpi, export_date, fixed_labels):
    profile, joined, classification = tm.profile, tm.joined, tm.classification
    page_w, page_h = paper_size_mm(paper, orientation)
    s = min(page_w, page_h) / 210.0  # font scale: 1 on A4, 1.41 on A3
    portrait = orientation == "portrait"
    w_in, h_in = page_w / 25.4, page_h / 25.4
    # Whole pixels at the requested dpi (A4 landscape at 300 dpi: 3508 × 2480).
    fig = Figure(figsize=(round(w_in * dpi) / dpi, round(h_in * dpi) / dpi), dpi=dpi)
    fig.patch.set_facecolor("white")

    def box(x, y_top, w, h):  # mm from the top-left corner → figure fraction rectangle
        return [x / page_w, 1 - (y_top + h) / page_h, w / page_w, h / page_h]

    margin = 10.0 * s
    illustrative = bool((joined["status"] == "illustrative").any())

    # Title block.
    y = margin
    title_text = _wrap(title, page_w - 2 * margin, 15 * s, "bold")
    fig.text(margin / page_w, 1 - y / page_h, title_text, fontsize=15 * s, fontweight="bold", va="top", color="#111",
             linespacing=1.15)  # fmt: skip
    y += _height_mm(title_text, 15 * s, 1.2) + 1.5 * s
    subtitle_text = _wrap(subtitle, page_w - 2 * margin, 9.5 * s)
    fig.text(margin / page_w, 1 - y / page_h, subtitle_text, fontsize=9.5 * s, va="top", color="#333")
    y += _height_mm(subtitle_text, 9.5 * s, 1.3) + 3 * s
    top = y

    # Map and legend frames are laid out before the footer is written (it says how many labels were left out).
    footer_size = 6.8 * s
    sources = sorted({src for src in joined["source"] if src})
    shown = [c for c in layers if c in CATEGORIES]
    objects = layer_objects(projects, shown) if projects is not None and shown else None
    if objects is not None:
        sources += sorted({src for src in objects["source"] if src and src not in sources})
    day = format_date_vn(export_date or date.today())
    footer_lines = [
        _wrap(source_line(sources, tm.year), page_w - 2 * margin, footer_size),
        _wrap(boundary_credit(profile), page_w - 2 * margin, footer_size),
        _wrap(f"Ngày xuất bản đồ: {day}. {plan_line(profile, tm.area_name)}", page_w - 2 * margin, footer_size),
    ]
    footer_h = _height_mm("\n".join(footer_lines + ["x"]), footer_size, 1.3)  # one line spare for the label note
    footer_top = page_h - margin - footer_h - (6 * s if illustrative else 0)
    bottom = footer_top - 4 * s

    gap = 5 * s
    area_label = _area_label(profile, outline)
    units_label = capitalised(tm.edition.unit_words)
    if portrait:
        legend_w = page_w - 2 * margin
        legend_h = _draw_legend(_NoDraw(), classification, objects, (0, 0, legend_w, 0), s, area_label, units_label,
                                columns=2) + 2 * s  # fmt: skip
        map_frame = (margin, top, legend_w, bottom - top - legend_h - gap)
        legend_frame = (margin, bottom - legend_h, legend_w, legend_h)
    else:
        legend_w = 78 * s
        map_frame = (margin, top, page_w - 2 * margin - legend_w - gap, bottom - top)
        legend_frame = (page_w - margin - legend_w, top, legend_w, bottom - top)

    ax = fig.add_axes(box(*map_frame))
    layout = Layout(fig, ax, dpi)
    _draw_map(ax, layout, profile, joined, classification, outline, objects, map_frame, s, fixed_labels)

    lax = fig.add_axes(box(*legend_frame))
    _draw_legend(lax, classification, objects, legend_frame, s, area_label, units_label, columns=2 if portrait else 1)

    if layout.dropped:
        larger = " (in khổ A3 để có đủ tên hơn)" if paper == "a4" else ""
        footer_lines.append(
            _wrap(
                f"Không in được tên {len(layout.dropped)} đơn vị nhỏ vì chồng lấn{larger}: "
                + ", ".join(sorted(layout.dropped))
                + ".",
                page_w - 2 * margin,
                footer_size,
            )
        )
    fig.text(margin / page_w, 1 - footer_top / page_h, "\n".join(footer_lines), fontsize=footer_size, va="top",
             color="#333", linespacing=1.3)  # fmt: skip
    if illustrative:
        fig.text(
            margin / page_w,
            1 - (page_h - margin) / page_h,
            f"{ILLUSTRATIVE_MARK} — giá trị cấp xã trên bản đồ này không phải số liệu chính thức.",
            fontsize=8.5 * s,
            fontweight="bold",
            color="#8a5a00",
            va="bottom",
        )
    fig.add_artist(
        matplotlib.lines.Line2D(
            [margin / page_w, 1 - margin / page_w],
            [1 - (footer_top - 2 * s) / page_h] * 2,
            color="#999",
            linewidth=0.5,
        )
    )

    for text in fig.findobj(Text):  # titles, names, sources are data: "$x^2$" prints as typed, not as mathtext
        text.set_parse_math(False)
    missing = missing_glyphs(fig)
    if missing:
        raise ValueError(f"font {FONT} has no glyph for {''.join(sorted(missing))!r}")
    return layout


def _area_label(profile: Profile, outline: gpd.GeoDataFrame) -> str:
    """The legend's name of the outline: the area shown (one province of the country) or the profile's area."""
    if "full_name" in outline.columns and len(outline) == 1 and profile.drill_down:
        return str(outline["full_name"].iloc[0])
    return profile.area_label


def _draw_map(ax, layout, profile, joined, classification, outline, objects, frame_mm, s, fixed_labels) -> None:
    metric_crs = profile.metric_crs
    communes = joined.to_crs(metric_crs)
    area = outline.to_crs(metric_crs)
    minx, miny, maxx, maxy = area.total_bounds
    pad = 0.04 * max(maxx - minx, maxy - miny)
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    # Grow the shorter side so one metre is the same length on paper in x and y.
    frame_w, frame_h = frame_mm[2], frame_mm[3]
    m_per_mm = max((maxx - minx) / frame_w, (maxy - miny) / frame_h)
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    x0, y0 = cx - m_per_mm * frame_w / 2, cy - m_per_mm * frame_h / 2
    ax.set_xlim(x0, cx + m_per_mm * frame_w / 2)
    ax.set_ylim(y0, cy + m_per_mm * frame_h / 2)
    ax.set_facecolor(MAP_BACKGROUND)
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linewidth(0.6)
        spine.set_color("#555")

    kinds = {item.color: item.kind for item in classification.legend}
    edge = 0.6 * s if len(communes) <= 400 else 0.3 * s
    for geom, color, status in zip(communes.geometry, classification.colors, communes["status"], strict=True):
        no_data = status == "missing" or (kinds.get(color) == "no_data" and color == NO_DATA_COLOR)
        kind = "flagged" if status == FLAGGED else ("no_data" if no_data else "fill")
        hatch, hatch_color = HATCHES.get(kind, (None, HATCH_COLOR))
        _add_polygon(
            ax,
            geom,
            facecolor=color,
            edgecolor=COMMUNE_EDGE,
            linewidth=edge,
            hatch=hatch,
            hatchcolor=hatch_color,
            zorder=1,
        )
    if len(area) > 1:  # an outline made of several units (the country's provinces): draw only its edge
        area = gpd.GeoDataFrame(geometry=[shapely.union_all(area.geometry.buffer(1)).buffer(-1)], crs=area.crs)
    for geom in area.geometry:
        _add_polygon(ax, geom, fill=False, edgecolor=OUTLINE_COLOR, linewidth=1.8 * s, zorder=3)

    def to_mm(x, y):
        return (x - x0) / m_per_mm, (y - y0) / m_per_mm

    obstacles: list[tuple[float, float, float, float]] = []
    if objects is not None and len(objects):
        objs = objects.to_crs(metric_crs)
        for cat in dict.fromkeys(objs["category"]):
            for approx in (False, True):
                sel = objs[(objs["category"] == cat) & ((objs["location_precision"] != "exact") == approx)]
                if not len(sel):
                    continue
                pts = sel.geometry.representative_point()  # a point stays itself; a footprint gets a marker
                _scatter(ax, pts.x, pts.y, CATEGORY_COLORS[cat], approx, s, zorder=5)
                layout.marker_points += list(zip(pts.x, pts.y, strict=True))
    radius = 9 * s * 0.3528 / 2 + 0.8 * s  # half a marker, with its white ring
    for u, v in (to_mm(*p) for p in layout.marker_points):
        obstacles.append((u - radius, v - radius, u + radius, v + radius))

    layout.m_per_mm = m_per_mm
    layout.scale_km, scale_box = _scale_bar(ax, m_per_mm, s)
    obstacles += [scale_box, _north_arrow(ax, s, frame_w, frame_h)]

    labels = [
        MapLabel(text, x, y, 7.5 * s, fixed=True)
        for text, x, y in _to_metric(fixed_labels, metric_crs)
        if x0 <= x <= x0 + m_per_mm * frame_w and y0 <= y <= y0 + m_per_mm * frame_h
    ]
    by_size = communes.assign(_area=communes.geometry.area).sort_values("_area", kind="stable")
    units = []
    for code, name, geom in zip(by_size["code"], by_size["name"], by_size.geometry, strict=True):
        pt = _label_point(geom, layout.marker_points)
        layout.label_points[code] = (pt.x, pt.y)
        units.append(MapLabel(_plain(name), pt.x, pt.y, 0.0, area=geom, code=code, leader=True))
    units.sort(key=lambda u: u.code not in profile.label_first)  # the capitals first (stable: the rest keep order)
    placed, dropped = _fit_labels(labels, units, s, to_mm, m_per_mm, (frame_w, frame_h), obstacles)
    for label, (u0, v0, u1, v1), anchor in placed:
        x, y = x0 + (u0 + u1) / 2 * m_per_mm, y0 + (v0 + v1) / 2 * m_per_mm
        if anchor is not None:  # a thin line from the unit to its label, ending at the label's box
            end_u, end_v = min(max(anchor[0], u0), u1), min(max(anchor[1], v0), v1)
            ax_u, ax_v = x0 + anchor[0] * m_per_mm, y0 + anchor[1] * m_per_mm
            ax.plot([ax_u, x0 + end_u * m_per_mm], [ax_v, y0 + end_v * m_per_mm], color="#333", linewidth=0.5 * s,
                    zorder=5.8)  # fmt: skip
            ax.scatter([ax_u], [ax_v], s=(1.6 * s) ** 2, color="#333", zorder=5.9)
        if label.code:
            layout.label_points[label.code] = (x, y)
        ax.text(
            x,
            y,
            label.text,
            fontsize=label.size,
            fontweight=label.weight,
            fontstyle="italic" if label.fixed else "normal",
            ha="center",
            va="center",
            color="#0b3d91" if label.fixed else "#1a1a1a",
            zorder=6,
            bbox={"boxstyle": f"round,pad={LABEL_PAD}", "facecolor": "white", "edgecolor": "none", "alpha": 0.7},
        )
        layout.label_boxes.append((label.text, (u0, v0, u1, v1)))
    layout.dropped = [label.text for label in dropped]


LABEL_PAD = 0.15  # the label's white box around its text, in font sizes
LABEL_GAP_MM = 0.6  # free paper between two labels (so they never read as one word)
UNIT_LABEL_SIZES = (6.8, 6.2, 5.6, 5.0)  # points on A4; the largest that fits every unit label wins


def _to_metric(points, metric_crs: str) -> list[tuple[str, float, float]]:
    """(text, lon, lat) → (text, x, y) in the metric CRS."""
    if not points:
        return []
    from pyproj import Transformer

    to_metric = Transformer.from_crs("EPSG:4326", metric_crs, always_xy=True)
    return [(text, *to_metric.transform(lon, lat)) for text, lon, lat in points]


def _label_box(label: MapLabel, u: float, v: float, size: float) -> tuple[float, float, float, float]:
    """The paper box (mm) of a label centred at (u, v): its text plus the white box around it."""
    pad = LABEL_PAD * size * 0.3528
    w = _text_width_mm(label.text, size, label.weight) / 2 + pad
    h = size * 0.3528 * 1.2 / 2 + pad
    return u - w, v - h, u + w, v + h


def _overlaps(a, b, gap: float = LABEL_GAP_MM) -> bool:
    return a[0] < b[2] + gap and b[0] < a[2] + gap and a[1] < b[3] + gap and b[1] < a[3] + gap


def _fit_labels(fixed, units, s, to_mm, m_per_mm, frame, obstacles):
    """Place the fixed labels, then the unit labels (largest unit first) at the largest size that leaves none out.

    Each label tries its anchor, then nearby positions (above, below, right, left, diagonals) that keep it on its
    unit, then (``leader``) positions off the unit with a line back to it; a label with no free position is
    dropped. Returns (placed labels with their boxes and leader anchors, dropped unit labels).
    """
    best = None
    for size in UNIT_LABEL_SIZES:
        sized = [
            MapLabel(u.text, u.x, u.y, size * min(s, 1.0), u.weight, u.area, u.code, leader=u.leader) for u in units
        ]
        placed, dropped = _place([*fixed, *sized], to_mm, m_per_mm, frame, obstacles)
        if best is None or len(dropped) < len(best[1]):
            best = (placed, dropped)
        if not dropped:
            break
    return best


def _place(labels, to_mm, m_per_mm, frame, obstacles):
    """Place labels in order at or near their anchors; those with no free place near get a leader line in a
    second pass (so a leader never takes the place of a label that fits on its unit)."""
    placed: list[tuple[MapLabel, tuple[float, float, float, float], tuple[float, float] | None]] = []
    later: list[tuple[MapLabel, tuple[float, float, float, float], tuple[float, float]]] = []
    taken = list(obstacles)
    frame_w, frame_h = frame
    for label in labels:
        u, v = to_mm(label.x, label.y)
        box0 = _label_box(label, u, v, label.size)
        w, h = box0[2] - box0[0], box0[3] - box0[1]
        steps = [(0, 0), (0, 0.7 * h), (0, -0.7 * h), (0.35 * w, 0), (-0.35 * w, 0), (0.3 * w, 0.7 * h),
                 (-0.3 * w, 0.7 * h), (0.3 * w, -0.7 * h), (-0.3 * w, -0.7 * h), (0, 1.3 * h), (0, -1.3 * h),
                 (0.6 * w, 0), (-0.6 * w, 0)]  # fmt: skip
        for du, dv in steps:
            box = (box0[0] + du, box0[1] + dv, box0[2] + du, box0[3] + dv)
            if box[0] < 1 or box[1] < 1 or box[2] > frame_w - 1 or box[3] > frame_h - 1:
                continue
            if label.area is not None and not label.area.buffer(0.5 * h * m_per_mm).contains(
                Point(label.x + du * m_per_mm, label.y + dv * m_per_mm)
            ):
                continue  # the label would name the neighbour
            if any(_overlaps(box, other) for other in taken):
                continue
            placed.append((label, box, None))
            taken.append(box)
            break
        else:
            later.append((label, box0, (u, v)))
    dropped: list[MapLabel] = []
    for label, box0, anchor in later:
        found = _leader_box(box0, frame, taken) if label.leader else None
        if found is None:
            dropped.append(label)
        else:
            placed.append((label, found, anchor))
            taken.append(found)
    return placed, dropped


def _leader_box(box0, frame, taken):
    """A free position off the unit, on rings around its anchor (nearest first), for a label with a leader line."""
    import math

    w, h = box0[2] - box0[0], box0[3] - box0[1]
    for reach in (1.0, 1.6, 2.4, 3.4):
        for angle in range(0, 360, 30):
            du = math.cos(math.radians(angle)) * (w / 2 + 2.5) * reach
            dv = math.sin(math.radians(angle)) * (h / 2 + 2.5) * reach
            box = (box0[0] + du, box0[1] + dv, box0[2] + du, box0[3] + dv)
            inside = box[0] >= 1 and box[1] >= 1 and box[2] <= frame[0] - 1 and box[3] <= frame[1] - 1
            if inside and not any(_overlaps(box, other) for other in taken):
                return box
    return None


def _label_point(geom, markers: list[tuple[float, float]], clear: float = 1000.0) -> Point:
    """The commune's representative point, or a nearby inner point clear of the object markers.

    Objects are placed at the commune's pole of inaccessibility, right where a label would go;
    on paper the label moves aside (up to ``clear`` metres from any marker) instead of hiding them.
    """
    start = geom.representative_point()
    pts = np.asarray(markers, dtype=float).reshape(-1, 2)
    if not len(pts) or np.hypot(*(pts - [start.x, start.y]).T).min() >= clear:
        return start
    inner = geom.buffer(-400)
    inner = inner if not inner.is_empty else geom
    minx, miny, maxx, maxy = inner.bounds
    xs, ys = np.meshgrid(np.linspace(minx, maxx, 25), np.linspace(miny, maxy, 25))
    xs, ys = xs.ravel(), ys.ravel()
    inside = shapely.contains_xy(inner, xs, ys)
    xs, ys = xs[inside], ys[inside]
    if not len(xs):
        return start
    nearest = np.hypot(xs[:, None] - pts[:, 0], ys[:, None] - pts[:, 1]).min(axis=1)
    score = np.minimum(nearest, clear) - 0.3 * np.hypot(xs - start.x, ys - start.y)
    best = int(np.argmax(score))
    return Point(xs[best], ys[best])


def _scatter(ax, xs, ys, color, approx, s, zorder=5):
    # a white ring under each symbol: it stays visible on a fill of its own colour
    ax.scatter(xs, ys, s=(9 * s) ** 2, facecolors="none", edgecolors="white", linewidths=4.2 * s, zorder=zorder - 0.5)
    ax.scatter(
        xs,
        ys,
        s=(9 * s) ** 2,
        facecolors=(1, 1, 1, 0.85) if approx else matplotlib.colors.to_rgba(color, 0.9),
        edgecolors=color,
        linewidths=1.6 * s,
        linestyles="--" if approx else "-",
        zorder=zorder,
    )


def _scale_bar(ax, m_per_mm, s) -> tuple[float, tuple[float, float, float, float]]:
    """Draw the scale bar at the bottom left; returns its length (km) and its paper box (mm, from the map's
    bottom-left corner) so labels keep clear of it."""
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    km = _nice_length_km(x1 - x0)
    length = km * 1000
    left, base = x0 + 6 * s * m_per_mm, y0 + 7 * s * m_per_mm
    height = 1.6 * s * m_per_mm
    scale = round(m_per_mm * 1000 / 1000) * 1000
    ratio = f"Tỷ lệ 1:{format_number(scale, 0)} (khi in đúng khổ giấy)"
    width_mm = max(length / m_per_mm + 12 * s, _text_width_mm(ratio, 5.5 * s) + 6 * s)
    ax.add_patch(
        Rectangle(
            (left - 3 * s * m_per_mm, base - 4 * s * m_per_mm),
            width_mm * m_per_mm,
            12 * s * m_per_mm,
            facecolor="white",
            edgecolor="#999",
            linewidth=0.4,
            alpha=0.85,
            zorder=7,
        )
    )
    for i in range(4):
        ax.add_patch(
            Rectangle(
                (left + i * length / 4, base),
                length / 4,
                height,
                facecolor="#111" if i % 2 == 0 else "white",
                edgecolor="#111",
                linewidth=0.5,
                zorder=8,
            )
        )
    for frac in (0, 0.5, 1):
        label = format_number(km * frac, 1)
        ax.text(left + frac * length, base + height + 0.8 * s * m_per_mm, label + (" km" if frac == 1 else ""),
                ha="center", va="bottom", fontsize=6.5 * s, zorder=8)  # fmt: skip
    ax.text(left, base - 1 * s * m_per_mm, ratio, ha="left", va="top", fontsize=5.5 * s, color="#333", zorder=8)
    return km, (3 * s, 3 * s, 3 * s + width_mm, 15 * s)


def _north_arrow(ax, s, frame_w: float, frame_h: float) -> tuple[float, float, float, float]:
    """A two-tone arrow with "B" (Bắc): grid north of the metric CRS (close to true north at map scale).

    Returns its paper box (mm, from the map's bottom-left corner)."""
    tr = ax.transAxes
    aspect = frame_w / frame_h  # axes width / height on paper
    cx, tip, base = 0.955, 0.945, 0.865
    half = 0.3 * (tip - base) / aspect  # same physical proportions on any paper
    notch = base + 0.25 * (tip - base)
    ax.add_patch(Polygon([(cx, tip), (cx - half, base), (cx, notch)], closed=True, transform=tr,
                         facecolor="#111", edgecolor="#111", linewidth=0.6, zorder=8))  # fmt: skip
    ax.add_patch(Polygon([(cx, tip), (cx + half, base), (cx, notch)], closed=True, transform=tr,
                         facecolor="white", edgecolor="#111", linewidth=0.6, zorder=8))  # fmt: skip
    ax.text(cx, tip + 0.008, "B", transform=tr, ha="center", va="bottom", fontsize=10 * s, fontweight="bold", zorder=8)
    return (cx - half) * frame_w - 1.5 * s, base * frame_h - 1, (cx + half) * frame_w + 1.5 * s, frame_h


def _draw_legend(lax, classification, objects, frame_mm, s, area_label: str, units_label: str, columns=1) -> float:
    """Legend drawn in millimetres: classes (with no-data and "Không áp dụng"), layers, boundaries.

    Returns the height used (mm); pass a ``_NoDraw()`` to measure without drawing.
    """
    w, h = frame_mm[2], frame_mm[3]
    lax.set_xlim(0, w)
    lax.set_ylim(h, 0)  # y grows downwards, in mm
    lax.set_axis_off()
    col_w = w / columns - (4 * s if columns > 1 else 0)
    text_size, head_size = 7.5 * s, 8.5 * s
    row = 5.4 * s
    sw_w, sw_h = 8 * s, 4.2 * s
    text_x = sw_w + 2.5 * s

    def heading(x, y, text):
        text = _wrap(text, col_w, head_size, "bold")
        lax.text(x, y, text, fontsize=head_size, fontweight="bold", va="top", linespacing=1.2)
        return y + _height_mm(text, head_size, 1.2) + 2 * s

    def entry(x, y, label):
        label = _wrap(label, col_w - text_x, text_size)
        lax.text(x + text_x, y + sw_h / 2, label, fontsize=text_size, va="center", linespacing=1.15)
        return y + max(row, _height_mm(label, text_size, 1.15) + 1.4 * s)

    x, y = 0.0, 0.0
    y = heading(x, y, classification.title)
    for item in classification.legend:
        hatch, hatch_color = HATCHES.get(item.kind, (None, HATCH_COLOR))
        lax.add_patch(
            Rectangle(
                (x, y),
                sw_w,
                sw_h,
                facecolor=item.color,
                edgecolor="#555",
                linewidth=0.5,
                hatch=hatch,
                hatchcolor=hatch_color,
            )
        )
        y = entry(x, y, item.label)
    heights = [y]

    if columns > 1:
        x, y = w / columns, 0.0
    else:
        y += 3 * s
    y = heading(x, y, "Ranh giới")
    lax.plot([x, x + sw_w], [y + sw_h / 2] * 2, color=OUTLINE_COLOR, linewidth=1.8 * s)
    y = entry(x, y, area_label)
    lax.add_patch(Rectangle((x, y), sw_w, sw_h, facecolor="white", edgecolor=COMMUNE_EDGE, linewidth=0.6 * s))
    y = entry(x, y, units_label)

    if objects is not None and len(objects):
        y = heading(x, y + 3 * s, "Đối tượng của kế hoạch")
        any_approx = False
        for cat in dict.fromkeys(objects["category"]):
            rows = objects[objects["category"] == cat]
            for approx in (False, True):
                if not ((rows["location_precision"] != "exact") == approx).any():
                    continue
                any_approx |= approx
                _scatter(lax, [x + sw_w / 2], [y + sw_h / 2], CATEGORY_COLORS[cat], approx, s)
                y = entry(x, y, CATEGORIES[cat] + (" (vị trí gần đúng)" if approx else ""))
        if any_approx:
            note = _wrap(APPROX_NOTE, col_w, 6.3 * s)
            lax.text(x, y + 1 * s, note, fontsize=6.3 * s, va="top", color="#444", style="italic")
            y += 1 * s + _height_mm(note, 6.3 * s)
    heights.append(y)
    return max(heights)
