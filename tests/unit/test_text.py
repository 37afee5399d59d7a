from ktxh_geo.model.gazetteer import match_key
from ktxh_geo.text import fold, format_number, format_value


def test_vietnamese_number_format():
    assert format_value(2.83, "%", 2) == "2,83 %"
    assert format_value(1350, "tỷ đồng", 2) == "1.350 tỷ đồng"
    assert format_value(2249.26, "tỷ đồng", 2) == "2.249,26 tỷ đồng"
    assert format_value(4.1, "%", 2) == "4,10 %"
    assert format_number(7124.8, 1) == "7.124,8"
    assert format_number(0.5, 2, strip=False) == "0,50"
    assert format_value(float("nan"), "%") == ""


def test_fold_removes_diacritics_and_prefixes():
    assert fold("Đông Sơn") == fold("dong son") == "dong son"
    assert match_key("TT Phồn Xương") == "phon xuong"
    assert match_key("Thị trấn Bố Hạ") == "bo ha"
    assert match_key("xa  Dong   Son") == "dong son"
    assert match_key("P. Vũ Ninh") == match_key("phường Vũ Ninh") == "vu ninh"
    assert match_key("TT. Đồng Kỳ") == match_key("đặc khu Đồng Kỳ") == "dong ky"


def test_fold_handles_nfd_input():
    import unicodedata

    assert fold(unicodedata.normalize("NFD", "Hương Vĩ")) == "huong vi"
