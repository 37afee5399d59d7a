"""One gazetteer (issue 21): search, unit history and import read names with the same key and the same aliases."""

import pytest

from ktxh_geo.io import shipped as load
from ktxh_geo.model import crosswalk
from ktxh_geo.model.gazetteer import Gazetteer, NameIndex, match_key
from ktxh_geo.model.search import name_index, search_communes
from ktxh_geo.vocab import profile


@pytest.mark.parametrize(
    "query,full_name",
    [("Kinh Bắc", "Phường Kinh Bắc"), ("tu son", "Phường Từ Sơn"), ("P. Vũ Ninh", "Phường Vũ Ninh"),
     ("x. Bố Hạ", "Xã Bố Hạ"), ("phuong vu ninh", "Phường Vũ Ninh")],
)  # fmt: skip
def test_province_search_finds_wards_and_communes(query, full_name):
    with profile.use("bac-ninh-2025"):
        communes = load.load_communes()
        matches = search_communes(query, communes, load.load_units())
    assert matches and matches[0].full_name == full_name and matches[0].exact


def test_national_search_covers_every_province_and_names_the_province():
    with profile.use("national-2025") as p:
        communes = load.load_communes(p.drill_down["edition"])
        index = name_index(communes)
        matches = search_communes("phuong Ba Dinh", communes, index=index)
        assert matches[0].full_name == "Phường Ba Đình" and matches[0].province == "Thành phố Hà Nội"
        assert communes.set_index("code").at[matches[0].code, "province_code"] == "01"
        tan_tien = search_communes("Tân Tiến", communes, index=index)
    provinces = {m.province for m in tan_tien if m.exact}
    assert len(provinces) > 1  # a name several provinces share: every one is offered, each with its province


def test_the_same_key_in_search_history_and_import():
    typed = "P. Vũ Ninh"
    with profile.use("bac-ninh-2025"):
        units = load.load_units()
        (found,) = [m for m in search_communes(typed, load.load_communes(), units) if m.exact]
        gaz = Gazetteer.build(units, 2025)
        assert gaz.match(typed).code == found.code
    with profile.use("yen-the-2024"):
        assert [v.code for v in crosswalk.lookup("TT. Bố Hạ")] == [v.code for v in crosswalk.lookup("Bố Hạ")]
        assert match_key("TT. Bố Hạ") in Gazetteer.build(load.load_units(), 2024).aliases()


def test_name_index_keys_and_prefixes():
    index = NameIndex([("1", "Xã Đồng Kỳ"), ("2", "Đồng Tâm"), ("3", "Phường Đông Sơn")])
    assert index.codes("dong ky") == {"1"} and index.codes("dong son") == {"3"}
    assert (
        index.starting("dong") == {"1", "2", "3"}
        and index.starting("dong s") == set()
        and index.close("dong tm")[0] == "dong tam"
    )
