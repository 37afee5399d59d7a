"""The commune card panel of the map page: the selected unit's figures, ranks, years, target, objects and origin.

Shown below the map when a unit is selected (search, a map click, ``?commune=``); "In thẻ" makes its one-page PDF
and Word file in the page's own run (a failure is said in Vietnamese), kept in the session for this card.
"""

from __future__ import annotations

import logging

import pandas as pd
import streamlit as st

from ktxh_geo.errors import KtxhError
from ktxh_geo.io.shipped import load_origin, load_province_origin
from ktxh_geo.model.card import CommuneCard, card_notes, commune_card
from ktxh_geo.render.escape import md_text
from ktxh_geo.ui import data as ui
from ktxh_geo.vocab.profile import active

log = logging.getLogger(__name__)
PRINTED = "card_printed"  # session key: {"key": the card printed, "pdf": bytes, "docx": bytes}


def card(code: str, edition: str, where: tuple[tuple[str, str], ...], illustrative: bool, area: str) -> CommuneCard:
    """The card of one unit (cached per profile, unit, edition, area, illustrative toggle and store version)."""
    return _card(active().id, code, edition, tuple(where), illustrative, area, ui.store_version())


@st.cache_data(show_spinner=False, max_entries=64)
def _card(profile_id, code, edition, where, illustrative, area, version) -> CommuneCard:
    return commune_card(
        code,
        edition,
        ui.indicators(),
        ui.values(illustrative),
        ui.communes(edition, where),
        ui.projects(),
        _origin(profile_id),
        illustrative,
        area,
    )


@st.cache_data(show_spinner=False)
def _origin(profile_id: str) -> pd.DataFrame:
    """The units' and (the country) the provinces' origin: codes of 5 and of 2 digits, never the same."""
    return pd.concat([load_origin(), load_province_origin()], ignore_index=True)


def card_panel(code: str, edition: str, where: tuple[tuple[str, str], ...], illustrative: bool, area: str) -> None:
    """The card of ``code`` in a bordered panel (key ``ktxh_card``), with its print buttons."""
    try:
        c = card(code, edition, where, illustrative, area)
    except KeyError:
        return
    with st.container(border=True, key="ktxh_card"):
        st.markdown(f"#### {md_text(c.full_name)} (mã {md_text(c.code)})")
        area = c.area_name[:1].upper() + c.area_name[1:]
        st.caption(f"{md_text(area)} · đơn vị hành chính {md_text(c.edition_label)}")
        if c.predecessors:
            st.markdown(f"**Gồm các đơn vị trước sắp xếp:** {md_text(c.predecessors)}")
        if c.successor:
            st.markdown(f"**Sau sắp xếp thuộc:** {md_text(c.successor)}")
        if c.seat:
            st.markdown(f"**Trụ sở:** {md_text(c.seat)}")
        if c.origin_source:
            st.caption(f"Căn cứ, nguồn: {md_text(c.origin_source)}")
        for f in c.figures:
            with st.container(key=f"card_fig_{f.indicator.id}"):
                unit = f" ({md_text(f.indicator.unit)})" if f.indicator.unit else ""
                parts = [f"**{md_text(f.display)}**"]
                if f.has_value:
                    when = f"năm {f.year_text}" if f.year_text.isdigit() else f.year_text
                    parts.append(md_text(when))
                    parts.append(md_text(f.status_label))
                if f.rank:
                    parts.append(f"hạng {f.rank}/{f.ranked} {md_text(c.unit_words)} (cao → thấp)")
                st.markdown(f"{md_text(f.indicator.name)}{unit}: " + " · ".join(parts))
                with_values = [v for v in f.series if v.value is not None and v.status not in ("missing",)]
                if len(with_values) > 1:
                    chart = pd.DataFrame(
                        {"Năm": [str(v.year) for v in with_values], "Giá trị": [v.value for v in with_values]}
                    )
                    st.bar_chart(chart, x="Năm", y="Giá trị", height=140)
                    st.caption("Các năm: " + md_text(f.years_text))
                if f.target:
                    st.caption(f"Chỉ tiêu kế hoạch: {md_text(f.target)}")
                if f.has_value and f.source:
                    st.caption(f"Nguồn: {md_text(f.source)}")
                elif f.refusal:
                    st.caption(md_text(f.refusal))
        if c.objects:
            st.markdown(f"**Đối tượng trong đơn vị ({len(c.objects)}):**")
            lines = [f"- {md_text(o.name)} — {md_text(o.category)}, {md_text(o.status.lower())}" for o in c.objects]
            st.markdown("\n".join(lines))
        for note in card_notes(c):
            st.caption(md_text(note))
        _print(c)


def _print(c: CommuneCard) -> None:
    """ "In thẻ (PDF, Word)": make both files once, then two download buttons."""
    from ktxh_geo.render.card import card_file_name, render_card_docx, render_card_pdf

    key = (active().id, c)
    printed = st.session_state.get(PRINTED)
    if printed is None or printed["key"] != key:
        slot = st.empty()
        if not slot.button("In thẻ (PDF, Word)", icon=":material/print:", key="card_print"):
            return
        try:
            with st.spinner("Đang tạo bản in…"):
                printed = {"key": key, "pdf": render_card_pdf(c), "docx": render_card_docx(c)}
        except KtxhError as err:
            st.error(f"Không tạo được bản in của thẻ: {md_text(err)}")
            return
        except Exception:  # never a traceback on the page
            log.exception("card print %s failed", c.code)
            st.error("Không tạo được bản in của thẻ: gặp lỗi ngoài dự kiến (đã ghi vào nhật ký máy chủ).")
            return
        slot.empty()
        st.session_state[PRINTED] = printed
    col1, col2 = st.columns(2)
    col1.download_button(
        f"Tải {card_file_name(c, 'pdf')}",
        printed["pdf"],
        file_name=card_file_name(c, "pdf"),
        mime="application/pdf",
        on_click="ignore",
        icon=":material/download:",
        key="card_pdf",
    )
    col2.download_button(
        f"Tải {card_file_name(c, 'docx')}",
        printed["docx"],
        file_name=card_file_name(c, "docx"),
        mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        on_click="ignore",
        icon=":material/download:",
        key="card_docx",
    )
