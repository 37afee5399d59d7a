import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
# Tests never see a developer's own var/ store (entered figures, edited locations, slides):
# every test run, and every app server it starts, uses a fresh state directory.
os.environ["KTXH_STATE_DIR"] = tempfile.mkdtemp(prefix="ktxh-test-state-")

from ktxh_geo.io import shipped as load  # noqa: E402


@pytest.fixture(autouse=True)
def _fresh_sign_in_limits(monkeypatch):
    """Every test starts with empty sign-in rate limits and no unsaved failures (both kept in process memory)."""
    from ktxh_geo.model import auth

    monkeypatch.setattr(auth, "ATTEMPTS", auth.Attempts())
    monkeypatch.setattr(auth, "_unsaved", {})


@pytest.fixture(scope="session")
def indicators():
    return load.load_indicators()


@pytest.fixture(scope="session")
def values():
    return load.load_values()


@pytest.fixture(scope="session")
def communes():
    return load.load_communes("2020-2024")


@pytest.fixture(scope="session")
def units():
    return load.load_units()


from pg_server import pg_url  # noqa: E402, F401 — a real PostgreSQL/PostGIS server for store tests
from store_helpers import target  # noqa: E402, F401 — a fresh store on SQLite and on PostgreSQL


@pytest.fixture
def state(tmp_path, monkeypatch):
    """A fresh, empty state folder (``KTXH_STATE_DIR``) for one test: nothing another test saved is seen."""
    monkeypatch.setenv("KTXH_STATE_DIR", str(tmp_path))
    return tmp_path


SLOW_FIXTURES = {"pg_url", "target"}  # a PostgreSQL store (and its server, started once per session)


def pytest_collection_modifyitems(items):
    """A test on PostgreSQL is ``slow`` whatever file it is in: marked here from the fixtures it uses."""
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
