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
def target(request, tmp_path, monkeypatch) -> Iterator[db.Backend]:
    """Configure the store like the app does (env); yield the backend."""
    monkeypatch.setenv("KTXH_STATE_DIR", str(tmp_path))
    if request.param == "sqlite":
        monkeypatch.delenv(db.ENV_URL, raising=False)
        yield db.backend()
        return
    with pg_schema(request.getfixturevalue("pg_url")) as url:
        monkeypatch.setenv(db.ENV_URL, url)
        yield db.backend()
