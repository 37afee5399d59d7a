"""The small Streamlit layer: cached data access per locality profile. Pages stay thin.

Every cached function is keyed by the active profile's id (a session may switch locality) and, for what
users write, by the store's version: a save here, in another session, on another server or by the CLI
changes the version, so the next run reads fresh values.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st

from ktxh_geo.errors import StorageError
from ktxh_geo.io import shipped as load
from ktxh_geo.model.thematic import MapRequest, ThematicMap, build
from ktxh_geo.render.escape import md_text
from ktxh_geo.vocab.indicators import Indicator
from ktxh_geo.vocab.profile import active

UNAVAILABLE = "kho-khong-truy-cap-duoc"  # the cache key of the shipped data alone, while the store is down
STORE_DOWN = "_ktxh_store_down"  # session: the message of the last failed store read
_last_good: dict[str, str] = {}  # per process: the last store version read, so its cached data keeps being shown


def store_version() -> str:
    """A cheap key of what users have saved (figures, locations, slides): it changes on any write, here, in
    another session, on another app server or by the CLI, so the next rerun reads fresh data.

    While the store cannot be read, the key of the last data this process had (shown from the cache), else
    ``UNAVAILABLE`` (the shipped data alone); ``store_notice`` says so on the page. One failed read per run is
    enough: later calls in the same run do not wait for the database again (``store_notice`` starts each run).
    """
    from ktxh_geo.io.store import state_version

    if STORE_DOWN in st.session_state:
        return _last_good.get("version", UNAVAILABLE)
    try:
        version = state_version()
    except StorageError as err:
        st.session_state[STORE_DOWN] = str(err)
        return _last_good.get("version", UNAVAILABLE)
    _last_good["version"] = version
    return version


def store_notice() -> None:
    """Once per run, at the top of every page: while the store is down, that the map shows the data it had and
    saving is unavailable; on the first run after it is back, that a failed save can be tried again."""
    was_down = st.session_state.pop(STORE_DOWN, None)
    store_version()
    if STORE_DOWN in st.session_state:
        st.warning(
            f"{md_text(st.session_state[STORE_DOWN])} Bản đồ và các trang vẫn hiển thị số liệu đã có; tạm thời "
            "chưa lưu được thay đổi nào."
        )
    elif was_down:
        st.info("Kho dữ liệu đã hoạt động trở lại. Nếu vừa lưu không được, hãy thử lưu lại.")


def indicators() -> dict[str, Indicator]:
    return _indicators(active().id)


@st.cache_data(show_spinner=False)
def _indicators(profile_id: str) -> dict[str, Indicator]:
    return load.load_indicators()


def values(include_illustrative: bool) -> pd.DataFrame:
    """Shipped values plus the figures entered in the app (``io.store``); the shipped ones alone while the store
    cannot be read."""
    try:
        return _values(active().id, include_illustrative, store_version())
    except StorageError as err:
        st.session_state[STORE_DOWN] = str(err)
        return _values(active().id, include_illustrative, UNAVAILABLE)


@st.cache_data(show_spinner=False, max_entries=8)
def _values(profile_id: str, include_illustrative: bool, version: str) -> pd.DataFrame:
    return load.load_values(include_illustrative, include_entered=version != UNAVAILABLE)


def communes(edition: str | None = None, where: tuple[tuple[str, str], ...] = ()) -> gpd.GeoDataFrame:
    """Units of an edition of the active profile (``where``: a drill-down filter such as one province)."""
    return _communes(active().id, edition or active().default_edition, tuple(where))


@st.cache_data(show_spinner=False, max_entries=64)
def _communes(profile_id: str, edition: str, where: tuple[tuple[str, str], ...]) -> gpd.GeoDataFrame:
    return load.load_communes(edition, where=dict(where))


def geometry_url(edition: str | None = None, where: tuple[tuple[str, str], ...] = ()) -> str:
    """URL of the edition's display geometry as a static file (written once; rewritten if it went missing)."""
    from ktxh_geo.settings import STATIC_DIR

    key = (active().id, edition or active().default_edition, tuple(where))
    url = _geometry_url(*key)
    if not (STATIC_DIR / url.removeprefix("/app/static/")).exists():
        _geometry_url.clear()
        url = _geometry_url(*key)
    return url


@st.cache_data(show_spinner=False, max_entries=64)
def _geometry_url(profile_id: str, edition: str, where: tuple[tuple[str, str], ...]) -> str:
    from ktxh_geo.render.geometry import publish

    name = "-".join([profile_id, edition, *(v for _, v in where)])
    tolerance = 5.0 if active().kind == "district" else 50.0  # province/national layers are generalised at 50 m
    return publish(name, communes(edition, where), tolerance_m=tolerance, metric_crs=active().metric_crs)


def outline_url(province: str | None = None) -> str:
    """URL of the outline as a static file (as ``geometry_url``): the map page's script carries only its URL."""
    return _static(_outline_url, active().id, province)


@st.cache_data(show_spinner=False, max_entries=64)
def _outline_url(profile_id: str, province: str | None) -> str:
    from ktxh_geo.render.geometry import publish

    name = "-".join([profile_id, "outline", *([province] if province else [])])
    return publish(name, outline(province), tolerance_m=_tolerance(), metric_crs=active().metric_crs)


def overlay_urls() -> tuple[str, ...]:
    """URLs of the overlays (``overlays()``, same order) as static files."""
    return _static(_overlay_urls, active().id)


@st.cache_data(show_spinner=False)
def _overlay_urls(profile_id: str) -> tuple[str, ...]:
    from ktxh_geo.render.geometry import publish

    return tuple(
        publish(f"{profile_id}-overlay-{i}", shape, tolerance_m=_tolerance(), metric_crs=active().metric_crs)
        for i, (_, shape) in enumerate(overlays())
    )


def _tolerance() -> float:
    return 5.0 if active().kind == "district" else 50.0  # province/national layers are generalised at 50 m


def _static(cached, *key):
    """A cached function's static URL(s), computed again when a file went missing (a cleaned cache folder)."""
    from ktxh_geo.settings import STATIC_DIR

    urls = cached(*key)
    many = urls if isinstance(urls, tuple) else (urls,)
    if not all((STATIC_DIR / u.removeprefix("/app/static/")).exists() for u in many):
        cached.clear()
        urls = cached(*key)
    return urls


def outline(province: str | None = None) -> gpd.GeoDataFrame:
    """The area's outline, or (``province``, national profile) that province's."""
    return _outline(active().id, province)


@st.cache_data(show_spinner=False, max_entries=64)
def _outline(profile_id: str, province: str | None) -> gpd.GeoDataFrame:
    return load.load_outline(province=province)


def map_labels() -> tuple[tuple[str, float, float], ...]:
    """The profile's fixed map labels as (text, lon, lat) (the archipelagos on a map of the country)."""
    return _map_labels(active().id)


@st.cache_data(show_spinner=False)
def _map_labels(profile_id: str) -> tuple[tuple[str, float, float], ...]:
    return tuple(load.load_map_labels())


def overlays() -> list[tuple[str, gpd.GeoDataFrame]]:
    return _overlays(active().id)


@st.cache_data(show_spinner=False)
def _overlays(profile_id: str) -> list[tuple[str, gpd.GeoDataFrame]]:
    return load.load_overlays()


def history_table() -> pd.DataFrame:
    """Old unit → interim unit → new commune, one row per old unit (cached per profile)."""
    return _history_table(active().id)


@st.cache_data(show_spinner=False)
def _history_table(profile_id: str) -> pd.DataFrame:
    from ktxh_geo.model.crosswalk import history_table

    return history_table()


def units() -> pd.DataFrame:
    return _units(active().id)


@st.cache_data(show_spinner=False)
def _units(profile_id: str) -> pd.DataFrame:
    return load.load_units()


def projects() -> gpd.GeoDataFrame:
    """The project register with the planners' saved location edits (the shipped one while the store is down)."""
    try:
        return _projects(active().id, store_version())
    except StorageError as err:
        st.session_state[STORE_DOWN] = str(err)
        return _projects(active().id, UNAVAILABLE)


@st.cache_data(show_spinner=False, max_entries=4)
def _projects(profile_id: str, version: str) -> gpd.GeoDataFrame:
    from ktxh_geo.io.register import load_register

    return load_register(include_edits=version != UNAVAILABLE)


def thematic(request: MapRequest) -> ThematicMap:
    """The thematic map of one request (cached per profile, request and store version)."""
    return _thematic(active().id, request, store_version())


@st.cache_data(show_spinner=False, max_entries=256)
def _thematic(profile_id: str, request: MapRequest, version: str) -> ThematicMap:
    edition = request.edition or active().default_edition
    return build(request, indicators(), values(request.illustrative), communes(edition, request.where))


# Streamlit's own words in a file uploader are English ("Upload", "200MB per file • XLSX"): shown in Vietnamese.
_UPLOADER_CSS = """
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { font-size: 0; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "Chọn tệp"; font-size: 0.875rem; }
[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0; }
[data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: "hoặc kéo thả tệp vào đây"; font-size: 0.8rem; }
"""


# On a phone a wide table shows one column; such tables are also written as cards, and CSS shows one of the two.
PHONE = "(max-width: 640px)"
_PHONE_CSS = f"""
@media {PHONE} {{ h1 {{ font-size: 1.7rem !important; }} [class*="st-key-tbl_"] {{ display: none; }} }}
@media not all and {PHONE} {{ [class*="st-key-cards_"] {{ display: none; }} }}
"""


def page_style() -> None:
    """Larger base font for projectors; keep Streamlit's own chrome minimal and its words Vietnamese; on a phone,
    smaller page titles and cards instead of wide tables."""
    st.markdown(
        "<style>.block-container{padding-top:2.2rem;} footer{visibility:hidden;}"
        + _UPLOADER_CSS
        + _PHONE_CSS
        + "</style>",
        unsafe_allow_html=True,
    )


def table(frame: pd.DataFrame, key: str, title: str, max_cards: int = 200, **dataframe_args) -> None:
    """A table as ``st.dataframe`` on a screen and as cards on a phone (``title``: the column heading each card;
    the other non-empty columns as "header: value" lines). Over ``max_cards`` rows the phone gets the table."""
    from ktxh_geo.render.escape import md_text

    if len(frame) > max_cards:
        st.dataframe(frame, **dataframe_args)
        return
    with st.container(key=f"tbl_{key}"):
        st.dataframe(frame, **dataframe_args)
    with st.container(key=f"cards_{key}"):
        lines = []
        for row in frame.to_dict("records"):
            rest = [
                f"{md_text(k)}: {md_text(v)}" for k, v in row.items() if k != title and v is not None and str(v).strip()
            ]
            lines.append(f"**{md_text(row[title])}**  \n" + " · ".join(rest))
        st.markdown("\n\n".join(lines))


def file_uploader(label: str, types: list[str], key: str, max_bytes: int):
    """``st.file_uploader`` whose instructions say, in Vietnamese, the real limit and the accepted types.

    The browser's own limit is ``server.maxUploadSize`` (1 MB above the largest real limit): a file just over a
    limit reaches the app, which refuses it in Vietnamese naming the file and the limit; the browser refuses only a
    file far too large or of another type, and its English words are replaced with a Vietnamese line."""
    from ktxh_geo.text import format_number

    mb = format_number(max_bytes / 1024 / 1024, 0)
    kinds = ", ".join(t.upper() for t in types)
    st.markdown(
        f"<style>.st-key-{key} [data-testid='stFileUploaderDropzoneInstructions'] span::after "
        f"{{ content: 'hoặc kéo thả tệp vào đây · tối đa {mb} MB · {kinds}'; }}"
        f".st-key-{key} [data-testid='stFileChip']:has([data-testid='stFileChipIconError'])::after "
        f"{{ content: 'Không nhận tệp này: chỉ nhận {kinds}, tối đa {mb} MB.'; color: #b00020; font-size: 0.8rem; }}"
        "</style>",
        unsafe_allow_html=True,
    )
    return st.file_uploader(label, type=types, key=key)


def whole_area_label() -> str:
    """The "all of it" choice of a drill-down: "Toàn quốc — 34 tỉnh, thành phố" (from the profile)."""
    profile = active()
    base = profile.editions[profile.base_edition]
    return f"{profile.area_name[:1].upper() + profile.area_name[1:]} — {base.n_units} {base.unit_words}"


def province_selector(key: str) -> str | None:
    """A national profile's "Tỉnh, thành phố" choice kept in ``?province=`` (a link's choice wins over the widget);
    None for the whole country or a profile without drill-down."""
    from ktxh_geo.render.escape import md_text

    profile = active()
    if not profile.drill_down:
        return None
    names = dict(zip(*(communes(profile.base_edition)[c] for c in ("code", "full_name")), strict=True))
    wanted = st.query_params.get("province", "")
    if wanted and wanted not in names:
        st.warning(f"Không có tỉnh, thành phố mã “{md_text(wanted)}”; hiện {md_text(profile.area_name)}.")
        wanted = ""
    if st.session_state.get(f"_{key}_url") != wanted:
        st.session_state[key] = wanted
        st.session_state[f"_{key}_url"] = wanted
    label = profile.editions[profile.base_edition].unit_words.capitalize()
    everything = whole_area_label()
    chosen = st.selectbox(label, ["", *names], key=key, format_func=lambda c: names.get(c, everything))
    if chosen != wanted:
        st.session_state[f"_{key}_url"] = chosen
        if chosen:
            st.query_params["province"] = chosen
        else:
            del st.query_params["province"]
    return chosen or None


def area_name(province: str | None = None) -> str:
    """The area shown, as in a sentence: "tỉnh X" (one province of the country) or the profile's area."""
    if not province:
        return active().area_name
    name = str(communes(active().base_edition).set_index("code").at[province, "full_name"])
    return name[:1].lower() + name[1:]


PROFILE_KEY = "_ktxh_profile"
PROFILE_WIDGET = "v_profile"


def _kept_on_switch(key: str) -> bool:
    """Session keys that outlive a locality switch: the locality itself, the signed-in editor, the store's state."""
    from ktxh_geo.ui.auth import SESSION_KEY

    return key in (PROFILE_KEY, PROFILE_WIDGET, RUNS_KEY, STORE_DOWN) or key.startswith(SESSION_KEY)


def choose_profile() -> str | None:
    """Make the session's locality profile active for this run: ``?profile=`` in the URL wins, then the
    session's last choice, then the default. Returns a notice for an unknown id (the default is used).

    Switching locality forgets everything the pages kept for the last one (widgets, views, uploads), except
    the signed-in editor: nothing of one locality shows on another.
    """
    from ktxh_geo.errors import DataError
    from ktxh_geo.vocab.profile import DEFAULT_PROFILE, available, set_active

    wanted = st.query_params.get("profile") or st.session_state.get(PROFILE_KEY) or DEFAULT_PROFILE
    notice = None
    if wanted not in available():
        notice = f"Không có địa phương “{wanted}”; dùng “{available()[DEFAULT_PROFILE]}”."
        wanted = DEFAULT_PROFILE
    try:
        set_active(wanted)
    except DataError as err:
        notice, wanted = str(err), DEFAULT_PROFILE
        set_active(wanted)
    if st.session_state.get(PROFILE_KEY) not in (None, wanted):  # another locality: forget the last one's state
        for key in [k for k in st.session_state if not _kept_on_switch(str(k))]:
            del st.session_state[key]
    st.session_state[PROFILE_KEY] = wanted
    st.session_state[PROFILE_WIDGET] = wanted
    return notice


def keep_profile_in_url() -> None:
    """Put ``?profile=`` in the address bar of a page that does not write its own parameters (the default
    locality stays out of links), so a copied link opens the same locality."""
    from ktxh_geo.vocab.profile import DEFAULT_PROFILE, active

    chosen = active().id
    if chosen != DEFAULT_PROFILE and st.query_params.get("profile") != chosen:
        st.query_params["profile"] = chosen


def _switch_profile() -> None:
    """The locality selector's callback: the chosen locality with its own defaults (the URL keeps only it)."""
    from ktxh_geo.vocab.profile import DEFAULT_PROFILE

    chosen = st.session_state[PROFILE_WIDGET]
    st.session_state[PROFILE_KEY] = chosen
    st.query_params.from_dict({"profile": chosen} if chosen != DEFAULT_PROFILE else {})


def profile_selector() -> None:
    """The one locality selector of the app ("Địa phương"), in the sidebar of every page."""
    from ktxh_geo.vocab.profile import available

    profiles = available()
    st.sidebar.selectbox(  # its value is the session's locality (``choose_profile`` sets it)
        "Địa phương",
        list(profiles),
        format_func=lambda p: profiles.get(p, p),
        key=PROFILE_WIDGET,
        on_change=_switch_profile,
        help="Huyện, tỉnh hoặc toàn quốc: mọi trang, bản đồ và tệp xuất theo địa phương đã chọn.",
    )


class PageEnd(Exception):
    """Raised by ``end_page``; app.py ends the page there and still closes the run."""


def end_page():
    """End the page here (instead of ``st.stop()``, after which nothing — not even the run's end mark — is drawn)."""
    raise PageEnd


RUNS_KEY = "_ktxh_runs"


def run_done() -> None:
    """Mark the end of a script run: an empty element ``[data-ktxh-run=N]`` (N counts this session's runs)."""
    n = st.session_state.get(RUNS_KEY, 0) + 1
    st.session_state[RUNS_KEY] = n
    st.sidebar.html(f'<span data-ktxh-run="{n}" hidden></span>')  # the sidebar: no gap under the page


UNEXPECTED = "Đã có lỗi không mong muốn khi hiển thị trang này. Hãy tải lại trang; nếu lỗi còn, báo cho quản trị viên."


def show_error(err: Exception) -> None:
    """A Vietnamese message for an error of a page or a fragment; a bug's traceback goes to the log only."""
    import logging

    from ktxh_geo.errors import KtxhError
    from ktxh_geo.render.escape import md_text

    if isinstance(err, KtxhError):  # expected: its message is for the user, already free of internals
        st.error(md_text(err))
    else:
        logging.getLogger("ktxh_geo").error("Lỗi không mong muốn khi chạy trang", exc_info=err)
        st.error(UNEXPECTED)


def fragment(func):
    """``st.fragment`` that runs with the session's locality and shows errors in Vietnamese: a fragment's
    rerun skips app.py, where both are set up."""
    import functools

    from ktxh_geo.vocab.profile import set_active

    @functools.wraps(func)
    def run(*args, **kwargs):
        set_active(st.session_state.get(PROFILE_KEY))
        try:
            return func(*args, **kwargs)
        except PageEnd:
            pass
        except Exception as err:  # st.stop() and st.rerun() raise BaseExceptions: they pass through
            show_error(err)

    return st.fragment(run)
