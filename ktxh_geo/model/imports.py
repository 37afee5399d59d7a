"""Read an uploaded Excel/CSV table of commune figures and check it before anything is saved.

``read_table`` turns bytes into a header + rows (or raises ``FileProblem`` with a Vietnamese message naming
the file, and where it applies the row and column). ``check`` matches commune names to GSO codes and
validates every cell against the dataset, producing a ``Report``; only a report without errors yields
store cells. Nothing here writes anything.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property
from pathlib import Path
from xml.etree.ElementTree import ParseError, XMLParser

import pandas as pd

from ktxh_geo.errors import InputError, LimitExceeded
from ktxh_geo.io.store import Cell
from ktxh_geo.model import plausibility
from ktxh_geo.model.datasets import Column, Dataset, edition_for_year, units_in_year, validity_text
from ktxh_geo.model.profile import active
from ktxh_geo.model.search import variants
from ktxh_geo.text import fold, format_number, nfc, printable

MAX_BYTES = 10 * 1024 * 1024  # an upload larger than this is refused before it is opened
MAX_UNCOMPRESSED = 50 * 1024 * 1024  # an .xlsx inflating to more is refused before it is parsed
MAX_RATIO = 100
MAX_ROWS = 5000  # data rows (below the header) holding at least one value
MAX_COLUMNS = 200  # right-most column holding a value
MAX_CELLS = 200_000  # cells holding a value
MAX_LINES = 20_000  # physical rows, blank ones included (a file of empty lines is refused too)
MAX_XML_ELEMENTS = 2_000_000  # XML elements in the whole .xlsx (styled empty cells, strings, styles)
HEADER_SCAN_ROWS = 15
NAME_HEADERS = {
    "xa",
    "ten xa",
    "ten don vi",
    "don vi",
    "xa thi tran",
    "ten xa thi tran",
    "don vi hanh chinh",
    "commune",
}
CODE_HEADERS = {"ma", "ma xa", "ma don vi", "ma gso", "ma dvhc", "code", "gso code"}
_UNIT_PREFIX = re.compile(r"^(?:thi tran|xa|x|tt|phuong|p)\s+")
_HTML = re.compile(r"[<>]|&#|javascript:", re.IGNORECASE)


class FileProblem(InputError):
    """The file cannot be read as a table; the message is for the user (Vietnamese)."""


class FileTooLarge(FileProblem, LimitExceeded):
    """The file passes a size, row, column or cell limit; refused before it is read in full."""


@dataclass
class Table:
    """A sheet read as text-or-number cells, with spreadsheet coordinates for messages."""

    file: str
    headers: list[str]
    rows: list[list]  # cell values (str, int, float or None)
    row_numbers: list[int]  # 1-based line / row number in the file
    column_letters: list[str]  # "A", "B", … (CSV: column numbers)
    sheet: str = ""


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
class NameMatch:
    """How one row's commune cell was resolved."""

    row: int
    text: str
    code: str | None
    status: str  # "code", "name", "manual", "unmatched", "ambiguous", "not_in_year", "skipped"
    suggestions: list[tuple[str, str]] = field(default_factory=list)  # (code, full name)


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


# ---------------------------------------------------------------- reading


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _mb(n: float) -> str:
    return format_number(n / 1024 / 1024, 1)


def _utf16(head: bytes) -> bool:
    """A UTF-16 text (Excel's “Unicode Text”, some exports): a BOM, or NUL bytes in every other position."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    even, odd = head[0::2], head[1::2]
    if len(head) < 8:
        return False
    return (odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even)) or (
        even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd)
    )


def read_table(data: bytes, filename: str) -> Table:
    """Bytes of an .xlsx or .csv upload → Table, or ``FileProblem`` with a clear message.

    Size, rows, columns and cells are limited (``MAX_BYTES``, ``MAX_ROWS``, ``MAX_COLUMNS``, ``MAX_CELLS``): a file
    past a limit raises ``FileTooLarge`` as soon as the limit is passed, before the rest is read.
    """
    name = printable(Path(filename).name)
    if len(data) > MAX_BYTES:
        raise FileTooLarge(
            f"{name}: tệp quá lớn ({_mb(len(data))} MB); giới hạn là {_mb(MAX_BYTES)} MB. "
            "Hãy chỉ giữ trang tính số liệu."
        )
    if not data.strip():
        raise FileProblem(f"{name}: tệp rỗng.")
    head = data[:4096]
    if head.startswith(b"PK\x03\x04"):
        return _read_xlsx(data, name)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileProblem(
            f"{name}: đây là tệp Excel 97–2003 (.xls), không được hỗ trợ. Hãy mở bằng Excel và lưu thành .xlsx."
        )
    if _utf16(head):
        raise FileProblem(
            f"{name}: tệp văn bản đang ở mã UTF-16 (“Unicode Text”), không phải UTF-8. Hãy mở bằng Excel, chọn "
            "File → Save As → “CSV UTF-8 (Comma delimited) (*.csv)” rồi tải lên lại (hoặc lưu thành .xlsx)."
        )
    lowered = head.lower().lstrip()
    if lowered.startswith((b"<!doctype html", b"<html", b"<?xml", b"<table")) or b"<html" in lowered[:512]:
        raise FileProblem(f"{name}: đây là trang HTML/XML, không phải bảng tính. Hãy lưu thành .xlsx hoặc .csv.")
    if b"\x00" in head or head.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8", b"GIF8", b"\x1f\x8b")):
        raise FileProblem(f"{name}: không phải bảng tính (.xlsx hoặc .csv).")
    return _read_csv(data, name)


class _Limits:
    """Counts rows, columns and cells holding a value while a sheet is read; raises at the first limit passed."""

    def __init__(self, where: str):
        self.where = where
        self.lines = self.rows = self.cells = 0

    def line(self) -> None:
        """One physical row (blank or not)."""
        self.lines += 1
        if self.lines > MAX_LINES:
            raise FileTooLarge(
                f"{self.where}: quá nhiều dòng (hơn {format_number(MAX_LINES)} dòng, kể cả dòng trống); "
                f"giới hạn {format_number(MAX_ROWS)} dòng số liệu. Hãy chỉ giữ bảng số liệu."
            )

    def row(self, row_no: int, last_column: int, n_values: int) -> None:
        """Row ``row_no`` with ``n_values`` values, the right-most in ``last_column`` (1-based)."""
        if not n_values:
            return
        if row_no > MAX_LINES:
            raise FileTooLarge(
                f"{self.where}: có giá trị ở dòng {format_number(row_no)}; bảng số liệu phải nằm trong "
                f"{format_number(MAX_LINES)} dòng đầu (giới hạn {format_number(MAX_ROWS)} dòng số liệu)."
            )
        self.rows += 1
        self.cells += n_values
        if last_column > MAX_COLUMNS:
            raise FileTooLarge(
                f"{self.where}: quá nhiều cột (có giá trị ở cột {column_letter(last_column - 1)}); "
                f"giới hạn {MAX_COLUMNS} cột (đến cột {column_letter(MAX_COLUMNS - 1)})."
            )
        if self.rows > MAX_ROWS + HEADER_SCAN_ROWS:
            raise FileTooLarge(too_many_rows(self.where, f"hơn {format_number(MAX_ROWS)}"))
        if self.cells > MAX_CELLS:
            raise FileTooLarge(
                f"{self.where}: quá nhiều ô có giá trị (hơn {format_number(MAX_CELLS)}); "
                f"giới hạn {format_number(MAX_CELLS)} ô. Hãy chỉ giữ bảng số liệu."
            )


def too_many_rows(where: str, count: str) -> str:
    return f"{where}: quá nhiều dòng số liệu ({count}); giới hạn {format_number(MAX_ROWS)} dòng."


def _csv_error(name: str, line: int, exc: csv.Error) -> FileProblem:
    why = str(exc)
    if "field larger than field limit" in why:
        text = f"có ô dài hơn {format_number(csv.field_size_limit())} ký tự"
    elif "NUL" in why or "null byte" in why:
        text = "chứa ký tự NUL (tệp nhị phân?)"
    else:
        text = "cấu trúc CSV hỏng (dấu ngoặc kép không đóng?)"
    return FileProblem(f"{name}: dòng {line}: không đọc được tệp CSV — {text}.")


def _read_csv(data: bytes, name: str) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileProblem(
            f"{name}: dòng {line}: tệp CSV không phải mã UTF-8 (byte 0x{data[exc.start]:02x}). "
            "Hãy lưu lại với mã hóa “CSV UTF-8 (Comma delimited)”."
        ) from None
    text = nfc(text)
    first = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first.count)
    limits = _Limits(name)
    cells: list[list] = []
    numbers: list[int] = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for index, raw in enumerate(reader, start=1):
            limits.line()
            values = [c if c.strip() else None for c in raw]
            while values and values[-1] is None:
                values.pop()
            limits.row(index, len(values), sum(v is not None for v in values))
            if values:
                cells.append(values)
                numbers.append(index)
    except csv.Error as exc:
        raise _csv_error(name, reader.line_num, exc) from None
    width = max((len(r) for r in cells), default=0)
    return _with_header(name, cells, numbers, [column_letter(i) for i in range(width)], "")


def _check_zip(data: bytes, name: str) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise FileProblem(f"{name}: tệp hỏng hoặc không phải bảng tính .xlsx.") from None
    infos = zf.infolist()
    names = {i.filename for i in infos}
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    worst = max((i.file_size / max(i.compress_size, 1) for i in infos), default=0)
    if total > 10 * 1024 * 1024 and (total / packed > MAX_RATIO or worst > 1000):
        zf.close()
        raise FileTooLarge(
            f"{name}: tệp nén bất thường (giải nén ra {format_number(total / 1024 / 1024, 0)} MB, "
            f"gấp {format_number(total / packed, 0)} lần) — có thể là “bom nén”; không mở."
        )
    if total > MAX_UNCOMPRESSED:
        zf.close()
        raise FileTooLarge(
            f"{name}: bảng tính giải nén ra {_mb(total)} MB; giới hạn {_mb(MAX_UNCOMPRESSED)} MB. "
            "Hãy chỉ giữ trang tính số liệu (xóa ảnh, trang tính khác)."
        )
    if "xl/workbook.xml" not in names:
        zf.close()
        raise FileProblem(f"{name}: tệp nén này không phải bảng tính Excel (.xlsx).")
    return zf


@dataclass
class _SheetScan:
    """What a streamed pass over one worksheet's XML found (only within the limits: it stops past one)."""

    last_row: int = 0  # last row holding a value
    last_column: int = 0  # right-most column holding a value (1-based)
    merges: list[str] = field(default_factory=list)


_COORD = re.compile(r"([A-Z]{1,3})([0-9]+)", re.ASCII)


def _column_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


class _ScanTarget:
    """Parser target that builds nothing: counts elements, rows, columns and cells as expat reports them."""

    def __init__(self, name: str, elements: int):
        self.name = name
        self.elements = elements
        self.depth = 0
        self.scan: _SheetScan | None = None
        self.limits = _Limits(name)
        self.row_no = self.col_no = self.row_values = self.row_last = 0
        self.has_value = False

    def start(self, tag: str, attrib: dict) -> None:
        self.elements += 1
        if self.elements > MAX_XML_ELEMENTS:
            raise FileTooLarge(
                f"{self.name}: bảng tính quá lớn (hơn {format_number(MAX_XML_ELEMENTS)} phần tử: ô, chuỗi, "
                "định dạng); hãy chỉ giữ bảng số liệu."
            )
        self.depth += 1
        tag = tag.rpartition("}")[2]
        if self.depth == 1:
            if tag == "worksheet":
                self.scan = _SheetScan()
            return
        if self.scan is None:
            return
        if tag == "c":
            m = _COORD.fullmatch(attrib.get("r", ""))
            self.col_no = _column_number(m.group(1)) if m else self.col_no + 1
            self.has_value = False
        elif tag in ("v", "f", "is"):
            self.has_value = True
        elif tag == "row":
            r = attrib.get("r", "")
            self.row_no = int(r) if r.isascii() and r.isdigit() else self.row_no + 1
            self.col_no = self.row_values = self.row_last = 0
            self.limits.line()
        elif tag == "mergeCell" and len(self.scan.merges) < 6:
            self.scan.merges.append(str(attrib.get("ref", "")))

    def end(self, tag: str) -> None:
        self.depth -= 1
        if self.scan is None:
            return
        tag = tag.rpartition("}")[2]
        if tag == "c" and self.has_value:
            self.row_values += 1
            self.row_last = max(self.row_last, self.col_no)
            self.has_value = False
        elif tag == "row":
            self.limits.row(self.row_no, self.row_last, self.row_values)
            if self.row_values:
                self.scan.last_row = self.row_no
                self.scan.last_column = max(self.scan.last_column, self.row_last)

    def data(self, _text: str) -> None:
        pass

    def close(self) -> None:
        pass


def _scan_xlsx(zf: zipfile.ZipFile, name: str) -> dict[str, _SheetScan]:
    """Stream every XML part once without building it, counting elements, and per worksheet the rows, columns
    and cells holding a value; raises ``FileTooLarge`` as soon as a limit is passed (the dimension tag is not
    trusted). Returns the scan of each worksheet part by its path in the zip.
    """
    scans: dict[str, _SheetScan] = {}
    elements = 0
    for info in zf.infolist():
        if not info.filename.lower().endswith((".xml", ".rels")):
            continue
        target = _ScanTarget(name, elements)
        parser = XMLParser(target=target)
        try:
            with zf.open(info) as src:
                while chunk := src.read(256 * 1024):
                    parser.feed(chunk)
            parser.close()
        except ParseError:
            raise FileProblem(f"{name}: tệp hỏng (nội dung XML không đọc được).") from None
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
            raise FileProblem(f"{name}: tệp hỏng hoặc không phải bảng tính .xlsx.") from None
        elements = target.elements
        if target.scan is not None:
            scans[info.filename] = target.scan
    return scans


def _read_xlsx(data: bytes, name: str) -> Table:
    zf = _check_zip(data, name)
    with zf:
        scans = _scan_xlsx(zf, name)
    import openpyxl  # noqa: PLC0415 (heavy import, only for Excel uploads)

    try:  # read-only: streamed, within the limits the scan has checked
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds on damaged files
        raise FileProblem(f"{name}: không mở được bảng tính ({type(exc).__name__}).") from None
    try:
        sheets = [ws for ws in wb.worksheets if fold(ws.title) not in ("huong dan",)]
        if not sheets:
            raise FileProblem(f"{name}: không có trang tính số liệu.")
        ws = sheets[0]
        where = f"{name}, trang “{printable(ws.title)}”"
        scan = scans.get(str(getattr(ws, "_worksheet_path", "")).lstrip("/"), _SheetScan())
        if scan.merges:
            ranges = ", ".join(printable(r) for r in scan.merges[:5])
            raise FileProblem(f"{where}: có ô gộp ({ranges}). Hãy bỏ gộp ô để mỗi xã một dòng, mỗi chỉ tiêu một cột.")
        cells, numbers = _xlsx_rows(ws, where, scan)
    finally:
        wb.close()
    width = max((len(r) for r in cells), default=0)
    return _with_header(name, cells, numbers, [column_letter(i) for i in range(width)], ws.title)


def _xlsx_rows(ws, where: str, scan: _SheetScan) -> tuple[list[list], list[int]]:
    """The rows holding a value (values padded to the right-most one), counted against the limits again."""
    cells: list[list] = []
    numbers: list[int] = []
    if not scan.last_row:
        return cells, numbers
    limits = _Limits(where)
    ws.reset_dimensions()  # never trust the <dimension> tag: read up to what the scan found
    rows = ws.iter_rows(min_row=1, max_row=scan.last_row, min_col=1, max_col=scan.last_column)
    for row_no, row in enumerate(rows, start=1):
        values = []
        for c in row:
            if c.data_type == "f":
                formula = printable(str(c.value)[:40])
                raise FileProblem(
                    f"{where}: dòng {row_no}, cột {column_letter(len(values))}: ô chứa công thức ({formula}). "
                    "Hãy dán giá trị (Paste Special → Values) thay cho công thức."
                )
            v = c.value
            if isinstance(v, str):
                v = nfc(v) if v.strip() else None
            values.append(v)
        while values and values[-1] is None:
            values.pop()
        limits.row(row_no, len(values), sum(v is not None for v in values))
        if values:
            cells.append(values)
            numbers.append(row_no)
    return cells, numbers


def _header_key(text) -> str:
    """Folded header without units in brackets or punctuation: "Tên xã/thị trấn (*)" → "ten xa thi tran"."""
    t = re.sub(r"\(.*?\)|\[.*?\]", " ", str(text or ""))
    return fold(re.sub(r"[^\w\s]", " ", t))


def _with_header(name: str, cells: list[list], numbers: list[int], letters: list[str], sheet: str) -> Table:
    for i, row in enumerate(cells):
        if numbers[i] > HEADER_SCAN_ROWS:
            break
        keys = {_header_key(c) for c in row if c is not None}
        if keys & (NAME_HEADERS | CODE_HEADERS):
            headers = ["" if c is None else str(c).strip() for c in row]
            headers += [""] * (len(letters) - len(headers))
            body = [r + [None] * (len(letters) - len(r)) for r in cells[i + 1 :]]
            keep = [j for j, r in enumerate(body) if any(v is not None for v in r)]
            if len(keep) > MAX_ROWS:
                where = name + (f", trang “{printable(sheet)}”" if sheet else "")
                raise FileTooLarge(too_many_rows(where, format_number(len(keep))))
            return Table(name, headers, [body[j] for j in keep], [numbers[i + 1 + j] for j in keep], letters, sheet)
    raise FileProblem(
        f"{name}: không tìm thấy dòng tiêu đề có cột “Tên xã” (hoặc “Mã xã”) trong {HEADER_SCAN_ROWS} dòng đầu. "
        "Hãy dùng tệp mẫu hoặc thêm dòng tiêu đề."
    )


# ---------------------------------------------------------------- name matching


def name_key(text: str) -> str:
    """Matching key of a commune name: folded, punctuation and unit prefix removed ("TT. Đồng Kỳ" → "dong ky")."""
    t = fold(re.sub(r"[.,;:_\-–/()]+", " ", fold(text)))
    return _UNIT_PREFIX.sub("", t).strip()


@dataclass(frozen=True)
class Gazetteer:
    """Commune names of one year → codes, plus every other name the unit list knows (for clear messages)."""

    year: int
    valid: pd.DataFrame  # units of the year (gso_code, name_full, name, type, valid_from, valid_to)
    all_units: pd.DataFrame

    @classmethod
    def build(cls, units: pd.DataFrame, year: int, country: pd.DataFrame | None = None) -> Gazetteer:
        """Names of ``units`` (the scope: a district, or one province of the country) in ``year``; ``country``
        (all units) lets a name or code from outside the scope be reported as such, never matched silently."""
        return cls(year, units_in_year(units, year), units if country is None else country)

    @cached_property
    def _in_year_elsewhere(self) -> frozenset[str]:
        """Codes in force in the year outside the scope (empty when the scope is the whole unit list)."""
        anywhere = set(units_in_year(self.all_units, self.year)["gso_code"])
        return frozenset(anywhere - self._valid_codes) if len(self.all_units) > len(self.valid) else frozenset()

    def _where(self, r) -> str:
        province = getattr(r, "province", "") or ""
        return f"{r.name_full}, {province}" if province else r.name_full

    def full_name(self, code: str) -> str:
        return self._full_names.get(code, code)

    @cached_property
    def _full_names(self) -> dict[str, str]:
        return dict(zip(self.valid["gso_code"], self.valid["name_full"], strict=True))

    @cached_property
    def _valid_codes(self) -> frozenset[str]:
        return frozenset(self.valid["gso_code"])

    def _build_aliases(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for r in self.valid.itertuples():
            for alias in [r.name, r.name_full, *variants(r.gso_code)]:
                out.setdefault(name_key(alias), set()).add(r.gso_code)
        return out

    @cached_property
    def _aliases(self) -> dict[str, set[str]]:
        return self._build_aliases()  # once per Gazetteer, not once per row

    @cached_property
    def _other_years(self) -> list[tuple[str, object]]:
        """(name key, row) of every unit of the unit list, valid in the year or not."""
        return [(name_key(r.name), r) for r in self.all_units.itertuples()]

    def aliases(self) -> dict[str, set[str]]:
        """Name key → codes of the year's units (names, full names and known variants); built once."""
        return self._aliases

    def match(self, text: str) -> NameMatch:
        key = name_key(text)
        aliases = self._aliases
        codes = aliases.get(key, set())
        if len(codes) == 1:
            return NameMatch(0, text, next(iter(codes)), "name")
        if len(codes) > 1:
            return NameMatch(0, text, None, "ambiguous", [(c, self.full_name(c)) for c in sorted(codes)])
        # a whole-word prefix of several names ("Đồng") is ambiguous rather than unknown
        starts = sorted({c for k, cs in aliases.items() if key and k.startswith(key + " ") for c in cs})
        if len(starts) > 1:
            return NameMatch(0, text, None, "ambiguous", [(c, self.full_name(c)) for c in starts])
        # a unit that existed in another year (one merged away before the chosen year)
        elsewhere = [r for unit_key, r in self._other_years if key and unit_key == key]
        outside = [(r.gso_code, self._where(r)) for r in elsewhere if r.gso_code in self._in_year_elsewhere]
        if outside:  # a homonym in another province: matched within the chosen one first, and said so
            return NameMatch(0, text, None, "other_scope", outside[:5])
        for r in elsewhere:
            if r.gso_code not in self._codes_named(key):
                return NameMatch(0, text, None, "not_in_year", [(r.gso_code, f"{r.name_full} ({validity_text(r)})")])
        close = difflib.get_close_matches(key, list(aliases), n=3, cutoff=0.6) if len(key) <= 100 else []
        suggestions = [(c, self.full_name(c)) for k in close for c in sorted(aliases[k])]
        suggestions += [(c, self.full_name(c)) for c in starts if (c, self.full_name(c)) not in suggestions]
        return NameMatch(0, text, None, "unmatched", suggestions)

    def _codes_named(self, key: str) -> set[str]:
        return self._aliases.get(key, set())

    def code_status(self, code: str) -> tuple[bool, str]:
        """(valid in the year, message if not)."""
        if code in self._valid_codes:
            return True, ""
        known = self.all_units[self.all_units["gso_code"] == code]
        if len(known) and code in self._in_year_elsewhere:
            return False, f"mã {code} là của {self._where(known.iloc[0])}, không thuộc phạm vi đã chọn"
        if len(known):
            r = known.iloc[0]
            return False, f"mã {code} ({r['name_full']}, hiệu lực {validity_text(r)}) không tồn tại năm {self.year}"
        return False, f"mã {code} không phải đơn vị hành chính của {active().area_name}"


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
    keys = [_header_key(h) for h in table.headers]
    name_col = next((i for i, k in enumerate(keys) if k in NAME_HEADERS), None)
    code_col = next((i for i, k in enumerate(keys) if k in CODE_HEADERS), None)
    cols: dict[str, int] = {}
    issues: list[Issue] = []
    for column in dataset.columns:
        wanted = {_header_key(column.label), fold(column.indicator_id), _header_key(column.label.split("(")[0])}
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
        return Report(Path(filename).name, dataset, year, [Issue("", None, None, str(exc))], [], pd.DataFrame(), [])
    return check(table, dataset, year, units, overrides, country)
