"""Property-based tests (hypothesis) of the commune name matcher and the cell validators."""

import unicodedata

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ktxh_geo.io import shipped as load
from ktxh_geo.model.datasets import load_datasets
from ktxh_geo.model.gazetteer import Gazetteer, match_key
from ktxh_geo.model.imports import parse_category, parse_number
from ktxh_geo.text import fold, format_number

UNITS = load.load_units()
GAZ = {year: Gazetteer.build(UNITS, year) for year in (2024, 2025)}
DATASETS = load_datasets()
RATE = DATASETS["poverty_rate"].column("poverty_rate")
COUNT = DATASETS["poverty_rate"].column("households")
CRITERIA = DATASETS["ntm_criteria"].column("ntm_criteria")
STATUS = DATASETS["ntm_status"].column("ntm_status")
PREFIXES = ["", "Xã ", "xã ", "XÃ ", "xa ", "X. ", "x.", "TT ", "TT. ", "tt.", "Thị trấn ", "thi tran ", "THỊ TRẤN "]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _spellings(name: str):
    """Ways people write a commune name: case, diacritics, NFC/NFD, spacing, a unit prefix."""
    return st.builds(
        lambda prefix, case, strip, form, pad_l, pad_r, inner: (
            " " * pad_l
            + unicodedata.normalize(
                form,
                (prefix + (fold(name) if strip else name)).__getattribute__(case)(),
            ).replace(" ", " " * inner)
            + " " * pad_r
        ),
        st.sampled_from(PREFIXES),
        st.sampled_from(["lower", "upper", "title", "strip"]),
        st.booleans(),
        st.sampled_from(["NFC", "NFD", "NFKC", "NFKD"]),
        st.integers(0, 3),
        st.integers(0, 3),
        st.integers(1, 3),
    )


@st.composite
def unit_and_spelling(draw, year):
    row = draw(st.sampled_from(list(GAZ[year].valid.itertuples())))
    return row.gso_code, draw(_spellings(row.name))


@SETTINGS
@given(unit_and_spelling(2024))
def test_any_spelling_of_a_2024_unit_matches_its_code(case):
    code, text = case
    match = GAZ[2024].match(text)
    assert match.code == code, (text, match)


@SETTINGS
@given(unit_and_spelling(2025))
def test_any_spelling_of_a_2025_unit_matches_its_code(case):
    code, text = case
    assert GAZ[2025].match(text).code == code


@SETTINGS
@given(_spellings("Tam Hiệp"))
def test_a_unit_gone_by_2025_is_reported_not_matched(text):
    match = GAZ[2025].match(text)
    assert match.code is None and match.status == "not_in_year"


@SETTINGS
@given(st.text(min_size=1, max_size=30))
def test_matcher_never_crashes_and_only_returns_units_of_the_year(text):
    match = GAZ[2024].match(text)
    valid = set(GAZ[2024].valid["gso_code"])
    assert match.code is None or match.code in valid
    assert all(code in valid for code, _ in match.suggestions if match.status != "not_in_year")
    if match.code:
        assert match_key(text) in GAZ[2024].aliases()


@SETTINGS
@given(st.text(alphabet="xyzqwjf", min_size=4, max_size=12))
def test_nonsense_names_do_not_match(text):
    assert GAZ[2024].match(text).code is None


@SETTINGS
@given(st.floats(min_value=0, max_value=100, allow_nan=False), st.sampled_from([",", "."]), st.booleans())
def test_rates_in_range_parse_in_either_decimal_style(value, sep, percent):
    text = f"{value:.2f}".replace(".", sep) + (" %" if percent else "")
    number, message = parse_number(text, RATE)
    assert message == "" and number == pytest.approx(round(value, 2))
    assert parse_number(value, RATE) == (value, "")


@SETTINGS
@given(st.one_of(st.floats(max_value=-1e-9, allow_nan=False), st.floats(min_value=100.0001, allow_nan=False)))
def test_rates_out_of_range_are_refused(value):
    assume(value != float("inf") and value != float("-inf"))
    number, message = parse_number(value, RATE)
    assert number is None and ("vượt quá" in message or "nhỏ hơn" in message)


@SETTINGS
@given(st.integers(-50, 60))
def test_criteria_accept_exactly_0_to_19(n):
    number, message = parse_number(n, CRITERIA)
    if 0 <= n <= 19:
        assert number == n and message == ""
    else:
        assert number is None and message


@SETTINGS
@given(st.integers(0, 10**7))
def test_counts_accept_thousands_separators(n):
    dotted = f"{n:,}".replace(",", ".")
    assert parse_number(dotted, COUNT) == (n, "")
    assert parse_number(str(n), COUNT) == (n, "")
    assert parse_number(-n - 1, COUNT)[0] is None


@SETTINGS
@given(st.floats(min_value=0.01, max_value=1e6, allow_nan=False).filter(lambda v: v != int(v)))
def test_counts_refuse_fractions(value):
    number, message = parse_number(value, COUNT)
    assert number is None and "số nguyên" in message


@SETTINGS
@given(st.text(min_size=1, max_size=20))
def test_text_is_a_number_or_a_clear_message(text):
    number, message = parse_number(text, RATE)
    assert (number is None) == bool(message) or (number is None and not text.strip())
    if number is not None:
        assert 0 <= number <= 100


@SETTINGS
@given(st.sampled_from(STATUS.categories), st.sampled_from(["lower", "upper", "title"]), st.booleans())
def test_categories_match_without_case_or_diacritics(category, case, strip):
    text = getattr(fold(category) if strip else category, case)()
    assert parse_category(text, STATUS) == (category, "")


@SETTINGS
@given(st.text(min_size=1, max_size=20))
def test_unknown_categories_are_refused(text):
    assume(fold(text) not in {fold(c) for c in STATUS.categories} and text.strip())
    value, message = parse_category(text, STATUS)
    assert value == "" and "không thuộc" in message


@SETTINGS
@given(st.text(st.characters(categories=["Nd"]).filter(lambda c: not c.isascii()), min_size=1, max_size=6))
def test_non_ascii_digits_are_refused(text):
    for column in (RATE, COUNT, CRITERIA):
        assert parse_number(text, column) == (None, f"“{text}” không phải là số")


@SETTINGS
@given(
    st.one_of(
        st.from_regex(r"\A-?[0-9]{1,3}(\.[0-9]{1,2})?[eE][+-]?[0-9]{1,2}\Z"),  # 1e3, 2.5E-1
        st.from_regex(r"\A[0-9]{1,2}(_[0-9]{1,3})+\Z"),  # 1_000
        st.sampled_from(["inf", "-inf", "Infinity", "nan", "NaN", "+5", "0x10", "0b1", "0o7", "1j"]),
    )
)
def test_forms_only_python_accepts_are_refused(text):
    for column in (RATE, COUNT):
        number, message = parse_number(text, column)
        assert number is None and message == f"“{text}” không phải là số"


@SETTINGS
@given(st.floats(min_value=0, max_value=100, allow_nan=False))
def test_vietnamese_formatted_rates_round_trip(value):
    text = format_number(value, 2, strip=False)
    assert parse_number(text, RATE) == (pytest.approx(round(value, 2)), "")


@SETTINGS
@given(st.integers(0, 10**7), st.sampled_from([".", ",", " ", "\u00a0"]))
def test_counts_with_any_thousands_separator(n, sep):
    text = f"{n:,}".replace(",", sep)
    assert parse_number(text, COUNT) == (n, "")
