"""Sign-in on a page (AppTest, issue 17): a session ends when the editor's entry changes; OIDC needs a verified
email; the form says its length limits."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ktxh_geo.model.auth import MAX_NAME_CHARS, hash_password
from ktxh_geo.render.escape import md_text
from ktxh_geo.ui import auth as ui_auth

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "views/nhap_lieu.py"
PASSWORD = "mat-khau-dai-1"
OIDC = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret",
    "client_id": "ktxh",
    "client_secret": "s",
    "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
}


pytestmark = pytest.mark.usefixtures("state")


def _page(secrets: dict, user: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in secrets.items():
        at.secrets[k] = v
    if user is not None:
        at.user = user
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


def _sign_in(at: AppTest, name: str, password: str = PASSWORD) -> AppTest:
    inputs = {t.label: t for t in at.text_input}
    inputs["Tên đăng nhập"].input(name)
    inputs["Mật khẩu"].input(password)
    next(b for b in at.button if b.label == "Đăng nhập").click()
    at.run()
    assert not at.exception, at.exception
    return at


def test_session_ends_when_the_password_changes_and_names_are_canonical():
    at = _page({"editors": {"an": hash_password(PASSWORD, 1_000)}})
    inputs = {t.label: t for t in at.text_input}
    assert inputs["Tên đăng nhập"].max_chars == MAX_NAME_CHARS and inputs["Mật khẩu"].max_chars
    at = _sign_in(at, "  AN ")  # the same editor, typed otherwise
    assert any("Đang đăng nhập với quyền biên tập: an" in s.value for s in at.success)
    assert at.session_state[ui_auth.SESSION_KEY].name == "an"
    at.run()
    assert any("Đang đăng nhập" in s.value for s in at.success)  # unchanged entry: still signed in
    at.secrets["editors"] = {"an": hash_password("mat-khau-moi-2", 1_000)}  # the administrator changes it
    at.run()
    assert not at.exception, at.exception
    assert not any("Đang đăng nhập" in s.value for s in at.success)
    assert any(ui_auth.ENDED == w.value for w in at.warning)
    assert ui_auth.SESSION_KEY not in at.session_state and not at.get("file_uploader")
    at = _sign_in(at, "an", "mat-khau-moi-2")
    assert any("Đang đăng nhập" in s.value for s in at.success)


def test_session_ends_when_the_editor_is_removed():
    at = _sign_in(
        _page({"editors": {"an": hash_password(PASSWORD, 1_000), "binh": hash_password(PASSWORD, 1_000)}}), "an"
    )
    assert any("Đang đăng nhập" in s.value for s in at.success)
    at.secrets["editors"] = {"binh": hash_password(PASSWORD, 1_000)}
    at.run()
    assert not any("Đang đăng nhập" in s.value for s in at.success) and not at.get("file_uploader")


@pytest.mark.parametrize("verified", [False, None, "false"])
def test_oidc_needs_a_verified_email(verified):
    user = {"is_logged_in": True, "email": "a@example.vn"}
    if verified is not None:
        user["email_verified"] = verified
    at = _page({"auth": OIDC, "auth_editors": {"emails": ["a@example.vn"]}}, user)
    assert any(f"Email {md_text('a@example.vn')} {ui_auth.UNVERIFIED}." == w.value for w in at.warning)
    assert not at.get("file_uploader") and ui_auth.SESSION_KEY not in at.session_state


def test_oidc_with_a_verified_listed_email_may_edit():
    user = {"is_logged_in": True, "email": "A@Example.vn", "email_verified": True}
    at = _page({"auth": OIDC, "auth_editors": {"emails": ["a@example.vn"]}}, user)
    assert any(f"Đang đăng nhập với quyền biên tập: {md_text('a@example.vn')}" == s.value for s in at.success)
    assert at.get("file_uploader")


def test_the_slide_title_form_says_its_limit():
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("views/ban_do.py")
    at.run()
    title = next(t for t in at.text_input if t.label == "Tên trang mới")
    assert title.max_chars == 120  # the field counts "13/120" as one types


def test_the_source_field_says_its_limit():
    from import_corpus import csv_bytes

    at = _sign_in(_page({"editors": {"an": hash_password(PASSWORD, 1_000)}}), "an")
    at.selectbox(key="up-year").set_value(2023).run()
    rows = [["Tên xã", "Tỷ lệ hộ nghèo (%)"], ["Đông Sơn", "1,75"]]
    at.file_uploader(key="upload").set_value(("ho_ngheo.csv", csv_bytes(rows), "text/csv")).run()
    assert not at.exception, at.exception
    source = next(t for t in at.text_input if t.label.startswith("Nguồn số liệu"))
    assert source.max_chars == 500
