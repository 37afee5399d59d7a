"""Builders of the import test corpus: good and broken spreadsheets, as bytes (written to tests/data/import/)."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

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


def raw_xlsx(sheet_data: bytes, dimension: str = "A1:B2", extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal .xlsx written by hand: ``sheet_data`` is the inside of <sheetData> (rows of inline cells).

    The <dimension> tag says whatever ``dimension`` says (a hostile file may lie about its size).
    """
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        zf.writestr(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        zf.writestr(
            "xl/workbook.xml",
            f'<workbook {ns} xmlns:r="{rel}"><sheets><sheet name="Số liệu" sheetId="1" r:id="rId1"/></sheets>'
            "</workbook>",
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        )
        with zf.open("xl/worksheets/sheet1.xml", "w") as member:
            member.write(f'<worksheet {ns}><dimension ref="{dimension}"/><sheetData>'.encode())
            member.write(sheet_data)
            member.write(b"</sheetData></worksheet>")
        for name, content in (extra or {}).items():
            zf.writestr(name, content)
    return buf.getvalue()


def inline_row(row: int, values: list) -> bytes:
    """One <row> of inline cells (numbers as <v>, text as inline strings, None left out)."""
    cells = []
    for j, v in enumerate(values):
        ref = _letters(j) + str(row)
        if v is None:
            continue
        if isinstance(v, int | float):
            cells.append(f'<c r="{ref}"><v>{v}</v></c>')
        else:
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>')
    return f'<row r="{row}">{"".join(cells)}</row>'.encode()


def _letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def many_cells_xlsx(rows: int = 1_600, columns: int = 150) -> bytes:
    """A sheet of ``rows`` × ``columns`` numbers (240.000 cells) whose <dimension> claims two rows."""
    body = [inline_row(1, ["Tên xã", "Tỷ lệ hộ nghèo (%)"] + [f"C{j}" for j in range(columns - 2)])]
    body += [inline_row(r, [(r * 7919 + j * 104729) % 1000003 for j in range(columns)]) for r in range(2, rows + 2)]
    return raw_xlsx(b"".join(body))


def wide_xlsx() -> bytes:
    """A header and one row whose last value is in column HA (201), past the 200-column limit."""
    return raw_xlsx(
        inline_row(1, ["Tên xã", "Tỷ lệ hộ nghèo (%)"]) + inline_row(2, ["Bố Hạ", 2.5] + [None] * 198 + [1])
    )


def many_rows_csv(rows: int = 5_001) -> bytes:
    return csv_bytes([HEADER[:2]] + [[f"Xã {i}", "2,5"] for i in range(rows)])


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
        lambda: b"Ten xa,Ty le\n" + b"x" * (10 * 1024 * 1024 + 1),
        ["qua_lon.csv", "tệp quá lớn", "giới hạn là 10 MB"],
    ),
    "too_many_rows_csv": ("nhieu_dong.csv", many_rows_csv, ["nhieu_dong.csv", "quá nhiều dòng", "5.000"]),
    "many_blank_lines_csv": (
        "dong_trong.csv",
        lambda: b"Ten xa,Ty le\n" + b",\n" * 1_000_000,
        ["dong_trong.csv", "quá nhiều dòng", "20.000"],
    ),
    "too_many_columns_csv": (
        "nhieu_cot.csv",
        lambda: csv_bytes([HEADER[:2] + [f"c{j}" for j in range(250)], ["Bố Hạ", "2,5"] + ["1"] * 250]),
        ["nhieu_cot.csv", "quá nhiều cột", "giới hạn 200 cột"],
    ),
    "too_many_cells_xlsx": ("nhieu_o.xlsx", many_cells_xlsx, ["nhieu_o.xlsx", "quá nhiều ô", "200.000"]),
    "too_many_columns_xlsx": ("rong.xlsx", wide_xlsx, ["rong.xlsx", "quá nhiều cột", "cột GS"]),
    "utf16_csv": (
        "utf16.csv",
        lambda: csv_bytes([HEADER[:2], ["Đông Sơn", "2,5"]], "utf-16"),
        ["utf16.csv", "UTF-16", "CSV UTF-8"],
    ),
    "utf16_be_no_bom_csv": (
        "utf16be.csv",
        lambda: csv_bytes([HEADER[:2], ["Đông Sơn", "2,5"]], "utf-16-be"),
        ["utf16be.csv", "UTF-16", "CSV UTF-8"],
    ),
    "unclosed_quote_csv": (
        "ngoac.csv",
        lambda: b'Ten xa,Ty le\n"Bo Ha,' + b"x" * 200_000 + b"\n",
        ["ngoac.csv", "không đọc được tệp CSV", "131.072 ký tự"],
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
    # float() would take these; a figure must be written with ASCII digits in a Vietnamese or plain form
    "number_forms_float_accepts": (
        "poverty_rate",
        2024,
        [HEADER[:2], ["Bố Hạ", "1e1"], ["Đông Sơn", "1_0"], ["Tân Sỏi", "٣"], ["Canh Nậu", "２"], ["Đồng Tiến", "nan"]],
        ["dòng 2", "“1e1” không phải là số", "“1_0” không phải là số", "“٣” không phải là số", "“２” không phải là số"],
    ),
    "rate_just_over_100": (
        "poverty_rate",
        2024,
        [HEADER[:2], ["Bố Hạ", "100,0000001"]],
        ["dòng 2", "cột B", "100,0000001 vượt quá giá trị lớn nhất cho phép"],
    ),
    "terminal_escape_in_name": (
        "poverty_rate",
        2024,
        [HEADER[:2], ["\x1b[31mĐông Sơn\u202e\x07", "2,5"]],
        ["không tìm thấy xã", "\\x1b[31mĐông Sơn\\u202e\\x07"],
    ),
}


CORPUS_DIR = Path(__file__).resolve().parent / "data" / "import"
# built at test time, never committed: large (10 MB, many rows or cells) or added after the corpus was written
GENERATED_ONLY = {
    "too_big",
    "too_many_rows_csv",
    "many_blank_lines_csv",
    "too_many_columns_csv",
    "too_many_cells_xlsx",
    "too_many_columns_xlsx",
    "utf16_csv",
    "utf16_be_no_bom_csv",
    "unclosed_quote_csv",
}
GENERATED_TABLES = {"number_forms_float_accepts", "rate_just_over_100", "terminal_escape_in_name"}


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
        if name not in GENERATED_TABLES:
            (CORPUS_DIR / f"{name}.csv").write_bytes(csv_bytes(rows))


def table_path(name: str, folder: Path) -> Path:
    """Path of an invalid table: the committed copy, or written to ``folder`` when generated at test time."""
    path = CORPUS_DIR / f"{name}.csv"
    if name in GENERATED_TABLES or not path.exists():
        path = folder / f"{name}.csv"
        path.write_bytes(csv_bytes(INVALID_TABLES[name][2]))
    return path


if __name__ == "__main__":
    write_corpus()
