"""Who may enter figures: Streamlit's OIDC sign-in (``st.login``) when [auth] is configured in secrets,
otherwise the password list of [editors]; with neither, editing is disabled (never open).

secrets.toml::

    [editors]                      # python -m ktxh_geo hash-password NAME
    "nguyen.van.a" = "pbkdf2_sha256$600000$…$…"

    [auth]                         # Streamlit OIDC (redirect_uri, cookie_secret, client_id, …)
    [auth_editors]
    emails = ["a@yenthe.bacgiang.gov.vn"]   # signed-in users allowed to edit (their email must be verified)

A password session keeps a fingerprint of the editor's entry and ends on the first run after the entry changes
(new password, editor removed or renamed). Failed passwords and the rate limits are counted per client: the
connection's IP address (``st.context.ip_address``). Behind a reverse proxy every connection comes from the
proxy, so set ``KTXH_CLIENT_IP_HEADER`` to the header the proxy sets to the visitor's address (nginx:
``proxy_set_header X-Real-IP $remote_addr;`` and ``KTXH_CLIENT_IP_HEADER=X-Real-IP``); the proxy must overwrite
that header, never pass on one a visitor sent. For ``X-Forwarded-For`` the last address (the one the proxy
added) is used.
"""

from __future__ import annotations

import streamlit as st

from ktxh_geo.errors import Forbidden, KtxhError
from ktxh_geo.model.auth import (
    MAX_NAME_CHARS,
    MAX_PASSWORD_CHARS,
    Editor,
    entry_fingerprint,
    require_editor,
    scope_of,
    sign_in,
    signed_in,
)
from ktxh_geo.render.escape import md_text
from ktxh_geo.settings import client_ip_header

SESSION_KEY = "ktxh_editor"
ENTRY_KEY = "ktxh_editor_entry"  # fingerprint of the editor's [editors] entry at sign-in
ENDED_KEY = "ktxh_editor_ended"  # a session just ended because the entry changed (said once)
ENDED = "Phiên đăng nhập đã kết thúc vì tài khoản biên tập vừa được thay đổi (mật khẩu hoặc tên); hãy đăng nhập lại."
UNVERIFIED = "chưa được nhà cung cấp đăng nhập xác minh (email_verified), nên chưa được cấp quyền biên tập"
DISABLED = (
    "Chức năng nhập và sửa số liệu đang tắt vì chưa có tài khoản biên tập. Để được cấp quyền nhập và sửa số liệu, "
    "hãy liên hệ quản trị hệ thống. Xem số liệu không cần đăng nhập."
)


def _secrets() -> dict:
    try:
        return st.secrets.to_dict()
    except Exception:  # no secrets file at all: Streamlit raises instead of returning {}
        return {}


def editing_configured() -> bool:
    sec = _secrets()
    return bool(sec.get("auth")) or bool(sec.get("editors"))


def _allowed_emails(sec: dict) -> set[str]:
    return {str(e).strip().lower() for e in (sec.get("auth_editors") or {}).get("emails", [])}


def client_id() -> str:
    """Who is signing in, for throttling: the visitor's IP address ("" on the server itself)."""
    header = client_ip_header()
    if header:
        value = str(st.context.headers.get(header) or "")
        value = value.rsplit(",", 1)[-1].strip()  # X-Forwarded-For: the address the proxy added
        if value:
            return value[:64]
    return str(st.context.ip_address or "")[:64]


def _email_verified() -> bool:
    verified = st.user.get("email_verified")
    return verified is True or str(verified).lower() == "true"


def _oidc_identity(sec: dict) -> Editor | None:
    """The OIDC-signed-in user as an Editor when listed in [auth_editors] with a verified email (no widgets)."""
    if not st.user.get("is_logged_in", False):
        return None
    email = str(st.user.get("email") or "").strip().lower()
    if not email or email not in _allowed_emails(sec) or not _email_verified():
        return None
    return signed_in(email, "oidc", scope_of(email, sec.get("editor_scopes")))


def _session_editor(sec: dict) -> Editor | None:
    """The Editor kept in the session after a password sign-in, while its [editors] entry is unchanged."""
    ed = st.session_state.get(SESSION_KEY)
    try:
        ed = require_editor(ed)
    except Forbidden:
        return None
    if ed.method != "password":
        return None
    kept = st.session_state.get(ENTRY_KEY)
    changed_scope = ed.scope != scope_of(ed.name, sec.get("editor_scopes"))
    if kept is None or kept != entry_fingerprint(ed.name, sec.get("editors") or {}) or changed_scope:
        st.session_state.pop(SESSION_KEY, None)
        st.session_state.pop(ENTRY_KEY, None)
        st.session_state[ENDED_KEY] = True
        return None
    return ed


def current_editor() -> Editor | None:
    """The signed-in Editor from the session only (no widgets): for pages that show the sign-in elsewhere."""
    sec = _secrets()
    if sec.get("auth"):
        ed = _oidc_identity(sec)
        if ed is not None:
            st.session_state[SESSION_KEY] = ed
        return ed
    return _session_editor(sec) if sec.get("editors") else None


def editor() -> Editor | None:
    """The signed-in Editor (showing sign-in/out widgets), or None when editing is not allowed.

    The Editor is built with ``auth.signed_in`` only after the password (``auth.sign_in``, with lock-out after
    repeated failures) or the OIDC provider confirmed who it is, and is kept in ``st.session_state``.
    """
    sec = _secrets()
    if sec.get("auth"):
        return _oidc_editor(sec)
    editors = sec.get("editors") or {}
    if not editors:
        st.session_state.pop(SESSION_KEY, None)
        st.info(DISABLED)
        return None
    ed = _session_editor(sec)
    if ed is not None:
        cols = st.columns([4, 1])
        cols[0].success(f"Đang đăng nhập với quyền biên tập: {md_text(ed.name)}{_scope_words(ed)}")
        if cols[1].button("Đăng xuất", key="logout"):
            st.session_state.pop(SESSION_KEY, None)
            st.rerun()
        return ed
    st.session_state.pop(SESSION_KEY, None)
    if st.session_state.pop(ENDED_KEY, False):
        st.warning(ENDED)
    with st.form("editor_login"):
        st.markdown("**Đăng nhập để nhập hoặc sửa số liệu** (xem bản đồ không cần đăng nhập)")
        user = st.text_input("Tên đăng nhập", max_chars=MAX_NAME_CHARS)
        password = st.text_input("Mật khẩu", type="password", max_chars=MAX_PASSWORD_CHARS)
        submitted = st.form_submit_button("Đăng nhập")
    if submitted:
        try:
            ed = sign_in(user, password, editors, client=client_id(), scopes=sec.get("editor_scopes"))
        except KtxhError as err:  # wrong password, locked name, rate limit, or the store cannot be read
            st.error(str(err))
            return None
        st.session_state[SESSION_KEY] = ed
        st.session_state[ENTRY_KEY] = entry_fingerprint(ed.name, editors)
        st.rerun()
    return None


def _scope_words(ed: Editor) -> str:
    """ " (báo cáo của xã: 07210, 07228)" for a commune's reporter; nothing for the office."""
    if ed.scope is None:
        return ""
    return f" (người báo cáo của đơn vị: {md_text(', '.join(sorted(ed.scope)) or 'chưa được giao đơn vị nào')})"


def _oidc_editor(sec: dict) -> Editor | None:
    if not st.user.get("is_logged_in", False):
        st.session_state.pop(SESSION_KEY, None)
        st.button("Đăng nhập (tài khoản tổ chức)", on_click=st.login, key="oidc_login")
        return None
    email = str(st.user.get("email") or "").strip().lower()
    cols = st.columns([4, 1])
    cols[1].button("Đăng xuất", on_click=st.logout, key="oidc_logout")
    ed = _oidc_identity(sec)
    if ed is None:
        st.session_state.pop(SESSION_KEY, None)
        who = md_text(email) or "(không rõ email)"
        if email and email in _allowed_emails(sec) and not _email_verified():
            cols[0].warning(f"Email {who} {UNVERIFIED}.")
        else:
            cols[0].warning(f"Tài khoản {who} chưa được cấp quyền biên tập ([auth_editors]).")
        return None
    st.session_state[SESSION_KEY] = ed
    cols[0].success(f"Đang đăng nhập với quyền biên tập: {md_text(ed.name)}{_scope_words(ed)}")
    return ed
