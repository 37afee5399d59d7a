"""Show an indicator recorded on the base edition's units on a newer edition, by aggregation along the crosswalk.

Every merge is of whole units (see ``crosswalk``), so a newer unit's value is computed from its member units'
values with the rule declared per indicator (data/indicators.csv, column ``aggregation``):

* ``sum``: counts and areas add up (thị trấn excluded for xã-only indicators: they are "không áp dụng");
* ``weighted_mean``: rates are weighted by their ``denominator`` (e.g. households for the poverty rate); when a
  member has no denominator the aggregation is REFUSED — an unweighted mean of rates would be wrong;
* ``status_summary``: statuses are counted, never averaged ("1/3 xã đạt chuẩn NTM hoặc đã thẩm tra");
* ``none``: not aggregated.

Aggregated rows keep the weakest status of their inputs in ``join.STATUS_ORDER`` (so "Số liệu minh họa" and
"suy ra từ văn bản" still show, the latter with the inference rule of its inputs), carry the rule in
``derived_rule`` and say so in ``source`` (shown in tooltips, legends and exports).
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import pandas as pd

from ktxh_geo.io.shipped import VALUE_COLUMNS, load_indicators
from ktxh_geo.model.classify import Classification
from ktxh_geo.model.crosswalk import UnitVersion, edition_units, versions
from ktxh_geo.model.join import commune_values, join_indicator, weakest_status
from ktxh_geo.text import format_number
from ktxh_geo.vocab.editions import EDITIONS, base_edition
from ktxh_geo.vocab.indicators import Indicator

RULE_LABELS = {
    "sum": "tổng",
    "weighted_mean": "bình quân gia quyền",
    "status_summary": "đếm số xã theo tình trạng",
    "none": "không gộp",
}
DERIVED_MARK = "Số liệu gộp theo đơn vị mới"
# NTM statuses that count as "reached or verified" in a status summary.
NTM_REACHED = ("đã thẩm tra", "đạt chuẩn NTM", "NTM nâng cao", "NTM kiểu mẫu")


class AggregationRefused(ValueError):
    """The indicator cannot be aggregated to the chosen edition; the message says why (in Vietnamese)."""


def _edition_label(edition: str) -> str:
    return EDITIONS[edition].label


def _base_short() -> str:
    """Short label of the base edition, the units values are recorded on (in messages and derivations)."""
    return EDITIONS[base_edition()].short


def aggregate_values(
    values: pd.DataFrame,
    indicator: Indicator,
    year: int,
    edition: str,
    include_illustrative: bool = True,
    all_versions: tuple[UnitVersion, ...] | None = None,
) -> pd.DataFrame:
    """Values of ``indicator`` on the units of ``edition``, computed from the base edition's units' values.

    Returns rows shaped like data/values.csv (``edition`` = the target) plus ``derived_rule``; a target unit
    with no member values is left out (it shows as "Chưa có số liệu"). Raises ``AggregationRefused``.
    """
    rule = indicator.aggregation or "none"
    if rule not in RULE_LABELS or rule == "none":
        raise AggregationRefused(
            f"Chỉ tiêu “{indicator.name}” không có quy tắc gộp (aggregation = {rule or 'none'} trong "
            f"data/indicators.csv) nên không hiển thị được theo đơn vị hành chính {_edition_label(edition)}; "
            f"hãy xem trên đơn vị {_base_short()}."
        )
    all_versions = all_versions or versions()
    base = {v.code: v for v in edition_units(base_edition(), all_versions)}
    rows = commune_values(values, indicator.id, year, base_edition(), include_illustrative).set_index("code")
    weights = None
    if rule == "weighted_mean":
        weights = _denominators(values, indicator, year, include_illustrative, base, rows, edition)

    out = []
    for unit in edition_units(edition, all_versions):
        members = [base[c] for c in unit.members]
        excluded = [m.full_name for m in members if indicator.applies_to == "xa" and m.unit_type != "xã"]
        if excluded:
            members = [m for m in members if m.unit_type == "xã"]
        have = [m for m in members if m.code in rows.index and _has_value(rows.loc[m.code], indicator)]
        if not have:
            continue
        statuses = [rows.at[m.code, "status"] for m in have]
        sources = sorted({rows.at[m.code, "source"] for m in have if rows.at[m.code, "source"]})
        if rule == "sum":
            value, text, detail = _sum(members, have, rows, indicator)
        elif rule == "weighted_mean":
            value, text, detail = _weighted(members, have, rows, weights, indicator)
        else:
            value, text, detail = _status_summary(members, have, rows)
        if value is None:
            continue
        derived = f"{RULE_LABELS[rule]} của {len(members)} đơn vị {_base_short()}: {detail}"
        if excluded:
            derived += f"; không áp dụng cho {', '.join(excluded)}"
        inferred = sorted({rows.at[m.code, "note"] for m in have if rows.at[m.code, "status"] == "inferred"})
        if inferred:  # say how the inferred inputs were read from the document
            names = ", ".join(m.name for m in have if rows.at[m.code, "status"] == "inferred")
            derived += f"; giá trị suy ra từ văn bản ({names}): {'; '.join(n for n in inferred if n)}"
        out.append(
            {
                "indicator_id": indicator.id,
                "level": "commune",
                "code": unit.code,
                "edition": edition,
                "year": year,
                "value": value,
                "value_text": text,
                "status": weakest_status(statuses),
                "source": f"{DERIVED_MARK} (quy tắc: {RULE_LABELS[rule]}). Nguồn gốc: {'; '.join(sources)}",
                "note": derived,
                "derived_rule": derived,
            }
        )
    frame = pd.DataFrame(out, columns=[*VALUE_COLUMNS, "derived_rule"])
    frame["year"] = frame["year"].astype("Int64")
    frame["value"] = pd.to_numeric(frame["value"])
    return frame


def _has_value(row: pd.Series, indicator: Indicator) -> bool:
    if indicator.is_categorical:
        return bool(row["value_text"])
    return pd.notna(row["value"])


def _denominators(values, indicator, year, include_illustrative, base, rows, edition) -> pd.Series:
    """Denominator per base-edition code, or refuse naming the units that lack one."""
    name = indicator.denominator
    den = pd.Series(dtype=float)
    if name:
        found = commune_values(values, name, year, base_edition(), include_illustrative)
        den = found.set_index("code")["value"].dropna()
    missing = [base[c].full_name for c in rows.index if c in base and c not in den.index]
    if not name or missing:
        known = load_indicators()
        what = f"“{known[name].name}”" if name in known else f"“{name}”" if name else "(chưa khai báo cột denominator)"
        who = f" Thiếu cho: {', '.join(missing)}." if name and missing else ""
        raise AggregationRefused(
            f"Không gộp được chỉ tiêu “{indicator.name}” năm {year} theo đơn vị hành chính "
            f"{_edition_label(edition)}: đây là tỷ lệ, phải tính bình quân gia quyền theo mẫu số {what} "
            f"của từng xã cũ, nhưng chưa có số liệu mẫu số.{who} Ứng dụng không lấy trung bình cộng các tỷ lệ "
            f"vì kết quả sẽ sai; hãy xem chỉ tiêu này trên đơn vị {_base_short()}."
        )
    return den


def _sum(members, have, rows, indicator):
    if len(have) < len(members):  # a partial sum would understate the unit's total
        return None, "", ""
    total = float(sum(rows.at[m.code, "value"] for m in have))
    parts = [f"{m.name} {format_number(rows.at[m.code, 'value'], indicator.decimals)}" for m in have]
    return total, "", " + ".join(parts)


def _weighted(members, have, rows, weights, indicator):
    if len(have) < len(members):
        return None, "", ""
    w = [float(weights[m.code]) for m in have]
    v = [float(rows.at[m.code, "value"]) for m in have]
    if sum(w) <= 0:
        return None, "", ""
    mean = sum(a * b for a, b in zip(v, w, strict=True)) / sum(w)
    parts = [
        f"{m.name} {format_number(x, indicator.decimals)} × {format_number(y, 0)}"
        for m, x, y in zip(have, v, w, strict=True)
    ]
    return mean, "", f"Σ(giá trị × {indicator.denominator}) / Σ {indicator.denominator} = ({'; '.join(parts)})"


def _status_summary(members, have, rows):
    reached = [m for m in have if rows.at[m.code, "value_text"] in NTM_REACHED]
    unknown = len(members) - len(have)
    text = f"{len(reached)}/{len(members)} xã đạt chuẩn NTM hoặc đã thẩm tra"
    if unknown:
        text += f" ({unknown} xã chưa có số liệu)"
    parts = [f"{m.name}: {rows.at[m.code, 'value_text']}" for m in have]
    return float(len(reached)), text, "; ".join(parts)


def display_indicator(indicator: Indicator) -> Indicator:
    """How aggregated values are classified: a status summary becomes a count of xã (never a mean)."""
    if indicator.aggregation != "status_summary":
        return indicator
    return dataclasses.replace(
        indicator,
        name=f"Số xã đạt chuẩn NTM hoặc đã thẩm tra (từ “{indicator.name}”)",
        unit="xã",
        kind="numeric",
        decimals=0,
        min=0.0,
        max=None,
        scheme="user",
        breaks=(0.0, 1.0, 2.0),
        palette="YlGn",
        categories=(),
    )


def join_for_edition(
    communes: gpd.GeoDataFrame,
    values: pd.DataFrame,
    indicator: Indicator,
    year: int,
    include_illustrative: bool = True,
) -> tuple[gpd.GeoDataFrame, Indicator, str | None]:
    """Join the indicator to the communes of their edition, aggregating base-edition values when needed.

    Returns the joined frame (with ``derived_rule``, "" for recorded values), the indicator to classify it
    with, and a refusal message (or None). On the base edition this is exactly ``join_indicator``.
    """
    edition = communes["edition"].iloc[0]
    own = commune_values(values, indicator.id, year, edition, include_illustrative)
    if edition == base_edition() or not own.empty:
        joined = join_indicator(communes, values, indicator, year, include_illustrative)
        joined["derived_rule"] = ""
        return joined, indicator, None
    has_base = not commune_values(values, indicator.id, year, base_edition(), include_illustrative).empty
    try:
        derived = aggregate_values(values, indicator, year, edition, include_illustrative) if has_base else None
    except AggregationRefused as refusal:
        joined = join_indicator(communes, values, indicator, year, include_illustrative)
        joined["derived_rule"] = ""
        return joined, indicator, str(refusal)
    if derived is None or derived.empty:
        joined = join_indicator(communes, values, indicator, year, include_illustrative)
        joined["derived_rule"] = ""
        return joined, indicator, None
    shown = display_indicator(indicator)
    joined = join_indicator(communes, derived, shown, year, include_illustrative)
    rules = derived.set_index("code")["derived_rule"]
    joined["derived_rule"] = joined["code"].map(rules).fillna("")
    if indicator.aggregation == "status_summary":
        texts = derived.set_index("code")["value_text"]
        has = joined["code"].isin(texts.index)
        joined.loc[has, "display"] = joined.loc[has, "code"].map(texts)
    return joined, shown, None


def mark_derived(classification: Classification, joined: pd.DataFrame) -> Classification:
    """Add the derived mark and rule to the legend title when any shown value is aggregated."""
    if not joined["derived_rule"].fillna("").ne("").any():
        return classification
    rules = {RULE_LABELS[k] for k in RULE_LABELS if any(r.startswith(RULE_LABELS[k]) for r in joined["derived_rule"])}
    title = f"{classification.title} — {DERIVED_MARK} (quy tắc: {', '.join(sorted(rules))})"
    return dataclasses.replace(classification, title=title)
