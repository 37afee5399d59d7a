"""Aggregation of 2020–2024 values onto newer editions: sums, weighted rates, status summaries, refusals."""

import dataclasses

import pandas as pd
import pytest

from ktxh_geo.io import shipped as load
from ktxh_geo.model.aggregate import DERIVED_MARK, AggregationRefused, aggregate_values, join_for_edition, mark_derived
from ktxh_geo.model.classify import classify
from ktxh_geo.model.join import join_indicator


def _rows(indicator_id, mapping, status="official", text=False):
    rows = [
        dict(
            indicator_id=indicator_id,
            level="commune",
            code=code,
            edition="2020-2024",
            year=2023,
            value=float("nan") if text else value,
            value_text=value if text else "",
            status=status,
            source=f"test {indicator_id}",
            note="",
        )
        for code, value in mapping.items()
    ]
    df = pd.DataFrame(rows)
    df["year"] = df["year"].astype("Int64")
    return df


def test_model_villages_sum_on_2025_communes(values, indicators):
    joined, shown, refusal = join_for_edition(
        load.load_communes("2025"), values, indicators["model_villages"], 2023, include_illustrative=False
    )
    assert refusal is None and shown == indicators["model_villages"]
    by = joined.set_index("code")
    assert by.at["07264", "value"] == 3  # Tam Tiến = An Thượng 3 + Tam Tiến 0 + Tiến Thắng 0
    assert by.at["07282", "value"] == 1  # Đồng Kỳ = ... + Hồng Kỳ 1 (bản Làng Ba)
    assert by.at["07288", "value"] == 1  # Yên Thế = Đồng Tâm 1 + ... (TT Phồn Xương not applicable)
    assert by.at["07246", "value"] == 1  # Xuân Lương: bản Nam Cầu
    assert by.at["07294", "value"] == 0
    assert joined["value"].sum() == 6  # the district total of footnote 1 is preserved
    assert by.at["07264", "display"] == "3 thôn"
    assert "An Thượng 3" in by.at["07264", "derived_rule"]
    assert by.at["07264", "source"].startswith(f"{DERIVED_MARK} (quy tắc: tổng)")
    assert by.at["07264", "value_note"] == by.at["07264", "derived_rule"]
    assert "Kế hoạch KT-XH 2024, mục A, chú thích 1" in by.at["07264", "source"]
    assert "không áp dụng cho Thị trấn Phồn Xương" in by.at["07288", "derived_rule"]
    assert by.at["07264", "status"] == "inferred"  # Tam Tiến 0 and Tiến Thắng 0 are inferred from footnote 1
    assert "giá trị suy ra từ văn bản (Tam Tiến, Tiến Thắng)" in by.at["07264", "derived_rule"]


def test_model_villages_on_interim_edition(values, indicators):
    joined, _, _ = join_for_edition(load.load_communes("2025-h1"), values, indicators["model_villages"], 2023)
    by = joined.set_index("code")
    assert len(joined) == 17
    assert by.at["07282", "value"] == 1  # Đồng Kỳ 0 + Hồng Kỳ 1
    assert by.at["07261", "value"] == 0  # Tam Hiệp 0 + Tân Hiệp 0
    assert by.at["07285", "value"] == 3
    assert by.at["07288", "display"] == "Không áp dụng"


def test_2020_2024_join_is_unchanged(values, indicators, communes):
    joined, _, refusal = join_for_edition(communes, values, indicators["model_villages"], 2023)
    plain = join_indicator(communes, values, indicators["model_villages"], 2023)
    assert refusal is None
    pd.testing.assert_frame_equal(joined.drop(columns="derived_rule"), plain)
    assert joined["derived_rule"].eq("").all()


def test_weighted_mean_hand_computed(indicators):
    poverty = indicators["poverty_rate"]
    # Xuân Lương (07246) = Đồng Tiến 07243 + Canh Nậu 07246 + Xuân Lương 07249
    rates = _rows("poverty_rate", {"07243": 6.0, "07246": 3.0, "07249": 1.0}, status="illustrative")
    households = _rows("households", {"07243": 1000, "07246": 500, "07249": 500})
    out = aggregate_values(pd.concat([rates, households]), poverty, 2023, "2025").set_index("code")
    # (6×1000 + 3×500 + 1×500) / 2000 = 8000 / 2000 = 4.0 (an unweighted mean would give 3.33)
    assert out.at["07246", "value"] == pytest.approx(4.0)
    assert list(out.index) == ["07246"]  # other communes have no member values
    assert out.at["07246", "status"] == "illustrative"  # the illustrative mark survives aggregation
    assert out.at["07246", "derived_rule"].startswith("bình quân gia quyền")


def test_weighted_mean_refused_without_denominator(values, indicators):
    with pytest.raises(AggregationRefused, match="bình quân gia quyền") as info:
        aggregate_values(values, indicators["poverty_rate"], 2023, "2025")
    assert "Tỷ lệ hộ nghèo" in str(info.value) and "Xã Đồng Tiến" in str(info.value)
    # one member without a household count is enough to refuse
    rates = _rows("poverty_rate", {"07243": 6.0, "07246": 3.0, "07249": 1.0})
    households = _rows("households", {"07243": 1000, "07246": 500})
    with pytest.raises(AggregationRefused, match="Xã Xuân Lương"):
        aggregate_values(pd.concat([rates, households]), indicators["poverty_rate"], 2023, "2025")


def test_refusal_on_the_shipped_data_keeps_the_map_grey(values, indicators):
    joined, _, refusal = join_for_edition(load.load_communes("2025"), values, indicators["poverty_rate"], 2023)
    assert refusal and "Không gộp được" in refusal
    assert joined["display"].eq("Chưa có số liệu").all()


def test_indicator_without_rule_is_refused(values, indicators):
    with pytest.raises(AggregationRefused, match="không có quy tắc gộp"):
        aggregate_values(values, indicators["ntm_criteria"], 2023, "2025")


def test_status_summary_counts_xa_and_excludes_thi_tran(indicators):
    status = indicators["ntm_status"]
    # Yên Thế (07288): Đồng Tâm, Tam Hiệp, Đồng Lạc, Tân Hiệp, Tân Sỏi (+ TT Phồn Xương, not applicable)
    vals = _rows(
        "ntm_status",
        {
            "07260": "đạt chuẩn NTM",
            "07261": "chưa đạt",
            "07270": "NTM nâng cao",
            "07276": "chưa đạt",
            "07291": "đã thẩm tra",
            "07288": "đạt chuẩn NTM",  # a thị trấn row must not be counted
        },
        text=True,
    )
    out = aggregate_values(vals, status, 2023, "2025").set_index("code")
    assert out.at["07288", "value_text"] == "3/5 xã đạt chuẩn NTM hoặc đã thẩm tra"
    assert out.at["07288", "value"] == 3
    assert "Thị trấn Phồn Xương" in out.at["07288", "derived_rule"]


def test_status_summary_on_shipped_data_says_what_is_unknown(indicators):
    vals = load.load_values(include_illustrative=False)
    joined, shown, _ = join_for_edition(load.load_communes("2025"), vals, indicators["ntm_status"], 2023, False)
    by = joined.set_index("code")
    # Bố Hạ = Đông Sơn (đã thẩm tra, official) + Hương Vĩ (no value); TT Bố Hạ not applicable
    assert by.at["07294", "display"] == "1/2 xã đạt chuẩn NTM hoặc đã thẩm tra (1 xã chưa có số liệu)"
    assert by.at["07246", "display"] == "Chưa có số liệu"
    assert shown.kind == "numeric" and shown.unit == "xã"  # summarised as a count, never averaged
    classification = mark_derived(classify(joined, shown), joined)
    assert DERIVED_MARK in classification.title and "đếm số xã" in classification.title


def test_sum_with_a_missing_member_is_not_shown(indicators):
    vals = _rows("model_villages", {"07252": 1.0, "07264": 2.0})  # An Thượng 07285 missing
    out = aggregate_values(vals, indicators["model_villages"], 2023, "2025")
    assert "07264" not in set(out["code"])


def test_area_like_sum_for_an_all_units_indicator(indicators):
    crop = dataclasses.replace(indicators["model_villages"], id="crop", applies_to="all", unit="ha", decimals=1)
    vals = _rows("crop", {"07294": 10.5, "07273": 20.0, "07279": 4.25})
    out = aggregate_values(vals, crop, 2023, "2025").set_index("code")
    assert out.at["07294", "value"] == pytest.approx(34.75)  # thị trấn included when the indicator covers all units
