"""Streamlit glue for the map page's view state: URL <-> widgets, presentation mode, slide keys.

The parse/serialise rules live in ``viewstate`` (pure, unit-tested); this module only moves a
``ViewState`` into widget keys (when the URL changed from outside: a link, a slide, the back button)
and the widgets' values back into ``st.query_params`` (when the user changed a widget).
"""

from __future__ import annotations

import re
from dataclasses import replace

import streamlit as st

from ktxh_geo.model.viewstate import MAX_BREAKS, Options, ViewState, shipped_options
from ktxh_geo.ui import data as ui

# Widget keys of the map page (session_state), one per ViewState field shown as a widget.
W = {
    "indicator": "v_indicator",
    "edition": "v_edition",
    "illustrative": "v_illustrative",
    "year": "v_year",
    "scheme": "v_scheme",
    "k": "v_k",
    "breaks": "v_breaks",
    "layers": "v_layers",
    "basemap": "v_basemap",
    "present": "v_present",
    "contrast": "v_contrast",
    "query": "v_query",
    "commune": "v_pick",
}
_APPLIED = "_vs_applied"  # the params last written to / read from the URL (minus centre/zoom)
_VIEW = "_vs_view"  # (center, zoom) or None
_NOTICES = "_vs_notices"
COMMUNE = "_vs_commune"  # the selected commune (kept while the search widgets are not shown)


def view_options() -> Options:
    """What the active profile's data allows in a view (cached per profile)."""
    from ktxh_geo.ui import data
    from ktxh_geo.vocab.profile import active

    data.store_version()  # notes whether the store can be read in this run
    return _view_options(active().id, data.STORE_DOWN not in st.session_state)


@st.cache_data(show_spinner=False)
def _view_options(profile_id: str, store_readable: bool) -> Options:
    """Cached per profile, and apart while the store is down (then from the shipped values only)."""
    from ktxh_geo.ui import data

    return shipped_options(values=data.values(True))


def breaks_text(breaks: tuple[float, ...] | None) -> str:
    return "; ".join(f"{b:g}".replace(".", ",") for b in breaks or ())


_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?", re.ASCII)


def parse_breaks(text: str) -> tuple[float, ...] | None:
    """ "1,5; 3; 5" -> (1.5, 3.0, 5.0); raise ValueError on anything that is not a plain finite number,
    and on more than ``MAX_BREAKS`` thresholds ("nan", "inf", "1e309", "1_000" are refused)."""
    parts = [t.strip() for t in text.split(";") if t.strip()]
    if any(not _NUMBER.fullmatch(t) for t in parts):
        raise ValueError("not a plain number")
    out = tuple(sorted({float(t.replace(",", ".")) for t in parts}))
    if len(out) > MAX_BREAKS:
        raise ValueError("too many thresholds")
    return out or None


def _without_view(params: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in params.items() if k not in ("center", "zoom")}


def apply_url(opts: Options) -> ViewState:
    """Read the URL; if it changed from outside since the last run, push its state into the widgets.

    An empty query string (coming back from another page) keeps the last view. Returns the state read.
    """
    params = st.query_params.to_dict()
    last = st.session_state.get(_APPLIED)
    source = params if params else (last or {})
    state, notices = ViewState.from_params(source, opts)
    widgets_missing = W["indicator"] not in st.session_state
    if _without_view(source) != last or widgets_missing:
        _to_widgets(state, opts)
        st.session_state[_APPLIED] = _without_view(source)
        st.session_state[_NOTICES] = notices if params else []
    if "center" in source or "zoom" in source or _without_view(source) != last:
        st.session_state[_VIEW] = (state.center, state.zoom) if state.center else None
    return state


def _to_widgets(state: ViewState, opts: Options) -> None:
    ss = st.session_state
    ss[W["indicator"]] = state.indicator
    ss[W["edition"]] = state.edition
    ss[W["illustrative"]] = state.illustrative
    ss[W["year"]] = state.year
    ind = opts.indicators[state.indicator]
    default_scheme = ind.scheme or "natural_breaks"
    ss[W["scheme"]] = state.scheme or default_scheme
    ss[W["k"]] = state.k
    ss[W["breaks"]] = breaks_text(state.breaks or ind.breaks)
    ss[W["layers"]] = list(state.layers)
    ss[W["basemap"]] = state.basemap
    ss[W["present"]] = state.present
    ss[W["contrast"]] = state.contrast
    ss[W["commune"]] = state.commune
    ss[COMMUNE] = state.commune
    ss[W["query"]] = ui.communes(state.edition).set_index("code").at[state.commune, "name"] if state.commune else ""
    ss["_vs_slide"] = state.slide


def current_view() -> tuple[tuple[float, float] | None, float | None]:
    view = st.session_state.get(_VIEW)
    return view if view else (None, None)


def clear_view() -> None:
    """Forget an explicit centre/zoom (the map fits the district or the selected commune again)."""
    st.session_state[_VIEW] = None


def notices() -> list[str]:
    return st.session_state.get(_NOTICES, [])


def write_url(state: ViewState) -> None:
    """Write the state to the URL if it differs (no rerun; the address bar becomes a shareable link)."""
    center, zoom = current_view()
    state = replace(state, center=center, zoom=zoom)
    params = state.to_params()
    st.session_state[_APPLIED] = _without_view(params)
    if st.query_params.to_dict() != params:
        st.query_params.from_dict(params)


PRESENT_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stMainMenu"], footer { display: none !important; }
.block-container, [data-testid="stMainBlockContainer"] { padding: 0 !important; max-width: 100% !important; }
[data-testid="stAppViewContainer"] > section, .stMain { padding: 0 !important; }
iframe[title*="streamlit_folium"] { position: fixed !important; inset: 0; z-index: 990;
  height: 100vh !important; width: 100vw !important; display: block; }
.st-key-ktxh_slidebar { position: fixed; left: 12px; bottom: 40px; z-index: 1000;
  width: auto !important;
  background: rgba(255,255,255,.92); border-radius: 6px; padding: 4px 8px; box-shadow: 0 1px 6px rgba(0,0,0,.35); }
.st-key-ktxh_slidebar p { font-size: 18px; }
.st-key-ktxh_notices { position: fixed; left: 50%; top: 8px; transform: translateX(-50%); z-index: 1001; }
</style>
"""


def presentation_chrome() -> None:
    """Hide the sidebar and Streamlit chrome; the map iframe fills the viewport."""
    st.markdown(PRESENT_CSS, unsafe_allow_html=True)


_KEYS_JS = """
<script>
(function () {
  const doc = window.parent.document;
  const NEXT = ["ArrowRight", "PageDown"], PREV = ["ArrowLeft", "PageUp"];
  function click(key) {
    const b = doc.querySelector(".st-key-" + key + " button");
    if (b && !b.disabled) b.click();
  }
  function onKey(e) {
    const t = e.target, tag = (t && t.tagName) || "";
    if (/^(INPUT|TEXTAREA|SELECT)$/.test(tag) || (t && t.isContentEditable)) return;
    if (t && t.closest && t.closest('[role="slider"],[role="listbox"],[role="combobox"]')) return;
    if (NEXT.includes(e.key)) { e.preventDefault(); click("slide_next"); }
    else if (PREV.includes(e.key)) { e.preventDefault(); click("slide_prev"); }
    else if (e.key === "Escape") { click("present_exit"); }
  }
  // One listener on the app page, replaced on each run (this iframe may be recreated).
  if (window.parent.__ktxhKeys) doc.removeEventListener("keydown", window.parent.__ktxhKeys, true);
  window.parent.__ktxhKeys = onKey;
  doc.addEventListener("keydown", onKey, true);
})();
</script>
"""


def slide_keys() -> None:
    """Arrow keys and a presenter clicker's PageUp/PageDown click the previous/next slide buttons."""
    st.iframe(_KEYS_JS, height=1)
