"""Who may enter figures: Streamlit's OIDC sign-in (``st.login``) when [auth] is configured in secrets,
otherwise the password list of [editors]; with neither, editing is disabled (never open).

secrets.toml::

    [editors]                      # python -m ktxh_geo hash-password NAME
    "nguyen.van.a" = "pbkdf2_sha256$600000$…$…"

    [auth]                         # Streamlit OIDC (redirect_uri, cookie_secret, client_id, …)
    [auth_editors]
    emails = ["a@yenthe.bacgiang.gov.vn"]   # signed-in users allowed to edit
"""

from __future__ import annotations

import streamlit as st

from .auth import check_editor

SESSION_KEY = "ktxh_editor"
DISABLED = (
    "Chức năng nhập và sửa số liệu đang tắt vì chưa cấu hình tài khoản biên tập "
    "(mục [editors] hoặc [auth] trong .streamlit/secrets.toml; xem README). Xem số liệu không cần đăng nhập."
)


def _secrets() -> dict:
    try:
        return st.secrets.to_dict()
    except Exception:  # no secrets file at all: Streamlit raises instead of returning {}
        return {}


def editing_configured() -> bool:
    sec = _secrets()
    return bool(sec.get("auth")) or bool(sec.get("editors"))


def editor() -> str | None:
    """The signed-in editor's name (showing sign-in/out widgets), or None when editing is not allowed."""
    sec = _secrets()
    if sec.get("auth"):
        return _oidc_editor(sec)
    editors = sec.get("editors") or {}
    if not editors:
        st.info(DISABLED)
        return None
    name = st.session_state.get(SESSION_KEY)
    if name and name in editors:
        cols = st.columns([4, 1])
        cols[0].success(f"Đang đăng nhập với quyền biên tập: {name}")
        if cols[1].button("Đăng xuất", key="logout"):
            del st.session_state[SESSION_KEY]
            st.rerun()
        return name
    with st.form("editor_login"):
        st.markdown("**Đăng nhập để nhập hoặc sửa số liệu** (xem bản đồ không cần đăng nhập)")
        user = st.text_input("Tên đăng nhập")
        password = st.text_input("Mật khẩu", type="password")
        submitted = st.form_submit_button("Đăng nhập")
    if submitted:
        if check_editor(user, password, editors):
            st.session_state[SESSION_KEY] = user.strip()
            st.rerun()
        st.error("Tên đăng nhập hoặc mật khẩu không đúng.")
    return None


def _oidc_editor(sec: dict) -> str | None:
    allowed = {e.strip().lower() for e in (sec.get("auth_editors") or {}).get("emails", [])}
    if not st.user.get("is_logged_in", False):
        st.button("Đăng nhập (tài khoản tổ chức)", on_click=st.login, key="oidc_login")
        return None
    email = str(st.user.get("email") or "").lower()
    cols = st.columns([4, 1])
    cols[1].button("Đăng xuất", on_click=st.logout, key="oidc_logout")
    if email not in allowed:
        cols[0].warning(f"Tài khoản {email or '(không rõ email)'} chưa được cấp quyền biên tập ([auth_editors]).")
        return None
    cols[0].success(f"Đang đăng nhập với quyền biên tập: {email}")
    return email
