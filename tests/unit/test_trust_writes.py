"""Writes trust only a signed-in editor; storage failures give one clear message; sign-in lock-out; slides race."""

import errno
import hashlib
import multiprocessing
import re
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from import_corpus import csv_bytes
from shapely.geometry import Point

from ktxh_geo.__main__ import main
from ktxh_geo.errors import Forbidden, InputError, KtxhError, StorageError
from ktxh_geo.io import failures, store
from ktxh_geo.io import register as register_store
from ktxh_geo.model import auth, slides
from ktxh_geo.model.auth import Editor, signed_in

AN = signed_in("an", "password")
FORGED = [None, Editor("an", "password"), Editor("an", "cli", object()), "an"]
CODES = ["07243", "07246", "07249"]
WRITE = "Không ghi được vào kho dữ liệu trong thư mục trạng thái (KTXH_STATE_DIR): "  # never the folder's path
READ = "Không đọc được kho dữ liệu trong thư mục trạng thái (KTXH_STATE_DIR): "


def _cells(value):
    return [store.Cell("poverty_rate", c, "2020-2024", 2023, value) for c in CODES]


def _save(value, path=None, editor=AN):
    return store.save(
        _cells(value), editor=editor, source=f"nguồn {value}", action="import", dataset="poverty_rate", path=path
    )


def _digest(folder: Path) -> dict:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- 1. every write needs a signed-in Editor


@pytest.mark.parametrize("who", FORGED, ids=["none", "hand-made", "fake-proof", "typed-name"])
def test_anonymous_writes_are_refused_and_change_nothing(state, who):
    _save(1.0)
    register_store.save_location("cho_bo_ha", Point(106.19, 21.44), AN, action="set_point", input_text="")
    slides.add_slide(slides.Slide("Trang 1", {"indicator": "poverty_rate"}), AN)
    before = _digest(state)
    with pytest.raises(Forbidden, match="đăng nhập"):
        _save(2.0, editor=who)
    with pytest.raises(Forbidden, match="đăng nhập"):
        store.restore(1, editor=who)
    with pytest.raises(Forbidden, match="đăng nhập"):
        register_store.save_location("cho_bo_ha", Point(106.191, 21.441), who, action="set_point", input_text="")
    with pytest.raises(Forbidden, match="đăng nhập"):
        slides.add_slide(slides.Slide("Trang 2", {}), who)
    assert _digest(state) == before
    assert store.latest_version() == 1 and len(register_store.read_history()) == 1


def test_anonymous_writes_to_an_empty_state_create_no_file(state):
    for call in (
        lambda: _save(1.0, editor=None),
        lambda: store.restore(1, editor=None),
        lambda: register_store.save_location("cho_bo_ha", Point(106.19, 21.44), None, action="x", input_text=""),
        lambda: slides.add_slide(slides.Slide("X", {}), None),
    ):
        with pytest.raises(Forbidden):
            call()
    assert list(state.iterdir()) == []


def test_writes_record_the_signed_in_name(state):
    _save(1.0, editor=signed_in(" bình ", "oidc"))
    _save(2.0)
    store.restore(1, editor=signed_in("chi", "cli"))
    assert store.versions()["user"].tolist() == ["chi", "an", "bình"]
    row = register_store.save_location("cho_bo_ha", Point(106.19, 21.44), AN, action="set_point", input_text="")
    assert row["who"] == "an" and register_store.read_history()["who"].tolist() == ["an"]


def test_signed_in_refuses_empty_names_and_unknown_methods():
    for name, method in (("", "password"), ("  ", "oidc"), ("an", "typed")):
        with pytest.raises(Forbidden):
            signed_in(name, method)


# ---------------------------------------------------------------- 4. storage failures: one clear message


def test_state_folder_that_is_a_file_gives_one_message_naming_it(tmp_path):
    blocker = tmp_path / "khong-phai-thu-muc"
    blocker.write_text("x")
    path = blocker / "ktxh_store.sqlite"
    with pytest.raises(StorageError) as err:
        _save(1.0, path=path)
    msg = str(err.value)
    assert msg.startswith(WRITE) and "không phải thư mục" in msg
    assert "Traceback" not in msg and "rollback" not in msg and str(tmp_path) not in msg  # never a path
    with pytest.raises(StorageError, match=re.escape(READ)):
        store.latest_version(path)
    with pytest.raises(StorageError, match="không phải thư mục"):
        store.snapshot(path=blocker / "sub" / "ktxh_store.sqlite")
    assert blocker.read_text() == "x"


def test_unwritable_state_folder_for_edits_and_slides(tmp_path, monkeypatch):
    blocker = tmp_path / "tep"
    blocker.write_text("x")
    with pytest.raises(StorageError, match=re.escape("(KTXH_STATE_DIR): một phần của đường dẫn")):
        register_store.save_location(
            "cho_bo_ha", Point(106.19, 21.44), AN, action="set_point", input_text="", state=blocker / "st"
        )
    monkeypatch.setenv("KTXH_STATE_DIR", str(blocker))
    with pytest.raises(StorageError, match=re.escape(WRITE)):
        slides.add_slide(slides.Slide("X", {}), AN)


class _FailingConnection(sqlite3.Connection):
    message = "database or disk is full"

    def cursor(self, *args, **kwargs):
        message = self.message

        class FailingCursor(sqlite3.Cursor):
            def executemany(self, *args, **kwargs):
                raise sqlite3.OperationalError(message)

        return super().cursor(FailingCursor)


@pytest.mark.parametrize(
    "message,cause",
    [
        ("database or disk is full", "ổ đĩa đầy"),
        ("attempt to write a readonly database", "thư mục hoặc tệp chỉ đọc"),
        ("disk I/O error", "lỗi đọc/ghi ổ đĩa"),
    ],
)
def test_sqlite_failure_mid_save_keeps_the_previous_version(tmp_path, monkeypatch, message, cause):
    path = tmp_path / "s.sqlite"
    _save(1.0, path=path)
    real = sqlite3.connect

    class Failing(_FailingConnection):
        pass

    Failing.message = message
    monkeypatch.setattr(sqlite3, "connect", lambda *a, **k: real(*a, factory=Failing, **k))
    with pytest.raises(StorageError) as err:
        _save(2.0, path=path)
    assert str(err.value).startswith(WRITE + f"{cause}")
    assert "cannot rollback" not in str(err.value) and str(tmp_path) not in str(err.value)
    monkeypatch.setattr(sqlite3, "connect", real)
    assert store.latest_version(path) == 1 and set(store.snapshot(path=path)["value"]) == {1.0}
    assert _save(3.0, path=path) == 2


def test_disk_full_when_opening_the_store(tmp_path, monkeypatch):
    def full(*a, **k):
        raise sqlite3.OperationalError("unable to open database file")

    monkeypatch.setattr(sqlite3, "connect", full)
    with pytest.raises(StorageError, match=re.escape("(KTXH_STATE_DIR): thư mục không tồn tại")):
        _save(1.0, path=tmp_path / "s.sqlite")


@pytest.mark.parametrize(
    "code,cause",
    [
        (errno.ENOSPC, "ổ đĩa đầy"),
        (errno.EROFS, "thư mục chỉ đọc"),
        (errno.EACCES, "không có quyền ghi"),
        (errno.ENOTDIR, "một phần của đường dẫn không phải thư mục"),
    ],
)
def test_os_errors_map_to_one_storage_message(tmp_path, code, cause):
    err = failures.storage_error(OSError(code, "x"), sqlite=True)
    assert isinstance(err, StorageError) and isinstance(err, KtxhError)
    assert str(err).startswith(WRITE + f"{cause}")


def test_edits_history_is_appended_not_rewritten(state):
    register_store.save_location("cho_bo_ha", Point(106.19, 21.44), AN, action="set_point", input_text="")
    first = register_store.read_history()
    register_store.save_location("ban_ven", Point(106.06, 21.57), AN, action="set_point", input_text="")
    second = register_store.read_history()
    assert second.iloc[:1].equals(first) and len(second) == 2
    assert register_store.read_history()["id"].tolist() == ["cho_bo_ha", "ban_ven"]
    con = sqlite3.connect(store.store_path())
    assert [r[0] for r in con.execute("SELECT id FROM location_history ORDER BY id")] == [1, 2]
    con.close()


# ---------------------------------------------------------------- 3. sign-in lock-out

EDITORS = {"an": auth.hash_password("mat-khau-dung", 1_000)}
T0 = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)


def test_five_failures_lock_the_name_even_with_the_right_password(state):
    for i in range(4):
        with pytest.raises(Forbidden, match="không đúng"):
            auth.sign_in("an", "sai", EDITORS, now=T0 + timedelta(minutes=i))
    with pytest.raises(Forbidden) as err:  # the 5th failure locks for 15 minutes from now
        auth.sign_in("an", "sai", EDITORS, now=T0 + timedelta(minutes=4))
    assert "đến 08:19 ngày 01/03/2026 (giờ Việt Nam)" in str(err.value)
    with pytest.raises(Forbidden, match="Tạm khóa đăng nhập"):
        auth.sign_in("an", "mat-khau-dung", EDITORS, now=T0 + timedelta(minutes=18))
    assert auth.is_locked("an", now=T0 + timedelta(minutes=18))
    # after the lock ends the right password works and the counter is cleared
    ed = auth.sign_in("an", "mat-khau-dung", EDITORS, now=T0 + timedelta(minutes=19, seconds=1))
    assert ed == signed_in("an", "password") and auth.locked_until("an", now=T0 + timedelta(minutes=20)) is None
    assert store.failures("an", since=T0) == []


def test_failures_spread_over_more_than_15_minutes_do_not_lock(state):
    for i in range(8):
        auth.record_failure("an", now=T0 + timedelta(minutes=4 * i))
    assert not auth.is_locked("an", now=T0 + timedelta(minutes=29))
    assert auth.sign_in("an", "mat-khau-dung", EDITORS, now=T0 + timedelta(minutes=29)).name == "an"


def test_unknown_names_lock_the_same_way_and_say_the_same(state):
    messages = {}
    for name in ("an", "khong-co"):
        for i in range(5):
            with pytest.raises(Forbidden) as err:
                auth.sign_in(name, "sai", EDITORS, now=T0 + timedelta(seconds=i))
        messages[name] = str(err.value)
    assert messages["an"] == messages["khong-co"] and "Tạm khóa" in messages["an"]


@pytest.mark.slow
def test_failure_counter_is_shared_between_processes(state):
    code = (
        "from datetime import datetime, UTC; from ktxh_geo.model import auth\n"
        "for i in range(5): auth.record_failure('an', now=datetime(2026, 3, 1, 1, 0, i, tzinfo=UTC))"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    assert auth.is_locked("an", now=T0 + timedelta(minutes=1))
    con = sqlite3.connect(store.store_path())
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("SELECT count(*) FROM login_attempts").fetchone()[0] == 5
    con.close()


def test_unknown_names_do_the_same_pbkdf2_work(monkeypatch):
    import hashlib as real_hashlib

    rounds = []
    real = real_hashlib.pbkdf2_hmac

    def spy(name, password, salt, iterations):
        rounds.append(iterations)
        return real(name, password, salt, 1)

    monkeypatch.setattr(auth.hashlib, "pbkdf2_hmac", spy)
    editors = {"an": "pbkdf2_sha256$600000$" + "ab" * 16 + "$" + "cd" * 32}
    auth.check_editor("an", "x", editors)
    auth.check_editor("khong-co", "x", editors)
    auth.check_editor("", "x", editors)
    assert rounds == [600_000, 600_000, 600_000]


# ---------------------------------------------------------------- 7. the import command line


@pytest.fixture()
def secrets(tmp_path, monkeypatch):
    path = tmp_path / "secrets.toml"
    path.write_text('[editors]\n"an" = "pbkdf2_sha256$1000$00$00"\n', encoding="utf-8")
    monkeypatch.setenv("STREAMLIT_SECRETS_FILES", str(path))
    return path


def _import(capsys, tmp_path, *extra):
    path = tmp_path / "ho_ngheo.csv"
    path.write_bytes(csv_bytes([["Tên xã", "Tỷ lệ hộ nghèo (%)"], ["Đông Sơn", "1,5"]]))
    rc = main(["import", str(path), "--dataset", "poverty_rate", "--year", "2023", "--source", "QĐ 1", *extra])
    out = capsys.readouterr()
    return rc, out.out + out.err


def test_cli_user_must_be_a_configured_editor(state, secrets, capsys):
    rc, text = _import(capsys, state, "--user", "bình")
    assert rc == 2 and f"“bình” không phải người biên tập trong mục [editors] của {secrets}" in text
    rc, text = _import(capsys, state)
    assert rc == 2 and "thiếu --user" in text
    assert store.latest_version() == 0 and not store.store_path().exists()
    rc, text = _import(capsys, state, "--user", "an")
    assert rc == 0, text
    assert store.versions()["user"].tolist() == ["an"]


def test_cli_without_a_secrets_file_saves_nothing(state, monkeypatch, capsys):
    monkeypatch.setenv("STREAMLIT_SECRETS_FILES", str(state / "khong-co.toml"))
    rc, text = _import(capsys, state, "--user", "an")
    assert rc == 2 and "không có tệp secrets" in text and str(state / "khong-co.toml") in text
    assert store.latest_version() == 0


def test_cli_dry_run_needs_no_editor(state, monkeypatch, capsys):
    monkeypatch.setenv("STREAMLIT_SECRETS_FILES", str(state / "khong-co.toml"))
    rc, text = _import(capsys, state, "--dry-run")
    assert rc == 0 and "--dry-run" in text and store.latest_version() == 0


# ---------------------------------------------------------------- 5. concurrent slide adds


def _add_one(i, barrier):
    barrier.wait()
    slides.add_slide(slides.Slide(f"Trang {i}", {"indicator": "poverty_rate", "n": str(i)}), signed_in("an", "cli"))


@pytest.mark.slow
def test_sixteen_processes_adding_slides_keep_all_sixteen(state):
    shipped, _, _ = slides.load_deck()
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(16)
    procs = [ctx.Process(target=_add_one, args=(i, barrier)) for i in range(16)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * 16
    titles = [s.title for s in slides.load_deck()[0]]
    assert titles[: len(shipped)] == [s.title for s in shipped]
    assert sorted(titles[len(shipped) :]) == sorted(f"Trang {i}" for i in range(16))
    assert not list(state.glob("*.tmp"))


def test_slide_titles_stay_plain_strings(state):
    title = "**Đậm** <b>x</b> [liên kết](javascript:alert(1)) $x$"
    slides.add_slide(slides.Slide(title, {}), AN)
    deck, error, _ = slides.load_deck()
    assert error is None and deck[-1].title == title


# ---------------------------------------------------------------- issue 17: lengths capped where they are written


def test_a_long_source_is_refused_and_nothing_is_written(state):
    assert _save(1.0) == 1
    with pytest.raises(InputError, match=r"Nguồn số liệu dài 1\.048\.576 ký tự; tối đa 500 ký tự"):
        store.save(_cells(2.0), editor=AN, source="x" * 1024 * 1024, action="import", dataset="poverty_rate")
    assert store.latest_version() == 1 and set(store.snapshot()["value"]) == {1.0}
    assert store.save(_cells(3.0), editor=AN, source="y" * 500, action="import", dataset="poverty_rate") == 2


def test_a_long_note_or_slide_title_is_refused(state):
    with pytest.raises(InputError, match=r"Ghi chú dài 501 ký tự; tối đa 500 ký tự"):
        register_store.save_location(
            "ban_ven", Point(106.20, 21.52), AN, action="set_point", input_text="t", note="n" * 501
        )
    assert register_store.read_history().empty
    shipped = slides.load_deck().slides
    with pytest.raises(InputError, match=r"Tên trang trình chiếu dài 2\.000 ký tự; tối đa 120 ký tự"):
        slides.add_slide(slides.Slide("T" * 2000, {}), AN)
    assert [s.title for s in slides.load_deck()[0]] == [s.title for s in shipped]
    slides.add_slide(slides.Slide("T" * 120, {}), AN)
    assert slides.load_deck()[0][-1].title == "T" * 120


def test_cli_source_past_the_limit_is_one_vietnamese_line(state, secrets, capsys):
    path = state / "ho_ngheo.csv"
    path.write_bytes(csv_bytes([["Tên xã", "Tỷ lệ hộ nghèo (%)"], ["Đông Sơn", "1,5"]]))
    args = ["--dataset", "poverty_rate", "--year", "2023", "--source", "s" * 501, "--user", "an"]
    rc = main(["import", str(path), *args])
    err = capsys.readouterr().err
    assert rc == 2 and "không lưu: Nguồn số liệu dài 501 ký tự; tối đa 500 ký tự" in err
    assert store.latest_version() == 0
