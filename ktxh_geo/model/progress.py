"""Progress of the plan for a period: the tables and maps of the page "Tiến độ kế hoạch" and the compiled report.

Plain functions over DataFrames (no Streamlit, no store): the caller passes the targets, the reports and their
values. Only **accepted** reports count as results of a commune (a submitted report is waiting for review); the
locality's results are those the plan states (shipped, for a past year) or the office's own report for the area.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import pandas as pd

from ktxh_geo.errors import vn_time
from ktxh_geo.model import targets as tg
from ktxh_geo.model.classify import Classification, LegendItem
from ktxh_geo.text import format_number
from ktxh_geo.vocab import STAGES, VALUE_STATUSES
from ktxh_geo.vocab import STATUS_LABELS as KIND_LABELS

# reporting status of a commune in a period: its report's state, "late" when the deadline passed without one
NOT_SENT, LATE = "none", "late"
STATUS_LABELS = {
    NOT_SENT: "Chưa gửi",
    "draft": "Chưa gửi (đang soạn nháp)",
    "submitted": "Đã gửi, chờ duyệt",
    "returned": "Trả lại",
    "accepted": "Đã duyệt",
    LATE: "Quá hạn, chưa gửi",
}
STATUS_COLORS = {
    "accepted": "#1a9850",
    "submitted": "#4575b4",
    "returned": "#fdae61",
    "draft": "#d9d9d9",
    NOT_SENT: "#d9d9d9",
    LATE: "#d73027",
}
TABLE_COLUMNS = ["Chỉ tiêu", "Đơn vị tính", "Kế hoạch", "Kết quả", "Tỷ lệ", "Đánh giá", "Cách so sánh", "Nguồn"]


@dataclass(frozen=True)
class Period:
    """A year and a stage; ``deadline`` None for a period of the plan's own figures (nothing to report)."""

    year: int
    stage: str
    deadline: date | None = None
    shipped: bool = False  # the results are the figures the plan itself states

    @property
    def label(self) -> str:
        return f"{STAGES[self.stage]} năm {self.year}"


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value == ""


def _result_text(value, text: str, unit: str) -> str:
    if text:
        return str(text)
    return "" if _blank(value) else f"{tg.number_text(float(value))} {unit}".strip()


def locality_rows(
    targets: list[tg.Target], results: dict[str, dict], indicators: dict[str, tuple[str, str]]
) -> pd.DataFrame:
    """One row per locality target: its result (``results[indicator] = {value, value_text, status, source}``),
    % of target, verdict and rule. ``indicators[id] = (name, unit)``."""
    rows = []
    for t in targets:
        name, unit = indicators.get(t.indicator_id, (t.indicator_id, ""))
        got = results.get(t.indicator_id) or {}
        value = got.get("value_text") or (None if _blank(got.get("value")) else float(got["value"]))
        v = tg.verdict(t, value)
        rows.append(
            {
                "indicator_id": t.indicator_id,
                "Chỉ tiêu": name,
                "Đơn vị tính": unit,
                "Kế hoạch": tg.rule_text(t, unit) if t.rule != "milestone" else "hoàn thành",
                "Loại chỉ tiêu": KIND_LABELS.get(t.status, t.status),  # "suy ra từ văn bản": see the note
                "Kết quả": _result_text(got.get("value"), got.get("value_text", ""), unit),
                "Loại số liệu": VALUE_STATUSES.get(got.get("status") or "", got.get("status") or ""),
                "Tỷ lệ": tg.percent_text(v.percent),
                "Đánh giá": v.label,
                "verdict": v.key,
                "Cách so sánh": tg.RULES[t.rule] + (" (không tính bằng)" if t.strict else ""),
                "Lời văn kế hoạch": t.wording,
                "Nguồn": "; ".join(
                    s for s in (f"Kế hoạch: {t.source}", got.get("source") and f"Kết quả: {got['source']}") if s
                ),
                "Ghi chú": t.note,
            }
        )
    return pd.DataFrame(rows)


def target_of(row: dict) -> tg.Target:
    """A stored commune target (``io.reports.commune_targets`` row) as a ``Target``."""
    num = lambda x: None if _blank(x) else float(x)  # noqa: E731
    return tg.Target(
        indicator_id=row["indicator_id"],
        level="commune",
        code=row["code"],
        year=int(row["year"]),
        rule=row["rule"],
        value=num(row.get("value")),
        low=num(row.get("low")),
        high=num(row.get("high")),
        strict=bool(row.get("strict")),
        wording=row.get("wording") or "",
    )


def commune_rows(
    targets: pd.DataFrame, values: pd.DataFrame, reports: pd.DataFrame, names: dict[str, str]
) -> pd.DataFrame:
    """One row per commune target: the commune's accepted result, % of target, verdict (others: no data yet)."""
    accepted = set(reports.loc[reports["state"] == "accepted", "code"]) if len(reports) else set()
    got = {(r["code"], r["indicator_id"]): r for r in values.to_dict("records") if r["code"] in accepted}
    rows = []
    for r in targets.to_dict("records"):
        t = target_of(r)
        res = got.get((r["code"], r["indicator_id"]))
        value = None
        if res is not None:
            value = res["value_text"] or (None if _blank(res["value"]) else float(res["value"]))
        v = tg.verdict(t, value)
        rows.append(
            {
                "code": r["code"],
                "indicator_id": r["indicator_id"],
                "Đơn vị": names.get(r["code"], r["code"]),
                "Chỉ tiêu": r["name"],
                "Kế hoạch": tg.rule_text(t, r["unit"]) if t.rule != "milestone" else "hoàn thành",
                "Kết quả": _result_text(res["value"], res["value_text"], r["unit"]) if res is not None else "",
                "Loại số liệu": VALUE_STATUSES.get(res["status"], "") if res is not None else "",
                "Tỷ lệ": tg.percent_text(v.percent),
                "Đánh giá": v.label,
                "verdict": v.key,
                "Nguồn": res["source"] if res is not None else "",
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "code",
            "indicator_id",
            "Đơn vị",
            "Chỉ tiêu",
            "Kế hoạch",
            "Kết quả",
            "Loại số liệu",
            "Tỷ lệ",
            "Đánh giá",
            "verdict",
            "Nguồn",
        ],
    )


def headline(rows: pd.DataFrame) -> tuple[int, int]:
    """(met, counted) over the rows' verdicts: "X/Y chỉ tiêu đạt và vượt kế hoạch"."""
    if rows.empty:
        return 0, 0
    return int(rows["verdict"].isin(tg.MET).sum()), len(rows)


def headline_text(met: int, counted: int, what: str = "chỉ tiêu") -> str:
    return f"{met}/{counted} {what} đạt và vượt kế hoạch"


def reporting_status(units: pd.DataFrame, reports: pd.DataFrame, deadline: date | None, today: date) -> pd.DataFrame:
    """Per unit (``units``: code, name): its report's state, when it was sent, whether it is late, the reason it was
    returned. Late: the deadline passed and nothing was submitted, or it was submitted after the deadline."""
    by_code = {r["code"]: r for r in reports.to_dict("records")} if len(reports) else {}
    rows = []
    for code, name in zip(units["code"], units["name"], strict=True):
        r = by_code.get(code)
        state = r["state"] if r else NOT_SENT
        sent = (r or {}).get("submitted_at") or ""
        sent_day = date.fromisoformat(sent[:10]) if sent else None
        unsent = state in (NOT_SENT, "draft", "returned")
        late = deadline is not None and (
            (unsent and today > deadline) or (sent_day is not None and sent_day > deadline)
        )
        key = LATE if late and state in (NOT_SENT, "draft") else state
        rows.append(
            {
                "code": code,
                "Đơn vị": name,
                "status": key,
                "Tình trạng": STATUS_LABELS[key] if key != "returned" or not late else "Trả lại, quá hạn",
                "Gửi lúc": vn_time(sent) if sent else "",
                "Trễ hạn": "có" if late else "",
                "Lý do trả lại": (r or {}).get("reason", "") if state == "returned" else "",
                "Người cập nhật": (r or {}).get("updated_by", ""),
            }
        )
    return pd.DataFrame(rows)


def not_reported(status: pd.DataFrame) -> pd.DataFrame:
    """Units whose report has not reached the office (never sent, a draft, or returned and not sent again)."""
    return status[status["status"].isin([NOT_SENT, "draft", LATE, "returned"])]


# ---------------------------------------------------------------- the two maps (inputs of render.maps.build_map)


def _joined(
    communes: gpd.GeoDataFrame,
    keys: dict[str, str],
    labels: dict[str, str],
    displays: dict[str, str],
    sources: dict[str, str],
    year: int,
) -> gpd.GeoDataFrame:
    out = communes[["code", "name", "full_name", "geometry"]].copy()
    out["key"] = out["code"].map(keys).fillna(NOT_SENT)
    out["display"] = out["code"].map(displays).fillna("chưa có")
    out["year"] = year
    out["status"] = "official"
    out["source"] = [sources.get(c, "") for c in out["code"]]
    return out


def _classification(
    joined: gpd.GeoDataFrame, labels: dict[str, str], colors: dict[str, str], title: str
) -> Classification:
    used = [k for k in labels if k in set(joined["key"])]
    legend = [LegendItem(labels[k], colors[k], "no_data" if k == NOT_SENT else "fill") for k in used]
    return Classification(
        colors=[colors.get(k, "#d9d9d9") for k in joined["key"]],
        class_labels=[labels.get(k, "") for k in joined["key"]],
        legend=legend,
        title=title,
        scheme="categorical",
    )


def progress_layer(communes: gpd.GeoDataFrame, rows: pd.DataFrame, indicator_id: str, year: int, title: str):
    """The verdict of one indicator per commune: (joined, classification) for ``build_map``."""
    mine = rows[rows["indicator_id"] == indicator_id]
    keys = dict(zip(mine["code"], mine["verdict"], strict=True))
    displays = {
        c: " · ".join(x for x in (f"{res}" if res else "", pct, label) if x)
        for c, res, pct, label in zip(mine["code"], mine["Kết quả"], mine["Tỷ lệ"], mine["Đánh giá"], strict=True)
    }
    sources = dict(zip(mine["code"], mine["Nguồn"], strict=True))
    joined = _joined(communes, keys, tg.VERDICTS, displays, sources, year)
    joined.loc[~joined["code"].isin(keys), "key"] = tg.NO_DATA
    joined.loc[~joined["code"].isin(keys), "display"] = "không được giao chỉ tiêu"
    labels = dict(tg.VERDICTS)
    return joined, _classification(joined, labels, tg.VERDICT_COLORS, title)


def status_layer(communes: gpd.GeoDataFrame, status: pd.DataFrame, year: int, title: str):
    """The reporting status per commune: (joined, classification) for ``build_map``."""
    keys = dict(zip(status["code"], status["status"], strict=True))
    displays = dict(zip(status["code"], status["Tình trạng"], strict=True))
    joined = _joined(communes, keys, STATUS_LABELS, displays, {}, year)
    return joined, _classification(joined, STATUS_LABELS, STATUS_COLORS, title)


def deadline_text(period: Period, today: date) -> str:
    if period.deadline is None:
        return "Số liệu của kỳ này là số liệu văn bản kế hoạch nêu (không có báo cáo của xã)."
    left = (period.deadline - today).days
    when = f"{period.deadline:%d/%m/%Y}"
    if left < 0:
        return f"Hạn gửi báo cáo: {when} (đã quá hạn {-left} ngày)."
    return f"Hạn gửi báo cáo: {when} (còn {left} ngày)."


def share_text(n: int, total: int) -> str:
    return f"{n}/{total} ({format_number(100 * n / total if total else 0, 1)} %)"
