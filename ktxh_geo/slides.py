"""Prepared views ("slides") for meetings: a deck of map states stored as JSON.

A slide is a title plus the map page's query parameters (see ``viewstate``), so a slide, a shared link
and the page's widgets all describe a view the same way. The shipped deck is ``data/slides.json``;
slides the user adds go to ``$KTXH_STATE_DIR/slides.json`` (default ``./var/``, git-ignored), which
starts as a copy of the shipped deck. A broken user deck is reported and left untouched on disk.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .paths import data_dir, state_dir

DECK_FILE = "slides.json"


@dataclass(frozen=True)
class Slide:
    title: str
    params: dict[str, str]


def shipped_deck_path() -> Path:
    return data_dir() / DECK_FILE


def user_deck_path() -> Path:
    return state_dir() / DECK_FILE


def parse_deck(text: str, path: Path) -> list[Slide]:
    """Parse a deck; raise ``ValueError`` naming the file, slide number and field on bad input."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise ValueError(f"{path}: dòng {e.lineno}: JSON không hợp lệ ({e.msg})") from None
    items = doc.get("slides") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise ValueError(f"{path}: cần một đối tượng có khóa “slides” là danh sách")
    slides = []
    for i, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not isinstance(item.get("title"), str) or not item["title"].strip():
            raise ValueError(f"{path}: trang {i}: trường “title” phải là chuỗi không rỗng")
        params = item.get("params")
        if not isinstance(params, dict) or not all(isinstance(v, str | int | float) for v in params.values()):
            raise ValueError(f"{path}: trang {i}: trường “params” phải là đối tượng {{tên: giá trị}}")
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


def add_slide(slide: Slide) -> Path:
    """Append a slide to the user deck (created from the deck in use) and write it atomically."""
    slides, error = load_deck()
    if error:
        raise ValueError(error)
    path = user_deck_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(dump_deck([*slides, slide]), encoding="utf-8")
    tmp.replace(path)
    return path


def slide_params(slide: Slide, index: int, present: bool) -> dict[str, str]:
    """Query parameters that show ``slide`` (its own state, plus slide index and presentation flag)."""
    params = {k: v for k, v in slide.params.items() if k not in ("slide", "present")}
    params["slide"] = str(index)
    if present:
        params["present"] = "1"
    return params
