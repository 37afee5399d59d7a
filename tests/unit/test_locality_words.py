"""What a locality's users read, computed for each (issue 18): licences that travel with every profile's exports,
the overview of a province and of the country, units' origins, and a map with no values that says why."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ktxh_geo.io import shipped
from ktxh_geo.io.licences import parse_licences, read_licences
from ktxh_geo.model import crosswalk, mapcontext
from ktxh_geo.model.overview import area_figures, entered_figures, province_table
from ktxh_geo.model.thematic import MapRequest, build, empty_note
from ktxh_geo.render import export
from ktxh_geo.vocab import profile

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("profile_id", sorted(profile.available()))
def test_every_profile_has_licences_its_exports_carry(profile_id):
    terms = read_licences(profile.load(profile_id).licence_file)
    assert {"Copyright (c) 2021 Thang Le Quoc"} <= {s.copyright for s in terms.sources}
    block = terms.text_block()
    assert block.startswith("GIẤY PHÉP DỮ LIỆU\n") and "giấy phép MIT" in block
    assert "    Permission is hereby granted, free of charge" in block  # the licence text, quoted
    assert "#" not in block  # none of the file's Markdown


def test_a_licence_file_without_its_parts_is_refused():
    with pytest.raises(ValueError, match="Copyright"):
        parse_licences("# Licences\n\nMIT.\n")
    with pytest.raises(ValueError, match="Permission is hereby granted"):
        parse_licences("- **x** — Copyright (c) 2020 A B — MIT. Boundaries.\n")


@pytest.mark.slow
def test_validate_refuses_a_profile_whose_exports_cannot_carry_licences(tmp_path):
    """A copy of the province profile whose licence file is missing: validate fails and names the file."""
    for name in ("bac-ninh-2025", "national-2025"):
        shutil.copytree(ROOT / "profiles" / name, tmp_path / name)
    toml = tmp_path / "bac-ninh-2025" / "profile.toml"
    toml.write_text(
        re.sub(
            r'^licence_file = ".*"$', 'licence_file = "geo/LICENSES.md"', toml.read_text(encoding="utf-8"), flags=re.M
        ),
        encoding="utf-8",
    )
    env = {"KTXH_PROFILES_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    run = subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-m", "ktxh_geo", "validate", "--profile", "bac-ninh-2025"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert run.returncode != 0
    assert "LICENSES.md: licence_file: thiếu tệp giấy phép LICENSES.md" in run.stdout + run.stderr


def test_province_overview_counts_units_population_area_and_says_what_is_missing():
    with profile.use("bac-ninh-2025") as p:
        values = shipped.load_values(False, include_entered=False)
        figures = area_figures(shipped.load_communes(), values, p.default_edition, shipped.load_indicators())
    by_type = figures.by_type.set_index("Loại đơn vị")
    assert figures.n_units == 99 and by_type.at["Tổng cộng", "Số đơn vị"] == "99"
    assert int(by_type.at["xã", "Số đơn vị"]) + int(by_type.at["phường", "Số đơn vị"]) == 99
    assert figures.population == pytest.approx(float(values[values["indicator_id"] == "population"]["value"].sum()))
    assert any("năm số liệu không được nêu" in c for c in figures.caveats)  # the population's year is unknown
    assert any(c.startswith("Mật độ = dân số chia diện tích") for c in figures.caveats)


def test_national_overview_lists_the_provinces_and_counts_units_without_a_figure():
    with profile.use("national-2025") as p:
        values = shipped.load_values(False, include_entered=False)
        communes = shipped.load_communes(p.drill_down["edition"])
        figures = area_figures(communes, values, p.drill_down["edition"], shipped.load_indicators())
        provinces = province_table(shipped.load_communes(p.base_edition), communes, values, p.base_edition)
    assert figures.n_units == 3321 and figures.n_with_population < 3321
    assert any(
        c.startswith(f"{3321 - figures.n_with_population} trên 3321 đơn vị chưa có số dân") for c in figures.caveats
    )
    assert len(provinces) == 34
    hanoi = provinces.set_index("Mã").loc["01"]
    assert hanoi["Tỉnh, thành phố"] == "Thành phố Hà Nội" and hanoi["Dân số (người)"] == "8.718.000"
    assert sum(int(n.replace(".", "")) for k in ("Xã", "Phường", "Đặc khu") for n in provinces[k]) == 3321


def test_entered_figures_are_listed_for_the_area():
    import pandas as pd

    values = pd.DataFrame(
        {
            "indicator_id": ["population", "population", "population"],
            "code": ["07210", "07228", "00004"],
            "year": [2025, 2025, 2025],
            "note": ["nhập liệu, phiên bản 3", "nhập liệu, phiên bản 4", "nhập liệu, phiên bản 4"],
            "source": ["Báo cáo A", "Báo cáo A", "Báo cáo B"],
        }
    )
    with profile.use("bac-ninh-2025"):
        table = entered_figures(values, {"07210", "07228"}, shipped.load_indicators())
    assert table.to_dict("records") == [
        {"Chỉ tiêu": "Dân số", "Năm": 2025, "Số đơn vị có số liệu": 2, "Phiên bản": "3, 4", "Nguồn": "Báo cáo A"}
    ]


def test_units_origins_find_a_unit_by_a_former_units_name():
    with profile.use("bac-ninh-2025"):
        table = crosswalk.origin_table(shipped.load_communes(), shipped.load_origin())
    assert len(table) == 99 and (table["predecessors"] != "").all()
    (row,) = crosswalk.find_origins(table, "Đồng Tâm").itertuples()  # merged into Xã Yên Thế
    assert row.full_name == "Xã Yên Thế" and "Xã Đồng Tâm" in row.predecessors and row.seat
    assert list(crosswalk.find_origins(table, row.code)["code"]) == [row.code]
    assert crosswalk.find_origins(table, "Không Có Nơi Này").empty


def test_a_map_with_no_values_says_why_and_what_to_do():
    with profile.use("yen-the-2024") as p:
        indicators = shipped.load_indicators()
        official = shipped.load_values(False, include_entered=False)
        every = shipped.load_values(True, include_entered=False)
        tm = build(MapRequest("poverty_rate", 2023, p.base_edition), indicators, official, shipped.load_communes())
        note = empty_note(tm, every, importable=True)
        assert not tm.has_data and "19 xã, thị trấn" in note
        assert "bật “Hiện số liệu minh họa”" in note and "trang “Nhập số liệu”" in note
        assert "0 lớp" not in tm.subtitle and "Phân loại" not in tm.subtitle
        ctx = mapcontext.MapContext(tm, shipped.load_outline())
        lay = export.layout(ctx, "a4", "landscape", 72)
        footer = " ".join(t.get_text() for t in lay.figure.texts)
        assert "Nguồn số liệu: chưa có số liệu của chỉ tiêu này năm 2023" in footer and "—." not in footer
        shown = build(MapRequest("model_villages", 2023, p.base_edition), indicators, official, shipped.load_communes())
        assert empty_note(shown, every, importable=True) is None
