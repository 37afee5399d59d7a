"""The plan's district indicators as a table: 2023 results (estimates of a draft plan) beside 2024 targets.

Figures are shown with the plan's own decimals (9,2 not 9,20): the decimals written in data/values.csv, kept by
``load.load_values`` as ``decimals_written``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ktxh_geo.text import format_number
from ktxh_geo.vocab.indicators import Indicator

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


# ---- a locality without a plan of its own (a province, the country): its units and their figures ----------------

UNIT_TYPE_ORDER = ("xã", "phường", "đặc khu", "thị trấn")


@dataclass(frozen=True)
class AreaFigures:
    """What a provincial leader reads first: units by type, population, area and density, with their caveats."""

    n_units: int
    by_type: pd.DataFrame  # Loại đơn vị | Số đơn vị | Có số dân | Dân số (người) | Diện tích (km²) | Mật độ (người/km²)
    population: float | None  # the sum over units with a figure
    n_with_population: int
    area_km2: float | None
    density: float | None  # population / area of the units with a population figure
    caveats: tuple[str, ...]
    sources: tuple[str, ...]


def _latest(values: pd.DataFrame, indicator: str, edition: str) -> pd.DataFrame:
    """The newest year's figures of one indicator on one edition, strongest status first, one per code."""
    rows = values[(values["indicator_id"] == indicator) & (values["edition"] == edition) & values["value"].notna()]
    if rows.empty:
        return rows
    rows = rows[rows["year"] == rows["year"].max()]
    return rows.drop_duplicates("code", keep="first")


def area_figures(units: pd.DataFrame, values: pd.DataFrame, edition: str, indicators: dict) -> AreaFigures:
    """Units (``code``, ``unit_type``) of one edition with their population and area figures summed by type.

    Population sums only the units that have a figure (the others are counted and said); density is computed from
    those units' population and area, never published on its own.
    """
    pop = _latest(values, "population", edition).set_index("code")["value"]
    area = _latest(values, "area_km2", edition).set_index("code")["value"]
    frame = pd.DataFrame({"code": units["code"].astype(str), "type": units["unit_type"].fillna("")})
    frame["population"] = frame["code"].map(pop)
    frame["area"] = frame["code"].map(area)
    rows = []
    order = [t for t in UNIT_TYPE_ORDER if t in set(frame["type"])] + sorted(set(frame["type"]) - set(UNIT_TYPE_ORDER))
    for kind in order:
        part = frame[frame["type"] == kind]
        rows.append(_figure_row(kind or "chưa rõ loại", part))
    if len(rows) > 1:
        rows.append(_figure_row("Tổng cộng", frame))
    by_type = pd.DataFrame(rows, columns=list(FIGURE_COLUMNS.values()))
    with_pop = frame[frame["population"].notna()]
    caveats = []
    if len(with_pop) < len(frame):
        caveats.append(
            f"{len(frame) - len(with_pop)} trên {len(frame)} đơn vị chưa có số dân (nguồn không có hoặc số liệu bị "
            "giữ lại vì nghi sai): tổng dân số chỉ cộng các đơn vị có số liệu, nên nhỏ hơn thực tế."
        )
    if "population" in indicators and indicators["population"].description:
        caveats.append(indicators["population"].description)
    if len(with_pop):
        caveats.append(
            "Mật độ = dân số chia diện tích của các đơn vị có số dân; tính từ số liệu công bố, không phải số liệu "
            "công bố riêng."
        )
    sources = sorted(
        set(
            values.loc[
                values["indicator_id"].isin(["population", "area_km2"]) & (values["edition"] == edition), "source"
            ]
        )
        - {""}
    )
    population = float(with_pop["population"].sum()) if len(with_pop) else None
    area_with_pop = float(with_pop["area"].sum()) if len(with_pop) else 0.0
    return AreaFigures(
        n_units=len(frame),
        by_type=by_type,
        population=population,
        n_with_population=len(with_pop),
        area_km2=float(frame["area"].sum()) if frame["area"].notna().any() else None,
        density=population / area_with_pop if population and area_with_pop else None,
        caveats=tuple(caveats),
        sources=tuple(sources),
    )


FIGURE_COLUMNS = {
    "kind": "Loại đơn vị",
    "n": "Số đơn vị",
    "n_pop": "Có số dân",
    "population": "Dân số (người)",
    "area": "Diện tích (km²)",
    "density": "Mật độ (người/km²)",
}


def _figure_row(label: str, part: pd.DataFrame) -> list:
    with_pop = part[part["population"].notna()]
    pop = with_pop["population"].sum() if len(with_pop) else None
    area = part["area"].sum() if part["area"].notna().any() else None
    area_pop = with_pop["area"].sum() if len(with_pop) else None
    density = pop / area_pop if pop and area_pop else None
    return [
        label,
        format_number(len(part), 0),
        format_number(len(with_pop), 0),
        format_number(pop, 0),
        format_number(area, 2),
        format_number(density, 0),
    ]


def province_table(provinces: pd.DataFrame, communes: pd.DataFrame, values: pd.DataFrame, base: str) -> pd.DataFrame:
    """One row per province of a national profile: its units by type, and its own population, area and density
    (the province figures as published, not sums of communes)."""
    pop = _latest(values, "population", base).set_index("code")["value"]
    area = _latest(values, "area_km2", base).set_index("code")["value"]
    counts = communes.groupby(["province_code", "unit_type"]).size().unstack(fill_value=0)
    rows = []
    for code, name in zip(provinces["code"], provinces["full_name"], strict=True):
        row = {"Mã": code, "Tỉnh, thành phố": name}
        for kind in UNIT_TYPE_ORDER[:3]:
            row[kind.capitalize()] = format_number(
                counts.at[code, kind] if kind in counts and code in counts.index else 0, 0
            )
        p, a = pop.get(code), area.get(code)
        row["Dân số (người)"] = format_number(p, 0)
        row["Diện tích (km²)"] = format_number(a, 2)
        row["Mật độ (người/km²)"] = format_number(p / a if p and a else None, 0)
        rows.append(row)
    return pd.DataFrame(rows)


def entered_figures(values: pd.DataFrame, codes: set[str], indicators: dict) -> pd.DataFrame:
    """Figures entered in the app (page "Nhập số liệu") for these units: one row per indicator and year."""
    entered = values[values["note"].astype(str).str.startswith("nhập liệu") & values["code"].isin(codes)]
    rows = []
    for (ind, year), part in entered.groupby(["indicator_id", "year"], sort=True):
        versions = sorted({int(v) for v in part["note"].str.extract(r"(\d+)")[0].dropna()})
        rows.append(
            {
                "Chỉ tiêu": indicators[ind].name if ind in indicators else ind,
                "Năm": int(year),
                "Số đơn vị có số liệu": len(set(part["code"])),
                "Phiên bản": ", ".join(map(str, versions)),
                "Nguồn": "; ".join(sorted(set(part["source"]) - {""})),
            }
        )
    return pd.DataFrame(rows, columns=["Chỉ tiêu", "Năm", "Số đơn vị có số liệu", "Phiên bản", "Nguồn"])
