import pytest

from ktxh_geo.io import shipped as load
from ktxh_geo.model.search import search_communes


@pytest.mark.parametrize(
    "query,code",
    [
        ("dong son", "07273"),
        ("Đông Sơn", "07273"),
        ("xã Đông Sơn", "07273"),
        ("Bồ Hạ", "07294"),
        ("bo ha", "07294"),
        ("TT Phồn Xương", "07288"),
        ("Cầu Gồ", "07288"),
        ("Hương Vỹ", "07279"),
        ("Đông Tâm", "07260"),  # the plan's spelling of Đồng Tâm
    ],
)
def test_search_finds_commune(query, code, communes, units):
    matches = search_communes(query, communes, units)
    assert matches and matches[0].code == code and matches[0].exact


def test_diacritics_typed_rank_the_exact_spelling_first(communes, units):
    codes = [m.code for m in search_communes("Đông", communes, units)]
    assert codes.index("07273") < codes.index("07282")  # Đông Sơn before Đồng Kỳ
    assert codes.index("07273") < codes.index("07243")  # ... and before Đồng Tiến


def test_tam_and_tan_not_merged(communes, units):
    assert {m.code for m in search_communes("Tân", communes, units)} == {"07276", "07291"}
    assert [m.code for m in search_communes("Tam Hiệp", communes, units)] == ["07261"]


def test_unknown_name_finds_nothing(communes, units):
    assert search_communes("Hà Nội", communes, units) == []
    assert search_communes("", communes, units) == []


def test_former_units_find_their_successor(units):
    h1 = load.load_communes("2025-h1")
    assert [m.code for m in search_communes("Hồng Kỳ", h1, units)] == ["07282"]
    new = load.load_communes("2025")
    assert [m.code for m in search_communes("Đông Sơn", new, units)] == ["07294"]
