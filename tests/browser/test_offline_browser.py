"""The whole app with no internet: every page of app.py's navigation, in Chromium with every
non-localhost request blocked, and the Streamlit server itself watched for outbound connections."""

import textwrap
import tomllib

import pytest
from app_pages import app_pages
from browser import ROOT, map_frame, offline_page, streamlit_server, wait_rerun

pytestmark = pytest.mark.browser

# Imported by the server's Python at start (via PYTHONPATH): logs every DNS lookup or connection to a
# non-local host (and refuses it), so a server that phones home at start or on a page fails the test.
NET_GUARD = textwrap.dedent(
    """
    import os, socket
    _LOG = os.environ["KTXH_NET_LOG"]
    _LOCAL = {"localhost", "127.0.0.1", "::1", "0.0.0.0", "", None}

    def _note(what):
        with open(_LOG, "a", encoding="utf-8") as f:
            f.write(what + "\\n")

    _getaddrinfo = socket.getaddrinfo
    def getaddrinfo(host, *args, **kwargs):
        h = host.decode() if isinstance(host, bytes) else host
        if h not in _LOCAL:
            _note(f"getaddrinfo {h}")
            raise socket.gaierror(f"blocked by test: {h}")
        return _getaddrinfo(host, *args, **kwargs)
    socket.getaddrinfo = getaddrinfo

    _connect = socket.socket.connect
    def connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in _LOCAL:
            _note(f"connect {address}")
            raise OSError(f"blocked by test: {address}")
        return _connect(self, address)
    socket.socket.connect = connect
    """
)


PAGES = app_pages()


@pytest.fixture(scope="module")
def guarded_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("netguard")
    (folder / "sitecustomize.py").write_text(NET_GUARD, encoding="utf-8")
    log = folder / "outbound.log"
    log.write_text("", encoding="utf-8")
    env = {"PYTHONPATH": str(folder), "KTXH_NET_LOG": str(log), "KTXH_STATE_DIR": str(folder / "state")}
    with streamlit_server(env) as url:
        yield url, log


def wait_until_run_finished(page, timeout: float = 90_000) -> None:
    """The page has content (a heading in the main area) and its script is no longer running."""
    page.wait_for_selector("[data-testid='stMain'] [data-testid='stHeading']", timeout=timeout)
    wait_rerun(page, timeout=timeout)


def test_app_navigation_is_parsed():
    paths = [p["path"] for p in PAGES]
    assert "views/tong_quan.py" in paths and "views/ban_do.py" in paths
    assert sum(p["default"] for p in PAGES) == 1
    assert all((ROOT / p).exists() for p in paths)


def test_server_config_makes_no_outbound_calls():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["browser"]["gatherUsageStats"] is False
    assert config["browser"]["serverAddress"] in ("localhost", "127.0.0.1")


def test_guard_catches_an_outbound_call(tmp_path):
    """The server-side guard itself works (else the test below could not fail)."""
    import subprocess
    import sys

    (tmp_path / "sitecustomize.py").write_text(NET_GUARD, encoding="utf-8")
    log = tmp_path / "log"
    code = "import urllib.request as u\ntry:\n u.urlopen('http://example.org', timeout=2)\nexcept OSError:\n pass"
    env = {"PYTHONPATH": str(tmp_path), "KTXH_NET_LOG": str(log), "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", code], env=env, check=True, timeout=30)
    assert "example.org" in log.read_text(encoding="utf-8")


@pytest.mark.parametrize("spec", PAGES, ids=[p["url_path"] or p["path"] for p in PAGES])
def test_every_page_renders_offline(guarded_server, spec):
    url, log = guarded_server
    with offline_page() as page:
        failed: list[str] = []
        page.on("requestfailed", lambda r: failed.append(r.url))
        missing: list[str] = []  # the app's own assets that are not there (vendored file missing, bad path)
        page.on("response", lambda r: r.status >= 400 and "/app/static/" in r.url and missing.append(r.url))
        page.goto(url + "/" + ("" if spec["default"] else spec["url_path"]))
        wait_until_run_finished(page)
        assert page.locator("[data-testid='stException']").count() == 0, page.locator(
            "[data-testid='stException']"
        ).first.inner_text()
        assert page.get_by_text("Page not found").count() == 0
        active = page.locator("[data-testid='stSidebarNavLink'][aria-current='page']")
        assert active.inner_text().strip().endswith(spec["title"])
        assert page.locator("[data-testid='stMain'] h1, [data-testid='stMain'] h2, [data-testid='stMain'] h3").count()
        # Every map on the page draws its commune shapes (Leaflet served by the app).
        if page.locator("iframe[title*='streamlit_folium']").count():
            frame = map_frame(page)
            assert frame.locator("path.leaflet-interactive").count() >= 5
        # Charts (Vega, bundled with Streamlit) draw offline too.
        for chart in page.locator("[data-testid='stVegaLiteChart']").all():
            chart.locator("canvas, svg").first.wait_for(timeout=30_000)
        # Material icons come from Streamlit's own bundle: the icon font loaded and each nav icon is one glyph,
        # not its name as text (without the font, "bar_chart" overflows its 16 px box: scrollWidth 40+).
        icons = page.locator("[data-testid='stSidebarNav'] [data-testid='stIconMaterial']")
        assert icons.count() == len(PAGES)
        page.wait_for_function("document.fonts.status === 'loaded'", timeout=30_000)
        statuses = page.evaluate("[...document.fonts].filter(f => f.family.includes('Material')).map(f => f.status)")
        assert statuses and set(statuses) == {"loaded"}, statuses
        widths = icons.evaluate_all("els => els.map(e => e.scrollWidth)")
        assert all(0 < w <= 24 for w in widths), widths
        page.wait_for_timeout(1500)  # late requests (fonts, tiles, telemetry) would show up here
        assert page.blocked == [], page.blocked
        assert not [u for u in failed if not u.startswith(url)], failed
        assert missing == []
    assert log.read_text(encoding="utf-8") == "", "server made outbound calls"


def test_map_page_shapes_and_overview_charts_offline(guarded_server):
    url, log = guarded_server
    with offline_page() as page:
        page.goto(url + "/ban-do")
        frame = map_frame(page)
        frame.locator(".ktxh-legend").wait_for()
        assert frame.locator("path.leaflet-interactive[fill-opacity='0.85']").count() == 19
        page.goto(url + "/")
        wait_until_run_finished(page)
        charts = page.locator("[data-testid='stVegaLiteChart']")
        charts.first.wait_for(timeout=60_000)
        assert charts.count() == 3
        for chart in charts.all():
            chart.locator("canvas, svg").first.wait_for(timeout=30_000)
        assert page.blocked == []
    assert log.read_text(encoding="utf-8") == ""
