"""The compiled report of a period, in the shape the planning office sends up: Word (.docx) and Excel (.xlsx).

Headline, the table of the locality's indicators (target, result, % and verdict with the rule), the commune table,
the progress map and the reporting-status map, the units that have not reported, and the sources. Every data text
is a plain text run (``render.report.clean``) or a neutralised spreadsheet cell (``render.export.neutralised``):
nothing Word or Excel would evaluate.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

import geopandas as gpd
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from docx import Document  # noqa: E402
from docx.enum.table import WD_TABLE_ALIGNMENT  # noqa: E402
from docx.shared import Cm  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from ktxh_geo.model import estimate as est  # noqa: E402
from ktxh_geo.model import progress as pg  # noqa: E402
from ktxh_geo.render.export import neutralised  # noqa: E402
from ktxh_geo.render.layout import FONT as MAP_FONT  # noqa: E402
from ktxh_geo.render.report import (  # noqa: E402
    MARGIN,
    PAGE_H,
    PAGE_W,
    SOFTWARE,
    TEXT_W,
    _cell,
    _para,
    _repeat_header,
    _set_font,
    _set_language,
    clean,
)
from ktxh_geo.text import format_date_vn  # noqa: E402
from ktxh_geo.vocab import STAGES  # noqa: E402
from ktxh_geo.vocab.profile import Profile  # noqa: E402

LOCAL_HEADERS = ["Chỉ tiêu", "Đơn vị tính", "Kế hoạch", "Loại chỉ tiêu", "Kết quả", "Tỷ lệ", "Đánh giá", "Cách so sánh"]
COMMUNE_HEADERS = ["Đơn vị", "Chỉ tiêu", "Kế hoạch", "Kết quả", "Tỷ lệ", "Đánh giá"]
STATUS_HEADERS = ["Đơn vị", "Tình trạng", "Gửi lúc", "Trễ hạn", "Lý do trả lại"]
ESTIMATE_HEADERS = ["Chỉ tiêu", "Kế hoạch", "Số kỳ báo cáo", "Cách ước", "Ước cả năm", "Tỷ lệ", "Đánh giá"]
ESTIMATE_NOTE = (
    "Số ước tính, không phải số thực hiện: mỗi chỉ tiêu ghi rõ cách ước do văn phòng chọn "
    "(nhân theo thời gian cho chỉ tiêu cộng dồn, giữ nguyên cho tỷ lệ, mức bình quân)."
)


@dataclass
class Parts:
    """What the compiled report holds (the tables of ``model.progress``, the units' shapes, the day it is made)."""

    profile: Profile
    period: pg.Period
    local: pd.DataFrame
    communes: pd.DataFrame
    status: pd.DataFrame
    shapes: gpd.GeoDataFrame
    made: date
    estimate: pd.DataFrame | None = None  # ``model.estimate.rows``, when the office asks for the year's estimate

    def estimated(self) -> bool:
        return self.estimate is not None and len(self.estimate) > 0

    @property
    def title(self) -> str:
        return f"Báo cáo tiến độ thực hiện kế hoạch — {self.period.label}"

    def headlines(self) -> list[str]:
        out = []
        if len(self.local):
            out.append(pg.headline_text(*pg.headline(self.local)) + f" của {self.profile.area_name}")
        if len(self.communes):
            out.append(pg.headline_text(*pg.headline(self.communes), "lượt chỉ tiêu giao cho xã"))
        if not self.period.shipped:
            sent = int(self.status["status"].isin(["submitted", "accepted"]).sum())
            ok = int((self.status["status"] == "accepted").sum())
            out.append(f"{sent}/{len(self.status)} đơn vị đã gửi báo cáo; {ok} đã duyệt")
            out.append(pg.deadline_text(self.period, self.made))
        if self.estimated():
            out.append(est.headline(self.estimate))
        return out

    def sources(self) -> list[str]:
        found = list(self.local["Nguồn"]) if len(self.local) else []
        found += [s for s in self.communes["Nguồn"] if s] if len(self.communes) else []
        return sorted(set(found))

    def not_reported(self) -> pd.DataFrame:
        return pg.not_reported(self.status) if not self.period.shipped else self.status.iloc[0:0]


def map_png(shapes: gpd.GeoDataFrame, colors: list[str], legend: list[tuple[str, str]], title: str, crs: str) -> bytes:
    """A plain static map: units filled with ``colors``, the legend (label, colour) and a title."""
    with plt.rc_context({"font.family": "sans-serif", "font.sans-serif": [MAP_FONT]}):
        fig, ax = plt.subplots(figsize=(7.2, 6.0), dpi=150)
        shapes.to_crs(crs).plot(ax=ax, color=colors, edgecolor="#444", linewidth=0.4)
        ax.set_axis_off()
        ax.set_title(clean(title), fontsize=10)
        handles = [Patch(facecolor=c, edgecolor="#444", label=clean(lbl)) for lbl, c in legend]
        if handles:
            ax.legend(handles=handles, loc="lower left", fontsize=7, frameon=True)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight")
        plt.close(fig)
    return buf.getvalue()


def maps(parts: Parts, indicator_id: str | None = None) -> list[tuple[str, bytes]]:
    """(caption, PNG) of the progress map (one indicator: the first given to communes) and the status map."""
    out = []
    crs = parts.profile.metric_crs
    if len(parts.communes):
        chosen = indicator_id or parts.communes["indicator_id"].iloc[0]
        name = parts.communes.loc[parts.communes["indicator_id"] == chosen, "Chỉ tiêu"].iloc[0]
        joined, cls = pg.progress_layer(parts.shapes, parts.communes, chosen, parts.period.year, name)
        legend = [(i.label, i.color) for i in cls.legend]
        out.append((f"Bản đồ tiến độ: {name}", map_png(joined, cls.colors, legend, f"Tiến độ: {name}", crs)))
    if not parts.period.shipped:
        joined, cls = pg.status_layer(parts.shapes, parts.status, parts.period.year, "Tình trạng báo cáo")
        legend = [(i.label, i.color) for i in cls.legend]
        out.append(("Bản đồ tình trạng báo cáo", map_png(joined, cls.colors, legend, "Tình trạng báo cáo", crs)))
    return out


def _table(doc, frame: pd.DataFrame, headers: list[str]) -> None:
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        _cell(cell, text, bold=True)
    _repeat_header(table.rows[0])
    for row in frame[headers].itertuples(index=False):
        for cell, text in zip(table.add_row().cells, row, strict=True):
            _cell(cell, "" if text is None else str(text))


def render_docx(parts: Parts) -> bytes:
    """The compiled report as .docx bytes."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = PAGE_W, PAGE_H
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = MARGIN
    _set_font(doc.styles["Normal"], size=12)
    _set_language(doc.styles["Normal"])
    for name in ("Title", "Heading 1", "List Bullet", "Table Grid", "Caption"):
        _set_font(doc.styles[name])
    props = doc.core_properties
    props.title, props.author = clean(parts.title), SOFTWARE
    props.created = props.modified = datetime(parts.made.year, parts.made.month, parts.made.day)
    _para(doc, parts.title, "Title")
    _para(doc, f"{parts.profile.label} · lập ngày {format_date_vn(parts.made)}")
    for line in parts.headlines():
        _para(doc, line, "List Bullet", bold=True)
    if len(parts.local):
        doc.add_heading("Các chỉ tiêu của kế hoạch", level=1)
        _table(doc, parts.local, LOCAL_HEADERS)
    if len(parts.communes):
        doc.add_heading("Chỉ tiêu giao cho các đơn vị", level=1)
        _table(doc, parts.communes, COMMUNE_HEADERS)
    for caption, png in maps(parts):
        doc.add_heading(caption, level=1)
        doc.add_paragraph().add_run().add_picture(io.BytesIO(png), width=min(TEXT_W, Cm(16)))
    if parts.estimated():
        doc.add_heading(f"Ước thực hiện cả năm {parts.period.year} từ số liệu {STAGES[parts.period.stage]}", level=1)
        _para(doc, ESTIMATE_NOTE)
        _table(doc, parts.estimate, ESTIMATE_HEADERS)
    if not parts.period.shipped:
        missing = parts.not_reported()
        doc.add_heading(f"Đơn vị chưa báo cáo ({len(missing)})", level=1)
        if len(missing):
            _table(doc, missing, STATUS_HEADERS)
        else:
            _para(doc, "Mọi đơn vị đã gửi báo cáo.")
    doc.add_heading("Nguồn", level=1)
    for source in parts.sources() or ["Chưa có số liệu."]:
        _para(doc, source, "List Bullet")
    _para(doc, "Chỉ tính báo cáo của đơn vị đã được duyệt; kết quả ghi rõ là số ước tính hay số thực hiện.")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def render_xlsx(parts: Parts) -> bytes:
    """The same tables as sheets of an .xlsx (cells neutralised: no formula is ever evaluated)."""
    buf = io.BytesIO()
    summary = pd.DataFrame({"Nội dung": [parts.title, *parts.headlines(), *[f"Nguồn: {s}" for s in parts.sources()]]})
    sheets = {"Tổng hợp": summary}
    if len(parts.local):
        sheets["Chỉ tiêu"] = parts.local[[*LOCAL_HEADERS, "Nguồn", "Ghi chú"]]
    if len(parts.communes):
        sheets["Chỉ tiêu giao cho xã"] = parts.communes[[*COMMUNE_HEADERS, "Nguồn"]]
    if parts.estimate is not None and parts.estimated():
        sheets["Ước cả năm"] = parts.estimate[[*ESTIMATE_HEADERS, "Loại số liệu"]]
    if not parts.period.shipped:
        sheets["Tình trạng báo cáo"] = parts.status[STATUS_HEADERS]
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            neutralised(frame.astype(str).replace({"nan": ""}), xml=True).to_excel(writer, sheet_name=name, index=False)
    return buf.getvalue()
