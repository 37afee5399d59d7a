"""Sign-in that cannot be turned against editors (issue 17): canonical names, lock per (name, client), rate
limits before any PBKDF2 work, throttling that survives a store that cannot be written, session fingerprints."""

from __future__ import annotations

import hashlib
import time
import unicodedata
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from ktxh_geo.errors import Forbidden, StorageError
from ktxh_geo.io import store
from ktxh_geo.model import auth

PASSWORD = "mat-khau-dung-1"
EDITORS = {"editor1": auth.hash_password(PASSWORD, 1_000), "Nguyễn Văn An": auth.hash_password(PASSWORD, 1_000)}
T0 = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
EDITOR_PC, STRANGER = "10.0.0.5", "203.0.113.9"


@pytest.fixture
def pbkdf2_calls(monkeypatch):
    """How many PBKDF2 computations ran (each one is the CPU cost an attacker wants the server to pay)."""
    calls = []
    real = hashlib.pbkdf2_hmac

    def spy(name, password, salt, iterations):
        calls.append(iterations)
        return real(name, password, salt, iterations)

    monkeypatch.setattr(auth.hashlib, "pbkdf2_hmac", spy)
    return calls


def test_names_are_compared_in_one_canonical_form():
    same = ["editor1", "  EDITOR1 ", "Editor1\u200b", "ｅｄｉｔｏｒ１", "editor1\t"]
    assert {auth.canonical_name(n) for n in same} == {"editor1"}
    decomposed = unicodedata.normalize("NFD", "Nguyễn  Văn   An")
    assert auth.canonical_name(decomposed) == auth.canonical_name("nguyễn văn an") == "nguyễn văn an"
    assert auth.configured_name(" NGUYỄN VĂN AN ", EDITORS) == "Nguyễn Văn An"  # the identity recorded
    assert auth.check_editor(decomposed, PASSWORD, EDITORS)
    # two configured names that are one once normalised: neither can sign in (a mistake to fix, not to guess)
    clash = {"An": EDITORS["editor1"], "an ": EDITORS["editor1"]}
    assert auth.configured_name("an", clash) is None and not auth.check_editor("An", PASSWORD, clash)


def test_a_strangers_failures_do_not_lock_the_editor_out_of_their_own_machine(state):
    for i in range(5):  # the attack: five wrong passwords for "EDITOR1 " (another case, a trailing space)
        with pytest.raises(Forbidden):
            auth.sign_in("EDITOR1 ", "sai", EDITORS, client=STRANGER, now=T0 + timedelta(seconds=i))
    # the stranger's machine is locked for that name, even with the right password
    with pytest.raises(Forbidden, match="Tạm khóa đăng nhập với tên này trên máy này"):
        auth.sign_in("editor1", PASSWORD, EDITORS, client=STRANGER, now=T0 + timedelta(minutes=1))
    # the editor, on their own machine, signs in; and again after the stranger repeats every 15 minutes
    assert auth.sign_in("editor1", PASSWORD, EDITORS, client=EDITOR_PC, now=T0 + timedelta(minutes=1)).name == "editor1"
    for round_ in range(1, 4):
        for i in range(5):
            with pytest.raises(Forbidden):
                auth.sign_in(
                    "editor1", "sai", EDITORS, client=STRANGER, now=T0 + timedelta(minutes=15 * round_, seconds=i)
                )
        at = T0 + timedelta(minutes=15 * round_ + 1)
        assert auth.sign_in(" Editor1", PASSWORD, EDITORS, client=EDITOR_PC, now=at).name == "editor1"


def test_the_editors_own_failures_still_lock_their_machine(state):
    for i in range(5):
        with pytest.raises(Forbidden):
            auth.sign_in("editor1", "sai", EDITORS, client=EDITOR_PC, now=T0 + timedelta(seconds=i))
    with pytest.raises(Forbidden, match="Tạm khóa"):
        auth.sign_in("EDITOR1", PASSWORD, EDITORS, client=EDITOR_PC, now=T0 + timedelta(minutes=5))
    assert auth.is_locked("editor1", client=EDITOR_PC, now=T0 + timedelta(minutes=5))
    assert not auth.is_locked("editor1", client=STRANGER, now=T0 + timedelta(minutes=5))


def test_per_client_rate_limit_stops_before_any_password_work(state, pbkdf2_calls):
    attempts = auth.Attempts()
    for i in range(auth.CLIENT_ATTEMPTS):  # different names: the lock-out alone would not stop this
        with pytest.raises(Forbidden, match="không đúng"):
            auth.sign_in(f"ten-{i}", "sai", EDITORS, client=STRANGER, attempts=attempts, now=T0)
    assert len(pbkdf2_calls) == auth.CLIENT_ATTEMPTS
    with pytest.raises(auth.RateLimited, match="Quá nhiều lần đăng nhập từ máy này .*thử lại sau 5 phút"):
        auth.sign_in("editor1", PASSWORD, EDITORS, client=STRANGER, attempts=attempts, now=T0)
    assert len(pbkdf2_calls) == auth.CLIENT_ATTEMPTS  # refused without PBKDF2
    assert auth.sign_in("editor1", PASSWORD, EDITORS, client=EDITOR_PC, attempts=attempts, now=T0).name == "editor1"


def test_three_tabs_flooding_cost_at_most_the_global_budget(state, pbkdf2_calls):
    """The issue's case: three anonymous tabs making 150 attempts a minute (53 CPU-seconds of PBKDF2)."""
    attempts = auth.Attempts()
    refused = 0
    started = time.monotonic()
    for i in range(150):
        client = f"198.51.100.{i % 50}"  # tabs behind many addresses, so the per-client limit alone is not enough
        try:
            auth.sign_in(f"ten-{i}", "sai", EDITORS, client=client, attempts=attempts, now=T0)
        except auth.RateLimited:
            refused += 1
        except Forbidden:
            pass
    assert len(pbkdf2_calls) == auth.GLOBAL_ATTEMPTS and refused == 150 - auth.GLOBAL_ATTEMPTS
    assert time.monotonic() - started < 30
    with pytest.raises(auth.RateLimited, match="Máy chủ đang nhận quá nhiều lần đăng nhập"):
        auth.sign_in("editor1", PASSWORD, EDITORS, client=EDITOR_PC, attempts=attempts, now=T0)


def test_rate_limit_window_slides(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: clock[0])
    attempts = auth.Attempts()
    for _ in range(auth.CLIENT_ATTEMPTS):
        attempts.admit(STRANGER)
    with pytest.raises(auth.RateLimited):
        attempts.admit(STRANGER)
    clock[0] += auth.CLIENT_WINDOW.total_seconds() + 1
    attempts.admit(STRANGER)  # the window has passed


def test_throttling_does_not_depend_on_a_write_succeeding(state, monkeypatch):
    def refuse(*_a, **_k):
        raise StorageError("Thư mục lưu trạng thái chỉ cho đọc; không ghi được.")

    monkeypatch.setattr(store, "record_failure", refuse)
    monkeypatch.setattr(store, "clear", refuse)
    for i in range(5):
        with pytest.raises(Forbidden, match="không đúng|Tạm khóa"):
            auth.sign_in("editor1", "sai", EDITORS, client=STRANGER, now=T0 + timedelta(seconds=i))
    with pytest.raises(Forbidden, match="Tạm khóa"):  # counted in memory: still locked
        auth.sign_in("editor1", PASSWORD, EDITORS, client=STRANGER, now=T0 + timedelta(minutes=1))
    # the right password on another machine signs in although nothing can be written
    assert auth.sign_in("editor1", PASSWORD, EDITORS, client=EDITOR_PC, now=T0 + timedelta(minutes=1)).name


def test_a_store_that_cannot_be_read_fails_closed_with_its_message(state, monkeypatch, pbkdf2_calls):
    def down(*_a, **_k):
        raise StorageError("Không kết nối được cơ sở dữ liệu; hãy thử lại sau.")

    monkeypatch.setattr(store, "failures", down)
    with pytest.raises(StorageError, match="Không kết nối được cơ sở dữ liệu"):
        auth.sign_in("editor1", PASSWORD, EDITORS, client=EDITOR_PC, now=T0)
    assert pbkdf2_calls == []


def test_typed_lengths_are_capped_before_any_work(state, pbkdf2_calls):
    with pytest.raises(Forbidden, match="Tên đăng nhập dài quá 100 ký tự"):
        auth.sign_in("a" * 101, PASSWORD, EDITORS, client=STRANGER)
    with pytest.raises(Forbidden, match="Mật khẩu dài quá 1.024 ký tự"):
        auth.sign_in("editor1", "x" * 1025, EDITORS, client=STRANGER)
    assert pbkdf2_calls == [] and store.failures("a" * 101, since=T0) == []


def test_entry_fingerprint_changes_with_the_password_or_the_entry():
    fp = auth.entry_fingerprint("editor1", EDITORS)
    assert fp and fp == auth.entry_fingerprint(" EDITOR1", EDITORS)
    changed = {**EDITORS, "editor1": auth.hash_password("mat-khau-moi-2", 1_000)}
    assert auth.entry_fingerprint("editor1", changed) != fp
    assert auth.entry_fingerprint("editor1", {"Nguyễn Văn An": EDITORS["Nguyễn Văn An"]}) is None
    renamed = {"Editor1": EDITORS["editor1"], "Nguyễn Văn An": EDITORS["Nguyễn Văn An"]}
    assert auth.entry_fingerprint("editor1", renamed) != fp


def test_client_id_uses_the_proxy_header_only_when_configured(monkeypatch):
    from ktxh_geo.ui import auth as ui_auth

    fake = SimpleNamespace(
        context=SimpleNamespace(
            ip_address="127.0.0.2", headers={"X-Real-IP": "203.0.113.7", "X-Forwarded-For": "1.2.3.4, 198.51.100.8"}
        )
    )
    monkeypatch.setattr(ui_auth, "st", fake)
    monkeypatch.delenv("KTXH_CLIENT_IP_HEADER", raising=False)
    assert ui_auth.client_id() == "127.0.0.2"  # a visitor's own header is ignored unless the proxy is declared
    monkeypatch.setenv("KTXH_CLIENT_IP_HEADER", "X-Real-IP")
    assert ui_auth.client_id() == "203.0.113.7"
    monkeypatch.setenv("KTXH_CLIENT_IP_HEADER", "X-Forwarded-For")
    assert ui_auth.client_id() == "198.51.100.8"  # the address the proxy appended, not one the visitor typed
