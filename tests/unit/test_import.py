"""Import: broken files and invalid tables are refused with clear messages and leave the store untouched."""

import hashlib
import io

import openpyxl
import pytest
from import_corpus import (
    BROKEN_FILES,
    CORPUS_DIR,
    GENERATED_ONLY,
    GENERATED_TABLES,
    INVALID_TABLES,
    corpus_bytes,
    csv_bytes,
    table_path,
)

from ktxh_geo.__main__ import main
from ktxh_geo.io import store
from ktxh_geo.io.uploads import FileProblem, read_table
from ktxh_geo.model.auth import hash_password, signed_in
from ktxh_geo.model.datasets import load_datasets
from ktxh_geo.model.imports import check_file
from ktxh_geo.render.xlsx_template import build_template

ED = signed_in("an", "password")


@pytest.fixture()
def state(tmp_path, monkeypatch):
    """A store with one saved version under a temporary KTXH_STATE_DIR; "an" is an editor in the secrets file."""
    monkeypatch.setenv("KTXH_STATE_DIR", str(tmp_path))
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[editors]\nan = "{hash_password("mat-khau-thu", 1_000)}"\n', encoding="utf-8")
    monkeypatch.setenv("STREAMLIT_SECRETS_FILES", str(secrets))
    cell = store.Cell("poverty_rate", "07273", "2020-2024", 2024, 3.5)
    store.save([cell], editor=ED, source="Báo cáo rà soát 2024", action="import", dataset="poverty_rate", year=2024)
    return store.store_path()


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(capsys, *args):
    rc = main(["import", *map(str, args)])
    out = capsys.readouterr()
    return rc, out.out + out.err


@pytest.mark.parametrize("name", sorted(BROKEN_FILES))
def test_broken_file_is_refused_with_message_and_store_unchanged(name, state, tmp_path, capsys):
    filename, data = corpus_bytes(name)
    path = tmp_path / filename
    path.write_bytes(data)
    before = _digest(state)
    rc, text = _run(capsys, path, "--dataset", "poverty_rate", "--year", 2024, "--source", "x", "--user", "an")
    assert rc == 2
    for fragment in BROKEN_FILES[name][2]:
        assert fragment in text, text
    assert "KHÔNG HỢP LỆ" in text
    assert _digest(state) == before
    assert store.latest_version() == 1


@pytest.mark.parametrize("name", sorted(INVALID_TABLES))
def test_invalid_table_is_reported_with_row_and_column_and_store_unchanged(name, state, tmp_path, capsys):
    dataset, year, _, expected = INVALID_TABLES[name]
    path = table_path(name, tmp_path)
    before = _digest(state)
    rc, text = _run(capsys, path, "--dataset", dataset, "--year", year, "--source", "x", "--user", "an")
    assert rc == 2, text
    for fragment in [f"{name}.csv", *expected]:
        assert fragment in text, text
    assert _digest(state) == before


def test_committed_corpus_covers_every_case():
    committed = {p.name for p in CORPUS_DIR.iterdir()}
    for name, (filename, _, _) in BROKEN_FILES.items():
        assert name in GENERATED_ONLY or filename in committed
    assert {f"{n}.csv" for n in INVALID_TABLES if n not in GENERATED_TABLES} <= committed


def test_filled_template_imports_and_a_second_import_is_a_new_version(state, tmp_path, capsys, units):
    ds = load_datasets()["poverty_rate"]
    wb = openpyxl.load_workbook(io.BytesIO(build_template(ds, 2024, units)))
    ws = wb["Số liệu"]
    assert [c.value for c in ws[1]][:2] == ["Mã xã", "Tên xã"]
    assert ws.max_row == 20 and ws["A2"].value == "07243"
    assert "Hướng dẫn" in wb.sheetnames
    guide = "\n".join(str(r[0].value) for r in wb["Hướng dẫn"].iter_rows() if r[0].value)
    assert "từ 0 đến 100" in guide and "nguồn số liệu" in guide
    ws["C2"], ws["D2"], ws["E2"] = 4.25, 1200, 51
    ws["C3"] = "1,5"
    path = tmp_path / "mau.xlsx"
    wb.save(path)

    rc, text = _run(capsys, path, "--dataset", "poverty_rate", "--year", 2024, "--dry-run")
    assert rc == 0 and "HỢP LỆ" in text and "4 giá trị, 2 đơn vị" in text and "không lưu" in text
    assert store.latest_version() == 1

    rc, text = _run(capsys, path, "--dataset", "poverty_rate", "--year", 2024, "--user", "an")
    assert rc == 2 and "nguồn" in text  # a source is required
    assert store.latest_version() == 1

    args = ["--dataset", "poverty_rate", "--year", 2024, "--source", "QĐ 12/QĐ-UBND", "--user", "an"]
    rc, text = _run(capsys, path, *args)
    assert rc == 0 and "đã lưu phiên bản 2" in text
    snap = store.snapshot().set_index(["indicator_id", "code"])
    assert snap.loc[("poverty_rate", "07243"), "value"] == 4.25
    assert snap.loc[("households", "07243"), "value"] == 1200
    assert snap.loc[("poverty_rate", "07246"), "value"] == 1.5
    assert snap.loc[("poverty_rate", "07273"), "source"] == "Báo cáo rà soát 2024"  # untouched, kept
    assert snap.loc[("poverty_rate", "07243"), "source"] == "QĐ 12/QĐ-UBND"


def test_names_codes_and_nfd_match(units):
    import unicodedata

    rows = [
        ["Mã", "Tên xã", "Tỷ lệ hộ nghèo"],
        ["", "TT Phồn Xương", "1"],
        ["", "xa dong son", "2"],
        ["", unicodedata.normalize("NFD", "Bồ Hạ"), "3"],
        ["07285", "Tên viết sai hẳn", "4"],  # a code wins over the name
        ["", "  X. Tân   SỎI ", "5"],
    ]
    report = check_file(csv_bytes(rows), "ten.csv", load_datasets()["poverty_rate"], 2024, units)
    assert report.ok, report.lines()
    assert [(c.code, c.value) for c in report.cells] == [
        ("07288", 1.0),
        ("07273", 2.0),
        ("07294", 3.0),
        ("07285", 4.0),
        ("07291", 5.0),
    ]


def test_semicolon_csv_and_header_below_a_title(units):
    text = "BÁO CÁO RÀ SOÁT HỘ NGHÈO NĂM 2024;;\n;;\nSTT;Xã, thị trấn;Tỷ lệ hộ nghèo (%)\n1;Bố Hạ;1,25\n"
    report = check_file(text.encode(), "bc.csv", load_datasets()["poverty_rate"], 2024, units)
    assert report.ok, report.lines()
    assert report.cells[0].code == "07294" and report.cells[0].value == 1.25


def test_screen_override_resolves_an_unmatched_name(units):
    rows = [["Tên xã", "Tỷ lệ hộ nghèo"], ["Đồng Tiếng", "2"]]
    ds = load_datasets()["poverty_rate"]
    report = check_file(csv_bytes(rows), "a.csv", ds, 2024, units)
    assert not report.ok and report.matches[0].status == "unmatched"
    assert report.matches[0].suggestions[0] == ("07243", "Xã Đồng Tiến")
    fixed = check_file(csv_bytes(rows), "a.csv", ds, 2024, units, {2: "07243"})
    assert fixed.ok and fixed.cells[0].code == "07243"


def test_read_table_raises_file_problem_not_other_errors():
    with pytest.raises(FileProblem, match="không phải bảng tính"):
        read_table(b"%PDF-1.4 ...", "x.pdf")


def test_list_datasets(capsys):
    rc, text = _run(capsys, "--list")
    assert rc == 0
    for ds_id in ("poverty_rate", "ntm_criteria", "ntm_status", "model_villages"):
        assert f"{ds_id}:" in text
    assert "households" in text and "từ 0 đến 19" in text and "NTM kiểu mẫu" in text


def test_on_screen_edit_yields_changed_cells_and_checks_them():
    import pandas as pd

    from ktxh_geo.model.imports import cells_from_edit

    ds = load_datasets()["ntm_criteria"]
    label = ds.columns[0].label
    before = pd.DataFrame({"Mã": ["07243", "07246", "07249"], "Đơn vị": ["A", "B", "C"], label: [15.0, None, 17.0]})
    after = before.copy()
    after.loc[0, label] = 16.0  # changed
    after.loc[1, label] = 25.0  # out of range
    after.loc[2, label] = None  # cleared: delete
    cells, problems = cells_from_edit(before, after, ds, "2020-2024", 2024)
    assert [(c.code, c.value, c.empty) for c in cells] == [("07243", 16.0, False), ("07249", None, True)]
    assert problems == [f"B, {label}: 25 vượt quá giá trị lớn nhất cho phép (phải từ 0 đến 19)"]


@pytest.mark.parametrize("year", [2024, 2025])
@pytest.mark.parametrize("dataset_id", ["poverty_rate", "ntm_criteria", "ntm_status", "model_villages"])
def test_every_template_round_trips(dataset_id, year, units):
    ds = load_datasets()[dataset_id]
    wb = openpyxl.load_workbook(io.BytesIO(build_template(ds, year, units)))
    ws = wb["Số liệu"]
    codes = [r[0].value for r in ws.iter_rows(min_row=2)]
    assert len(codes) == {(True, 2024): 17, (True, 2025): 15, (False, 2024): 19, (False, 2025): 17}[(ds.xa_only, year)]
    assert ("07261" in codes) and (("07276" in codes) == (year == 2024))
    good = {"rate": 2.5, "criteria": 17, "count": 3, "category": "NTM nâng cao"}
    for row in ws.iter_rows(min_row=2):
        for cell, column in zip(row[2:], ds.columns, strict=True):
            cell.value = good[column.kind]
    buf = io.BytesIO()
    wb.save(buf)
    report = check_file(buf.getvalue(), "mau.xlsx", ds, year, units)
    assert report.ok, report.lines()
    assert report.n_units == len(codes) and len(report.cells) == len(codes) * len(ds.columns)
    assert {c.edition for c in report.cells} == {"2020-2024" if year == 2024 else "2025-h1"}
