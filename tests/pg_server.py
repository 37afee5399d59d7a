"""A throwaway PostgreSQL + PostGIS server for tests.

``postgres_server()`` starts a private server from Debian's binaries (``make system-deps`` installs them) in a new
temporary folder, on a free 127.0.0.1 port, with its unix socket in that folder and durability switched off (fsync,
synchronous_commit, full_page_writes: fast, and nothing is worth keeping). It creates the database ``ktxh_test`` with
the ``postgis`` extension and yields the SQLAlchemy URL ``postgresql+psycopg://postgres@127.0.0.1:PORT/ktxh_test``
(trust authentication, local connections only). On exit the server is stopped and the folder deleted.

PostgreSQL refuses to run as root: when the tests run as root, the folder is given to the ``postgres`` system user and
initdb/pg_ctl run as that user (``runuser``, else ``su``); otherwise they run as the current user. Each call has its
own folder and port, so several pytest processes can start servers at once (a port taken between choosing and binding
is retried with another).

Tests use the session-scoped fixture ``pg_url`` (``from pg_server import pg_url``, or re-exported by conftest).
``KTXH_PG_BINDIR`` may name the folder holding initdb/pg_ctl/postgres when they are not under /usr/lib/postgresql.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

DBNAME = "ktxh_test"
SUPERUSER = "postgres"
START_TIMEOUT = 60  # seconds pg_ctl waits for the server to accept connections
PORT_ATTEMPTS = 5  # a free port can be taken by another process before the server binds it
HINT = "run `make system-deps` (installs Debian's postgresql and postgresql-15-postgis-3)"

# Settings for a disposable test server: local TCP only, small, and no durability.
SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "50",
    "shared_buffers": "32MB",
    "max_wal_size": "256MB",
    "logging_collector": "off",
    "log_min_messages": "warning",
    "timezone": "'UTC'",
}


class PostgresUnavailable(RuntimeError):
    """The test server could not be started (binaries or PostGIS missing, or start-up failed)."""


def _version_key(bindir: str) -> tuple[int, ...]:
    version = Path(bindir).parent.name  # /usr/lib/postgresql/15/bin -> "15"
    return tuple(int(part) for part in re.findall(r"\d+", version)) or (0,)


def find_bindir() -> Path:
    """The folder with initdb, pg_ctl and postgres: $KTXH_PG_BINDIR, else the newest /usr/lib/postgresql/*/bin
    that has PostGIS installed (else the newest at all, and PostGIS is reported missing later)."""
    needed = ("initdb", "pg_ctl", "postgres")
    override = os.environ.get("KTXH_PG_BINDIR")
    candidates = [override] if override else sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key)[::-1]
    complete = [Path(c) for c in candidates if all(os.access(Path(c, name), os.X_OK) for name in needed)]
    if not complete:
        where = override or "/usr/lib/postgresql/*/bin"
        raise PostgresUnavailable(f"PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in {where}: {HINT}")
    with_postgis = [b for b in complete if _postgis_control(b) is not None]
    return (with_postgis or complete)[0]


def _postgis_control(bindir: Path) -> Path | None:
    """postgis.control in the server's extension folder (found via pg_config, else Debian's layout)."""
    sharedirs = []
    pg_config = bindir / "pg_config"
    if os.access(pg_config, os.X_OK):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--sharedir"], capture_output=True, text=True, timeout=30)
            if out.returncode == 0 and out.stdout.strip():
                sharedirs.append(Path(out.stdout.strip()))
    sharedirs.append(Path("/usr/share/postgresql") / bindir.parent.name)
    for sharedir in sharedirs:
        control = sharedir / "extension" / "postgis.control"
        if control.exists():
            return control
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Runner:
    """Runs server commands as the `postgres` user when we are root, else as ourselves."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.as_root = os.geteuid() == 0
        self.user = None
        if self.as_root:
            try:
                self.user = pwd.getpwnam(SUPERUSER)
            except KeyError:
                raise PostgresUnavailable(
                    f"running as root, and PostgreSQL refuses to: no `{SUPERUSER}` system user to run it as; {HINT}"
                ) from None
        # Keep the caller's libpq/postgres settings (PGDATA, PGPORT, PGOPTIONS, ...) away from the test server.
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        self.env["LC_ALL"] = "C"
        self.env.pop("LANG", None)

    def chown(self, path: Path) -> None:
        if self.user is not None:
            os.chown(path, self.user.pw_uid, self.user.pw_gid)

    def wrap(self, cmd: list[str]) -> list[str]:
        if not self.as_root:
            return cmd
        runuser = shutil.which("runuser") or next(
            (p for p in ("/usr/sbin/runuser", "/sbin/runuser") if os.access(p, os.X_OK)), None
        )
        if runuser:
            return [runuser, "-u", SUPERUSER, "--", *cmd]
        return [shutil.which("su") or "/bin/su", SUPERUSER, "-s", "/bin/sh", "-c", shlex.join(cmd)]

    def run(self, cmd: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(
            self.wrap(cmd),
            cwd=self.workdir,  # the postgres user may not be allowed into the caller's working directory
            env=self.env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def _base_tmpdir(as_root: bool) -> str | None:
    """Where to make the server folder: the usual temp dir, unless the `postgres` user could not reach it (as root)
    or the unix socket path would be too long (108 bytes on Linux)."""
    base = tempfile.gettempdir()
    if len(base) > 60:
        return "/tmp"
    if as_root:
        parent = Path(base).resolve()
        for p in [parent, *parent.parents]:
            if not os.stat(p).st_mode & 0o001:  # not traversable by others
                return "/tmp"
    return None


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def _wait_for_tcp(port: int, deadline: float) -> None:
    import psycopg

    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(host="127.0.0.1", port=port, user=SUPERUSER, dbname="postgres", connect_timeout=5):
                return
        except psycopg.OperationalError as exc:
            last = exc
            time.sleep(0.1)
    raise PostgresUnavailable(f"the test PostgreSQL server on 127.0.0.1:{port} did not accept connections: {last}")


def _create_database(port: int, dbname: str, extensions: tuple[str, ...]) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(host="127.0.0.1", port=port, user=SUPERUSER, dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
    with psycopg.connect(host="127.0.0.1", port=port, user=SUPERUSER, dbname=dbname, autocommit=True) as conn:
        for ext in extensions:
            conn.execute(sql.SQL("CREATE EXTENSION IF NOT EXISTS {}").format(sql.Identifier(ext)))


@contextlib.contextmanager
def postgres_server(dbname: str = DBNAME, extensions: tuple[str, ...] = ("postgis",)) -> Iterator[str]:
    """Start a private PostgreSQL server with `dbname` (and `extensions`) in it; yield its SQLAlchemy URL."""
    bindir = find_bindir()
    if "postgis" in extensions and _postgis_control(bindir) is None:
        raise PostgresUnavailable(f"PostGIS is not installed for the PostgreSQL server in {bindir}: {HINT}")

    probe = _Runner(Path("/"))
    workdir = Path(tempfile.mkdtemp(prefix="ktxh-pg-", dir=_base_tmpdir(probe.as_root)))
    runner = _Runner(workdir)
    datadir = workdir / "data"
    logfile = workdir / "server.log"
    started = False
    try:
        runner.chown(workdir)
        os.chmod(workdir, 0o700)
        init = runner.run(
            [
                str(bindir / "initdb"),
                "-D",
                str(datadir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ]
        )
        if init.returncode != 0:
            raise PostgresUnavailable(f"initdb failed ({init.returncode}):\n{init.stdout}\n{init.stderr}")
        settings = dict(SERVER_SETTINGS, unix_socket_directories=f"'{workdir}'")
        with open(datadir / "postgresql.conf", "a") as conf:  # the file belongs to postgres; root may append
            conf.write("\n# ktxh test server\n")
            conf.writelines(f"{k} = {v}\n" for k, v in settings.items())

        port = 0
        for _attempt in range(PORT_ATTEMPTS):
            port = _free_port()
            start = runner.run(
                [
                    str(bindir / "pg_ctl"),
                    "-D",
                    str(datadir),
                    "-l",
                    str(logfile),
                    "-o",
                    f"-p {port}",
                    "-w",
                    "-t",
                    str(START_TIMEOUT),
                    "start",
                ],
                timeout=START_TIMEOUT + 30,
            )
            if start.returncode == 0:
                started = True
                break
            log = _tail(logfile)
            if "already in use" not in log:  # anything but a port race is a real failure
                raise PostgresUnavailable(
                    f"pg_ctl start failed ({start.returncode}):\n{start.stdout}\n{start.stderr}\nserver log:\n{log}"
                )
        if not started:
            raise PostgresUnavailable(f"no free port for the test PostgreSQL server after {PORT_ATTEMPTS} attempts")

        _wait_for_tcp(port, time.monotonic() + START_TIMEOUT)
        _create_database(port, dbname, extensions)
        yield f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/{dbname}"
    finally:
        if started:
            _stop(runner, bindir, datadir)
        shutil.rmtree(workdir, ignore_errors=True)


def _stop(runner: _Runner, bindir: Path, datadir: Path) -> None:
    for mode in ("fast", "immediate"):
        with contextlib.suppress(subprocess.TimeoutExpired):
            if runner.run([str(bindir / "pg_ctl"), "-D", str(datadir), "-m", mode, "-w", "stop"], 60).returncode == 0:
                return
    # Last resort: the postmaster's pid is the first line of postmaster.pid.
    with contextlib.suppress(OSError, ValueError, IndexError):
        os.kill(int((datadir / "postmaster.pid").read_text().splitlines()[0]), 9)


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """SQLAlchemy URL of a PostgreSQL + PostGIS test database, one server per test session (per pytest process)."""
    try:
        server = postgres_server()
        url = server.__enter__()
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield url
    finally:
        server.__exit__(None, None, None)
