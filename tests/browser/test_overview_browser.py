"""The overview (/tong-quan, here the home page) at 1280×720 (issue 10): chart titles, axis and legend labels whole
(nothing cut with "…"), every category labelled, bar labels not overlapping, tables showing all their rows."""

import pytest
from browser import offline_page, wait_rerun

pytestmark = pytest.mark.browser
TEXTS = """e => [...e.querySelectorAll('text')].map(t => { const b = t.getBoundingClientRect();
  return [t.textContent, b.left, b.top, b.right, b.bottom]; })"""


def hit(a, b) -> bool:
    return a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]


@pytest.mark.parametrize("width,height", [(1280, 720), (1920, 1080)])
def test_charts_and_tables_are_whole(server, width, height):
    with offline_page(width, height) as page:
        page.goto(server + "/")
        charts = page.locator("[data-testid='stVegaLiteChart']")
        wait_rerun(page)
        for i in range(3):  # every chart drawn (its axis text laid out)
            charts.nth(i).locator("svg text, canvas").first.wait_for(timeout=60_000)
        assert charts.count() == 3
        all_text = []
        for i in range(3):
            svg = charts.nth(i).locator("svg").first
            texts = svg.evaluate(TEXTS)
            words = [t[0] for t in texts]
            all_text += words
            assert not [w for w in words if "…" in w], words
            bar_labels = [t for t in texts if any(c.isdigit() for c in t[0]) and "," in t[0] or t[0].isdigit()]
            for j, a in enumerate(bar_labels):
                for b in bar_labels[j + 1 :]:
                    assert not hit(a, b), (a, b)
        joined = " ".join(all_text)
        for name in (
            "Kế hoạch 2024",
            "Ước thực hiện 2023",
            "Dịch vụ",
            "Công nghiệp-XD",
            "Nông-lâm-thủy",
            "Thôn NTM kiểu",
            "Tỷ lệ hộ nghèo",
        ):
            assert name in joined, (name, joined)
        # tables: no scrolling inside (every row visible)
        grids = page.locator("[data-testid='stDataFrame'] .dvn-scroller")
        assert grids.count() >= 5
        for i in range(grids.count()):
            sh, ch = grids.nth(i).evaluate("e => [e.scrollHeight, e.clientHeight]")
            assert sh <= ch + 1, (i, sh, ch)
        assert page.blocked == []
