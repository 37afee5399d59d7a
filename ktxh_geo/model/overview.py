"""The plan's district indicators as a table: 2023 results (estimates of a draft plan) beside 2024 targets.

Figures are shown with the plan's own decimals (9,2 not 9,20): the decimals written in data/values.csv, kept by
``load.load_values`` as ``decimals_written``.
"""

from __future__ import annotations

import pandas as pd

from ktxh_geo.io.shipped import Indicator
from ktxh_geo.text import format_number

GROUPS = {
    "kinh_te": "Kinh tế",
    "nong_nghiep": "Nông nghiệp",
    "ngan_sach": "Ngân sách",
    "xa_hoi": "Văn hóa – xã hội",
    "moi_truong": "Môi trường",
    "ntm": "Nông thôn mới",
    "quoc_phong": "Quốc phòng – an ninh",
}
# Column headers: section A's 2023 figures are estimates ("ước thực hiện") of a draft plan written in 11/2023.
RESULT_2023 = "Ước thực hiện 2023"
TARGET_2024 = "Kế hoạch 2024"


def shown_value(row: pd.Series | dict | None, decimals: int) -> str:
    """A figure as the plan writes it: its ``value_text`` if any, else the value with the decimals written in
    data/values.csv (``decimals_written``; the indicator's ``decimals`` when unknown), never padded: 9,2; 41,0."""
    if row is None:
        return ""
    if row["value_text"]:
        return row["value_text"]
    written = row.get("decimals_written")
    if written is None or pd.isna(written):
        return format_number(row["value"], decimals)
    return format_number(row["value"], int(written), strip=False)


def district_table(values: pd.DataFrame, indicators: dict[str, Indicator]) -> pd.DataFrame:
    """One row per district indicator: group, name, unit, 2023 estimate, 2024 target, sources."""
    district = values[values["level"] == "district"]
    rows = []
    for ind in indicators.values():
        own = district[district["indicator_id"] == ind.id]
        if own.empty:
            continue
        result = own[(own["year"] == 2023) & own["status"].isin(["official", "estimate"])]
        target = own[(own["year"] == 2024) & (own["status"] == "target")]
        r = result.iloc[0] if len(result) else None
        t = target.iloc[0] if len(target) else None
        rows.append(
            {
                "id": ind.id,
                "group": GROUPS.get(ind.group, ind.group),
                "Chỉ tiêu": ind.name,
                "ĐVT": ind.unit,
                RESULT_2023: shown_value(r, ind.decimals),
                TARGET_2024: shown_value(t, ind.decimals),
                "Nguồn": "; ".join(sorted(set(own["source"]))),
                "value_2023": None if r is None else r["value"],
                "value_2024": None if t is None else t["value"],
            }
        )
    columns = ["id", "group", "Chỉ tiêu", "ĐVT", RESULT_2023, "Kế hoạch 2024", "Nguồn", "value_2023", "value_2024"]
    out = pd.DataFrame(rows, columns=columns if not rows else None)
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

# The overview's small charts: (title, unit, [(bar label, indicator id)]); 2023 estimate beside 2024 target.
# * 2023: communes whose NTM dossier was verified (two communes), the plan's only 2023 NTM commune figure;
#   the plan does not say they reached the standard, so the bar's label names both.
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
            ("Xã đã thẩm tra / đạt chuẩn NTM*", "ntm_communes|ntm_verified_communes"),
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
            (RESULT_2023, id_2023, "value_2023", RESULT_2023),
            (TARGET_2024, id_2024, "value_2024", TARGET_2024),
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
