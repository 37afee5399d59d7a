"""The slide deck on the map page: the deck shown (the shipped one while the store is down) and adding a slide.

Adding states the deck version shown when the user began typing the title (``ui.conflicts``): a slide someone else
added meanwhile is shown with who and when, and the user reloads or adds anyway (recorded as such).
"""

from __future__ import annotations

import streamlit as st

from ktxh_geo.errors import Conflict, KtxhError, StorageError
from ktxh_geo.model import slides
from ktxh_geo.render.escape import md_text
from ktxh_geo.text import MAX_TITLE_CHARS
from ktxh_geo.ui import conflicts
from ktxh_geo.ui import data as ui
from ktxh_geo.vocab import Editor
from ktxh_geo.vocab.profile import active

FORM = "slide-add"
TITLE = "slide_new_title"


def deck() -> slides.Deck:
    """The active locality's deck; its shipped deck while the store cannot be read (the page's notice says so)."""
    try:
        return slides.load_deck()
    except StorageError as err:
        st.session_state[ui.STORE_DOWN] = str(err)
        return slides.Deck(slides.shipped_deck(active().id), None, 0)


def add_form(shown: slides.Deck, editor: Editor | None) -> str | None:
    """The title box and the add button (inside the deck's expander); the title when the button was pressed."""
    title = st.text_input(
        "Tên trang mới", placeholder="ví dụ: Tỷ lệ hộ nghèo năm 2023", key=TITLE, max_chars=MAX_TITLE_CHARS
    ).strip()
    conflicts.basis(FORM, lambda: shown.version, fresh=not title)
    clicked = st.button(
        "Thêm khung nhìn hiện tại vào bộ trình chiếu",
        disabled=not title or editor is None,
        help=None if editor else "Cần đăng nhập với quyền biên tập (trang “Nhập số liệu”).",
    )
    return title if clicked else None


def save(title: str | None, editor: Editor | None) -> None:
    """After the page is drawn (the URL holds the whole view): add the view as a slide, or show the conflict left
    by the last attempt with its two choices, in the sidebar."""
    with st.sidebar:
        overwrite = conflicts.choice(FORM, clear=[TITLE], verb="Vẫn thêm trang")
        if overwrite:
            title = str(st.session_state.get(TITLE) or "").strip()
        if not title:
            return
        try:
            slides.add_slide(
                slides.Slide(title, st.query_params.to_dict()),
                editor,
                expected_version=conflicts.basis(FORM, lambda: 0, fresh=False),
                overwrite=overwrite,
            )
        except Conflict as err:
            conflicts.refused(FORM, err)
            st.rerun()
        except KtxhError as err:
            st.error(f"Không lưu được trang trình chiếu: {md_text(err)}")
            return
        conflicts.saved(FORM)
        st.success(f"Đã thêm “{md_text(title)}” vào bộ trình chiếu.")
