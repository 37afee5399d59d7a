"""Small multiples: one map per year of an indicator on one A4 landscape page, with one legend (the classes are
the same in every year, ``model.timeseries.series``), the sources and the boundary credit."""

from __future__ import annotations

import io
import math
from datetime import date

from ktxh_geo.model.thematic import ThematicMap
from ktxh_geo.render.layout import FONT, RC, boundary_credit, source_line, wrap_text
from ktxh_geo.text import format_date_vn

PAGE_MM = (297.0, 210.0)
MARGIN_MM = 10.0
LEGEND_MM = 70.0


def multiples_title(maps: list[ThematicMap]) -> str:
    first = maps[0]
    area = first.area_name or first.profile.area_name
    return f"{first.shown.name} — các năm {maps[0].year}–{maps[-1].year} — {area}"


def render_multiples(maps: list[ThematicMap], fmt: str = "pdf", export_date: date | None = None, dpi: int = 150):
    """The page as PDF (vector, text selectable) or PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    if not maps:
        raise ValueError("no maps")
    export_date = export_date or date.today()
    w_mm, h_mm = PAGE_MM
    n = len(maps)
    cols = math.ceil(math.sqrt(n * 1.4))
    rows = math.ceil(n / cols)
    crs = maps[0].profile.metric_crs
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(w_mm / 25.4, h_mm / 25.4), dpi=dpi)
        title = wrap_text(multiples_title(maps), w_mm - 2 * MARGIN_MM, 14, "bold")
        fig.text(MARGIN_MM / w_mm, 1 - MARGIN_MM / h_mm, title, fontsize=14, weight="bold", va="top", family=FONT)
        top = MARGIN_MM + 8 + 5 * title.count("\n")
        footer = [
            source_line(sorted({s for tm in maps for s in tm.sources}), maps[-1].year),
            boundary_credit(maps[0].profile),
            f"Ngày xuất: {format_date_vn(export_date)} · ktxh-geo · Các năm cùng một thang màu (lớp tính trên số "
            "liệu của mọi năm), nên màu so sánh được giữa các năm.",
        ]
        footer_text = "\n".join(wrap_text(f, w_mm - 2 * MARGIN_MM, 6.5) for f in footer)
        footer_h = (footer_text.count("\n") + 1) * 6.5 * 0.3528 * 1.3
        bottom = h_mm - MARGIN_MM - footer_h - 2
        fig.text(MARGIN_MM / w_mm, 1 - (bottom + 2) / h_mm, footer_text, fontsize=6.5, va="top", family=FONT)
        grid_w = w_mm - 2 * MARGIN_MM - LEGEND_MM
        cell_w, cell_h = grid_w / cols, (bottom - top) / rows
        for i, tm in enumerate(maps):
            r, c = divmod(i, cols)
            x, y = MARGIN_MM + c * cell_w, top + r * cell_h
            ax = fig.add_axes((x / w_mm, 1 - (y + cell_h) / h_mm, (cell_w - 3) / w_mm, (cell_h - 7) / h_mm))
            shapes = tm.joined.to_crs(crs)
            shapes.plot(ax=ax, color=tm.classification.colors, edgecolor="#444444", linewidth=0.3)
            ax.set_axis_off()
            ax.set_aspect("equal")
            ax.set_title(f"Năm {tm.year}", fontsize=10, family=FONT, weight="bold")
        lax = fig.add_axes(
            ((w_mm - MARGIN_MM - LEGEND_MM + 3) / w_mm, 0.3, (LEGEND_MM - 3) / w_mm, 1 - top / h_mm - 0.3)
        )
        lax.set_axis_off()
        legend = maps[0].classification
        handles = [Patch(facecolor=i.color, edgecolor="#444444", label=i.label) for i in legend.legend]
        lax.legend(
            handles=handles,
            loc="upper left",
            title=wrap_text(legend.title, LEGEND_MM - 6, 8, "bold"),
            fontsize=7.5,
            title_fontsize=8,
            frameon=False,
            prop={"family": FONT, "size": 7.5},
        )
        buf = io.BytesIO()
        meta = {"Title": multiples_title(maps), "Creator": "ktxh-geo"}
        if fmt == "pdf":
            fig.savefig(buf, format="pdf", metadata={**meta, "CreationDate": None})
        else:
            fig.savefig(buf, format="png", dpi=dpi, metadata={"Title": meta["Title"], "Software": "ktxh-geo"})
    return buf.getvalue()
