"""The slide deck: shipped deck valid, bad decks named precisely, adding a slide keeps what was saved."""

import json

import pytest

from ktxh_geo.errors import DataError
from ktxh_geo.model import slides
from ktxh_geo.model.auth import signed_in
from ktxh_geo.model.viewstate import ViewState, shipped_options

AN = signed_in("an", "password")


def test_shipped_deck_views_are_all_valid():
    opts = shipped_options()
    deck = slides.parse_deck(slides.shipped_deck_path().read_text(encoding="utf-8"), slides.shipped_deck_path())
    assert len(deck) >= 4
    states = []
    for slide in deck:
        state, notices = ViewState.from_params(slide.params, opts)
        assert notices == [], (slide.title, notices)
        states.append(state)
    assert [s.indicator for s in states][:2] == ["model_villages", "ntm_status"]
    assert "cluster" in states[2].layers
    assert states[3].indicator == "poverty_rate" and states[3].illustrative  # marked "Số liệu minh họa"


@pytest.mark.parametrize(
    "text,message",
    [
        ("{not json", "dòng 1: JSON không hợp lệ"),
        ('{"pages": []}', "khóa “slides”"),
        ('{"slides": [{"title": "A", "params": {}}, {"title": "  "}]}', "trang 2: trường “title”"),
        ('{"slides": [{"title": "A", "params": [1]}]}', "trang 1: trường “params”"),
    ],
)
def test_bad_deck_messages_name_file_slide_and_field(tmp_path, text, message):
    path = tmp_path / "slides.json"
    with pytest.raises(ValueError) as err:
        slides.parse_deck(text, path)
    assert path.name in str(err.value) and str(path.parent) not in str(err.value) and message in str(err.value)


def test_add_slide_copies_the_shipped_deck_then_appends(tmp_path, monkeypatch):
    monkeypatch.setenv("KTXH_STATE_DIR", str(tmp_path / "state"))
    shipped, _, _ = slides.load_deck()
    slides.add_slide(slides.Slide("Hộ nghèo Tam Hiệp", {"indicator": "poverty_rate", "commune": "07261"}), AN)
    slides.add_slide(slides.Slide("Thứ hai", {"indicator": "ntm_status"}), AN)
    deck, error, _ = slides.load_deck()
    assert error is None
    assert deck[: len(shipped)] == shipped
    assert [s.title for s in deck[len(shipped) :]] == ["Hộ nghèo Tam Hiệp", "Thứ hai"]
    assert deck[-2].params == {"indicator": "poverty_rate", "commune": "07261"}
    assert (tmp_path / "state" / "ktxh_store.sqlite").exists() and not (tmp_path / "state" / "slides.json").exists()


def test_an_old_slides_file_is_imported_once(state, tmp_path):
    old = {"slides": [{"title": "Cũ", "params": {"indicator": "ntm_status"}}]}
    (tmp_path / "slides.json").write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
    deck, error, _ = slides.load_deck()
    assert error is None and [s.title for s in deck] == ["Cũ"]
    slides.add_slide(slides.Slide("Mới", {}), AN)
    (tmp_path / "slides.json").write_text('{"slides": []}', encoding="utf-8")  # never imported again
    assert [s.title for s in slides.load_deck()[0]] == ["Cũ", "Mới"]


def test_broken_user_deck_falls_back_and_is_not_overwritten(state, tmp_path):
    (tmp_path / "slides.json").write_text("[1, 2", encoding="utf-8")
    deck, error, _ = slides.load_deck()
    assert deck and "slides.json" in error and "không bị xóa" in error
    with pytest.raises(DataError, match="slides.json"):
        slides.add_slide(slides.Slide("X", {}), AN)
    assert (tmp_path / "slides.json").read_text(encoding="utf-8") == "[1, 2"


def test_slide_params_carry_index_and_presentation():
    slide = slides.Slide("A", {"indicator": "ntm_status", "slide": "9", "present": "0"})
    assert slides.slide_params(slide, 2, True) == {"indicator": "ntm_status", "slide": "2", "present": "1"}
    assert slides.slide_params(slide, 0, False) == {"indicator": "ntm_status", "slide": "0"}
