"""Prepared views ("slides") for meetings: a deck of map states stored as JSON.

A slide is a title plus the map page's query parameters (see ``viewstate``), so a slide, a shared link
and the page's widgets all describe a view the same way. The shipped deck is ``data/slides.json``;
slides the user adds go to ``$KTXH_STATE_DIR/slides.json`` (default ``./var/``, git-ignored), which
starts as a copy of the shipped deck. A broken user deck is reported and left untouched on disk.

Adding a slide needs a signed-in ``Editor``; it re-reads the deck under an exclusive lock (``fcntl.flock`` on
``.slides.lock`` in the state folder) and writes it atomically (temporary file in the same folder, fsync,
``os.replace``), so concurrent adds from several processes are all kept. Titles are plain data strings: pages
must render them as text, never as Markdown/HTML.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ktxh_geo.errors import DataError
from ktxh_geo.io.store import storage_error
from ktxh_geo.model.auth import Editor, require_editor
from ktxh_geo.settings import data_dir, state_dir

DECK_FILE = "slides.json"
LOCK_FILE = ".slides.lock"


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


def load_deck() -> tuple[list[Slide], str | None]:
    """The deck in use (user deck if present, else the shipped one) and an error message, if any.

    A user deck that cannot be read falls back to the shipped deck with a message; the file is kept.
    """
    user = user_deck_path()
    if user.exists():
        try:
            return parse_deck(user.read_text(encoding="utf-8"), user), None
        except (OSError, ValueError) as e:
            error = str(e) + " — dùng bộ trang trình chiếu mặc định; tệp không bị xóa."
            return parse_deck(shipped_deck_path().read_text(encoding="utf-8"), shipped_deck_path()), error
    return parse_deck(shipped_deck_path().read_text(encoding="utf-8"), shipped_deck_path()), None


def dump_deck(slides: list[Slide]) -> str:
    doc = {"slides": [{"title": s.title, "params": s.params} for s in slides]}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Exclusive lock shared by every process adding slides in ``folder``."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fh = open(folder / LOCK_FILE, "a")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise storage_error(exc, folder) from exc
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def add_slide(slide: Slide, editor: Editor) -> Path:
    """Append a slide to the user deck (created from the deck in use) and write it atomically.

    ``Forbidden`` (nothing written) unless ``editor`` is a signed-in Editor; ``DeckError`` when the user deck
    is broken (it is left as it is); ``StorageError`` naming the state folder when it cannot be written.
    """
    require_editor(editor)
    title = str(slide.title or "").strip()
    if not title:
        raise DeckError("Tên trang trình chiếu không được để trống.")
    slide = Slide(title, {str(k): str(v) for k, v in slide.params.items()})
    path = user_deck_path()
    with _locked(path.parent):
        slides, error = load_deck()  # re-read under the lock: another process may just have added one
        if error:
            raise DeckError(error)
        try:
            _write_atomic(path, dump_deck([*slides, slide]))
        except OSError as exc:
            raise storage_error(exc, path.parent) from exc
    return path


def slide_params(slide: Slide, index: int, present: bool) -> dict[str, str]:
    """Query parameters that show ``slide`` (its own state, plus slide index and presentation flag)."""
    params = {k: v for k, v in slide.params.items() if k not in ("slide", "present")}
    params["slide"] = str(index)
    if present:
        params["present"] = "1"
    return params
