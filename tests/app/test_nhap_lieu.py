"""The "Nhập số liệu" page (AppTest): editing needs a signed-in editor; upload → report → fix → confirm."""

import json
from pathlib import Path

import pytest
from import_corpus import csv_bytes
from streamlit.testing.v1 import AppTest

from ktxh_geo.io import store
from ktxh_geo.model.auth import check_editor, hash_password, signed_in, verify_password

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "views/nhap_lieu.py"
PASSWORD = "mat-khau-dai-1"
EDITORS = {"an": hash_password(PASSWORD, 1_000)}
AN = signed_in("an", "password")


pytestmark = pytest.mark.usefixtures("state")


def _page(secrets: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in (secrets or {}).items():
        at.secrets[k] = v
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


def _login(at: AppTest, name="an", password=PASSWORD) -> AppTest:
    inputs = {t.label: t for t in at.text_input}
    inputs["Tên đăng nhập"].input(name)
    inputs["Mật khẩu"].input(password)
    next(b for b in at.button if b.label == "Đăng nhập").click()
    at.run()
    assert not at.exception, at.exception
    return at


def _save_two_versions():
    for value in (1.0, 2.0):
        cell = store.Cell("poverty_rate", "07273", "2020-2024", 2023, value)
        store.save(
            [cell],
            editor=signed_in("an", "password"),
            source=f"nguồn {value}",
            action="import",
            dataset="poverty_rate",
            year=2023,
        )


def test_password_hashes_verify_and_reject():
    encoded = hash_password("đúng rồi", 2_000)
    assert encoded.startswith("pbkdf2_sha256$2000$") and verify_password("đúng rồi", encoded)
    assert not verify_password("sai", encoded) and not verify_password("đúng rồi", "plain-text")
    assert hash_password("x", 1_000) != hash_password("x", 1_000)  # salted
    assert check_editor("an", PASSWORD, EDITORS) and not check_editor("bình", PASSWORD, EDITORS)
    assert not check_editor("an", "", EDITORS)


def test_without_configuration_editing_is_disabled_not_open():
    _save_two_versions()
    at = _page()
    assert any("đang tắt" in i.value for i in at.info)
    assert not at.get("file_uploader") and not at.text_input
    assert not any("Khôi phục" in b.label for b in at.button)
    assert len(at.get("download_button")) == 1  # templates stay available to everyone


def test_wrong_password_is_refused():
    at = _login(_page({"editors": EDITORS}), password="sai-mat-khau")
    assert any("không đúng" in e.value for e in at.error)
    assert not at.get("file_uploader")


def test_restore_needs_an_editor_and_creates_a_version():
    _save_two_versions()
    at = _page({"editors": EDITORS})
    changes = next(df.value for df in at.dataframe if "Trước" in df.value.columns)
    assert changes.to_dict("records") == [
        {"Chỉ tiêu": "Tỷ lệ hộ nghèo", "Đơn vị": "Xã Đông Sơn", "Năm": 2023, "Trước": "1", "Sau": "2"}
    ]
    at.selectbox(key="history-version").set_value(1).run()
    assert not any("Khôi phục" in b.label for b in at.button)
    at = _login(at)
    at.selectbox(key="history-version").set_value(1).run()
    at.button(key="restore").click().run()
    assert not at.exception
    assert store.latest_version() == 3 and store.snapshot()["value"].tolist() == [1.0]
    assert store.versions().iloc[0]["user"] == "an"


def test_upload_report_fix_and_confirm_updates_the_map():
    at = _login(_page({"editors": EDITORS}))
    assert any("an" in s.value for s in at.success)
    at.selectbox(key="up-year").set_value(2023).run()
    rows = [["Tên xã", "Tỷ lệ hộ nghèo (%)"], ["xa dong son", "1,75"], ["Đồng Tiếng", "3,5"], ["TT Bố Hạ", "0,5"]]
    at.file_uploader(key="upload").set_value(("ra_soat.csv", csv_bytes(rows), "text/csv")).run()
    assert not at.exception, at.exception
    assert any("1 lỗi" in e.value for e in at.error)
    report = next(df.value for df in at.dataframe if "Vấn đề" in df.value.columns)
    assert "không tìm thấy xã “Đồng Tiếng”" in " ".join(report["Vấn đề"])
    assert not any(b.label == "Xác nhận và lưu" for b in at.button)  # nothing can be saved yet

    fix = next(s for s in at.selectbox if "Đồng Tiếng" in s.label)
    assert fix.options[1].startswith("Xã Đồng Tiến")  # the suggestion comes first
    fix.set_value("07243").run()
    assert any("3 giá trị" in s.value for s in at.success)
    confirm = next(b for b in at.button if b.label == "Xác nhận và lưu")
    assert confirm.disabled  # a source is required
    next(t for t in at.text_input if t.label.startswith("Nguồn số liệu")).input("Báo cáo rà soát hộ nghèo 2023").run()
    next(b for b in at.button if b.label == "Xác nhận và lưu").click().run()
    assert any("Đã lưu phiên bản 1" in s.value for s in at.success)
    snap = store.snapshot().set_index("code")
    assert snap.loc[["07243", "07273", "07294"], "value"].tolist() == [3.5, 1.75, 0.5]

    at.switch_page("views/ban_do.py").run()
    at.sidebar.selectbox(key="v_indicator").set_value("poverty_rate").run()
    comps = [c for c in at.get("component_instance") if c.proto.component_name.endswith("st_folium")]
    args = json.loads(comps[0].proto.json_args)
    script = args["script"] + (args.get("feature_group") or "")  # base map and its restyle (issue 24)
    assert "1,75 %" in script and "Báo cáo rà soát hộ nghèo 2023" in script
    assert "3,50 %" in script and "0,50 %" in script
    assert not any("minh họa" in w.value for w in at.warning)


def test_oidc_configured_but_signed_out_offers_sign_in_and_no_editing():
    auth = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "test-cookie-secret",
        "client_id": "ktxh",
        "client_secret": "s",
        "server_metadata_url": "https://idp.example/.well-known/openid-configuration",
    }
    at = _page({"auth": auth, "auth_editors": {"emails": ["a@example.vn"]}})
    assert any(b.label == "Đăng nhập (tài khoản tổ chức)" for b in at.button)
    assert not at.get("file_uploader") and not at.text_input
    assert not any("đang tắt" in i.value for i in at.info)


def test_hash_password_cli_prints_a_secrets_line():
    import subprocess
    import sys
    import tomllib

    run = subprocess.run(
        [sys.executable, "-m", "ktxh_geo", "hash-password", "nguyen.van.a", "--iterations", "1000"],
        input="mot-mat-khau\n",
        capture_output=True,
        text=True,
        check=True,
    )
    line = run.stdout.splitlines()[-1]
    entry = tomllib.loads(line)["nguyen.van.a"]
    assert entry.startswith("pbkdf2_sha256$1000$") and verify_password("mot-mat-khau", entry)
    short = subprocess.run(
        [sys.executable, "-m", "ktxh_geo", "hash-password", "x"], input="ngan\n", capture_output=True, text=True
    )
    assert short.returncode == 1 and "8 ký tự" in short.stderr


def test_sign_in_locks_after_five_wrong_passwords():
    at = _page({"editors": EDITORS})
    for _ in range(5):
        at = _login(at, password="sai-mat-khau")
    assert any("Tạm khóa đăng nhập" in e.value and "giờ Việt Nam" in e.value for e in at.error)
    at = _login(at)  # the right password is refused while locked
    assert any("Tạm khóa đăng nhập" in e.value for e in at.error)
    assert not at.get("file_uploader") and "ktxh_editor" not in at.session_state
