"""Figures over time in chromium (issue 23): with figures of two years, the year stepper keeps the legend's classes
and the change map's legend is diverging. Screenshots go to ``$KTXH_SHOTS_DIR`` (else a temporary folder)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from browser import streamlit_server

from ktxh_geo.io.db import STORE_FILE
from ktxh_geo.io.store import Cell, save
from ktxh_geo.vocab import signed_in

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ["KTXH_SHOTS_DIR"]) if os.environ.get("KTXH_SHOTS_DIR") else None
FRAME = "iframe[title*='streamlit_folium']"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """An app whose store holds 2022 figures of Yên Thế's model villages (the shipped ones are of 2023)."""
    state = tmp_path_factory.mktemp("state")
    cells = [Cell("model_villages", c, "2020-2024", 2022, v) for c, v in [("07285", 1.0), ("07246", 6.0)]]
    save(cells, editor=signed_in("kiểm thử", "cli"), source="Báo cáo kiểm thử", action="import", dataset="test",
         path=state / STORE_FILE)  # fmt: skip
    with streamlit_server({"KTXH_STATE_DIR": str(state)}) as url:
        yield url


def _legend(page, title_part: str) -> list[str]:
    """The fill rows of the map's legend, once its title contains ``title_part``."""
    frame = page.frame_locator(FRAME).first
    frame.locator(".ktxh-legend h4", has_text=title_part).first.wait_for(timeout=90_000)
    return frame.locator(".ktxh-legend .row[data-kind='fill']").all_inner_texts()


def _choose(page, label: str, option: str, tries: int = 4) -> None:
    """Pick ``option`` of a select box; a rerun that redraws the sidebar closes an open list, so open it again."""
    for attempt in range(tries):
        page.get_by_role("combobox", name=label).click()
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=5_000)
            return
        except Exception:
            if attempt == tries - 1:
                raise


def _shot(page, name: str, tmp_path) -> None:
    folder = SHOTS or tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"over_time_{name}.png"))


def test_year_stepper_keeps_the_classes_and_the_change_map_diverges(server, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        page.goto(f"{server}/ban-do?indicator=model_villages&year=2023")
        page.get_by_role("heading", name=re.compile("năm 2023")).wait_for(timeout=90_000)
        legend_2023 = _legend(page, "Số thôn")
        assert legend_2023 and legend_2023[-1].endswith("6 thôn"), legend_2023  # 2022's 6 in the 2023 legend too
        _shot(page, "2023_1366x768", tmp_path)
        slider = page.locator("[data-testid='stSidebar'] input[type='range'][aria-label='Năm']")
        slider.focus()
        slider.press("ArrowLeft")  # the stepper, one year back
        page.get_by_role("heading", name=re.compile("năm 2022")).wait_for(timeout=90_000)
        page.frame_locator(FRAME).first.locator(".ktxh-title, .ktxh-legend").first.wait_for()
        assert _legend(page, "Số thôn") == legend_2023  # the same classes in 2022
        _shot(page, "2022_1366x768", tmp_path)
        _choose(page, "Bản đồ thay đổi so với năm", "2023")
        page.get_by_role("heading", name=re.compile("Thay đổi số thôn")).wait_for(timeout=90_000)
        rows = _legend(page, "phân kỳ")
        assert len(rows) == 6 and rows[0].startswith("-") and rows[-1].startswith("+"), rows
        _shot(page, "change_1366x768", tmp_path)
    finally:
        context.close()


def test_card_shows_the_years_of_a_commune(server, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        page.goto(f"{server}/ban-do?indicator=model_villages&year=2023&commune=07285")
        card = page.locator(".st-key-ktxh_card")
        card.locator(".st-key-card_print").wait_for(timeout=90_000)
        figure = card.locator(".st-key-card_fig_model_villages")
        figure.get_by_text("Các năm: 2022: 1 thôn · 2023: 3 thôn").wait_for(timeout=30_000)
        figure.locator("[data-testid='stVegaLiteChart'], [data-testid='stArrowVegaLiteChart']").first.wait_for()
        figure.scroll_into_view_if_needed()
        _shot(page, "card_years_1366x768", tmp_path)
    finally:
        context.close()
