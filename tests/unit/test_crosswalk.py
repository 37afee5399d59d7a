"""Unit history lookups (old ↔ interim ↔ 2025) and the geometric nesting of the three editions."""

from datetime import date

import pytest

from ktxh_geo.io import shipped as load
from ktxh_geo.model import crosswalk

UTM48N = "EPSG:32648"


def _codes(found):
    return [(v.code, v.full_name) for v in found]


def test_editions_have_19_17_5_units():
    assert [len(crosswalk.edition_units(e)) for e in ("2020-2024", "2025-h1", "2025")] == [19, 17, 5]


def test_code_07261_changed_meaning_on_2025_01_01():
    assert _codes(crosswalk.lookup("07261", on=date(2024, 12, 31))) == [("07261", "Xã Tam Hiệp")]
    after = crosswalk.lookup("07261", on=date(2025, 1, 1))
    assert _codes(after) == [("07261", "Xã Tân Hiệp")]
    assert after[0].members == ("07261", "07276")  # old Tam Hiệp + old Tân Hiệp
    assert crosswalk.lookup("07261", on=date(2025, 7, 1)) == []  # not a commune code after the reform
    assert len(crosswalk.lookup("07261")) == 2  # without a date: both meanings


def test_code_07276_retired_and_its_successors():
    (old,) = crosswalk.lookup("07276")
    assert old.full_name == "Xã Tân Hiệp" and old.valid_to == date(2024, 12, 31)
    assert crosswalk.lookup("07276", on=date(2025, 2, 1)) == []
    (chain,) = crosswalk.successors("07276")
    assert (chain.h1.code, chain.h1.full_name) == ("07261", "Xã Tân Hiệp")
    assert (chain.new.code, chain.new.full_name) == ("07288", "Xã Yên Thế")


def test_07282_dong_ky_enlarged_with_hong_ky():
    before, interim, new = crosswalk.lookup("07282")
    assert before.members == ("07282",) and before.valid_to == date(2024, 12, 31)
    assert interim.members == ("07267", "07282")
    assert set(new.members) == {"07255", "07258", "07267", "07282"}
    (hong_ky,) = crosswalk.successors("Hồng Kỳ")
    assert hong_ky.old.code == "07267" and hong_ky.h1.code == "07282" and hong_ky.new.full_name == "Xã Đồng Kỳ"


@pytest.mark.parametrize("query", ["dong tien", "Đồng Tiến", "xã Đồng Tiến", "DONG TIEN", "Đồng Tiến (huyện Yên Thế)"])
def test_names_are_accent_insensitive(query):
    (chain,) = crosswalk.successors(query)
    assert chain.old.code == "07243"
    assert (chain.new.code, chain.new.full_name) == ("07246", "Xã Xuân Lương")


@pytest.mark.parametrize(
    "query", ["07816", "06436", "00385", "Hồng Kỳ (Sóc Sơn)", "Đồng Tiến, Hiệp Hòa", "Đồng Tiến (Hữu Lũng)"]
)
def test_homonyms_outside_the_district_are_never_matched(query):
    assert crosswalk.lookup(query) == []
    assert crosswalk.successors(query) == []


def test_new_to_old_constituents():
    names = [v.full_name for v in crosswalk.predecessors("07264", "2025")]
    assert names == ["Xã Tam Tiến", "Xã Tiến Thắng", "Xã An Thượng"]
    yen_the = {v.code for v in crosswalk.predecessors("07288", "2025")}
    assert yen_the == {"07260", "07261", "07270", "07276", "07288", "07291"}
    assert {v.code for v in crosswalk.predecessors("07261", "2025-h1")} == {"07261", "07276"}
    assert crosswalk.predecessors("07816", "2025") == []


def test_search_by_new_name_returns_all_old_units():
    chains = crosswalk.successors("Yên Thế", on=date(2025, 8, 1))
    assert {c.old.code for c in chains} == {"07260", "07261", "07270", "07276", "07288", "07291"}
    # a name that is both old and new: Tam Tiến (07252, old) and Tam Tiến (07264, new)
    assert _codes(crosswalk.lookup("tam tien")) == [("07252", "Xã Tam Tiến"), ("07264", "Xã Tam Tiến")]


def test_variants_find_the_official_unit():
    assert _codes(crosswalk.lookup("Cầu Gồ")) == [("07288", "Thị trấn Phồn Xương")]
    assert ("07294", "Thị trấn Bố Hạ") in _codes(crosswalk.lookup("Bồ Hạ"))


def test_history_table_has_a_row_per_old_unit():
    table = crosswalk.history_table().set_index("old_code")
    assert len(table) == 19
    assert table.at["07276", "h1_code"] == "07261" and "1191" in table.at["07276", "h1_basis"]
    assert table.at["07285", "h1_basis"] == "không đổi"
    assert table.at["07243", "new_name"] == "Xã Xuân Lương" and table.at["07243", "nq1658_item"] == "54"
    assert set(table["nq1658_item"]) == {"51", "52", "53", "54", "55"}


@pytest.mark.parametrize("edition", ["2025-h1", "2025"])
def test_each_unit_equals_the_union_of_its_old_units(edition):
    old = load.load_communes("2020-2024").to_crs(UTM48N).set_index("code")
    new = load.load_communes(edition).to_crs(UTM48N).set_index("code")
    members = crosswalk.members_of(edition)
    assert set(members) == set(new.index)
    for code, geom in new.geometry.items():
        union = old.loc[list(members[code])].geometry.union_all()
        diff_km2 = geom.symmetric_difference(union).area / 1e6
        assert diff_km2 < 0.01, (code, diff_km2)
