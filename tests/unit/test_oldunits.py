"""Old-commune figures placed on the 2025 units of a province other than Bắc Ninh (issue 23): sums, weighted rates,
counted statuses, the split communes refused and listed, incomplete and unplaced rows reported."""

from __future__ import annotations

import pytest

from ktxh_geo.errors import DataError
from ktxh_geo.io.uploads import read_table
from ktxh_geo.model.oldunits import old_units, place
from ktxh_geo.vocab.indicators import Indicator
from ktxh_geo.vocab.profile import set_active, use


def _ind(id_, name, unit, aggregation, denominator="", kind="numeric", decimals=2):
    return Indicator(id_, name, unit, kind, "commune", "all", "xa_hoi", aggregation, denominator, None, None,
                     decimals, "", (), "", (), False)  # fmt: skip


CATALOGUE = {
    "households": _ind("households", "Số hộ dân cư", "hộ", "sum", decimals=0),
    "poor_households": _ind("poor_households", "Số hộ nghèo", "hộ", "sum", decimals=0),
    "poverty_rate": _ind("poverty_rate", "Tỷ lệ hộ nghèo", "%", "weighted_mean", "households"),
    "ntm_status": _ind("ntm_status", "Tình trạng nông thôn mới", "", "status_summary", kind="category"),
    "ntm_criteria": _ind("ntm_criteria", "Số tiêu chí", "tiêu chí", "none"),
}
# Cần Thơ (92): 31135 Ninh Kiều ← Thới Bình, Tân An, Xuân Khánh (whole); 31147 Tân An ← Hưng Lợi, An Khánh;
# 31120 Cái Khế ← Cái Khế, An Hòa and a part of Bùi Hữu Nghĩa (split between 31120 and 31168).
SHEET = """Mã xã,Tên xã,Huyện cũ,Số hộ dân cư,Số hộ nghèo,Tỷ lệ hộ nghèo (%),Tình trạng nông thôn mới,Số tiêu chí
31123,Phường Thới Bình,Quận Ninh Kiều,1000,20,"2,0",đạt chuẩn NTM,19
,Tân An,Ninh Kiều,3000,30,1,chưa đạt,10
31144,,,1000,40,4,đã thẩm tra,15
31147,Phường Hưng Lợi,Quận Ninh Kiều,800,8,1,,
31117,Phường Cái Khế,Quận Ninh Kiều,900,9,1,,
31120,Phường An Hòa,Quận Ninh Kiều,700,7,1,,
31178,Phường Bùi Hữu Nghĩa,Quận Bình Thủy,600,6,1,,
,Xã Không Có,Huyện Nào Đó,1,1,1,,
"""


def _place(text: str, province: str = "92"):
    with use("national-2025"):
        return place(read_table(text.encode("utf-8"), "so-lieu-xa-cu.csv"), CATALOGUE, 2024, province)


def _value(placed, indicator: str, code: str):
    rows = placed.values[(placed.values["indicator_id"] == indicator) & (placed.values["code"] == code)]
    return rows.iloc[0] if len(rows) else None


def test_counts_sum_rates_are_weighted_statuses_counted():
    placed = _place(SHEET)
    assert _value(placed, "households", "31135")["value"] == 5000
    assert _value(placed, "poor_households", "31135")["value"] == 90
    rate = _value(placed, "poverty_rate", "31135")
    assert rate["value"] == pytest.approx((2.0 * 1000 + 1.0 * 3000 + 4.0 * 1000) / 5000)  # 1,8, never the mean 2,33
    assert rate["status"] == "computed" and rate["edition"] == "2025" and rate["year"] == 2024
    assert "bình quân gia quyền của 3 xã cũ" in rate["note"]
    ntm = _value(placed, "ntm_status", "31135")
    assert ntm["value"] == 2 and ntm["value_text"] == "2/3 xã đạt chuẩn NTM hoặc đã thẩm tra"
    assert placed.merged["Phường Ninh Kiều (31135)"] == ["Phường Thới Bình", "Phường Tân An", "Phường Xuân Khánh"]


def test_split_communes_are_refused_and_listed_never_given_whole():
    placed = _place(SHEET)
    assert placed.split == ["Phường Bùi Hữu Nghĩa (31178, Quận Bình Thủy) → 31120, 31168"]
    assert _value(placed, "households", "31120") is None  # it got a part of Bùi Hữu Nghĩa: no total
    assert _value(placed, "households", "31168") is None
    assert any("Phường Cái Khế (31120) nhận một phần của Phường Bùi Hữu Nghĩa" in s for s in placed.incomplete)


def test_incomplete_unplaced_and_refused_are_reported():
    placed = _place(SHEET)
    assert _value(placed, "households", "31147") is None  # An Khánh's figures are missing: no partial sum
    assert any(s.startswith("Số hộ dân cư: Phường Tân An (31147) thiếu Phường An Khánh") for s in placed.incomplete)
    assert placed.unplaced == ["so-lieu-xa-cu.csv, dòng 9: không tìm thấy xã cũ “Xã Không Có” (Huyện Nào Đó)"]
    assert "Số tiêu chí" in placed.refused  # no rule: never averaged
    report = "\n".join(placed.report())
    assert "Không đặt (xã cũ bị chia cho nhiều đơn vị mới): Phường Bùi Hữu Nghĩa" in report
    assert "Gộp: Phường Ninh Kiều (31135) ← Phường Thới Bình, Phường Tân An, Phường Xuân Khánh" in report


def test_a_rate_without_its_denominator_is_refused():
    sheet = "Mã xã,Tỷ lệ hộ nghèo\n31123,2\n31135,1\n31144,4\n"
    placed = _place(sheet)
    assert placed.values.empty
    assert "không lấy trung bình cộng các tỷ lệ" in placed.refused["Tỷ lệ hộ nghèo"]


def test_bad_cell_names_file_row_and_column():
    with pytest.raises(DataError, match=r"so-lieu-xa-cu.csv, dòng 2, cột B \(Số hộ dân cư\): “nhiều” không phải là số"):
        _place("Mã xã,Số hộ dân cư\n31123,nhiều\n")


def test_the_country_table_agrees_with_the_shipped_crosswalk():
    with use("national-2025"):
        table = old_units("24")
    with use("yen-the-2024"):
        from ktxh_geo.io.shipped import load_crosswalk

        crosswalk = load_crosswalk()
    both = crosswalk.merge(table, left_on="old_gso_code", right_on="old_code")
    assert (both["new_gso_code"] == both["new_code"]).all()  # every old commune goes where the district's table says
    # the country's old communes are those of 30/6/2025: the two merged into another on 01/01/2025 are not in it
    missing = crosswalk[~crosswalk["old_gso_code"].isin(table["old_code"])]
    assert len(both) == 17 and (missing["old_gso_code"] != missing["code_on_2025_06_30"]).all()
    assert set(missing["code_on_2025_06_30"]) <= set(table["old_code"])


def test_a_district_places_by_its_own_crosswalk():
    sheet = "Mã xã,Số thôn được công nhận đạt chuẩn NTM kiểu mẫu (công nhận trong năm)\n"
    rows = [("07288", 1), ("07270", 0), ("07260", 1), ("07276", 0), ("07261", 2), ("07291", 1)]
    sheet += "".join(f"{c},{n}\n" for c, n in rows)
    with use("yen-the-2024"):
        from ktxh_geo.io.shipped import load_indicators

        placed = place(read_table(sheet.encode(), "x.csv"), load_indicators(), 2024)
    row = placed.values[placed.values["code"] == "07288"]
    # Xã Yên Thế: its 5 old xã (the thị trấn does not count for an NTM indicator of xã only)
    assert row["value"].tolist() == [4.0] and row["edition"].tolist() == ["2025"]
    assert row["note"].iloc[0].startswith("tổng của 5 xã cũ")


def test_place_old_command_writes_the_placed_figures_and_reports(tmp_path, capsys, state, monkeypatch):
    import csv

    from ktxh_geo.cli import main
    from ktxh_geo.io import store
    from ktxh_geo.model.auth import hash_password

    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[editors]\nan = "{hash_password("mat-khau-dai-1", 1_000)}"\n', encoding="utf-8")
    monkeypatch.setenv("STREAMLIT_SECRETS_FILES", str(secrets))

    catalogue = tmp_path / "indicators.csv"
    fields = "id,name,unit,kind,level,applies_to,group,aggregation,denominator,min,max,decimals,scheme,breaks,palette,categories,map,description"  # noqa: E501
    catalogue.write_text(
        fields + "\nhouseholds,Số hộ dân cư,hộ,numeric,commune,all,xa_hoi,sum,,,,0,,,,,0,\n"
        "poverty_rate,Tỷ lệ hộ nghèo,%,numeric,commune,all,xa_hoi,weighted_mean,households,,,2,,,,,0,\n",
        encoding="utf-8",
    )
    sheet = tmp_path / "xa-cu.csv"
    sheet.write_text(SHEET, encoding="utf-8")
    out = tmp_path / "placed.csv"
    args = ["--profile", "national-2025", "place-old", str(sheet), "--year", "2024", "--province", "92"]
    try:
        assert main([*args, "--catalogue", str(catalogue), "--out", str(out)]) == 0
        assert main([*args, "--catalogue", str(catalogue)]) == 0  # report only
        assert main(["--profile", "national-2025", "place-old", str(tmp_path / "none.csv"), "--year", "2024"]) == 2
        assert main([*args, "--catalogue", str(catalogue), "--save", "--user", "an"]) == 2  # no source: nothing saved
        assert store.latest_version() == 0
        assert main([*args, "--catalogue", str(catalogue), "--save", "--user", "an", "--source", "Báo cáo 2024"]) == 0
    finally:
        set_active(None)  # the command made its --profile this process's
    printed, errors = capsys.readouterr()
    assert "không mở được tệp" in errors
    assert "không lưu: Phải ghi rõ nguồn của bảng số liệu theo xã cũ" in errors
    assert "đã lưu phiên bản 1" in printed and "(trạng thái: tính từ số liệu công bố)" in printed
    snap = store.snapshot()
    saved = snap.set_index(["indicator_id", "code"])
    assert saved.loc[("households", "31135"), "value"] == 5000 and "31120" not in set(snap["code"])
    assert (snap["dataset"] == store.PLACED_DATASET).all() and snap["source"].str.startswith("Báo cáo 2024 — ").all()
    assert store.versions()["user"].tolist() == ["an"]
    assert "Không đặt (xã cũ bị chia cho nhiều đơn vị mới): Phường Bùi Hữu Nghĩa" in printed
    rows = {(r["indicator_id"], r["code"]): r for r in csv.DictReader(out.open(encoding="utf-8"))}
    assert float(rows[("households", "31135")]["value"]) == 5000
    assert float(rows[("poverty_rate", "31135")]["value"]) == pytest.approx(1.8)


def test_saved_placed_figures_are_computed_with_their_rule_never_official(state):
    from ktxh_geo.errors import Conflict, Forbidden
    from ktxh_geo.io import store
    from ktxh_geo.model.oldunits import save_placed
    from ktxh_geo.vocab import signed_in

    placed = _place(SHEET)
    office = signed_in("văn phòng", "password")
    with use("national-2025"):
        basis = store.latest_version()
        vid = save_placed(
            placed, CATALOGUE, editor=office, origin="Báo cáo thống kê 2024 của các phường", file="so-lieu-xa-cu.csv",
            year=2024, expected_version=basis,
        )  # fmt: skip
        from ktxh_geo.io.shipped import load_values

        values = load_values(include_illustrative=False)
    snap = store.snapshot()
    assert vid == 1 and len(snap) == len(placed.values) and (snap["dataset"] == store.PLACED_DATASET).all()
    rate = snap[(snap["indicator_id"] == "poverty_rate") & (snap["code"] == "31135")].iloc[0]
    assert rate["value"] == pytest.approx(1.8)
    assert rate["source"].startswith("Báo cáo thống kê 2024 của các phường — Số liệu gộp theo đơn vị mới")
    assert "“so-lieu-xa-cu.csv”" in rate["source"] and "Số hộ dân cư: tổng" in rate["source"]
    assert "Tỷ lệ hộ nghèo: bình quân gia quyền theo Số hộ dân cư" in rate["source"]
    assert not set(snap["code"]) & {"31120", "31168", "31147"}  # split and incomplete units stay missing
    mine = values[values["source"].str.contains("so-lieu-xa-cu.csv", regex=False)]
    assert len(mine) == len(placed.values) and set(mine["status"]) == {"computed"}  # never official
    assert mine["note"].str.startswith("tính từ số liệu theo xã cũ").all()
    row = mine[(mine["indicator_id"] == "households") & (mine["code"] == "31135")]
    assert row["value"].tolist() == [5000]

    # someone else changes a placed figure; a second save from the version first read is refused, nothing written
    store.save([store.Cell("households", "31135", "2025", 2024, 4999.0)], editor=office, source="sửa tay",
               action="edit", dataset="households", year=2024)  # fmt: skip
    with pytest.raises(Conflict), use("national-2025"):
        save_placed(placed, CATALOGUE, editor=office, origin="Báo cáo", file="so-lieu-xa-cu.csv", year=2024,
                    expected_version=basis)  # fmt: skip
    assert store.latest_version() == 2
    # a commune's reporter may not save figures of other units (the store's scope check)
    with pytest.raises(Forbidden), use("national-2025"):
        save_placed(placed, CATALOGUE, editor=signed_in("xã", "password", frozenset({"31147"})), origin="Báo cáo",
                    file="so-lieu-xa-cu.csv", year=2024)  # fmt: skip
    assert store.latest_version() == 2
    report = "\n".join(placed.report())
    assert "không được lưu (để trống" in report


def test_saving_needs_the_sheets_origin(state):
    from ktxh_geo.io.store import StoreError, latest_version
    from ktxh_geo.model.oldunits import save_placed
    from ktxh_geo.vocab import signed_in

    with pytest.raises(StoreError, match="nguồn của bảng số liệu theo xã cũ"), use("national-2025"):
        save_placed(_place(SHEET), CATALOGUE, editor=signed_in("a", "cli"), origin=" ", file="x.csv", year=2024)
    assert latest_version() == 0
