"""Builders of the import test corpus: good and broken spreadsheets, as bytes (written to tests/data/import/)."""

from __future__ import annotations

import csv
import io
import zipfile

from openpyxl import Workbook

HEADER = ["Tên xã", "Tỷ lệ hộ nghèo (%)", "Số hộ dân cư (hộ)", "Số hộ nghèo (hộ)"]


def csv_bytes(rows: list[list], encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list], edit=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "Số liệu"
    for r in rows:
        ws.append(r)
    if edit:
        edit(ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def zip_bomb() -> bytes:
    """A small .xlsx-looking zip that inflates to 20 MB of zeros (ratio ≈ 1000)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(20):
                member.write(chunk)
    return buf.getvalue()


def not_a_workbook_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


def _merge(ws):
    ws.merge_cells("A2:A3")


def _formula(ws):
    ws["B3"] = "=B2*2"


# name -> (filename, bytes builder, expected message fragments)
BROKEN_FILES = {
    "wrong_encoding": (
        "sai_ma.csv",
        lambda: csv_bytes([["Ten xa", "Ty le ho ngheo"], ["Đông Sơn", "2,5"]], "cp1258"),
        ["sai_ma.csv", "dòng 2", "không phải mã UTF-8"],
    ),
    "missing_header": (
        "khong_tieu_de.csv",
        lambda: csv_bytes([["Đông Sơn", "2.5"], ["Bố Hạ", "1.2"]]),
        ["khong_tieu_de.csv", "không tìm thấy dòng tiêu đề"],
    ),
    "merged_cells": (
        "o_gop.xlsx",
        lambda: xlsx_bytes([HEADER[:2], ["Đông Sơn", 2.5], [None, 3.1]], _merge),
        ["o_gop.xlsx", "Số liệu", "ô gộp (A2:A3)"],
    ),
    "formula": (
        "cong_thuc.xlsx",
        lambda: xlsx_bytes([HEADER[:2], ["Đông Sơn", 2.5], ["Bố Hạ", None]], _formula),
        ["cong_thuc.xlsx", "dòng 3, cột B", "công thức", "=B2*2"],
    ),
    "too_big": (
        "qua_lon.csv",
        lambda: b"Ten xa,Ty le\n" + b"x" * (50 * 1024 * 1024 + 1),
        ["qua_lon.csv", "tệp quá lớn", "50 MB"],
    ),
    "zip_bomb": ("bom.xlsx", zip_bomb, ["bom.xlsx", "bom nén"]),
    "not_a_spreadsheet_png": (
        "anh.xlsx",
        lambda: b"\x89PNG\r\n\x1a\n" + b"\0" * 100,
        ["anh.xlsx", "không phải bảng tính"],
    ),
    "not_a_spreadsheet_docx": ("van_ban.xlsx", not_a_workbook_zip, ["van_ban.xlsx", "không phải bảng tính Excel"]),
    "old_xls": ("cu.xls", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ["cu.xls", ".xls", ".xlsx"]),
    "html_page": (
        "trang.xls",
        lambda: b"<html><body><table><tr><td>Xa</td></tr></table></body></html>",
        ["trang.xls", "trang HTML"],
    ),
    "empty": ("rong.csv", lambda: b"  \n", ["rong.csv", "tệp rỗng"]),
    "script_in_name": (
        "ma_doc.csv",
        lambda: csv_bytes([HEADER[:2], ["<script>alert(1)</script>", "2.5"]]),
        ["ma_doc.csv", "dòng 2", "cột A", "HTML/script"],
    ),
    "img_onerror_in_name_xlsx": (
        "ma_doc.xlsx",
        lambda: xlsx_bytes([HEADER[:2], ['Đông Sơn<img src=x onerror="alert(1)">', 2.5]]),
        ["ma_doc.xlsx", "dòng 2", "cột A", "HTML/script"],
    ),
}

# name -> (dataset, year, rows, expected fragments): files that read fine but do not validate
INVALID_TABLES = {
    "unmatched_name": ("poverty_rate", 2024, [HEADER[:2], ["Dong Tein", "2,5"]], ["không tìm thấy xã", "Xã Đồng Tiến"]),
    "ambiguous_name": ("poverty_rate", 2024, [HEADER[:2], ["xã Đồng", "2,5"]], ["khớp nhiều đơn vị", "Xã Đồng Lạc"]),
    "duplicate_commune": (
        "poverty_rate",
        2024,
        [HEADER[:2], ["Đông Sơn", "2,5"], ["xa dong son", "2,7"]],
        ["dòng 3", "trùng đơn vị với dòng 2", "Xã Đông Sơn"],
    ),
    "unit_not_in_year": (
        "poverty_rate",
        2025,
        [HEADER[:2], ["Tam Hiệp", "2,5"]],
        ["không tồn tại năm 2025", "Xã Tam Hiệp", "31/12/2024"],
    ),
    "code_not_in_year": (
        "poverty_rate",
        2025,
        [["Mã xã", "Tỷ lệ hộ nghèo (%)"], ["07276", "2,5"]],
        ["mã 07276", "không tồn tại năm 2025"],
    ),
    "rate_out_of_range": ("poverty_rate", 2024, [HEADER[:2], ["Bố Hạ", "120"]], ["dòng 2", "cột B", "vượt quá"]),
    "negative_count": (
        "poverty_rate",
        2024,
        [HEADER, ["Bố Hạ", "1,2", "-3", ""]],
        ["cột C", "nhỏ hơn giá trị nhỏ nhất"],
    ),
    "criteria_out_of_range": (
        "ntm_criteria",
        2024,
        [["Tên xã", "Số tiêu chí NTM đạt"], ["Canh Nậu", "20"]],
        ["vượt quá", "từ 0 đến 19"],
    ),
    "wrong_type_text": ("poverty_rate", 2024, [HEADER[:2], ["Bố Hạ", "khoảng 3"]], ["“khoảng 3” không phải là số"]),
    "wrong_type_fraction": (
        "model_villages",
        2024,
        [["Tên xã", "Số thôn được công nhận đạt chuẩn NTM kiểu mẫu"], ["Tân Sỏi", "1,5"]],
        ["phải là số nguyên"],
    ),
    "wrong_category": (
        "ntm_status",
        2024,
        [["Tên xã", "Tình trạng nông thôn mới"], ["Tân Sỏi", "đạt"]],
        ["“đạt” không thuộc các giá trị cho phép", "NTM nâng cao"],
    ),
    "empty_required": (
        "poverty_rate",
        2024,
        [HEADER, ["Bố Hạ", "", "1200", "30"]],
        ["cột B", "ô bắt buộc đang trống"],
    ),
    "township_for_ntm": (
        "ntm_criteria",
        2024,
        [["Tên xã", "Số tiêu chí NTM đạt"], ["TT Bố Hạ", "15"]],
        ["là thị trấn", "không áp dụng"],
    ),
    "missing_column": (
        "ntm_criteria",
        2024,
        [["Tên xã", "Ghi chú"], ["Canh Nậu", "15"]],
        ["thiếu cột “Số tiêu chí NTM đạt (tiêu chí)”"],
    ),
    "poor_more_than_households": (
        "poverty_rate",
        2024,
        [HEADER, ["Bố Hạ", "2", "100", "150"]],
        ["số hộ nghèo lớn hơn tổng số hộ"],
    ),
}


CORPUS_DIR = __import__("pathlib").Path(__file__).resolve().parent / "data" / "import"
GENERATED_ONLY = {"too_big"}  # 50 MB: built at test time, never committed


def corpus_bytes(name: str) -> tuple[str, bytes]:
    """(filename, bytes) of a broken file: the committed copy, or built when not committed."""
    filename, build, _ = BROKEN_FILES[name]
    path = CORPUS_DIR / filename
    if name not in GENERATED_ONLY and path.exists():
        return filename, path.read_bytes()
    return filename, build()


def write_corpus() -> None:
    """(Re)write tests/data/import/ — run `python tests/import_corpus.py`."""
    CORPUS_DIR.mkdir(parents=True, exist_ok=True)
    for name, (filename, build, _) in BROKEN_FILES.items():
        if name not in GENERATED_ONLY:
            (CORPUS_DIR / filename).write_bytes(build())
    for name, (_, _, rows, _) in INVALID_TABLES.items():
        (CORPUS_DIR / f"{name}.csv").write_bytes(csv_bytes(rows))


if __name__ == "__main__":
    write_corpus()
