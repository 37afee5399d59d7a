"""The planning office's Excel template of commune targets, and the check of a filled one before it is saved.

One row per commune and indicator: "Mã xã", "Tên xã", "Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", "Chỉ tiêu" (as the
plan writes it: "50", "≥ 50", "> 98", "< 10", "giảm còn 1,93", "4–4,2", "02 xã", "có"), "Lời văn" (optional).
The file is read by the bounded reader of the figures import (``io.uploads.read_table``), units are matched by their
GSO code; every problem is an ``Issue`` naming file, row and column. Nothing here writes.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from ktxh_geo.io.uploads import FileProblem, header_key, read_table
from ktxh_geo.model import targets as tg
from ktxh_geo.model.imports import Issue, has_markup
from ktxh_geo.text import fold, printable

HEADERS = ["Mã xã", "Tên xã", "Mã chỉ tiêu", "Tên chỉ tiêu", "Đơn vị tính", "Chỉ tiêu", "Lời văn"]
REQUIRED = ("Mã xã", "Mã chỉ tiêu", "Tên chỉ tiêu", "Chỉ tiêu")
_KEYS = {header_key(h): h for h in HEADERS}
_SLUG = re.compile(r"^[a-z0-9_]{1,40}$")
MAX_TEXT = 300


@dataclass
class TargetReport:
    file: str
    year: int
    issues: list[Issue] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "error"]

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    def summary(self) -> str:
        n_units = len({r["code"] for r in self.rows})
        n_ind = len({r["indicator_id"] for r in self.rows})
        status = "HỢP LỆ" if self.ok else f"KHÔNG HỢP LỆ ({len(self.errors)} lỗi)"
        what = f"{len(self.rows)} chỉ tiêu giao cho {n_units} đơn vị, {n_ind} chỉ tiêu, năm {self.year}"
        return printable(f"{self.file}: {status} — {what}")


def build_template(units: pd.DataFrame, year: int, title: str) -> bytes:
    """The .xlsx template: one row per unit (code and name filled in), a guide sheet in Vietnamese."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Chỉ tiêu giao"
    ws.append(HEADERS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for code, name in zip(units["code"], units["name"], strict=True):
        ws.append([code, name, None, None, None, None, None])
    for letter, width in zip("ABCDEFG", (10, 24, 16, 36, 12, 16, 40), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "C2"
    guide = wb.create_sheet("Hướng dẫn")
    lines = [
        f"Mẫu giao chỉ tiêu kế hoạch năm {year} cho từng đơn vị cấp xã — {title}",
        "",
        "• Mỗi dòng là một chỉ tiêu giao cho một xã; chép thêm dòng cho mỗi chỉ tiêu khác của cùng xã.",
        "• Không sửa “Mã xã” (mã đơn vị hành chính của Tổng cục Thống kê); dòng không có chỉ tiêu được bỏ qua.",
        "• “Mã chỉ tiêu”: chữ thường không dấu, số và dấu gạch dưới (ví dụ: thu_ngan_sach); cùng mã cho mọi xã.",
        "• “Chỉ tiêu” ghi như văn bản kế hoạch: 50 hoặc ≥ 50 (tối thiểu), > 98 (lớn hơn), ≤ 2 hoặc “giảm còn 1,93”",
        "  (tối đa), < 10 (nhỏ hơn), 4–4,2 (trong khoảng), “02 xã” (số lượng), “có” (mốc hoàn thành).",
        "• Số thập phân dùng dấu phẩy (1,93); không nhập công thức, không nhập ký tự < > ngoài dấu so sánh đầu ô.",
        "• Mỗi lần nhập thay các chỉ tiêu cùng mã của năm đó; chỉ tiêu cũ được lưu lại trong lịch sử giao chỉ tiêu.",
    ]
    for line in lines:
        guide.append([line])
    guide["A1"].font = Font(bold=True, size=13)
    guide.column_dimensions["A"].width = 110
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _text(raw) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def _cell(cells: list, i: int | None) -> str:
    """The text of column ``i`` of a row; "" where the column is absent or the row is short."""
    return _text(cells[i]) if i is not None and i < len(cells) else ""


def check(data: bytes, filename: str, year: int, units: pd.DataFrame) -> TargetReport:
    """Check a filled template against the locality's units (``units``: code, name); never raises for bad input."""
    try:
        table = read_table(data, filename)
    except FileProblem as exc:
        return TargetReport(printable(filename), year, [Issue(printable(filename), None, None, str(exc))])
    report = TargetReport(table.file, year)
    where: dict[str, int | None] = {h: None for h in HEADERS}
    for i, h in enumerate(table.headers):
        found = _KEYS.get(header_key(h))
        if found and where[found] is None:
            where[found] = i
    missing = [h for h in REQUIRED if where[h] is None]
    if missing:
        report.issues.append(Issue(table.file, None, None, f"thiếu cột {', '.join(missing)} (xem mẫu tải về)."))
        return report
    names = dict(zip(units["code"], units["name"], strict=True))
    seen: dict[tuple[str, str], int] = {}
    defined: dict[str, tuple[str, str]] = {}
    for cells, number in zip(table.rows, table.row_numbers, strict=True):
        get = {h: _cell(cells, where[h]) for h in HEADERS}
        if not get["Mã chỉ tiêu"] and not get["Chỉ tiêu"] and not get["Tên chỉ tiêu"]:
            continue  # a template row left blank
        issues_before = len(report.issues)

        def bad(column: str, message: str, number: int = number) -> None:
            col = table.column_letters[i] if (i := where.get(column)) is not None else column
            report.issues.append(Issue(table.file, number, f"{col} ({column})", message))

        for h in HEADERS:
            if has_markup(get[h]) and not (h == "Chỉ tiêu" and re.fullmatch(r"\s*[<>]=?\s*[\d.,]+\s*", get[h])):
                bad(h, "không được chứa mã HTML hoặc ký tự < > (chỉ dấu so sánh ở đầu ô chỉ tiêu).")
            if len(get[h]) > MAX_TEXT:
                bad(h, f"dài quá {MAX_TEXT} ký tự.")
        code = get["Mã xã"].zfill(5) if get["Mã xã"].isdigit() else get["Mã xã"]
        if code not in names:
            bad("Mã xã", f"mã “{printable(get['Mã xã'])}” không phải đơn vị cấp xã của địa phương này.")
        elif get["Tên xã"]:
            given, known = fold(get["Tên xã"]), fold(names[code])
            # a name without its unit word ("X" for "Phường X") is the same unit
            if given not in known and known not in given:
                bad("Tên xã", f"tên “{printable(get['Tên xã'])}” không khớp mã {code} ({names[code]}).")
        indicator = get["Mã chỉ tiêu"]
        if not _SLUG.match(indicator):
            bad("Mã chỉ tiêu", "mã chỉ tiêu chỉ gồm chữ thường không dấu, số và dấu gạch dưới (tối đa 40 ký tự).")
        if not get["Tên chỉ tiêu"]:
            bad("Tên chỉ tiêu", "thiếu tên chỉ tiêu.")
        meta = (get["Tên chỉ tiêu"], get["Đơn vị tính"])
        if indicator in defined and defined[indicator] != meta:
            bad("Tên chỉ tiêu", f"chỉ tiêu {indicator} đã ghi với tên hoặc đơn vị tính khác ở dòng trước.")
        defined.setdefault(indicator, meta)
        try:
            rule = tg.parse_rule(get["Chỉ tiêu"])
        except ValueError as exc:
            bad("Chỉ tiêu", str(exc))
            rule = None
        key = (code, indicator)
        if key in seen:
            bad("Mã chỉ tiêu", f"chỉ tiêu {indicator} của xã {code} đã có ở dòng {seen[key]}.")
        seen.setdefault(key, number)
        if len(report.issues) == issues_before and rule is not None:
            report.rows.append(
                {
                    "indicator_id": indicator,
                    "code": code,
                    "name": get["Tên chỉ tiêu"],
                    "unit": get["Đơn vị tính"],
                    "wording": get["Lời văn"],
                    **rule,
                }
            )
    if not report.rows and not report.errors:
        report.issues.append(Issue(table.file, None, None, "không có chỉ tiêu nào để giao."))
    return report
