"""The licences a locality's data carries: read from its LICENSES.md, printed with every export.

A profile names its licence file (``licence_file``, default ``geo/LICENSES.md``; a province may use the national
profile's). The file lists each source as ``- <name> — Copyright (c) <year> <holder> — MIT. …`` and quotes the
licence text. Exports carry a short Vietnamese section naming the sources, with the MIT text quoted as it is
(the licence requires its text and the copyright lines to travel with every copy). ``validate`` refuses a
profile whose file is missing or lacks either part, so no export is ever refused for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ktxh_geo.errors import DataError

_SOURCE = re.compile(
    r"^- \**(?P<name>[^*\n—]+?)\**(?: \([^)\n]*\))? — Copyright \(c\) (?P<year>\d{4}) (?P<holder>[^—\n]+?) — "
    r"(?P<licence>MIT)\b",
    re.MULTILINE,
)
_MIT_TEXT = re.compile(r"Permission is hereby granted.*?OTHER DEALINGS IN THE\s+SOFTWARE\.", re.DOTALL)


@dataclass(frozen=True)
class Source:
    """One licensed source: its name, copyright line and licence."""

    name: str
    copyright: str  # "Copyright (c) 2021 Thang Le Quoc"
    licence: str  # "MIT"

    @property
    def credit(self) -> str:
        """ "vietnamese-provinces-database — © 2021 Thang Le Quoc — giấy phép MIT" """
        return f"{self.name} — {self.copyright.replace('Copyright (c)', '©')} — giấy phép {self.licence}"


@dataclass(frozen=True)
class Licences:
    """The sources of a profile's data and the licence text they share."""

    sources: tuple[Source, ...]
    text: str  # the MIT permission notice, as written

    def quoted(self) -> str:
        """The licence as it must travel: every copyright line, then the permission notice (English, verbatim)."""
        lines = list(dict.fromkeys(s.copyright for s in self.sources))
        return "\n".join(lines) + "\n\n" + self.text

    def section(self) -> list[str]:
        """The Vietnamese appendix, as paragraphs: what the licence allows, the sources, then the quoted text."""
        return [
            "Ranh giới và số liệu đơn vị hành chính trong tệp này lấy từ các nguồn mở dưới đây, theo giấy phép MIT: "
            "được dùng, sửa và chia sẻ tự do, với điều kiện giữ dòng bản quyền và nguyên văn giấy phép trong mọi "
            "bản sao. Khi chia sẻ tệp, hãy gửi kèm phần này.",
            *(f"• {s.credit}" for s in self.sources),
            "Nguyên văn giấy phép MIT (tiếng Anh, giữ nguyên theo yêu cầu của giấy phép):",
        ]

    def text_block(self) -> str:
        """The whole appendix as plain text (a LICENSE.txt, an xlsx sheet, a GeoPackage's metadata)."""
        quoted = "\n".join(f"    {line}" if line else "" for line in self.quoted().splitlines())
        return "GIẤY PHÉP DỮ LIỆU\n" + "\n".join(self.section()) + "\n\n" + quoted + "\n"


def parse_licences(text: str) -> Licences:
    """The sources and the licence text of a LICENSES.md; ``ValueError`` says which part is missing."""
    sources = tuple(
        Source(m["name"].strip(), f"Copyright (c) {m['year']} {m['holder'].strip()}", m["licence"])
        for m in _SOURCE.finditer(text)
    )
    if not sources:
        raise ValueError("không có dòng nguồn nào dạng “- <tên> — Copyright (c) <năm> <chủ sở hữu> — MIT”")
    body = _MIT_TEXT.search(text)
    if body is None:
        raise ValueError("không có nguyên văn giấy phép MIT (“Permission is hereby granted …”)")
    return Licences(tuple(dict.fromkeys(sources)), body.group(0).strip())


def read_licences(path: Path) -> Licences:
    """The licences of a profile's data; ``DataError`` (Vietnamese, names the file) if they cannot travel."""
    try:
        return parse_licences(path.read_text(encoding="utf-8"))
    except OSError:
        raise DataError(f"thiếu tệp giấy phép {path.name} của địa phương: không xuất khi thiếu giấy phép") from None
    except ValueError as exc:
        raise DataError(f"tệp giấy phép {path.name} của địa phương {exc}") from None
