"""Prepared views ("slides") for meetings: a deck of map states per locality.

A slide is a title plus the map page's query parameters (see ``viewstate``), so a slide, a shared link
and the page's widgets all describe a view the same way. The shipped deck of a locality is its
``data/slides.json``; slides users add go to the configured database (``ktxh_geo.io.db``, table ``slides``, keyed
by the locality's id: by default the SQLite store of ``$KTXH_STATE_DIR``, else PostgreSQL shared by every app
server). A locality's user deck starts as a copy of its shipped deck and replaces it once it exists; a slide added
on one locality never touches another's deck.

The one shared deck of schema version 2 is kept as rows with no locality ("") until the next slide is added (a
``slides.json`` of the older layout in the state folder is imported once, straight into its localities); each such
row belongs to the locality its ``profile``
parameter names, else to the locality whose shipped deck holds the same slide, else to the default locality (a link
without ``profile`` is the default's) — ``_owner`` — and a locality whose share does not start from its own shipped
slides keeps them in front (``_legacy_deck``), alike when reading and when the rows are adopted.

Adding a slide needs a signed-in ``Editor``; it runs in one transaction that locks the ``slides`` counter row
(PostgreSQL; SQLite: ``BEGIN IMMEDIATE``), so concurrent adds from several processes or servers are all kept.
The page states the deck version it showed (``Deck.version``); a slide added since by someone else raises
``Conflict`` (``db.guard``) unless the user chose to add anyway, which the new row records (``overwrote``).
Titles are plain data strings: pages must render them as text, never as Markdown/HTML.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Connection, delete, insert, select

from ktxh_geo.errors import Change, DataError
from ktxh_geo.io import db, schema
from ktxh_geo.settings import state_dir
from ktxh_geo.text import MAX_TITLE_CHARS, within
from ktxh_geo.vocab import Editor, require_office
from ktxh_geo.vocab.profile import DEFAULT_PROFILE, active, available, load

DECK_FILE = "slides.json"
LEGACY = ""  # the locality of rows of the shared deck of schema version 2, until adopted
SUBJECT = "Bộ trang trình chiếu"


class DeckError(DataError, ValueError):
    """A deck file that cannot be read (names the file, slide number and field)."""


@dataclass(frozen=True)
class Slide:
    title: str
    params: dict[str, str]


class Deck(NamedTuple):
    """The deck a page shows: its slides, a message when an old deck file could not be read, and its version
    (0 for the shipped deck), which adding a slide states."""

    slides: list[Slide]
    error: str | None
    version: int


def shipped_deck_path(profile_id: str | None = None) -> Path:
    return (load(profile_id).data_dir if profile_id else active().data_dir) / DECK_FILE


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


def shipped_deck(profile_id: str) -> list[Slide]:
    """The deck shipped with a locality (its data/slides.json)."""
    path = shipped_deck_path(profile_id)
    return parse_deck(path.read_text(encoding="utf-8"), path)


def _legacy(b: db.Backend) -> Path | None:
    """The old user deck file next to the SQLite store, when it is there."""
    if b.folder is None:
        return None
    path = b.folder / DECK_FILE
    return path if path.exists() else None


def _rows(deck: list[Slide], profile_id: str, first: int, who: str, version: int, overwrote: str = "") -> list[dict]:
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    return [
        {
            "profile": profile_id,
            "position": i,
            "title": s.title,
            "params": json.dumps(s.params, ensure_ascii=False),
            "added_by": who,
            "added_at": stamp,
            "deck_version": version,
            "overwrote": overwrote,
        }
        for i, s in enumerate(deck, start=first)
    ]


def _import_legacy(conn: Connection, b: db.Backend) -> None:
    """Import the old ``slides.json`` once (inside a write): a whole user deck, each slide given to its locality
    (``_owner``) unless that locality has a deck already; ``DeckError`` when the file is broken."""
    path = _legacy(b)
    if path is None or schema.legacy_done(conn, DECK_FILE):
        return
    try:
        raw = path.read_bytes()
        deck = parse_deck(raw.decode("utf-8"), path)
    except (OSError, ValueError) as e:
        raise DeckError(str(e) + " — dùng bộ trang trình chiếu mặc định; tệp không bị xóa.") from None
    t, shipped = schema.slides, _shipped_decks()
    for profile_id in dict.fromkeys(_owner(s.title, s.params, shipped) for s in deck):
        if not conn.execute(select(t.c.position).where(t.c.profile == profile_id).limit(1)).first():
            mine = [s for s in deck if _owner(s.title, s.params, shipped) == profile_id]
            conn.execute(insert(t), _rows(mine, profile_id, 1, "", 1))
    db.bump_counter(conn, "slides")
    schema.mark_legacy(conn, DECK_FILE, len(deck), hashlib.sha256(raw).hexdigest())


def _owner(title: str, params: dict[str, str], shipped: dict[str, list[Slide]]) -> str:
    """The locality a row of the old shared deck belongs to (see the module docstring)."""
    named = params.get("profile")
    if named in shipped:
        return str(named)
    slide = Slide(title, params)
    for profile_id, deck in shipped.items():
        if slide in deck:
            return profile_id
    return DEFAULT_PROFILE


def _shipped_decks() -> dict[str, list[Slide]]:
    """Every locality's shipped deck, the default locality first (a broken one is skipped)."""
    out: dict[str, list[Slide]] = {}
    for profile_id in sorted(available(), key=lambda p: p != DEFAULT_PROFILE):
        with contextlib.suppress(DataError, OSError):
            out[profile_id] = shipped_deck(profile_id)
    return out


def _legacy_deck(profile_id: str, legacy: list, shipped: dict[str, list[Slide]]) -> list[dict]:
    """The rows of the old shared deck that belong to ``profile_id``, as rows of its own deck: after its shipped
    slides when the shared deck did not start from them (its users never chose to drop them)."""
    owned = [r._asdict() for r in legacy if _owner(r.title, json.loads(r.params), shipped) == profile_id]
    own_shipped = shipped.get(profile_id, [])
    if owned and not any(Slide(r["title"], json.loads(r["params"])) in own_shipped for r in owned):
        owned = _rows(own_shipped, profile_id, 1, "", 1) + owned
    return [
        {**r, "profile": profile_id, "position": i, "deck_version": max(int(r["deck_version"]), 1)}
        for i, r in enumerate(owned, start=1)
    ]


def _read_deck(conn: Connection, profile_id: str) -> tuple[list[Slide], int, list[dict]]:
    """The locality's stored deck (or its share of the old shared deck), its version, and its rows."""
    t = schema.slides
    rows = [r._asdict() for r in conn.execute(select(t).where(t.c.profile == profile_id).order_by(t.c.position))]
    if not rows:
        legacy = conn.execute(select(t).where(t.c.profile == LEGACY).order_by(t.c.position)).all()
        rows = _legacy_deck(profile_id, legacy, _shipped_decks()) if legacy else []
    slides = [Slide(r["title"], json.loads(r["params"])) for r in rows]
    return slides, max((int(r["deck_version"]) for r in rows), default=0), rows


def _adopt_legacy(conn: Connection) -> None:
    """Give every row of the old shared deck to its locality (inside a write, under the ``slides`` lock)."""
    t = schema.slides
    legacy = conn.execute(select(t).where(t.c.profile == LEGACY).order_by(t.c.position)).all()
    if not legacy:
        return
    shipped = _shipped_decks()
    for profile_id in dict.fromkeys(_owner(r.title, json.loads(r.params), shipped) for r in legacy):
        if not conn.execute(select(t.c.position).where(t.c.profile == profile_id).limit(1)).first():
            conn.execute(insert(t), _legacy_deck(profile_id, legacy, shipped))
    conn.execute(delete(t).where(t.c.profile == LEGACY))


def load_deck(profile_id: str | None = None) -> Deck:
    """The deck of a locality (default: the active one): its user deck if present, else its shipped one.

    An old user deck file that cannot be read falls back to the shipped deck with a message; the file is kept.
    """
    profile_id = profile_id or active().id
    b = db.backend()
    if _legacy(b) is not None and not db.read(b, lambda conn: schema.legacy_done(conn, DECK_FILE), False):
        try:
            db.write(b, lambda conn: _import_legacy(conn, b))
        except DeckError as e:
            return Deck(shipped_deck(profile_id), str(e), 0)
    stored, version, _ = db.read(b, lambda conn: _read_deck(conn, profile_id), ([], 0, []))
    return Deck(stored, None, version) if stored else Deck(shipped_deck(profile_id), None, 0)


def dump_deck(slides: list[Slide]) -> str:
    doc = {"slides": [{"title": s.title, "params": s.params} for s in slides]}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _added_since(rows: list[dict], since: int) -> list[Change]:
    """Slides added to the deck by someone after deck version ``since``: what a ``Conflict`` shows."""
    return [
        Change(int(r["deck_version"]), r["added_by"], r["added_at"], f"trang “{r['title']}” được thêm", (r["title"],))
        for r in rows
        if r["deck_version"] > since and r["added_by"]
    ]


def add_slide(
    slide: Slide,
    editor: Editor,
    *,
    profile_id: str | None = None,
    expected_version: int | None = None,
    overwrite: int | None = None,
) -> int:
    """Append a slide to the locality's user deck (created from its shipped deck) in one transaction; returns the
    deck's new version.

    ``Forbidden`` (nothing written) unless ``editor`` is a signed-in Editor; ``Conflict`` when someone added a
    slide after ``expected_version`` (the ``Deck.version`` the page showed) unless ``overwrite`` covers it;
    ``DeckError`` when an old user deck file is broken (it is left as it is); ``StorageError`` when the store
    cannot be written.
    """
    who = require_office(editor, "thêm trang trình chiếu").name
    title = within(slide.title, MAX_TITLE_CHARS, "Tên trang trình chiếu")
    if not title:
        raise DeckError("Tên trang trình chiếu không được để trống.")
    slide = Slide(title, {str(k): str(v) for k, v in slide.params.items()})
    profile_id = profile_id or active().id
    b = db.backend()

    def run(conn):
        _import_legacy(conn, b)
        counter = db.lock_counter(conn, "slides")  # serialises deck writes on every server
        _adopt_legacy(conn)
        current, version, rows = _read_deck(conn, profile_id)
        found = _added_since(rows, expected_version) if expected_version is not None else []
        overwrote = db.guard(SUBJECT, expected_version, version, found, overwrite)
        new = version + 1
        last = max((int(r["position"]) for r in rows), default=0)
        if not current:  # the locality's first added slide: its deck starts as a copy of the shipped one
            shipped = shipped_deck(profile_id)
            if shipped:
                conn.execute(insert(schema.slides), _rows(shipped, profile_id, 1, "", new))
            last = len(shipped)
        conn.execute(insert(schema.slides), _rows([slide], profile_id, last + 1, who, new, overwrote))
        db.bump_counter(conn, "slides", counter + 1)
        return new

    return db.write(b, run)


def slide_params(slide: Slide, index: int, present: bool) -> dict[str, str]:
    """Query parameters that show ``slide`` (its own state, plus slide index and presentation flag)."""
    params = {k: v for k, v in slide.params.items() if k not in ("slide", "present")}
    params["slide"] = str(index)
    if present:
        params["present"] = "1"
    return params
