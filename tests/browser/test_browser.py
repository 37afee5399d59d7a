"""Real-browser tests: Debian's Chromium driven by Playwright, with the internet blocked."""

import pytest
from browser import map_frame, offline_page, settled_map, still

pytestmark = pytest.mark.browser


def test_map_page_draws_19_communes_and_legend_offline(server):
    with offline_page() as page:
        page.goto(server + "/ban-do")
        frame = map_frame(page)
        shapes = frame.locator("path.leaflet-interactive")
        # 19 communes (+ project markers, which are circle paths too)
        frame.locator(".ktxh-legend").wait_for()
        commune_paths = frame.locator("path.leaflet-interactive[fill-opacity='0.85']")
        assert commune_paths.count() == 19
        assert shapes.count() > 19
        legend = frame.locator(".ktxh-legend").inner_text()
        assert "Số thôn được công nhận đạt chuẩn NTM kiểu mẫu" in legend
        assert "Chưa có số liệu" in legend and "Không áp dụng" in legend
        assert "Cụm công nghiệp (CCN)" in legend
        assert frame.locator(".ktxh-label", has_text="Bố Hạ").count() == 1
        assert page.get_by_text("Page not found").count() == 0
        assert page.blocked == []


def test_hover_shows_value_unit_year_and_source(server):
    with offline_page() as page:
        page.goto(server + "/ban-do")
        frame = settled_map(page)  # a refit under the pointer would move the commune away from it
        # Đồng Tiến holds no project marker, so the pointer lands on the commune itself
        # (labels have pointer-events: none).
        label = still(frame.locator(".ktxh-label", has_text="Đồng Tiến"))
        box = label.bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        tip = frame.locator(".leaflet-tooltip").first
        tip.wait_for(timeout=10_000)
        text = tip.inner_text()
        assert "Xã Đồng Tiến" in text and "0 thôn" in text and "2023" in text
        assert "Kế hoạch KT-XH 2024, mục A, chú thích 1" in text
