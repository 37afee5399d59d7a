"""Browser-tier fixtures: one app server for the whole session.

Starting ``streamlit run`` costs seconds on this machine, so every browser test that only looks shares this one
server (a new browser page is a new Streamlit session; the server's caches are shared, as in production). It has
its own empty state folder and no editor configured, so no test can save anything through it. A test that signs in
and saves starts its own server with ``streamlit_server(env)`` (tests/browser.py) and its own state folder.
"""

import pytest
from browser import chromium, stop_chromium, streamlit_server


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    with streamlit_server({"KTXH_STATE_DIR": str(tmp_path_factory.mktemp("state"))}) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """The process's one chromium for the tests that open their own contexts (a context per viewport, offline)."""
    yield chromium()
    stop_chromium()
