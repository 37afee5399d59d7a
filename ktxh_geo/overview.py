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


# District indicators whose commune-level picture is on the map page (?indicator=...).
MAP_LINKS = {
    "poverty_rate": "poverty_rate",
    "ntm_communes": "ntm_status",
    "ntm_verified_communes": "ntm_status",
    "ntm_criteria_avg": "ntm_criteria",
    "ntm_model_villages_district": "model_villages",
}

# The overview's small charts: (title, unit, [(bar label, indicator id)]); 2023 result beside 2024 target.
# * 2023: communes whose NTM dossier was verified (Đông Sơn, Tân Sỏi), the plan's only 2023 NTM commune figure.
CHARTS = (
    (
        "Giá trị sản xuất theo ngành (giá so sánh 2010)",
        "tỷ đồng",
        [
            ("Nông-lâm-thủy sản", "gtsx_nln"),
            ("Công nghiệp-XD", "gtsx_cnxd"),
            ("Dịch vụ", "gtsx_dv"),
        ],
    ),
    ("Tỷ lệ hộ nghèo", "%", [("Tỷ lệ hộ nghèo", "poverty_rate")]),
    (
        "Nông thôn mới",
        "xã / thôn",
        [
            ("Xã đạt chuẩn NTM*", "ntm_communes|ntm_verified_communes"),
            ("Thôn NTM kiểu mẫu", "ntm_model_villages_district"),
        ],
    ),
)


def chart_frame(table: pd.DataFrame, bars: list[tuple[str, str]]) -> pd.DataFrame:
    """Long table for a grouped bar chart: one row per (bar, year) with the value and its text.

    ``id_2024|id_2023`` takes the 2024 target from the first id and the 2023 result from the second
    (the plan reports communes *verified* in 2023 beside communes to *reach* the standard in 2024).
    """
    by_id = table.set_index("id")
    rows = []
    for label, ids in bars:
        id_2024, _, id_2023 = ids.partition("|")
        id_2023 = id_2023 or id_2024
        for year, ind_id, col, text_col in (
            ("Kết quả 2023", id_2023, "value_2023", "Kết quả 2023"),
            ("Kế hoạch 2024", id_2024, "value_2024", "Kế hoạch 2024"),
        ):
            if ind_id in by_id.index and pd.notna(by_id.at[ind_id, col]):
                rows.append(
                    {
                        "Chỉ tiêu": label,
                        "Năm": year,
                        "Giá trị": float(by_id.at[ind_id, col]),
                        "Nhãn": by_id.at[ind_id, text_col],
                    }
                )
    return pd.DataFrame(rows, columns=["Chỉ tiêu", "Năm", "Giá trị", "Nhãn"])
