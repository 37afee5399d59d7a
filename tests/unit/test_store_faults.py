"""Real faults of the store, each one Vietnamese message with no SQL, no parameter and no part of the URL.

On a real PostgreSQL: a read-only database (``default_transaction_read_only``), a role without grants, a role with
exactly SELECT/INSERT/UPDATE/DELETE (enough for everything but ``db upgrade``), a writer frozen (SIGSTOP) while it
holds the version counter's lock, a connection cut in the middle of a save and while committing (a TCP proxy), a
server that is not there. On SQLite: a frozen writer. The command line exits 2 with one line and no traceback.
On the code before this change: tracebacks with SQL (exit 1), saves waiting forever behind a frozen writer, and
"Không có gì được lưu" for a save that was in fact committed.
"""

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from import_corpus import csv_bytes
from shapely.geometry import Point
from sqlalchemy import create_engine, make_url, text
from sqlalchemy import exc as sa_exc
from store_helpers import CuttingProxy, pg_schema

from ktxh_geo.errors import (
    OutcomeUnknown,
    SchemaError,
    StorageError,
    StoreBusy,
    StoreDenied,
    StoreFull,
    StoreReadOnly,
    StoreUnavailable,
)
from ktxh_geo.io import db, failures, register, store, transfer
from ktxh_geo.model import auth, slides
from ktxh_geo.vocab import signed_in

AN = signed_in("an", "password")
ROOT = Path(__file__).resolve().parents[2]
SQL_WORDS = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|FROM|WHERE|CREATE)\b|%\(|\[SQL|Traceback|psycopg|sqlalchemy")


def _save(value: float, **kw) -> int:
    cells = [store.Cell("poverty_rate", "07243", "2020-2024", 2023, value)]
    return store.save(cells, editor=AN, source=f"nguồn {value}", action="edit", dataset="poverty_rate", **kw)


def _clean(message: str, url: str) -> None:
    """No SQL, no parameter, no traceback and no part of the connection URL in a message."""
    parsed = make_url(url)
    assert not SQL_WORDS.search(message), message
    for part in (parsed.host, str(parsed.port), parsed.database, parsed.username, "search_path", "postgresql"):
        assert part not in message, (part, message)


@pytest.fixture()
def pg_store(state, pg_url, monkeypatch):
    """A fresh, upgraded PostgreSQL store configured like the app does; yields its URL."""
    with pg_schema(pg_url) as url:
        monkeypatch.setenv(db.ENV_URL, url)
        yield url


@pytest.fixture()
def role(pg_url, pg_store):
    """Make a login role with the given privileges on the store's tables; yields a function returning its URL."""
    admin = create_engine(pg_url)
    made = []
    schema_name = re.search(r"search_path%3D(\w+)", pg_store).group(1)

    def make(*privileges: str) -> str:
        name = "app_" + uuid.uuid4().hex[:8]
        with admin.begin() as conn:  # generated names and a fixed list of privileges, not user text
            conn.execute(text(f'CREATE ROLE "{name}" LOGIN'))
            conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema_name}" TO "{name}"'))
            if privileges:
                conn.execute(text(f'GRANT {", ".join(privileges)} ON ALL TABLES IN SCHEMA "{schema_name}" TO "{name}"'))
        made.append(name)
        return pg_store.replace("postgres@", f"{name}@")

    yield make
    db.dispose()
    with admin.begin() as conn:
        for name in made:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{name}'"))
            conn.execute(text(f'DROP OWNED BY "{name}"'))
            conn.execute(text(f'DROP ROLE "{name}"'))
    admin.dispose()


def _cli(tmp_path: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[editors]\n"an" = "{auth.hash_password("mat-khau-1", 1000)}"\n', encoding="utf-8")
    env = {**os.environ, db.ENV_URL: url, "STREAMLIT_SECRETS_FILES": str(secrets), "KTXH_STATE_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "ktxh_geo", *args], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def _cli_import(tmp_path: Path, url: str) -> subprocess.CompletedProcess:
    data = tmp_path / "ho_ngheo.csv"
    data.write_bytes(csv_bytes([["Tên xã", "Tỷ lệ hộ nghèo (%)"], ["Đông Sơn", "1,5"]]))
    args = ("import", str(data), "--dataset", "poverty_rate", "--year", "2023", "--source", "QĐ 1", "--user", "an")
    return _cli(tmp_path, url, *args)


def _assert_cli_refused(done: subprocess.CompletedProcess, url: str, phrase: str) -> None:
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and phrase in lines[0], done.stderr
    _clean(done.stderr + done.stdout, url)


# ---------------------------------------------------------------- read-only database and missing grants


@pytest.mark.slow
def test_read_only_database_reads_and_refuses_every_write_with_one_message(pg_store, tmp_path, monkeypatch):
    _save(1.0)
    read_only = pg_store + "%20-cdefault_transaction_read_only%3Don"
    assert store.latest_version(read_only) == 1  # reading still works (the map keeps its data)
    with pytest.raises(StoreReadOnly) as err:
        _save(2.0, path=read_only)
    message = str(err.value)
    assert message == (
        "Không ghi được vào cơ sở dữ liệu PostgreSQL: cơ sở dữ liệu đang ở chế độ chỉ đọc (bản sao, đang chuyển máy "
        "dự phòng hoặc bảo trì). Không có gì được lưu; dữ liệu trước đó vẫn nguyên."
    )
    _clean(message, read_only)
    monkeypatch.setenv(db.ENV_URL, read_only)  # the whole app on the read-only database
    for write in (
        lambda: register.save_location("cho_bo_ha", Point(106.19, 21.44), AN, action="set_point", input_text=""),
        lambda: slides.add_slide(slides.Slide("Trang", {}), AN),
        lambda: store.record_failure("an"),  # the throttle's write gets a typed error (model.auth keeps it in memory)
    ):
        with pytest.raises(StoreReadOnly):
            write()
    auth.record_failure("an")  # sign-in throttling does not depend on the write (model.auth, issue 17)
    assert store.failures("an", since=datetime(2000, 1, 1, tzinfo=UTC)) == []  # read-only: still readable
    editors = {"an": auth.hash_password("mat-khau-1", 1000)}
    assert auth.sign_in("an", "mat-khau-1", editors).name == "an"  # a sign-in with no failures writes nothing
    _assert_cli_refused(_cli_import(tmp_path, read_only), read_only, "chế độ chỉ đọc")
    assert store.latest_version(pg_store) == 1


@pytest.mark.slow
def test_db_upgrade_on_a_read_only_database_exits_2_without_a_traceback(pg_url, tmp_path):
    with pg_schema(pg_url, upgrade=False) as url:
        read_only = url + "%20-cdefault_transaction_read_only%3Don"
        _assert_cli_refused(_cli(tmp_path, read_only, "db", "upgrade"), read_only, "chế độ chỉ đọc")


@pytest.mark.slow
def test_a_role_without_grants_gets_one_message_and_exit_2(pg_store, role, tmp_path):
    _save(1.0)
    reader = role("SELECT")
    assert store.latest_version(reader) == 1
    with pytest.raises(StoreDenied) as err:
        _save(2.0, path=reader)
    assert "tài khoản của ứng dụng thiếu quyền" in str(err.value) and "Không có gì được lưu" in str(err.value)
    _clean(str(err.value), reader)
    _assert_cli_refused(_cli_import(tmp_path, reader), reader, "thiếu quyền")
    nobody = role()
    with pytest.raises(StoreDenied):
        store.latest_version(nobody)


@pytest.mark.slow
def test_db_upgrade_without_the_right_to_create_tables_exits_2(pg_url, tmp_path):
    with pg_schema(pg_url, upgrade=False) as url:
        admin = create_engine(pg_url)
        name = "app_" + uuid.uuid4().hex[:8]
        schema_name = re.search(r"search_path%3D(\w+)", url).group(1)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE ROLE "{name}" LOGIN'))
            conn.execute(text(f'GRANT USAGE ON SCHEMA "{schema_name}" TO "{name}"'))
        try:
            app = url.replace("postgres@", f"{name}@")
            _assert_cli_refused(_cli(tmp_path, app, "db", "upgrade"), app, "thiếu quyền")
        finally:
            db.dispose()
            with admin.begin() as conn:
                conn.execute(text(f'DROP OWNED BY "{name}"'))
                conn.execute(text(f'DROP ROLE "{name}"'))
            admin.dispose()


@pytest.mark.slow
def test_select_insert_update_delete_are_all_the_app_role_needs(pg_store, role, tmp_path, monkeypatch):
    """Everything the app and the operators do after ``db upgrade`` works as a role with exactly these grants."""
    _save(1.0)
    app = role("SELECT", "INSERT", "UPDATE", "DELETE")
    monkeypatch.setenv(db.ENV_URL, app)
    assert _save(2.0, expected_version=1) == 2
    assert store.restore(1, editor=AN, expected_version=2) == 3
    row = register.save_location("cho_bo_ha", Point(106.19, 21.44), AN, action="set_point", input_text="")
    assert row["edit_version"] == 1
    assert slides.add_slide(slides.Slide("Trang", {}), AN) == 1
    auth.record_failure("x")
    auth.clear("x")
    backup = tmp_path / "sao-luu.sqlite"
    assert _cli(tmp_path, app, "db", "backup", "--to", str(backup)).returncode == 0
    done = _cli(tmp_path, app, "db", "restore", "--from", str(backup), "--replace")
    assert done.returncode == 0 and "đã khôi phục xong" in done.stdout, done.stderr
    assert store.latest_version() == 3


# ---------------------------------------------------------------- a frozen writer

FROZEN = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from ktxh_geo.io import store
    from ktxh_geo.vocab import signed_in

    marker, real = Path(sys.argv[1]), store._record

    def frozen(*args, **kwargs):
        vid = real(*args, **kwargs)
        marker.write_text(str(vid))
        os.kill(os.getpid(), signal.SIGSTOP)  # an app server that hangs mid-save, holding the counter lock
        return vid

    store._record = frozen
    cell = store.Cell("poverty_rate", "07246", "2020-2024", 2023, 9.0)
    try:
        store.save([cell], editor=signed_in("treo", "cli"), source="treo", action="edit", dataset="poverty_rate")
        print("saved")
    except Exception as exc:
        print(type(exc).__name__, exc)
    """
)


def _freeze(tmp_path: Path, env: dict) -> tuple[subprocess.Popen, Path]:
    marker = tmp_path / "frozen"
    proc = subprocess.Popen(
        [sys.executable, "-c", FROZEN, str(marker)], env={**os.environ, **env}, stdout=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 60
    while not marker.exists():  # the writer's own signal that it holds the lock (then it stops itself)
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    while open(f"/proc/{proc.pid}/stat").read().split(") ")[1][0] != "T":
        time.sleep(0.01)
    return proc, marker


def _timed(fn) -> tuple[float, object]:
    start = time.monotonic()
    try:
        result = fn()
    except StorageError as exc:
        result = exc
    return time.monotonic() - start, result


@pytest.mark.slow
def test_a_frozen_writer_on_postgresql_stops_no_one_for_long(pg_store, tmp_path, monkeypatch, record_property):
    _save(1.0)
    proc, marker = _freeze(tmp_path, {"KTXH_DB_IDLE_TIMEOUT": "3"})
    try:
        # others give up waiting for the lock after the lock timeout, with a message (today: forever)
        monkeypatch.setenv("KTXH_DB_LOCK_TIMEOUT", "1")
        waited, refused = _timed(lambda: _save(2.0))
        assert isinstance(refused, StoreBusy) and 0.9 <= waited < 3, (waited, refused)
        assert "một người khác đang lưu và giữ khóa quá thời gian chờ" in str(refused)
        assert "Thử lại sau ít phút" in str(refused)
        # a writer whose lock timeout outlasts the server's idle-in-transaction timeout just waits and saves
        monkeypatch.setenv("KTXH_DB_LOCK_TIMEOUT", "10")
        frozen_for, vid = _timed(lambda: _save(3.0))
        assert vid == 2 and frozen_for < 10, (frozen_for, vid)
        record_property("pg_lock_timeout_refusal_s", round(waited, 2))
        record_property("pg_save_behind_frozen_writer_s", round(frozen_for, 2))
        print(f"\nPostgreSQL: refused after {waited:.2f} s (lock timeout 1 s); saved after {frozen_for:.2f} s")
    finally:
        os.kill(proc.pid, signal.SIGCONT)
        out, _ = proc.communicate(timeout=60)
    # the frozen writer was cut off by the server: its save was not kept, and it says so
    assert marker.read_text() == "2" and out.startswith("StoreUnavailable") and "Không có gì được lưu" in out
    history = store.versions()
    assert history["id"].tolist() == [2, 1] and "treo" not in set(history["user"])


@pytest.mark.slow
def test_a_frozen_writer_on_sqlite_costs_others_only_the_busy_timeout(state, tmp_path, monkeypatch, record_property):
    monkeypatch.delenv(db.ENV_URL, raising=False)
    _save(1.0)
    proc, _marker = _freeze(tmp_path, {})
    try:
        monkeypatch.setenv("KTXH_DB_LOCK_TIMEOUT", "1")
        waited, refused = _timed(lambda: _save(2.0))
        assert isinstance(refused, StoreBusy) and 0.9 <= waited < 3, (waited, refused)
        assert "một tiến trình khác đang lưu" in str(refused) and str(tmp_path) not in str(refused)
        assert store.latest_version() == 1  # readers are not blocked (WAL)
        record_property("sqlite_busy_refusal_s", round(waited, 2))
    finally:
        proc.kill()
        proc.wait(60)
    assert _save(3.0) == 2  # the killed writer's lock went with it


@pytest.mark.slow
def test_a_statement_over_its_time_limit_is_cut_with_a_message(pg_store, monkeypatch):
    monkeypatch.setenv("KTXH_DB_STATEMENT_TIMEOUT", "0.5")
    started = time.monotonic()
    with pytest.raises(StoreBusy) as err:
        db.read(db.backend(), lambda conn: conn.execute(text("SELECT pg_sleep(5)")).all(), None)
    assert time.monotonic() - started < 3 and "thao tác chạy quá thời gian cho phép" in str(err.value)
    assert not SQL_WORDS.search(str(err.value))


# ---------------------------------------------------------------- connections cut, servers gone


@pytest.fixture()
def proxy(pg_url, pg_store):
    port = make_url(pg_url).port
    cutting = CuttingProxy(port)
    yield cutting, cutting.url(pg_store)
    db.dispose()
    cutting.close()


@pytest.mark.slow
def test_a_connection_lost_mid_save_says_nothing_was_saved(proxy):
    cutting, url = proxy
    assert _save(1.0, path=url) == 1
    cutting.arm(b"INSERT INTO versions", deliver=False)
    with pytest.raises(StoreUnavailable) as err:
        _save(2.0, path=url)
    assert cutting.cut.is_set()
    assert "mất kết nối" in str(err.value) and "Không có gì được lưu" in str(err.value)
    _clean(str(err.value), url)
    assert store.latest_version() == 1  # true: the server rolled it back
    assert _save(3.0, path=url) == 2  # the pool recovers on the next save


@pytest.mark.slow
@pytest.mark.parametrize("delivered", [True, False], ids=["committed", "not-committed"])
def test_a_connection_lost_while_committing_says_the_outcome_is_unknown(proxy, delivered):
    """The client cannot know whether the COMMIT it sent was done: it says so, and reloading tells."""
    cutting, url = proxy
    _save(1.0, path=url)
    cutting.arm(b"COMMIT", deliver=delivered)
    with pytest.raises(OutcomeUnknown) as err:
        _save(2.0, path=url)
    assert str(err.value).startswith("Không xác định được đã lưu hay chưa — hãy tải lại để kiểm tra")
    _clean(str(err.value), url)
    assert store.latest_version() == (2 if delivered else 1)  # today: "Không có gì được lưu" even when it was


@pytest.mark.slow
def test_a_server_that_is_not_there(tmp_path, monkeypatch):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    url = f"postgresql+psycopg://nguoi_dung:mat-khau-bi-mat@127.0.0.1:{port}/kho_so_lieu"
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as err:
        store.latest_version(url)
    assert time.monotonic() - started < 10
    assert str(err.value) == (
        "Không đọc được cơ sở dữ liệu PostgreSQL: không kết nối được hoặc mất kết nối tới máy chủ cơ sở dữ liệu. "
        "Hãy thử lại sau."
    )
    done = _cli_import(tmp_path, url)
    _assert_cli_refused(done, url, "không kết nối được")
    assert "mat-khau-bi-mat" not in done.stdout + done.stderr


# ---------------------------------------------------------------- every kind of failure maps to its class


def _dbapi(error: Exception) -> sa_exc.DBAPIError:
    return sa_exc.OperationalError("SELECT secret FROM t WHERE x = %(p)s", {"p": "tham-so"}, error)


@pytest.mark.parametrize(
    "error,cls,phrase",
    [
        (psycopg.errors.ReadOnlySqlTransaction("x"), StoreReadOnly, "chế độ chỉ đọc"),
        (psycopg.errors.InsufficientPrivilege("x"), StoreDenied, "thiếu quyền"),
        (psycopg.errors.DiskFull("could not extend file"), StoreFull, "hết dung lượng đĩa"),
        (psycopg.errors.LockNotAvailable("x"), StoreBusy, "giữ khóa quá thời gian chờ"),
        (psycopg.errors.QueryCanceled("x"), StoreBusy, "quá thời gian cho phép"),
        (psycopg.errors.AdminShutdown("x"), StoreUnavailable, "đang tắt"),
        (psycopg.errors.IdleInTransactionSessionTimeout("x"), StoreUnavailable, "chờ quá lâu"),
        (psycopg.errors.UndefinedTable("x"), SchemaError, "db upgrade"),
        (psycopg.OperationalError("connection failed: Connection refused"), StoreUnavailable, "mất kết nối"),
        (psycopg.errors.UniqueViolation("x"), StorageError, "mã SQLSTATE 23505"),
    ],
)
def test_every_postgresql_failure_is_one_typed_vietnamese_error(error, cls, phrase):
    err = failures.storage_error(_dbapi(error), sqlite=False)
    assert type(err) is cls and phrase in str(err)
    assert "secret" not in str(err) and "tham-so" not in str(err) and not SQL_WORDS.search(str(err))


@pytest.mark.slow
def test_a_backup_during_a_frozen_writer_still_reads_one_snapshot(pg_store, tmp_path):
    """The source's row locks never block a backup (it reads a snapshot)."""
    _save(1.0)
    proc, _ = _freeze(tmp_path, {"KTXH_DB_IDLE_TIMEOUT": "60"})
    try:
        result: dict = {}
        worker = threading.Thread(
            target=lambda: result.update(got=transfer.backup(db.backend(), tmp_path / "b.sqlite"))
        )
        worker.start()
        worker.join(30)
        assert not worker.is_alive() and result["got"]["versions"][0] == 1
    finally:
        proc.kill()
        proc.wait(60)
