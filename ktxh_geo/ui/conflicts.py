"""No silent overwrite on screen: the version a form was read at, and the choice when someone saved meanwhile.

Every form that writes (figures imported or edited, a restore, a location, a footprint, a slide) keeps, in the
session, the version it showed when the user started changing it (``basis``: read again while the form is
untouched, ``fresh``; kept from the first change on), passes it to the write as ``expected_version``, and on a
``Conflict`` calls ``refused``. ``choice`` then shows, above the form's save button, the Vietnamese message (who
changed what, when), a table of the changes, and two buttons: reload the newest data (the form's own state is
cleared) or save over it — the form saves again with ``overwrite`` = the version shown, which the history records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd
import streamlit as st

from ktxh_geo.errors import Conflict, vn_time
from ktxh_geo.render.escape import md_text
from ktxh_geo.text import printable

PIN = "_ktxh_basis_"
PENDING = "_ktxh_conflict_"


def basis(form: str, read: Callable[[], int], *, fresh: bool) -> int:
    """The version form ``form`` was read at: ``read()`` while the form is ``fresh`` (nothing changed on it yet)
    or first shown, then kept until it is saved or reloaded."""
    if fresh or PIN + form not in st.session_state:
        st.session_state[PIN + form] = int(read())
    return st.session_state[PIN + form]


def refused(form: str, conflict: Conflict) -> None:
    """Keep the conflict of the last save of ``form``, for ``choice`` to show (until reload or a save)."""
    st.session_state[PENDING + form] = conflict


def saved(form: str) -> None:
    """The form was saved: forget its version (the next display reads the new one) and any conflict."""
    st.session_state.pop(PIN + form, None)
    st.session_state.pop(PENDING + form, None)


def changes_table(conflict: Conflict) -> pd.DataFrame:
    """The changes made meanwhile, one row each: what, who, when (Vietnam time), details."""
    return pd.DataFrame(
        {
            "Thay đổi": [printable(c.what) for c in conflict.changes],
            "Người lưu": [printable(c.who) for c in conflict.changes],
            "Lúc (giờ Việt Nam)": [vn_time(c.when) for c in conflict.changes],
            "Chi tiết": [printable("; ".join(c.details)) for c in conflict.changes],
        }
    )


def choice(
    form: str,
    *,
    table: Callable[[Conflict], pd.DataFrame] = changes_table,
    clear: Iterable[str] = (),
    verb: str = "Lưu đè",
) -> int | None:
    """Show the pending conflict of ``form`` with its two buttons; returns the version to save over when the user
    has just chosen to, else None. "Tải lại" forgets the conflict, the form's version and the session keys in
    ``clear`` (the form's widgets), then reruns the page with the newest data."""
    conflict = st.session_state.get(PENDING + form)
    if not isinstance(conflict, Conflict):
        return None
    if st.session_state.get(f"{form}-overwrite"):  # pressed in the last run: save over it, show the old no more
        st.session_state.pop(PENDING + form, None)
        return conflict.current
    if st.session_state.get(f"{form}-reload"):
        saved(form)
        for key in clear:
            st.session_state.pop(key, None)
        st.rerun()
    st.warning(md_text(str(conflict)))
    st.dataframe(table(conflict), hide_index=True, width="stretch", key=f"{form}-conflict-table")
    left, right = st.columns(2)
    left.button("Tải lại số liệu mới nhất", key=f"{form}-reload", icon=":material/refresh:")
    label = f"{verb} (ghi vào lịch sử là lưu đè)"
    right.button(label, key=f"{form}-overwrite", type="primary", icon=":material/save_as:")
    return None
