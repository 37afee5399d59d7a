"""Helpers of the plan-following tests: a filled commune-targets template (Số liệu minh họa) for Bắc Ninh."""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import load_workbook

from ktxh_geo.io import shipped
from ktxh_geo.model import target_import
from ktxh_geo.vocab.profile import use

PROFILE = "bac-ninh-2025"
YEAR = 2025
# two illustrative indicators for every unit: a budget revenue (at least) and a poverty rate (at most)
INDICATORS = (
    ("thu_ngan_sach", "Thu ngân sách trên địa bàn (minh họa)", "tỷ đồng", "≥ 50"),
    ("ho_ngheo", "Tỷ lệ hộ nghèo (minh họa)", "%", "giảm còn 2"),
)


def units(profile: str = PROFILE) -> pd.DataFrame:
    with use(profile) as p:
        g = shipped.load_communes(p.default_edition)
    return pd.DataFrame({"code": g["code"], "name": g["full_name"]})


def filled_targets(rows: list[list] | None = None, profile: str = PROFILE) -> bytes:
    """The template filled with ``rows`` ([code, name, indicator, indicator name, unit, target, words]), by default
    the two illustrative indicators for every unit."""
    u = units(profile)
    data = target_import.build_template(u, YEAR, "minh họa")
    wb = load_workbook(io.BytesIO(data))
    ws = wb["Chỉ tiêu giao"]
    ws.delete_rows(2, ws.max_row)
    if rows is None:
        rows = [
            [c, n, i, name, unit, t, ""]
            for c, n in zip(u["code"], u["name"], strict=True)
            for i, name, unit, t in INDICATORS
        ]
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
