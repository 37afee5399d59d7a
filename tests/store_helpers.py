"""Store test helpers: a fresh store per test on SQLite or on a private schema of the test PostgreSQL server.

``target`` (a fixture, parametrised over both backends) configures the store like the app does (env
``KTXH_DATABASE_URL`` / ``KTXH_STATE_DIR``) and yields the ``db.Backend``; ``pg_schema`` makes a schema of its own
(``search_path`` in the URL) and drops it afterwards, so parallel tests never see each other's rows.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from ktxh_geo.io import db


@contextlib.contextmanager
def pg_schema(pg_url: str, *, upgrade: bool = True) -> Iterator[str]:
    """A new schema on the test server; yields the store URL that uses it (upgraded unless told not to)."""
    name = "t_" + uuid.uuid4().hex[:12]
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))  # a generated name, not user text
    url = f"{pg_url}?options=-csearch_path%3D{name},public"
    try:
        if upgrade:
            db.upgrade(db.from_url(url))
        yield url
    finally:
        db.dispose(db.from_url(url))
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def target(state, request, monkeypatch) -> Iterator[db.Backend]:
    """Configure the store like the app does (env); yield the backend."""
    if request.param == "sqlite":
        monkeypatch.delenv(db.ENV_URL, raising=False)
        yield db.backend()
        return
    with pg_schema(request.getfixturevalue("pg_url")) as url:
        monkeypatch.setenv(db.ENV_URL, url)
        yield db.backend()


def _close(*socks) -> None:
    """Shut both ways first: that wakes a thread blocked reading the socket and sends the FIN at once."""
    import socket

    for sock in socks:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()


class CuttingProxy:
    """A TCP proxy in front of the test PostgreSQL server that can cut the connection at a chosen message.

    ``arm(pattern, deliver)``: the next client message containing ``pattern`` (e.g. ``b"COMMIT"``) ends the
    connection — ``deliver=False``: the message is dropped (the server never sees it: nothing committed);
    ``deliver=True``: it is sent to the server (which does it) but the client's side is shut first, so the client
    never learns the outcome. ``cut`` is set once it happened.
    """

    def __init__(self, port: int):
        import socket
        import threading

        self.upstream = port
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.pattern: bytes | None = None
        self.deliver = False
        self.cut = threading.Event()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, pg_url: str) -> str:
        return pg_url.replace(f":{self.upstream}/", f":{self.port}/")

    def arm(self, pattern: bytes, *, deliver: bool) -> None:
        with self._lock:
            self.pattern, self.deliver = pattern, deliver
            self.cut.clear()

    def _accept(self) -> None:
        import socket
        import threading

        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream))
            threading.Thread(target=self._pump_down, args=(upstream, client), daemon=True).start()
            threading.Thread(target=self._pump_up, args=(client, upstream), daemon=True).start()

    def _pump_down(self, upstream, client) -> None:
        with contextlib.suppress(OSError):
            while data := upstream.recv(65536):
                client.sendall(data)
        _close(client, upstream)

    def _pump_up(self, client, upstream) -> None:
        import socket

        with contextlib.suppress(OSError):
            while data := client.recv(65536):
                with self._lock:
                    hit = self.pattern is not None and self.pattern in data
                    if hit:
                        self.pattern, deliver = None, self.deliver
                if not hit:
                    upstream.sendall(data)
                    continue
                if deliver:  # the server reads the message before it notices the closed socket, and does it
                    client.shutdown(socket.SHUT_RDWR)  # nothing more reaches the client
                    upstream.sendall(data)
                self.cut.set()
                break
        _close(client, upstream)

    def close(self) -> None:
        self.server.close()
