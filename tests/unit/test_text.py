from ktxh_geo.text import fold, fold_name, format_number, format_value


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
    assert fold_name("TT Phồn Xương") == "phon xuong"
    assert fold_name("Thị trấn Bố Hạ") == "bo ha"
    assert fold_name("xa  Dong   Son") == "dong son"


def test_fold_handles_nfd_input():
    import unicodedata

    assert fold(unicodedata.normalize("NFD", "Hương Vĩ")) == "huong vi"
