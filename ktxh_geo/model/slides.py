"""Prepared views ("slides") for meetings: a deck of map states.

A slide is a title plus the map page's query parameters (see ``viewstate``), so a slide, a shared link
and the page's widgets all describe a view the same way. The shipped deck is ``data/slides.json``;
slides the user adds go to the configured database (``ktxh_geo.io.db``, table ``slides``: by default the SQLite
store of ``$KTXH_STATE_DIR``, else PostgreSQL shared by every app server). The user deck starts as a copy of the
shipped deck and replaces it once it exists. A ``slides.json`` of the older layout in the state folder is imported
once into the SQLite store of that folder; a broken one is reported (shipped deck used) and left untouched on disk.

Adding a slide needs a signed-in ``Editor``; it runs in one transaction that locks the ``slides`` counter row
(PostgreSQL; SQLite: ``BEGIN IMMEDIATE``), so concurrent adds from several processes or servers are all kept.
Titles are plain data strings: pages must render them as text, never as Markdown/HTML.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, func, insert, select

from ktxh_geo.errors import DataError
from ktxh_geo.io import db
from ktxh_geo.model.auth import Editor, require_editor
from ktxh_geo.settings import data_dir, state_dir
from ktxh_geo.text import MAX_TITLE_CHARS, within

DECK_FILE = "slides.json"


class DeckError(DataError, ValueError):
    """A deck file that cannot be read (names the file, slide number and field)."""


@dataclass(frozen=True)
class Slide:
    title: str
    params: dict[str, str]


def shipped_deck_path() -> Path:
    return data_dir() / DECK_FILE


def user_deck_path() -> Path:
    return state_dir() / DECK_FILE


def parse_deck(text: str, path: Path) -> list[Slide]:
    """Parse a deck; raise ``DeckError`` (a ValueError) naming the file, slide number and field on bad input."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise DeckError(f"{path.name}: dòng {e.lineno}: JSON không hợp lệ ({e.msg})") from None
    items = doc.get("slides") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise DeckError(f"{path.name}: cần một đối tượng có khóa “slides” là danh sách")
    slides = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("title"), str) or not item["title"].strip():
            raise DeckError(f"{path.name}: trang {i}: trường “title” phải là chuỗi không rỗng")
        params = item.get("params")
        if not isinstance(params, dict) or not all(isinstance(v, str | int | float) for v in params.values()):
            raise DeckError(f"{path.name}: trang {i}: trường “params” phải là đối tượng {{tên: giá trị}}")
        slides.append(Slide(item["title"].strip(), {str(k): str(v) for k, v in params.items()}))
    return slides


def _legacy(b: db.Backend) -> Path | None:
    """The old user deck file next to the SQLite store, when it is there."""
    if b.folder is None:
        return None
    path = b.folder / DECK_FILE
    return path if path.exists() else None


def _import_legacy(conn, b: db.Backend) -> None:
    """Import the old ``slides.json`` once (inside a write); ``DeckError`` when it is broken."""
    path = _legacy(b)
    if path is None or db.legacy_done(conn, DECK_FILE):
        return
    try:
        raw = path.read_bytes()
        deck = parse_deck(raw.decode("utf-8"), path)
    except (OSError, ValueError) as e:
        raise DeckError(str(e) + " — dùng bộ trang trình chiếu mặc định; tệp không bị xóa.") from None
    _replace(conn, deck, "")
    db.mark_legacy(conn, DECK_FILE, len(deck), hashlib.sha256(raw).hexdigest())


def _replace(conn, deck: list[Slide], who: str) -> None:
    conn.execute(delete(db.slides))
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    if deck:
        conn.execute(
            insert(db.slides),
            [
                {
                    "position": i,
                    "title": s.title,
                    "params": json.dumps(s.params, ensure_ascii=False),
                    "added_by": who,
                    "added_at": stamp,
                }
                for i, s in enumerate(deck, start=1)
            ],
        )
    db.bump_counter(conn, "slides", db.lock_counter(conn, "slides") + 1)


def _user_deck(b: db.Backend) -> list[Slide] | None:
    """The user deck from the database, or None when there is none yet."""

    def run(conn):
        if not conn.execute(select(db.counters.c.value).where(db.counters.c.name == "slides")).scalar():
            return None
        rows = conn.execute(select(db.slides.c.title, db.slides.c.params).order_by(db.slides.c.position))
        return [Slide(r.title, json.loads(r.params)) for r in rows]

    return db.read(b, run, None)


def _shipped() -> list[Slide]:
    return parse_deck(shipped_deck_path().read_text(encoding="utf-8"), shipped_deck_path())


def load_deck() -> tuple[list[Slide], str | None]:
    """The deck in use (user deck if present, else the shipped one) and an error message, if any.

    An old user deck file that cannot be read falls back to the shipped deck with a message; the file is kept.
    """
    b = db.backend()
    if _legacy(b) is not None and not db.read(b, lambda conn: db.legacy_done(conn, DECK_FILE), False):
        try:
            db.write(b, lambda conn: _import_legacy(conn, b))
        except DeckError as e:
            return _shipped(), str(e)
    deck = _user_deck(b)
    return (deck, None) if deck is not None else (_shipped(), None)


def dump_deck(slides: list[Slide]) -> str:
    doc = {"slides": [{"title": s.title, "params": s.params} for s in slides]}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def add_slide(slide: Slide, editor: Editor) -> str:
    """Append a slide to the user deck (created from the shipped deck) in one transaction; returns where it is.

    ``Forbidden`` (nothing written) unless ``editor`` is a signed-in Editor; ``DeckError`` when an old user deck
    file is broken (it is left as it is); ``StorageError`` naming the state folder or database when it cannot be
    written.
    """
    who = require_editor(editor).name
    title = within(slide.title, MAX_TITLE_CHARS, "Tên trang trình chiếu")
    if not title:
        raise DeckError("Tên trang trình chiếu không được để trống.")
    slide = Slide(title, {str(k): str(v) for k, v in slide.params.items()})
    b = db.backend()

    def run(conn):
        _import_legacy(conn, b)
        count = db.lock_counter(conn, "slides")  # serialises adds on every server
        if count == 0:
            _replace(conn, _shipped(), "")
        last = conn.execute(select(func.coalesce(func.max(db.slides.c.position), 0))).scalar()
        conn.execute(
            insert(db.slides).values(
                position=last + 1,
                title=slide.title,
                params=json.dumps(slide.params, ensure_ascii=False),
                added_by=who,
                added_at=datetime.now(UTC).isoformat(timespec="seconds"),
            )
        )
        db.bump_counter(conn, "slides", db.lock_counter(conn, "slides") + 1)

    db.write(b, run)
    return b.describe()


def slide_params(slide: Slide, index: int, present: bool) -> dict[str, str]:
    """Query parameters that show ``slide`` (its own state, plus slide index and presentation flag)."""
    params = {k: v for k, v in slide.params.items() if k not in ("slide", "present")}
    params["slide"] = str(index)
    if present:
        params["present"] = "1"
    return params
