"""Hostile slide titles and sources on the map page are plain text (AppTest)."""

import json
from pathlib import Path

import pytest
from hostile import HOSTILE
from streamlit.testing.v1 import AppTest

from ktxh_geo.render.escape import md_text

APP = str(Path(__file__).resolve().parents[2] / "app.py")


@pytest.mark.parametrize("text", HOSTILE[:12])
def test_slide_titles_and_sources_on_the_map_page_are_plain_text(state, text, tmp_path):
    deck = {"slides": [{"title": text, "params": {"indicator": "model_villages"}}]}
    (tmp_path / "slides.json").write_text(json.dumps(deck, ensure_ascii=False), encoding="utf-8")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("views/ban_do.py")
    at.run()
    assert not at.exception
    labels = [b.label for b in at.sidebar.button if b.key == "slide_go_0"]
    assert labels == [f"1. {md_text(text)}"]  # Markdown-escaped: shown as typed, never rendered
