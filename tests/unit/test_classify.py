import pytest

from ktxh_geo.io import shipped as load
from ktxh_geo.model.classify import NO_DATA_COLOR, SCHEMES, classify
from ktxh_geo.model.join import ILLUSTRATIVE_MARK, NO_DATA, NOT_APPLICABLE, join_indicator


def _joined(communes, values, indicators, ind_id, illustrative=True):
    return join_indicator(communes, values, indicators[ind_id], 2023, illustrative)


@pytest.mark.parametrize("scheme", ["natural_breaks", "quantiles", "equal_interval"])
def test_numeric_schemes_cover_every_value(scheme, communes, values, indicators):
    joined = _joined(communes, values, indicators, "poverty_rate")
    cls = classify(joined, indicators["poverty_rate"], scheme=scheme, k=4)
    fills = [item for item in cls.legend if item.kind == "fill"]
    assert len(fills) == 4
    assert NO_DATA_COLOR not in cls.colors  # every commune has a value
    # each commune's colour is the legend colour of its class, and classes are ordered
    by_label = {item.label: item.color for item in fills}
    assert all(by_label[label] == color for label, color in zip(cls.class_labels, cls.colors, strict=True))
    top = joined["value"].idxmax()
    assert cls.colors[top] == fills[-1].color
    assert cls.bins[-1] == pytest.approx(joined["value"].max())


def test_legend_always_has_no_data_and_unit(communes, values, indicators):
    cls = classify(_joined(communes, values, indicators, "poverty_rate"), indicators["poverty_rate"])
    assert cls.legend[-1].label == NO_DATA and cls.legend[-1].kind == "no_data"
    assert all(item.label.endswith("%") for item in cls.legend if item.kind == "fill")
    assert "(%)" in cls.title and ILLUSTRATIVE_MARK in cls.title


def test_missing_values_get_no_colour_class(communes, indicators):
    vals = load.load_values(include_illustrative=False)
    joined = _joined(communes, vals, indicators, "poverty_rate", illustrative=False)
    cls = classify(joined, indicators["poverty_rate"])
    assert set(cls.colors) == {NO_DATA_COLOR}
    assert [i.kind for i in cls.legend] == ["no_data"]
    assert ILLUSTRATIVE_MARK not in cls.title


def test_user_breaks_for_official_thresholds(communes, values, indicators):
    ind = indicators["ntm_criteria"]
    joined = _joined(communes, values, indicators, "ntm_criteria")
    cls = classify(joined, ind, scheme="user")
    labels = [i.label for i in cls.legend if i.kind == "fill"]
    assert labels == ["0 – 13 tiêu chí", "14 – 15 tiêu chí", "16 – 17 tiêu chí", "18 tiêu chí", "19 tiêu chí"]
    by_code = dict(zip(joined["code"], cls.class_labels, strict=True))
    assert by_code["07273"] == "19 tiêu chí"
    assert by_code["07288"] == NOT_APPLICABLE
    custom = classify(joined, ind, scheme="user", breaks=(15.0,))
    assert [i.label for i in custom.legend if i.kind == "fill"] == ["0 – 15 tiêu chí", "16 – 19 tiêu chí"]


def test_categorical_status_map(communes, values, indicators):
    ind = indicators["ntm_status"]
    joined = _joined(communes, values, indicators, "ntm_status", illustrative=False)
    cls = classify(joined, ind)
    labels = [i.label for i in cls.legend]
    assert labels[:5] == ["chưa đạt", "đã thẩm tra", "đạt chuẩn NTM", "NTM nâng cao", "NTM kiểu mẫu"]
    assert labels[-2:] == [NO_DATA, NOT_APPLICABLE]
    by_code = dict(zip(joined["code"], cls.class_labels, strict=True))
    assert by_code["07273"] == by_code["07291"] == "đã thẩm tra"
    assert by_code["07243"] == NO_DATA  # no source states Đồng Tiến's status
    assert by_code["07294"] == NOT_APPLICABLE


def test_unknown_scheme_rejected(communes, values, indicators):
    joined = _joined(communes, values, indicators, "poverty_rate")
    with pytest.raises(ValueError, match="unknown scheme"):
        classify(joined, indicators["poverty_rate"], scheme="magic")
    assert set(SCHEMES) == {"natural_breaks", "quantiles", "equal_interval", "user"}
