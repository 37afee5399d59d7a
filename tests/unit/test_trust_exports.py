"""Exports are safe to open and carry their licences: no spreadsheet formulas from data, no writes to devices,
no temporary files left by a stopped export, MIT notices in every data file, data text never read as markup."""

import csv
import dataclasses
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from datetime import date
from pathlib import Path

import geopandas as gpd
import openpyxl
import pyogrio
import pytest
from matplotlib.text import Text

from ktxh_geo.__main__ import main
from ktxh_geo.errors import InputError
from ktxh_geo.io.licences import read_licences
from ktxh_geo.model import mapcontext
from ktxh_geo.render import export

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_LICENCE = ROOT / "profiles" / "yen-the-2024" / "geo" / "LICENSES.md"
DAY = date(2024, 3, 5)
PAYLOADS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]
NOTICE_NAMES = ("Marc Choisy", "Thang Le Quoc", "Tran Ngoc Minh Hieu", "MIT")


@pytest.fixture(scope="module")
def villages():
    return mapcontext.prepare("model_villages", 2023, include_illustrative=False, layers=())


@pytest.fixture(scope="module")
def villages_2025():
    """The 2025 communes: the table carries vietnamadminunits' population and area columns."""
    return mapcontext.prepare("model_villages", 2023, edition="2025", include_illustrative=False, layers=())


def _with(ctx, indicator_name=None, **columns):
    """A copy of ``ctx`` whose first rows get the given column values (and indicator name)."""
    joined = ctx.joined.copy()
    for col, values in columns.items():
        joined[col] = joined[col].astype(object)
        for i, value in enumerate(values):
            joined.loc[joined.index[i], col] = value
    tm = ctx.thematic
    if indicator_name:
        tm = dataclasses.replace(tm, indicator=dataclasses.replace(tm.indicator, name=indicator_name))
        tm = dataclasses.replace(tm, shown=tm.indicator)
    return dataclasses.replace(ctx, thematic=dataclasses.replace(tm, joined=joined))


def test_export_error_is_an_input_error():
    assert issubclass(export.ExportError, InputError)


# ---- 1. formula injection ----------------------------------------------------------------------


@pytest.fixture
def hostile_ctx(villages):
    n = len(PAYLOADS)
    ctx = _with(villages, indicator_name="=1+1 số thôn", source=PAYLOADS[::-1], value_text=PAYLOADS)
    ctx = _with(ctx, full_name=PAYLOADS)
    joined = ctx.joined.copy()
    joined["value"] = joined["value"].astype(float)
    joined.loc[joined.index[n], "value"] = -2.5
    return dataclasses.replace(ctx, thematic=dataclasses.replace(ctx.thematic, joined=joined))


def test_xlsx_text_cells_never_become_formulas(hostile_ctx, tmp_path):
    out = export.write_export("xlsx", hostile_ctx, tmp_path / "t.xlsx", export_date=DAY)
    book = openpyxl.load_workbook(out)
    data = book["Số liệu"]
    header = [c.value for c in data[1]]
    rows = list(data.iter_rows(min_row=2))
    for col in ("full_name", "source", "value_text"):
        j = header.index(export.PEOPLE_COLUMNS[col])
        cells = [r[j] for r in rows[: len(PAYLOADS)]]
        want = PAYLOADS[::-1] if col == "source" else PAYLOADS
        # openpyxl keeps a bare CR with lxml and reads it as LF without: either is the typed text
        assert [c.value[1:].replace("\r", "\n") for c in cells] == [v.replace("\r", "\n") for v in want], col
        for cell in cells:
            assert cell.data_type == "s" and cell.value.startswith("'"), (col, cell.value)
    value = rows[len(PAYLOADS)][header.index(export.PEOPLE_COLUMNS["value"])]
    assert value.data_type == "n" and value.value == -2.5  # a real negative number stays a number
    for sheet in book.worksheets:
        assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"], sheet.title
    notes = {r[0].value: r[1] for r in book["Ghi chú"].iter_rows(min_row=2)}
    assert notes["Bản đồ"].data_type == "s" and notes["Bản đồ"].value.startswith("'=1+1 số thôn")
    assert notes["Nguồn số liệu"].value.startswith("'")  # the sorted sources begin with a payload


def test_csv_text_fields_start_with_an_apostrophe(hostile_ctx, tmp_path):
    out = export.write_export("csv", hostile_ctx, tmp_path / "t.csv", export_date=DAY)
    with out.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    for col in ("full_name", "source", "value_text"):
        got = [r[export.PEOPLE_COLUMNS[col]] for r in rows[: len(PAYLOADS)]]
        assert all(v.startswith("'") for v in got), (col, got)
        assert [v[1:] for v in got] == (PAYLOADS[::-1] if col == "source" else PAYLOADS)
    assert len(rows) == len(hostile_ctx.joined)  # a CR inside a cell does not split the row
    value = rows[len(PAYLOADS)][export.PEOPLE_COLUMNS["value"]]
    assert float(value) == -2.5 and value.startswith("-")
    assert rows[-1]["Mã đơn vị"] == hostile_ctx.joined["code"].iloc[-1]  # ordinary text is untouched


def test_neutralise_touches_only_risky_text():
    assert export.neutralise("=1") == "'=1" and export.neutralise("\r=1") == "'\r=1"
    assert export.neutralise("Đồng Tiến") == "Đồng Tiến" and export.neutralise("") == ""
    assert export.neutralise(-2) == -2 and export.neutralise(-2.5) == -2.5 and export.neutralise(None) is None


# ---- 2. --out must be a regular file or a new path; stopping leaves nothing ---------------------


def _cli(out, *extra):
    return main(["export", "--indicator", "model_villages", "--layers", "none", "--format", "csv", *extra,
                 "--out", str(out)])  # fmt: skip


def _refused(capsys, out):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"lỗi: không ghi được {out}"), err


def test_cli_refuses_a_fifo(tmp_path, capsys):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    assert _cli(fifo) == 2
    _refused(capsys, fifo)
    assert fifo.is_fifo() and [p.name for p in tmp_path.iterdir()] == ["pipe.csv"]


def test_cli_refuses_a_symlink_to_a_fifo_and_a_dangling_one(tmp_path, capsys):
    os.mkfifo(tmp_path / "pipe")
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "pipe")
    assert _cli(link) == 2
    _refused(capsys, link)
    assert link.is_symlink() and (tmp_path / "pipe").is_fifo()
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "nowhere")
    assert _cli(dangling) == 2
    _refused(capsys, dangling)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dangling.csv", "link.csv", "pipe"]


def test_cli_refuses_a_directory_behind_a_symlink(tmp_path, capsys):
    (tmp_path / "d").mkdir()
    link = tmp_path / "d.csv"
    link.symlink_to(tmp_path / "d")
    assert _cli(link) == 2
    _refused(capsys, link)
    assert list((tmp_path / "d").iterdir()) == []


def test_cli_refuses_dev_null(capsys, monkeypatch):
    """Checked before any temporary file is made (mkstemp would fail the test, never touching /dev)."""

    def no_temp(*args, **kwargs):
        raise AssertionError("a temporary file was made for a device")

    monkeypatch.setattr(export.tempfile, "mkstemp", no_temp)
    assert _cli("/dev/null") == 2
    _refused(capsys, "/dev/null")
    assert Path("/dev/null").is_char_device()


def test_cli_refuses_a_fifo_where_the_csv_licence_goes(tmp_path, capsys):
    os.mkfifo(tmp_path / "t.LICENSE.txt")
    assert _cli(tmp_path / "t.csv") == 2
    err = capsys.readouterr().err
    assert err.startswith("lỗi: không ghi được") and "t.LICENSE.txt" in err
    assert [p.name for p in tmp_path.iterdir()] == ["t.LICENSE.txt"]


def test_cli_still_replaces_a_regular_file_and_a_link_to_one(tmp_path):
    out = tmp_path / "t.csv"
    out.write_text("old")
    assert _cli(out) == 0 and out.read_bytes().startswith(b"\xef\xbb\xbf")
    link = tmp_path / "link.csv"
    link.symlink_to(out)
    assert _cli(link) == 0 and link.read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stopped_export_leaves_no_temporary_file(tmp_path, sig):
    out = tmp_path / "ban-do.pdf"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ktxh_geo", "export", "--indicator", "model_villages", "--format", "pdf"]
        + ["--paper", "a3", "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not list(tmp_path.glob(f".{out.name}.*")) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert proc.poll() is None, "the export finished before it could be stopped"
        assert list(tmp_path.glob(f".{out.name}.*")), "no temporary file appeared"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert list(tmp_path.glob(".*.pdf")) == [] and not out.exists()
    assert list(tmp_path.iterdir()) == []
    assert proc.returncode == 128 + sig, err
    assert err.count("\n") == 1 and err.startswith("lỗi: đã dừng xuất") and sig.name in err


# ---- 3. licence notices in every data export ------------------------------------------------------


def _has_notice(text: str) -> None:
    for name in NOTICE_NAMES:
        assert name in text, name
    assert "Permission is hereby granted, free of charge" in text


def test_geojson_carries_the_notice_and_still_reads(villages, tmp_path):
    out = export.write_export("geojson", villages, tmp_path / "t.geojson", export_date=DAY)
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and len(doc["features"]) == 19
    notice = doc["ktxh_notice"]
    _has_notice(notice["licences"])
    assert notice["licences"] == read_licences(SHIPPED_LICENCE).text_block()
    assert any("Marc Choisy" in s for s in notice["sources"]) and notice["exported"] == "2024-03-05"
    info = pyogrio.read_info(out)
    assert info["features"] == 19 and info["crs"] == "EPSG:4326"


def test_gpkg_is_version_1_2_with_the_notice_in_its_metadata(villages, tmp_path):
    out = export.write_export("gpkg", villages, tmp_path / "t.gpkg", export_date=DAY)
    info = pyogrio.read_info(out, layer="model_villages")
    _has_notice(info["layer_metadata"]["KTXH_LICENCES"])
    assert "Marc Choisy" in info["layer_metadata"]["KTXH_SOURCES"]
    with sqlite3.connect(out) as db:
        assert db.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47  # "GPKG"
        assert db.execute("PRAGMA user_version").fetchone()[0] == 10200
        stored = " ".join(r[0] for r in db.execute("SELECT metadata FROM gpkg_metadata"))
        description = db.execute("SELECT description FROM gpkg_contents").fetchone()[0]
    _has_notice(stored)
    assert "Marc Choisy" in description and "Thang Le Quoc" in description
    gpd.read_file(out)  # reading leaves no .aux.xml beside it
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.gpkg"]


def test_xlsx_has_a_licence_sheet(villages, tmp_path):
    out = export.write_export("xlsx", villages, tmp_path / "t.xlsx", export_date=DAY)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Số liệu", "Ghi chú", "Tên cột", "Giấy phép"]
    text = "\n".join(str(c.value) for row in book["Giấy phép"].iter_rows() for c in row if c.value)
    _has_notice(text)


def test_csv_gets_a_licence_file_beside_it(villages, tmp_path):
    out = export.write_export("csv", villages, tmp_path / "t.csv", export_date=DAY)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.LICENSE.txt", "t.csv"]
    licence = (tmp_path / "t.LICENSE.txt").read_text(encoding="utf-8")
    _has_notice(licence)
    assert export.licence_path(out) == tmp_path / "t.LICENSE.txt"
    assert oct((tmp_path / "t.LICENSE.txt").stat().st_mode & 0o777) == "0o644"


def test_cli_csv_writes_the_licence_too(tmp_path, capsys):
    out = tmp_path / "ntm.csv"
    assert _cli(out) == 0
    assert "ntm.LICENSE.txt" in capsys.readouterr().out
    _has_notice((tmp_path / "ntm.LICENSE.txt").read_text(encoding="utf-8"))


def test_ui_csv_download_is_a_zip_with_the_licence(villages):
    name = export.download_name(villages, "csv")
    assert name.endswith(".zip") and name.startswith("ban-do_model_villages_2023")
    with zipfile.ZipFile(io.BytesIO(export.download_bytes("csv", villages, export_date=DAY))) as zf:
        names = zf.namelist()
        assert names == [export.file_name(villages, "csv"), "LICENSE.txt"]
        assert zf.read(names[0]).startswith(b"\xef\xbb\xbf")
        _has_notice(zf.read("LICENSE.txt").decode("utf-8"))
    assert export.download_name(villages, "pdf").endswith(".pdf")


def test_population_columns_credit_vietnamadminunits(villages, villages_2025, tmp_path):
    assert {"population", "area_km2_published"} <= set(export.data_table(villages_2025).columns)
    notes = dict(export._notes(villages_2025, DAY).values.tolist())
    credit = notes["Diện tích, dân số"]
    assert "vietnamadminunits" in credit and "Tran Ngoc Minh Hieu" in credit and "MIT" in credit
    assert "sapnhap.bando.com.vn" in credit
    assert "Diện tích, dân số" not in dict(export._notes(villages, DAY).values.tolist())
    doc = json.loads(export.geojson_text(villages_2025, DAY))
    assert any("vietnamadminunits" in s for s in doc["ktxh_notice"]["sources"])
    assert not any("vietnamadminunits" in s for s in export.notice(villages, DAY)["sources"])
    assert "sapnhap.bando.com.vn" in export.notice_text(villages_2025, DAY).split("## MIT")[0]


# ---- 4. data text on the printed map is not mathtext -------------------------------------------


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    pdf = tmp_path / "map.pdf"
    pdf.write_bytes(data)
    out = subprocess.run(["/usr/bin/pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(out.split())


def test_dollar_signs_in_data_print_literally(villages, tmp_path):
    ctx = _with(villages, indicator_name="Giá $x^2$ chỉ tiêu", source=["giá $x^2$"] * len(villages.joined))
    lay = export.layout(ctx, "a4", "landscape", 72, DAY)
    texts = lay.figure.findobj(Text)
    assert [t for t in texts if "$x^2$" in t.get_text()]
    assert not [t.get_text() for t in texts if t.get_parse_math()]
    text = _pdf_text(export.render_pdf(ctx, "a4", "landscape", DAY), tmp_path)
    assert "Nguồn số liệu: giá $x^2$." in text and "Giá $x^2$ chỉ tiêu năm 2023" in text


# ---- 5. HTML title -------------------------------------------------------------------------------


def test_html_title_from_data_cannot_open_a_script(villages):
    attack = "</title><script>alert(1)</script>"
    page = export.render_html(_with(villages, indicator_name=f"Chỉ tiêu {attack}"), DAY)
    assert "<script>alert(1)" not in page and attack not in page
    assert "<title>Chỉ tiêu &lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page


# ---- issue 17: every --out with the same guards; XML noncharacters in xlsx ------------------------


@pytest.mark.parametrize("where", ["/dev/full", "a_directory", "a_fifo", "missing/x.txt"])
def test_check_locations_out_has_the_export_guards(tmp_path, capsys, where):
    targets = {"a_directory": tmp_path, "a_fifo": tmp_path / "pipe.txt", "missing/x.txt": tmp_path / "no" / "x.txt"}
    out = Path(targets.get(where, where))
    if where == "a_fifo":
        os.mkfifo(out)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["check-locations", "--out", str(out)]) == 2  # returns: a FIFO does not block, a device is refused
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"lỗi: không ghi được {out}") and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no temporary file left


def test_check_locations_out_on_a_full_disk_leaves_the_old_file(tmp_path, capsys, monkeypatch):
    from ktxh_geo.io import outputs

    out = tmp_path / "kiem_tra.txt"
    out.write_text("bản cũ", encoding="utf-8")
    real = Path.write_text

    def full(self, *args, **kwargs):
        if self.name.startswith(".kiem_tra.txt."):
            raise OSError(28, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    assert main(["check-locations", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err == f"lỗi: không ghi được {out}: ổ đĩa đã đầy (No space left on device)\n"
    assert out.read_text(encoding="utf-8") == "bản cũ" and [p.name for p in tmp_path.iterdir()] == ["kiem_tra.txt"]
    monkeypatch.setattr(Path, "write_text", real)
    assert outputs.write_text(out, "mới").read_text(encoding="utf-8") == "mới"
    assert oct(out.stat().st_mode & 0o777) == "0o644"


@pytest.mark.parametrize("char", ["\ufffe", "\uffff", "\x00", "\x1b"])
def test_xlsx_export_escapes_xml_noncharacters(villages, tmp_path, char):
    source = f"QĐ 12{char}/UBND"
    out = export.write_export("xlsx", _with(villages, source=[source]), tmp_path / "t.xlsx", export_date=DAY)
    data = openpyxl.load_workbook(out)["Số liệu"]
    header = [c.value for c in data[1]]
    escaped = {"\ufffe": "\\ufffe", "\uffff": "\\uffff", "\x00": "\\x00", "\x1b": "\\x1b"}[char]
    assert data.cell(row=2, column=header.index(export.PEOPLE_COLUMNS["source"]) + 1).value == f"QĐ 12{escaped}/UBND"


def test_a_province_profile_exports_data_with_the_licence_of_the_layers_it_uses(tmp_path):
    import dataclasses

    from ktxh_geo.errors import DataError
    from ktxh_geo.vocab import profile

    with profile.use("bac-ninh-2025") as p:  # its boundaries are the national layers (profile licence_file)
        ctx = mapcontext.prepare("density", 2025, include_illustrative=False, layers=())
        out = export.write_export("xlsx", ctx, tmp_path / "bn.xlsx", export_date=DAY)
        licence = " ".join(str(c.value) for row in openpyxl.load_workbook(out)["Giấy phép"].iter_rows() for c in row)
        assert "Thang Le Quoc" in licence and "MIT" in licence
        missing = dataclasses.replace(p, licence_file=tmp_path / "KHONG_CO.md")
        with pytest.raises(DataError) as err:  # said without a server path
            export.licences(missing)
    assert str(err.value) == "thiếu tệp giấy phép KHONG_CO.md của địa phương: không xuất khi thiếu giấy phép"
