"""The plan's district indicators as a table: 2023 results beside 2024 targets."""

from __future__ import annotations

import pandas as pd

from .load import Indicator
from .text import format_number

GROUPS = {
    "kinh_te": "Kinh tế",
    "nong_nghiep": "Nông nghiệp",
    "ngan_sach": "Ngân sách",
    "xa_hoi": "Văn hóa – xã hội",
    "moi_truong": "Môi trường",
    "ntm": "Nông thôn mới",
}


def _shown(row: pd.Series | None, decimals: int) -> str:
    if row is None:
        return ""
    return row["value_text"] or format_number(row["value"], decimals)


def district_table(values: pd.DataFrame, indicators: dict[str, Indicator]) -> pd.DataFrame:
    """One row per district indicator: group, name, unit, 2023 result, 2024 target, sources."""
    district = values[values["level"] == "district"]
    rows = []
    for ind in indicators.values():
        own = district[district["indicator_id"] == ind.id]
        if own.empty:
            continue
        result = own[(own["year"] == 2023) & (own["status"] == "official")]
        target = own[(own["year"] == 2024) & (own["status"] == "target")]
        r = result.iloc[0] if len(result) else None
        t = target.iloc[0] if len(target) else None
        rows.append(
            {
                "id": ind.id,
                "group": GROUPS.get(ind.group, ind.group),
                "Chỉ tiêu": ind.name,
                "ĐVT": ind.unit,
                "Kết quả 2023": _shown(r, ind.decimals),
                "Kế hoạch 2024": _shown(t, ind.decimals),
                "Nguồn": "; ".join(sorted(set(own["source"]))),
                "value_2023": None if r is None else r["value"],
                "value_2024": None if t is None else t["value"],
            }
        )
    out = pd.DataFrame(rows)
    order = {label: i for i, label in enumerate(GROUPS.values())}
    return out.sort_values("group", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
