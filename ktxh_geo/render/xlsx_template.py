"""Excel templates for the import datasets: one row per commune (code + name), one column per indicator.

A second sheet, "Hướng dẫn", explains units and allowed values in Vietnamese; cells carry Excel data
validation so most mistakes are caught while typing.
"""

from __future__ import annotations

import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from ktxh_geo.model.datasets import Dataset, units_in_year

CODE_HEADER = "Mã xã"
NAME_HEADER = "Tên xã"


def template_rows(dataset: Dataset, year: int, units: pd.DataFrame) -> pd.DataFrame:
    """The communes a template lists: units of the year (xã only for NTM datasets)."""
    rows = units_in_year(units, year)
    if dataset.xa_only:
        rows = rows[rows["type"] == "Xã"]
    return rows[["gso_code", "name_full"]].reset_index(drop=True)


def build_template(dataset: Dataset, year: int, units: pd.DataFrame) -> bytes:
    """The .xlsx bytes of the template for one dataset and year."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Số liệu"
    headers = [CODE_HEADER, NAME_HEADER] + [c.label for c in dataset.columns]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    rows = template_rows(dataset, year, units)
    for r in rows.itertuples():
        ws.append([r.gso_code, r.name_full] + [None] * len(dataset.columns))
    last = len(rows) + 1
    for i, column in enumerate(dataset.columns):
        letter = chr(ord("C") + i)
        if column.kind == "category":
            dv = DataValidation(type="list", formula1='"' + ",".join(column.categories) + '"', allow_blank=True)
        elif column.max is not None:
            kind = "whole" if column.integer else "decimal"
            dv = DataValidation(type=kind, operator="between", formula1=f"{column.min:g}", formula2=f"{column.max:g}")
        else:
            kind = "whole" if column.integer else "decimal"
            dv = DataValidation(type=kind, operator="greaterThanOrEqual", formula1=f"{column.min:g}")
        dv.allow_blank = True
        dv.error = column.allowed_text()
        dv.errorTitle = "Giá trị không hợp lệ"
        dv.showErrorMessage = True
        ws.add_data_validation(dv)
        dv.add(f"{letter}2:{letter}{max(last, 2)}")
        ws.column_dimensions[letter].width = 28
    ws.column_dimensions["A"].width = 10
    ws.column_dimensions["B"].width = 24
    ws.freeze_panes = "C2"

    guide = wb.create_sheet("Hướng dẫn")
    lines = [
        f"Mẫu nhập số liệu: {dataset.title} — năm {year}",
        dataset.description,
        "",
        "Cách điền:",
        "• Mỗi dòng là một đơn vị cấp xã; không sửa cột “Mã xã” (mã đơn vị hành chính của Tổng cục Thống kê).",
        "• Có thể để trống dòng chưa có số liệu: dòng trống được bỏ qua, số liệu đã nhập trước đó được giữ nguyên.",
        "• Nhập giá trị, không nhập công thức; không gộp ô; không thêm ký tự < > trong ô.",
        "• Số thập phân dùng dấu phẩy (2,83) hoặc dấu chấm (2.83).",
        "",
        "Các cột:",
    ]
    for column in dataset.columns:
        need = "bắt buộc" if column.required else "không bắt buộc"
        lines.append(f"• {column.label}: {column.allowed_text()}; {need}.")
    if dataset.xa_only:
        lines.append("• Thị trấn không áp dụng chỉ tiêu nông thôn mới nên không có trong mẫu.")
    lines += [
        "",
        "Khi nhập vào ứng dụng (trang “Nhập số liệu”), người nhập phải ghi rõ nguồn số liệu",
        "(văn bản, cơ quan ban hành, ngày). Mỗi lần nhập tạo một phiên bản mới, có thể xem lại và khôi phục.",
    ]
    for line in lines:
        guide.append([line])
    guide["A1"].font = Font(bold=True, size=13)
    guide.column_dimensions["A"].width = 110
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
