"""Issue 19 in a real browser: a figure the plausibility rules flag is hatched and named in the legend (the tooltip
row is asserted on the rendered map in tests/unit/test_data_honesty.py),
and listed under the map; a province with no flagged figure shows no flag class. Screenshots for the closing note
go to KTXH_SHOTS (a folder) when it is set."""

import os
from pathlib import Path

import pytest
from browser import offline_page

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("KTXH_SHOTS")


def _map(page, n: int):
    page.wait_for_selector("iframe[title*='streamlit_folium']", timeout=90_000)
    frame = page.frame_locator("iframe[title*='streamlit_folium']").first
    frame.locator("path.leaflet-interactive[fill-opacity='0.85']").nth(n - 1).wait_for(state="attached", timeout=90_000)
    return frame


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / name))


@pytest.mark.parametrize("width,height", [(1280, 720), (1366, 768), (390, 844)])
def test_a_flagged_ward_is_hatched_with_its_rule(server, width, height):
    with offline_page(width, height) as page:
        page.goto(f"{server}/ban-do?profile=national-2025&province=08&indicator=population&center=21.84,105.2&zoom=11")
        frame = _map(page, 124)
        flagged = frame.locator("path[fill='url(#ktxh-flag)']")
        assert flagged.count() == 6  # Tuyên Quang: Minh Xuân 72, Hà Giang 2 331, … (plausibility_flags.csv)
        legend = frame.locator(".ktxh-legend").inner_text()
        assert "Cần kiểm tra (không phải số liệu chính thức)" in legend
        assert "Dân số (năm số liệu không được nêu; công bố 17/7/2025)" in page.locator("body").inner_text()
        assert "năm 2025 —" not in page.locator("body").inner_text()
        _shot(page, f"national-08-population-{width}x{height}.png")
        assert page.blocked == []


def test_the_flagged_table_and_the_conflict_caption_under_the_map(server):
    with offline_page(1280, 720) as page:
        page.goto(f"{server}/ban-do?profile=national-2025&province=08&indicator=population")
        _map(page, 124)
        heading = page.get_by_text("Số liệu cần kiểm tra — gạch chéo đỏ trên bản đồ")
        heading.wait_for(timeout=60_000)
        table = page.locator("[data-testid='stDataFrame']").last
        body = page.locator("body").inner_text()
        assert "Số liệu cần kiểm tra" in body
        assert "Tỉnh Tuyên Quang: tổng dân số của 97/124 xã, phường có số liệu là 1.289.594 người" in body
        table.scroll_into_view_if_needed()
        _shot(page, "national-08-flagged-table-1280x720.png")


def test_bac_ninh_has_no_flagged_figure(server):
    with offline_page(1280, 720) as page:
        page.goto(f"{server}/ban-do?profile=bac-ninh-2025&indicator=density")
        frame = _map(page, 99)
        assert frame.locator("path[fill='url(#ktxh-flag)']").count() == 0
        legend = frame.locator(".ktxh-legend").inner_text()
        assert "Cần kiểm tra" not in legend and "Mật độ dân số" in legend
        assert "năm số liệu không được nêu" in page.locator("body").inner_text()
        _shot(page, "bac-ninh-density-1280x720.png")
