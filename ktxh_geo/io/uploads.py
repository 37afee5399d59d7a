"""Read an uploaded table (Excel .xlsx or CSV) with every parse bounded, before anything looks at its values.

``read_table`` turns bytes into a header + rows (``Table``) or raises ``FileProblem`` with a Vietnamese message
naming the file and, where it applies, the row and column. Limits are checked while streaming, before the
heavy work: size, rows, columns and cells (``MAX_*``). An .xlsx is a zip of XML parts; every part is streamed
once before openpyxl opens the file, **whatever its name**: what a part holds decides its caps — a part whose
root is ``sst`` (shared strings) is capped at ``MAX_SHARED_STRINGS`` strings, ``styleSheet`` at
``STYLE_CAPS`` (number formats, cell formats, fonts, …), ``worksheet`` at the cells, rows and columns above,
anything else at ``MAX_PART_ELEMENTS`` — and every part is counted by both XML parsers openpyxl uses (expat
and libxml2), so an encoding one of them cannot read does not hide a part from the count.
Nothing here matches names or checks values: that is ``ktxh_geo.model.imports``.
"""

from __future__ import annotations

import csv
import errno
import io
import os
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import XMLParser

from ktxh_geo.errors import InputError, KtxhError, LimitExceeded
from ktxh_geo.text import fold, format_number, nfc, printable

MAX_BYTES = 10 * 1024 * 1024  # an upload larger than this is refused before it is opened
MAX_UNCOMPRESSED = 50 * 1024 * 1024  # an .xlsx inflating to more is refused before it is parsed
MAX_RATIO = 100
MAX_ROWS = 5000  # data rows (below the header) holding at least one value
MAX_COLUMNS = 200  # right-most column holding a value
MAX_CELLS = 200_000  # cells holding a value
MAX_LINES = 20_000  # physical rows, blank ones included (a file of empty lines is refused too)
MAX_XML_ELEMENTS = 2_000_000  # XML elements in the whole .xlsx (styled empty cells, strings, styles)
MAX_SHARED_STRINGS = MAX_CELLS  # strings in a shared-strings part (a string no cell uses is of no use)
STYLE_CAPS = {  # elements of a styles part → (cap, what they are); Excel itself stops at 64,000 cell formats
    "numFmt": (1_000, "định dạng số"),
    "xf": (65_000, "định dạng ô"),
    "font": (4_096, "phông chữ"),
    "fill": (4_096, "kiểu tô nền"),
    "border": (4_096, "kiểu đường viền"),
    "dxf": (4_096, "định dạng có điều kiện"),
    "cellStyle": (4_096, "kiểu ô có tên"),
}
PART_ELEMENTS = {"sst": 1_000_000, "styleSheet": 300_000}  # XML elements of one part, by its root element
MAX_PART_ELEMENTS = 100_000  # any other part except a worksheet (workbook, relationships, properties, drawings…)
SAVE_AGAIN = "hãy chép bảng số liệu sang một tệp Excel mới rồi tải lên lại."
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


# ---------------------------------------------------------------- reading


def read_file(path: str | os.PathLike) -> bytes:
    """The bytes of a file named on the command line, bounded like an upload: a regular file only (a FIFO would
    hang, a device never end) and at most ``MAX_BYTES`` (``FileTooLarge`` past it, read no further)."""
    path = Path(path)
    name = printable(path.name)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # opening a FIFO does not wait for a writer
    except OSError as exc:
        why = {errno.ENOENT: "không có tệp này", errno.EACCES: "không có quyền đọc"}.get(exc.errno, exc.strerror)
        raise FileProblem(f"{name}: không mở được tệp ({why}).") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FileProblem(
                f"{name}: không phải tệp thông thường (thư mục, thiết bị hoặc FIFO); hãy chọn tệp .xlsx hoặc .csv."
            )
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_BYTES:
        raise FileTooLarge(f"{name}: tệp quá lớn (hơn {_mb(MAX_BYTES)} MB); giới hạn là {_mb(MAX_BYTES)} MB.")
    return data


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
    """Parser target that builds nothing: counts elements as the parser reports them, by what the part holds
    (its root element), and for a worksheet the rows, columns and cells holding a value."""

    def __init__(self, name: str, elements: int):
        self.name = name
        self.elements = elements
        self.depth = 0
        self.root = ""
        self.part_elements = 0
        self.kinds: dict[str, int] = {}
        self.scan: _SheetScan | None = None
        self.limits = _Limits(name)
        self.row_no = self.col_no = self.row_values = self.row_last = 0
        self.has_value = False

    def _count(self, tag: str) -> None:
        self.elements += 1
        self.part_elements += 1
        if self.elements > MAX_XML_ELEMENTS:
            raise FileTooLarge(
                f"{self.name}: bảng tính quá lớn (hơn {format_number(MAX_XML_ELEMENTS)} phần tử: ô, chuỗi, "
                "định dạng); hãy chỉ giữ bảng số liệu."
            )
        if self.root == "worksheet":
            return  # rows, columns and cells are counted by ``_Limits``
        if self.root == "sst" and tag == "si":
            self._cap(tag, MAX_SHARED_STRINGS, "chuỗi văn bản dùng chung")
        elif self.root == "styleSheet" and tag in STYLE_CAPS:
            self._cap(tag, *STYLE_CAPS[tag])
        cap = PART_ELEMENTS.get(self.root, MAX_PART_ELEMENTS)
        if self.part_elements > cap:
            what = {"sst": "phần chuỗi văn bản", "styleSheet": "phần định dạng"}.get(self.root, "một thành phần")
            raise FileTooLarge(
                f"{self.name}: {what} của bảng tính có hơn {format_number(cap)} phần tử XML; {SAVE_AGAIN}"
            )

    def _cap(self, tag: str, cap: int, words: str) -> None:
        self.kinds[tag] = self.kinds.get(tag, 0) + 1
        if self.kinds[tag] > cap:
            raise FileTooLarge(f"{self.name}: bảng tính có hơn {format_number(cap)} {words}; {SAVE_AGAIN}")

    def start(self, tag: str, attrib: dict) -> None:
        tag = tag.rpartition("}")[2]
        self.depth += 1
        if self.depth == 1:
            self.root = tag
            if tag == "worksheet":
                self.scan = _SheetScan()
        self._count(tag)
        if self.scan is None or self.depth == 1:
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


def _expat(target: _ScanTarget, src) -> None:
    """Stream ``src`` through expat, as openpyxl's ``iterparse`` reads worksheets and shared strings."""
    parser = XMLParser(target=target)
    while chunk := src.read(256 * 1024):
        parser.feed(chunk)
    parser.close()


def _libxml2(target: _ScanTarget, src) -> None:
    """Parse ``src`` with libxml2 exactly as openpyxl's ``fromstring`` reads every other part (whole text,
    entities not resolved): the push parser detects encodings differently, so it would not count the same."""
    from lxml import etree  # noqa: PLC0415 (only for Excel uploads)

    etree.fromstring(src.read(), etree.XMLParser(target=target, resolve_entities=False))


def _scan_part(zf: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, elements: int, parse) -> _ScanTarget:
    """One pass of one parser over one part, building nothing. A part the parser cannot read (an image, or a
    text in an encoding it does not know) stops being counted where it fails — openpyxl's parse with the same
    parser fails there too — except a worksheet expat cannot read, which is a damaged file."""
    target = _ScanTarget(name, elements)
    try:
        with zf.open(info) as src:
            parse(target, src)
    except FileTooLarge:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError, RuntimeError):
        raise FileProblem(f"{name}: tệp hỏng hoặc không phải bảng tính .xlsx.") from None
    except Exception:  # ParseError, lxml's XMLSyntaxError, an unknown encoding
        if parse is _expat and target.root == "worksheet":
            raise FileProblem(f"{name}: tệp hỏng (nội dung XML không đọc được).") from None
    return target


def _scan_xlsx(zf: zipfile.ZipFile, name: str) -> dict[str, _SheetScan]:
    """Stream every part of the zip — whatever its name — with each parser openpyxl uses, building nothing,
    and refuse (``FileTooLarge``) as soon as a cap is passed: elements by what each part holds (shared
    strings, styles, any other part), and per worksheet the rows, columns and cells holding a value (the
    dimension tag is not trusted). Returns expat's scan of each worksheet part, by its path in the zip.
    """
    scans: dict[str, _SheetScan] = {}
    for parse in (_expat, _libxml2):
        elements = 0
        for info in zf.infolist():
            if info.is_dir():
                continue
            target = _scan_part(zf, info, name, elements, parse)
            elements = target.elements
            if parse is _expat and target.scan is not None:
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
        try:
            cells, numbers = _xlsx_rows(ws, where, scan)
        except (KtxhError, MemoryError):
            raise
        except Exception as exc:  # openpyxl on a damaged sheet (a missing shared string, a bad number…)
            raise FileProblem(f"{where}: không đọc được các ô ({type(exc).__name__}); tệp hỏng?") from None
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


def header_key(text) -> str:
    """Folded header without units in brackets or punctuation: "Tên xã/thị trấn (*)" → "ten xa thi tran"."""
    t = re.sub(r"\(.*?\)|\[.*?\]", " ", str(text or ""))
    return fold(re.sub(r"[^\w\s]", " ", t))


def _with_header(name: str, cells: list[list], numbers: list[int], letters: list[str], sheet: str) -> Table:
    for i, row in enumerate(cells):
        if numbers[i] > HEADER_SCAN_ROWS:
            break
        keys = {header_key(c) for c in row if c is not None}
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
