"""Vietnamese text helpers: accent-insensitive folding and number formatting."""

from __future__ import annotations

import math
import re
import unicodedata


def fold(text: str) -> str:
    """Lower-case, strip diacritics (đ → d) and collapse spaces: for search, never for joins."""
    text = unicodedata.normalize("NFD", str(text))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = text.replace("đ", "d").replace("Đ", "D").lower()
    return re.sub(r"\s+", " ", text).strip()


# Vietnamese tone marks as combining characters (NFD): huyền, sắc, hỏi, ngã, nặng.
_TONES = {"\u0300": "`", "\u0301": "´", "\u0309": "?", "\u0303": "~", "\u0323": "."}
_APOSTROPHES = "\u2019\u2018\u02bc\u0060\u00b4"


def tone_key(text: str) -> str:
    """A name with the tone mark's position inside each syllable ignored (hoà = hòa, thuỷ = thủy), case-folded.

    Every letter, vowel mark (ă â ê ô ơ ư đ) and the tone itself must still agree, so "Đồng" and "Đông" differ;
    hyphens get one space each side. For comparing two spellings of one official name, never for search.
    """
    text = re.sub(r"\s+", " ", re.sub(r"\s*-\s*", " - ", unicodedata.normalize("NFC", str(text)))).strip()
    out = []
    for syllable in text.casefold().split(" "):
        d = unicodedata.normalize("NFD", syllable)
        tones = "".join(_TONES[ch] for ch in d if ch in _TONES)
        out.append(unicodedata.normalize("NFC", "".join(ch for ch in d if ch not in _TONES)) + tones)
    return " ".join(out)


def name_key(text: str) -> str:
    """``tone_key`` with every apostrophe written ' (Cư M’gar = Cư M'gar)."""
    return tone_key(re.sub(f"[{_APOSTROPHES}]", "'", str(text)))


def nfc(text: str) -> str:
    """Unicode NFC form (how the shipped data stores Vietnamese)."""
    return unicodedata.normalize("NFC", str(text))


def format_number(value: float | int | None, decimals: int = 2, strip: bool = True) -> str:
    """Format in Vietnamese style: ``.`` for thousands, ``,`` for decimals (1.350; 2,83).

    With ``strip`` a whole number drops its decimals (1.350 rather than 1.350,00) while other
    values keep them all (4,10 stays 4,10).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = f"{float(value):,.{decimals}f}"
    if strip and "." in text and not text.split(".")[1].strip("0"):
        text = text.split(".")[0]
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def format_value(value: float | int | None, unit: str = "", decimals: int = 2) -> str:
    """Number with its unit, e.g. ``2,83 %`` or ``1.350 tỷ đồng``."""
    number = format_number(value, decimals)
    if not number:
        return ""
    return f"{number} {unit}".strip()


def format_date_vn(d) -> str:
    """dd/mm/yyyy."""
    return d.strftime("%d/%m/%Y")


_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_char(ch: str) -> str:
    if ch in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[ch]
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def printable(text) -> str:
    """Text from a file made safe for a terminal or a log: control, format and bidi characters escaped visibly.

    ``"\\x1b[31m"`` → ``"\\\\x1b[31m"``, U+202E → ``"\\\\u202e"``, a line break → ``"\\\\n"``; letters (with
    Vietnamese diacritics), digits, punctuation and ordinary spaces are kept.
    """
    text = str(text)
    if text.isprintable() and not _BIDI_CONTROLS.intersection(text):
        return text
    out = []
    for ch in text:
        if ch in _BIDI_CONTROLS or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            out.append(_escape_char(ch))
        else:
            out.append(ch)
    return "".join(out)


# ---------------------------------------------------------------- lengths of what people type

MAX_SOURCE_CHARS = 500  # a source: "Quyết định số …/QĐ-UBND ngày … của …" fits many times over
MAX_NOTE_CHARS = 500  # a note on a location edit
MAX_TITLE_CHARS = 120  # a slide title: one line on a projector


def within(text: object, limit: int, field: str) -> str:
    """``text`` stripped, or ``InputError`` naming ``field`` and the limit when it is longer than ``limit``
    characters. Called where the text is written (the form says the limit too, with ``max_chars``)."""
    from ktxh_geo.errors import InputError

    value = str(text or "").strip()
    if len(value) > limit:
        raise InputError(
            f"{field} dài {format_number(len(value))} ký tự; tối đa {format_number(limit)} ký tự. Không có gì được lưu."
        )
    return value
