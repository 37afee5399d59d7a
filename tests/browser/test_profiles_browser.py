"""Localities offline in a real browser (issue 13): Bắc Ninh's 99 communes, the 34 provinces, a province's communes."""

import pytest
from browser import offline_page

pytestmark = pytest.mark.browser


def _units_drawn(page, n: int, timeout: float = 90_000):
    """The map iframe once ``n`` unit polygons are drawn (fetched from the static geometry file)."""
    page.wait_for_selector("iframe[title*='streamlit_folium']", timeout=timeout)
    frame = page.frame_locator("iframe[title*='streamlit_folium']").first
    units = frame.locator("path.leaflet-interactive[fill-opacity='0.85']")
    units.nth(n - 1).wait_for(state="attached", timeout=timeout)
    return frame, units


@pytest.mark.parametrize(
    ("query", "n", "heading"),
    [
        ("profile=bac-ninh-2025", 99, "tỉnh Bắc Ninh"),
        ("profile=national-2025", 34, "toàn quốc"),
        ("profile=national-2025&province=24", 99, "tỉnh Bắc Ninh"),
    ],
)
def test_locality_map_draws_every_unit_offline(server, query, n, heading):
    with offline_page(1280, 720) as page:
        page.goto(f"{server}/ban-do?{query}")
        frame, units = _units_drawn(page, n)
        assert units.count() == n
        assert page.get_by_role("heading", name=heading).count() + page.get_by_text(heading).count() > 0
        legend = frame.locator(".ktxh-legend").inner_text()
        assert "Số liệu minh họa" not in legend
        assert page.blocked == []
