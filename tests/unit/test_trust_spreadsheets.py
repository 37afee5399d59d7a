"""Bounded parses of uploaded spreadsheets (issue 17): parts are counted by what they hold, not by their names.

The issue's two files, built for real (tests/hostile_uploads.py): a 16 KB workbook whose styles hold 1.99
million cell formats (the old reader: 58 s, 1.2 GB, "valid") and shared strings stored under a part name that
does not end in .xml (the old reader skipped its count). Each must be refused at once, with bounded memory,
before openpyxl sees it — under any part name and in any encoding one of openpyxl's two XML parsers reads.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import hostile_uploads as H
import pytest

from ktxh_geo.io import uploads
from ktxh_geo.io.uploads import FileProblem, FileTooLarge, read_table

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_openpyxl(monkeypatch):
    import openpyxl

    def never(*_a, **_k):
        raise AssertionError("openpyxl must not parse a file past the caps")

    monkeypatch.setattr(openpyxl, "load_workbook", never)


def _refused(data: bytes, match: str) -> float:
    started = time.monotonic()
    with pytest.raises(FileTooLarge, match=match):
        read_table(data, "bom.xlsx")
    return time.monotonic() - started


def _styles(n: int, unit: bytes = b"<xf/>", container: str = "cellXfs", encoding: str = "utf-8") -> bytes:
    text = H.styles_bomb(n, unit, container).decode()
    return (f'<?xml version="1.0" encoding="{encoding}"?>' + text).encode(encoding)


def test_the_issues_styles_bomb_is_refused_at_once(no_openpyxl):
    data = H.xlsx_styles_bomb()
    assert len(data) < 20_000  # inside every size limit, as in the issue
    assert _refused(data, r"bom\.xlsx: bảng tính có hơn 65\.000 định dạng ô") < 5


@pytest.mark.parametrize("name", ["xl/sharedStrings.xml", "xl/chuoi.bin", "xl/strings", "docProps/anh.png"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_shared_strings_are_capped_under_any_name_and_encoding(no_openpyxl, name, encoding):
    data = H.xlsx_strings_bomb(uploads.MAX_SHARED_STRINGS, name=name, encoding=encoding)
    assert _refused(data, r"hơn 200\.000 chuỗi văn bản dùng chung") < 10


@pytest.mark.parametrize(
    ("styles", "words"),
    [
        (_styles(1_001, b'<numFmt numFmtId="200" formatCode="0.0"/>', "numFmts"), r"hơn 1\.000 định dạng số"),
        (_styles(4_097, b"<font/>", "fonts"), r"hơn 4\.096 phông chữ"),
        (_styles(4_097, b"<border/>", "borders"), r"hơn 4\.096 kiểu đường viền"),
        (_styles(65_001, encoding="utf-32"), r"hơn 65\.000 định dạng ô"),  # only libxml2 reads UTF-32
        (_styles(65_001, encoding="utf-16"), r"hơn 65\.000 định dạng ô"),
        (_styles(300_001, b"<color/>", "colors"), r"phần định dạng của bảng tính có hơn 300\.000 phần tử XML"),
    ],
)
def test_styles_are_capped_by_kind_under_any_name(no_openpyxl, styles, words):
    for name in ("xl/styles.xml", "xl/kieu.dat"):
        _refused(H.xlsx_styles_bomb(styles, name), words)


def test_any_other_part_is_capped_too(no_openpyxl):
    core = "<cp:coreProperties xmlns:cp='urn:x'>" + "<x/>" * 100_001 + "</cp:coreProperties>"
    data = H.xlsx_with_parts({"docProps/core.bin": ("application/xml", "urn:core", core.encode())})
    _refused(data, r"một thành phần của bảng tính có hơn 100\.000 phần tử XML")


def test_a_workbook_at_the_caps_is_read():
    data = H.xlsx_styles_bomb(_styles(65_000))
    started = time.monotonic()
    table = read_table(data, "du.xlsx")
    assert table.rows == [["Bố Hạ", 1.5]] and time.monotonic() - started < 15
    table = read_table(H.xlsx_strings_bomb(uploads.MAX_SHARED_STRINGS - 3, "xl/chuoi.bin"), "du.xlsx")
    assert table.headers == ["Tên xã", "Tỷ lệ hộ nghèo (%)"]


def test_images_and_other_binary_parts_are_not_refused():
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40
    strings = (H.STRINGS_TYPE, f"{H.REL_NS}/sharedStrings", H.shared_strings())
    data = H.xlsx_with_parts({"xl/sharedStrings.xml": strings, "xl/media/image1.png": ("image/png", "urn:i", png)})
    assert read_table(data, "anh.xlsx").rows == [["Bố Hạ", 1.5]]
    # a sheet pointing at shared strings the file does not have: a Vietnamese message, not a crash
    with pytest.raises(FileProblem, match="anh.xlsx, trang “Số liệu”: không đọc được các ô"):
        read_table(H.xlsx_with_parts({"xl/media/image1.png": ("image/png", "urn:i", png)}), "anh.xlsx")


@pytest.mark.slow
def test_bombs_are_refused_with_bounded_memory():
    """In a fresh process: the peak memory of refusing both of the issue's files stays near the import cost."""
    code = (
        "import resource, sys; sys.path.insert(0, 'tests')\n"
        "import hostile_uploads as H\n"
        "from ktxh_geo.io.uploads import FileTooLarge, read_table\n"
        "import openpyxl, lxml.etree\n"
        "files = [H.xlsx_styles_bomb(), H.xlsx_strings_bomb()]\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "for data in files:\n"
        "    try:\n"
        "        read_table(data, 'x.xlsx'); raise SystemExit('accepted')\n"
        "    except FileTooLarge:\n"
        "        pass\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(__import__('json').dumps({'grew_mb': (after - before) / 1024}))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["grew_mb"] < 100  # the old reader grew by about 1.1 GB on the first one


@pytest.mark.slow
def test_command_line_files_are_read_bounded(tmp_path):
    import os

    fifo = tmp_path / "ong.csv"
    os.mkfifo(fifo)
    for path in (fifo, Path("/dev/zero"), tmp_path):
        with pytest.raises(FileProblem, match="không phải tệp thông thường"):
            uploads.read_file(path)
    big = tmp_path / "to.csv"
    big.write_bytes(b"x" * (uploads.MAX_BYTES + 1))
    with pytest.raises(FileTooLarge, match="to.csv: tệp quá lớn"):
        uploads.read_file(big)
    with pytest.raises(FileProblem, match="khong_co.csv: không mở được tệp \\(không có tệp này\\)"):
        uploads.read_file(tmp_path / "khong_co.csv")
    run = subprocess.run(
        [sys.executable, "-m", "ktxh_geo", "import", str(fifo), "--dataset", "poverty_rate", "--year", "2023"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 2 and "ong.csv: không phải tệp thông thường" in out and "KHÔNG HỢP LỆ" in out
    assert "Traceback" not in out
