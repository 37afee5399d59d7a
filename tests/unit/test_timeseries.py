"""Figures over time (issue 23): one set of classes across the years, the change map with diverging classes."""

from __future__ import annotations

import pandas as pd
import pytest

from ktxh_geo.io import shipped as load
from ktxh_geo.model.thematic import MapRequest, build
from ktxh_geo.model.timeseries import DIVERGING_SCHEME, change, series
from ktxh_geo.vocab.profile import use


def _two_years():
    """Bắc Ninh's population of 2025 and, as a test fixture, a 2024 set 10 % lower with one unit doubled."""
    with use("bac-ninh-2025"):
        values = load.load_values(False, include_entered=False)
        communes = load.load_communes("2025")
        indicators = load.load_indicators()
    older = values[(values["indicator_id"] == "population") & (values["year"] == 2025)].copy()
    older["year"] = 2024
    older["value"] = older["value"] / 1.1
    older.loc[older["code"] == "07288", "value"] = 30651 * 2  # Xã Yên Thế halved from 2024 to 2025
    return indicators, pd.concat([values, older], ignore_index=True), communes


def test_series_keeps_one_set_of_classes_over_the_years():
    indicators, values, communes = _two_years()
    with use("bac-ninh-2025"):
        maps = series(MapRequest("population", None, "2025", False, "quantiles", 5), indicators, values, communes)
        alone = [build(MapRequest("population", y, "2025", False, "quantiles", 5), indicators, values, communes)
                 for y in (2024, 2025)]  # fmt: skip
    assert [m.year for m in maps] == [2024, 2025]
    assert maps[0].classification.bins == maps[1].classification.bins  # one legend for both years
    assert alone[0].classification.bins != alone[1].classification.bins  # each year alone would differ
    legend = [i.label for i in maps[0].classification.legend]
    assert legend == [i.label for i in maps[1].classification.legend]


def test_change_map_absolute_and_relative_with_a_diverging_legend():
    indicators, values, communes = _two_years()
    with use("bac-ninh-2025"):
        before = build(MapRequest("population", 2024, "2025"), indicators, values, communes)
        after = build(MapRequest("population", 2025, "2025"), indicators, values, communes)
        diff = change(before, after, "absolute")
        rel = change(before, after, "relative")
    row = diff.joined.set_index("code").loc["07288"]
    assert row["value"] == pytest.approx(30651 - 61302) and row["display"] == "-30.651 người"
    assert rel.joined.set_index("code").loc["07288", "display"] == "-50,0 %"
    others = rel.joined[rel.joined["code"] != "07288"]["value"]
    assert others.round(6).eq(10.0).all()  # +10 % everywhere else
    assert diff.classification.scheme == DIVERGING_SCHEME
    assert "màu phân kỳ quanh 0: đỏ giảm, xanh tăng" in diff.classification.title
    fills = [i for i in diff.classification.legend if i.kind == "fill"]
    assert len(fills) == 6 and fills[0].label.startswith("-30.651") and fills[-1].label.endswith("+30.651 người")
    assert diff.title == "Thay đổi dân số (từ năm 2024 đến năm 2025) — tỉnh Bắc Ninh"
    assert "không được nêu" not in diff.title
    assert "Phân loại: phân kỳ quanh 0, 6 lớp" in diff.subtitle


def test_small_multiples_one_page_one_map_per_year(tmp_path):
    import subprocess

    from ktxh_geo.render.multiples import render_multiples

    indicators, values, communes = _two_years()
    with use("bac-ninh-2025"):
        maps = series(MapRequest("population", None, "2025", False, "quantiles", 5), indicators, values, communes)
        pdf = render_multiples(maps, "pdf")
        png = render_multiples(maps, "png", dpi=60)
    path = tmp_path / "m.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Pages:           1" in info
    text = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout.split())
    assert "Năm 2024" in text and "Năm 2025" in text and "các năm 2024–2025 — tỉnh Bắc Ninh" in text
    assert maps[0].classification.legend[0].label in text  # the one legend
    (tmp_path / "m.png").write_bytes(png)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
