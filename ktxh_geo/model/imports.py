"""Check an uploaded table of commune figures before anything is saved.

The file is read by ``ktxh_geo.io.uploads.read_table`` (bounded parses, ``FileProblem`` with a Vietnamese
message). ``check`` matches commune names to GSO codes and validates every cell against the dataset, producing
a ``Report``; only a report without errors yields store cells. Nothing here writes anything.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pandas as pd

from ktxh_geo.io.store import Cell
from ktxh_geo.io.uploads import CODE_HEADERS, NAME_HEADERS, FileProblem, Table, header_key, read_file, read_table
from ktxh_geo.model import plausibility
from ktxh_geo.model.datasets import Column, Dataset, edition_for_year
from ktxh_geo.model.gazetteer import Gazetteer, NameMatch
from ktxh_geo.text import fold, format_number, printable
from ktxh_geo.vocab.profile import active

_HTML = re.compile(r"[<>]|&#|javascript:", re.IGNORECASE)


@dataclass(frozen=True)
class Issue:
    file: str
    row: int | None
    column: str | None
    message: str
    level: str = "error"  # or "warning"

    def __str__(self) -> str:
        """One line for a terminal: text from the file (names, cells, sheet and file names) escaped by ``printable``."""
        where = [self.file] if self.file else []
        if self.row is not None:
            where.append(f"dòng {self.row}")
        if self.column:
            where.append(f"cột {self.column}")
        return printable(", ".join(where) + f": {self.message}" if where else self.message)


@dataclass
class Report:
    file: str
    dataset: Dataset
    year: int
    issues: list[Issue]
    matches: list[NameMatch]
    preview: pd.DataFrame
    cells: list[Cell]

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "error"]

    @property
    def n_units(self) -> int:
        return len({c.code for c in self.cells})

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.cells)

    def lines(self) -> list[str]:
        out = [str(i) if i.level == "error" else f"[cảnh báo] {i}" for i in self.issues]
        if not self.cells and not self.errors:
            out.append(f"{self.file}: không có giá trị nào để nhập")
        status = "HỢP LỆ" if self.ok else f"KHÔNG HỢP LỆ ({len(self.errors)} lỗi)"
        out.append(
            f"{self.file}: {status} — {len(self.cells)} giá trị, {self.n_units} đơn vị, "
            f"bộ số liệu {self.dataset.id}, năm {self.year}"
        )
        return [printable(line) for line in out]


# ---------------------------------------------------------------- cell validation


# ASCII digits only (re.ASCII): float() alone would take "1_000", "1e3", "inf", "٣" and full-width "２"
_PLAIN_NUMBER = re.compile(r"-?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)", re.ASCII)  # 2,83  2.83  1350  1.350
_COMMA_GROUPS = re.compile(r"-?[0-9]{1,3}(?:,[0-9]{3})+", re.ASCII)  # 1,350 (thousands, as before)
_DOT_GROUPS = re.compile(r"-?[0-9]{1,3}(?:\.[0-9]{3})+", re.ASCII)  # 1.350 (thousands in whole-number columns)
_DOT_GROUPS_COMMA_DECIMAL = re.compile(r"-?[0-9]{1,3}(?:\.[0-9]{3})+,[0-9]*", re.ASCII)  # 1.234,5
_COMMA_GROUPS_DOT_DECIMAL = re.compile(r"-?[0-9]{1,3}(?:,[0-9]{3})+\.[0-9]*", re.ASCII)  # 1,234.5


def _number_text(text: str, column: Column) -> str | None:
    """A typed number in one of the accepted forms → text ``float()`` reads the same way, or None."""
    if _PLAIN_NUMBER.fullmatch(text):
        if "," in text:
            return text.replace(",", "") if _COMMA_GROUPS.fullmatch(text) else text.replace(",", ".")
        if column.integer and _DOT_GROUPS.fullmatch(text):
            return text.replace(".", "")
        return text
    if _COMMA_GROUPS.fullmatch(text) or _COMMA_GROUPS_DOT_DECIMAL.fullmatch(text):
        return text.replace(",", "")
    if _DOT_GROUPS_COMMA_DECIMAL.fullmatch(text) or (column.integer and _DOT_GROUPS.fullmatch(text)):
        return text.replace(".", "").replace(",", ".")
    return None


def _as_typed(raw, number: float) -> str:
    """The value as the user typed it (a text cell) or, for a number cell, with every digit it has."""
    if isinstance(raw, str):
        return printable(raw.strip())
    shown = format_number(number)
    try:
        if float(shown.replace(".", "").replace(",", ".")) != number:
            exact = format(Decimal(repr(float(number))), ",f")
            shown = exact.replace(",", "\0").replace(".", ",").replace("\0", ".")
    except (ValueError, InvalidOperation):
        pass
    return shown


def parse_number(raw, column: Column) -> tuple[float | None, str]:
    """A cell → (number, "") or (None, Vietnamese error).

    Accepts 2,83 and 2.83; 1.350 as thousands in counts; 1,350 as thousands; 1.234,5 and 1,234.5; spaces or
    non-breaking spaces between digits; a trailing % for rates; a leading minus. Anything else (1e3, 1_000, inf,
    0x10, non-ASCII digits) is refused as not a number. Out-of-range messages show the value as typed.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, ""
    if isinstance(raw, bool):
        return None, f"“{raw}” không phải là số"
    if isinstance(raw, int | float):
        number = float(raw)
    elif isinstance(raw, str):
        text = raw.strip().replace("\u00a0", "").replace(" ", "")
        if column.kind == "rate":
            text = text.removesuffix("%")
        plain = _number_text(text, column)
        if plain is None:
            return None, f"“{printable(raw)}” không phải là số"
        number = float(plain)
    else:
        return None, f"“{printable(raw)}” không phải là số"
    if math.isnan(number) or math.isinf(number):
        return None, f"“{printable(raw)}” không phải là số"
    if column.integer and number != int(number):
        return None, f"{_as_typed(raw, number)} phải là số nguyên"
    if column.min is not None and number < column.min:
        return (
            None,
            f"{_as_typed(raw, number)} nhỏ hơn giá trị nhỏ nhất cho phép (phải {column.range_text()})",
        )
    if column.max is not None and number > column.max:
        return (
            None,
            f"{_as_typed(raw, number)} vượt quá giá trị lớn nhất cho phép (phải {column.range_text()})",
        )
    return number, ""


def parse_category(raw, column: Column) -> tuple[str, str]:
    """A cell → (canonical category, "") or ("", error); accent- and case-insensitive."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return "", ""
    by_key = {fold(c): c for c in column.categories}
    hit = by_key.get(fold(str(raw)))
    if hit:
        return hit, ""
    return "", f"“{raw}” không thuộc các giá trị cho phép ({column.allowed_text()})"


def has_markup(text: str) -> bool:
    return bool(_HTML.search(str(text)))


# ---------------------------------------------------------------- the report


def _find_columns(table: Table, dataset: Dataset) -> tuple[int | None, int | None, dict[str, int], list[Issue]]:
    keys = [header_key(h) for h in table.headers]
    name_col = next((i for i, k in enumerate(keys) if k in NAME_HEADERS), None)
    code_col = next((i for i, k in enumerate(keys) if k in CODE_HEADERS), None)
    cols: dict[str, int] = {}
    issues: list[Issue] = []
    for column in dataset.columns:
        wanted = {header_key(column.label), fold(column.indicator_id), header_key(column.label.split("(")[0])}
        hit = [i for i, k in enumerate(keys) if k in wanted or fold(table.headers[i]) in wanted]
        if len(hit) > 1:
            issues.append(
                Issue(table.file, None, table.column_letters[hit[1]], f"cột “{column.label}” xuất hiện nhiều lần")
            )
        if hit:
            cols[column.indicator_id] = hit[0]
        elif column.required:
            issues.append(
                Issue(
                    table.file,
                    None,
                    None,
                    f"thiếu cột “{column.label}” (bộ số liệu {dataset.id}); tiêu đề đang có: "
                    + ", ".join(h for h in table.headers if h),
                )
            )
    return name_col, code_col, cols, issues


def check(
    table: Table,
    dataset: Dataset,
    year: int,
    units: pd.DataFrame,
    overrides: dict[int, str] | None = None,
    country: pd.DataFrame | None = None,
) -> Report:
    """Match communes and validate every value; ``overrides`` maps a file row number to a code chosen on screen.

    ``units`` is the scope names are matched in (one province of the country); with ``country`` a name or code
    of a unit elsewhere is reported with where it is, never taken.
    """
    overrides = overrides or {}
    gaz = Gazetteer.build(units, year, country)
    edition = edition_for_year(year)
    name_col, code_col, cols, issues = _find_columns(table, dataset)
    file = table.file + (f" (trang “{table.sheet}”)" if table.sheet else "")
    issues = [Issue(file, i.row, i.column, i.message, i.level) for i in issues]
    matches: list[NameMatch] = []
    preview_rows: list[dict] = []
    cells: list[Cell] = []
    seen: dict[str, int] = {}
    letters = table.column_letters
    townships = set(gaz.valid.loc[gaz.valid["type"] == "Thị trấn", "gso_code"])

    def err(row, col_index, message, level="error"):
        col = None if col_index is None else f"{letters[col_index]} “{table.headers[col_index]}”"
        issues.append(Issue(file, row, col, message, level))

    if any(i.level == "error" for i in issues):
        return Report(table.file, dataset, year, issues, matches, pd.DataFrame(), cells)

    for values, row_no in zip(table.rows, table.row_numbers, strict=True):
        name = values[name_col] if name_col is not None else None
        raw_code = values[code_col] if code_col is not None else None
        name_text = "" if name is None else str(name).strip()
        if name_text and has_markup(name_text):
            err(row_no, name_col, "ô tên chứa mã HTML/script (ký tự < > hoặc javascript:); không chấp nhận")
            continue
        code_text = "" if raw_code is None else str(raw_code).strip()
        if isinstance(raw_code, int | float) and not isinstance(raw_code, bool):
            code_text = f"{int(raw_code):05d}"
        code_text = code_text.zfill(5) if code_text.isdigit() else code_text
        # resolve the commune: a code wins over a name; a choice made on screen wins over both
        if row_no in overrides:
            match = NameMatch(row_no, name_text or code_text, overrides[row_no], "manual")
        elif code_text:
            ok, message = gaz.code_status(code_text)
            if not ok:
                err(row_no, code_col, message)
                matches.append(NameMatch(row_no, code_text, None, "not_in_year"))
                continue
            match = NameMatch(row_no, name_text or code_text, code_text, "code")
        elif name_text:
            match = gaz.match(name_text)
            match.row = row_no
        else:
            if any(values[i] is not None for i in cols.values()):
                err(row_no, name_col if name_col is not None else code_col, "thiếu tên (hoặc mã) xã")
            continue
        matches.append(match)
        if match.code is None:
            hint = "; gợi ý: " + ", ".join(n for _, n in match.suggestions) if match.suggestions else ""
            if match.status == "ambiguous":
                err(row_no, name_col, f"tên “{name_text}” khớp nhiều đơn vị{hint}")
            elif match.status == "not_in_year":
                err(row_no, name_col, f"“{name_text}” không tồn tại năm {year}: {match.suggestions[0][1]}")
            elif match.status == "other_scope":
                where = "; ".join(n for _, n in match.suggestions)
                err(
                    row_no,
                    name_col,
                    f"“{name_text}” không có trong phạm vi đã chọn (đã tìm trong đó trước); trùng tên với: {where}",
                )
            else:
                err(row_no, name_col, f"không tìm thấy xã “{name_text}” của {active().area_name}{hint}")
            continue
        code = match.code
        if code in seen:
            err(
                row_no,
                name_col if name_col is not None else code_col,
                f"trùng đơn vị với dòng {seen[code]}: {gaz.full_name(code)}",
            )
            continue
        seen[code] = row_no
        row_cells: list[Cell] = []
        preview = {"Dòng": row_no, "Trong tệp": name_text or code_text, "Mã": code, "Đơn vị": gaz.full_name(code)}
        all_empty = all(values[i] is None for i in cols.values())
        if all_empty:
            preview_rows.append({**preview, "Ghi chú": "bỏ qua (chưa điền)"})
            continue
        if dataset.xa_only and code in townships:
            err(row_no, name_col, f"{gaz.full_name(code)} là thị trấn: chỉ tiêu nông thôn mới không áp dụng")
            continue
        for column in dataset.columns:
            if column.indicator_id not in cols:
                continue
            j = cols[column.indicator_id]
            raw = values[j]
            if column.kind == "category":
                text, message = parse_category(raw, column)
                cell = Cell(column.indicator_id, code, edition, year, None, text)
                preview[column.label] = text
            else:
                number, message = parse_number(raw, column)
                cell = Cell(column.indicator_id, code, edition, year, number, "")
                preview[column.label] = format_number(number, 0 if column.integer else 2, strip=False)
            if message:
                err(row_no, j, message)
            elif cell.empty and column.required:
                err(row_no, j, f"ô bắt buộc đang trống ({column.allowed_text()})")
            elif not cell.empty:
                row_cells.append(cell)
        by_id = {c.indicator_id: c.value for c in row_cells}
        if by_id.get("households") is not None and by_id.get("poor_households") is not None:
            if by_id["poor_households"] > by_id["households"]:
                err(row_no, cols["poor_households"], "số hộ nghèo lớn hơn tổng số hộ")
            elif by_id.get("poverty_rate") is not None and by_id["households"] > 0:
                computed = 100 * by_id["poor_households"] / by_id["households"]
                if abs(computed - by_id["poverty_rate"]) > 0.05:
                    err(
                        row_no,
                        cols["poverty_rate"],
                        f"tỷ lệ {format_number(by_id['poverty_rate'])} % khác số hộ nghèo / tổng số hộ "
                        f"({format_number(computed)} %)",
                        "warning",
                    )
        cells += row_cells
        preview_rows.append(preview)
    if name_col is None and code_col is None:
        issues.append(Issue(file, None, None, "không có cột tên xã hoặc mã xã"))
    issues += _plausibility(file, edition, cells, matches, dataset)
    return Report(table.file, dataset, year, issues, matches, pd.DataFrame(preview_rows), cells)


def _plausibility(
    file: str, edition: str, cells: list[Cell], matches: list[NameMatch], dataset: Dataset
) -> list[Issue]:
    """Warnings for imported figures the plausibility rules would flag ("cần kiểm tra"), with the rule and why."""
    population = {c.code: c.value for c in cells if c.indicator_id == "population" and c.value is not None}
    rows = {m.code: m.row for m in matches if m.code}
    label = next((c.label for c in dataset.columns if c.indicator_id == "population"), None)
    return [
        Issue(file, rows.get(f.code), label, f"giá trị sẽ bị gắn cờ “cần kiểm tra” — {f.note}", "warning")
        for f in plausibility.flag_imported(edition, population)
    ]


def cells_from_edit(
    before: pd.DataFrame, after: pd.DataFrame, dataset: Dataset, edition: str, year: int
) -> tuple[list[Cell], list[str]]:
    """Changed cells of an on-screen table (columns "Mã", "Đơn vị" and the dataset's labels), checked like a file.

    A cleared cell becomes an empty Cell (the entered value is deleted); problems name the unit and column.
    """
    cells: list[Cell] = []
    problems: list[str] = []
    for (_, old_row), (_, new_row) in zip(before.iterrows(), after.iterrows(), strict=True):
        for column in dataset.columns:
            old, new = old_row[column.label], new_row[column.label]
            if (pd.isna(old) and pd.isna(new)) or old == new:
                continue
            raw = None if pd.isna(new) else new
            if column.kind == "category":
                text, message = parse_category(raw, column)
                cell = Cell(column.indicator_id, old_row["Mã"], edition, year, None, text)
            else:
                number, message = parse_number(raw, column)
                cell = Cell(column.indicator_id, old_row["Mã"], edition, year, number, "")
            if message:
                problems.append(f"{old_row['Đơn vị']}, {column.label}: {message}")
            else:
                cells.append(cell)
    return cells, problems


def check_file(
    data: bytes,
    filename: str,
    dataset: Dataset,
    year: int,
    units: pd.DataFrame,
    overrides=None,
    country: pd.DataFrame | None = None,
) -> Report:
    """read_table + check; a file-level problem becomes a report with one error and no cells."""
    try:
        table = read_table(data, filename)
    except FileProblem as exc:
        return _unread(filename, dataset, year, exc)
    return check(table, dataset, year, units, overrides, country)


def check_path(path: str | Path, dataset: Dataset, year: int, units: pd.DataFrame) -> Report:
    """``check_file`` of a file named on the command line, read bounded (``read_file``: a regular file only,
    at most ``MAX_BYTES``)."""
    try:
        data = read_file(path)
    except FileProblem as exc:
        return _unread(str(path), dataset, year, exc)
    return check_file(data, Path(path).name, dataset, year, units)


def _unread(filename: str, dataset: Dataset, year: int, exc: FileProblem) -> Report:
    return Report(Path(filename).name, dataset, year, [Issue("", None, None, str(exc))], [], pd.DataFrame(), [])
