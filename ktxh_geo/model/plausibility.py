"""Plausibility rules: which published figures look wrong, and why. A flagged figure gets status ``nghi_van``
("cần kiểm tra"): drawn with its own hatch, listed in the "Số liệu cần kiểm tra" table with the rule, never shown as
official. The rules screen; they do not correct: a flagged value keeps its number and its source.

The rule set (docs/plausibility.md says the same for readers):

- **DS1 — dân số rất thấp so với các đơn vị liền kề**: fewer than 1,000 people and a density below one tenth of
  the median density of the adjacent units that have a figure (units within 200 m of each other).
- **DS2 — phường dưới 1.000 dân**: a phường (an urban ward) with fewer than 1,000 people.
- **DS3 — đơn vị gộp từ nhiều đơn vị mà dân số dưới 1.000**: a unit formed in 2025 from two or more former units
  (its stated predecessors) with fewer than 1,000 people. No population of the former units is shipped, so the
  comparison with the predecessors is by their number, not their sum.
- **BS1 — trùng số với đơn vị cùng tên ở tỉnh khác**: the same population as a namesake in another province, unless
  the figure's own area evidence shows it belongs to this unit (the area published with it agrees with this unit's
  published area within 2 % and the namesake's does not). Catches copies whose areas differ only by rounding.
- **MD1 — mật độ tính từ dân số cần kiểm tra**: a density computed from a flagged population.

Applied when building the shipped tables (tools/build_profiles.py) and to every imported population
(model/imports.py: the report lists what would be flagged and why).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ktxh_geo.text import format_number, name_key
from ktxh_geo.vocab import FLAGGED

LOW_POPULATION = 1_000  # people
NEIGHBOUR_RATIO = 0.10  # density against the median density of the adjacent units
NEIGHBOUR_DISTANCE_M = 200
AREA_AGREEMENT = 0.02  # relative difference of two areas still taken as one territory


@dataclass(frozen=True)
class Rule:
    id: str
    title: str  # Vietnamese, shown with every flagged value


RULES = {
    r.id: r
    for r in (
        Rule("DS1", "dân số rất thấp so với các đơn vị liền kề"),
        Rule("DS2", "phường dưới 1.000 dân"),
        Rule("DS3", "đơn vị gộp từ nhiều đơn vị mà dân số dưới 1.000"),
        Rule("BS1", "trùng số với đơn vị cùng tên ở tỉnh khác"),
        Rule("MD1", "mật độ tính từ dân số cần kiểm tra"),
    )
}


@dataclass(frozen=True)
class Flag:
    """One figure a rule flags: the unit, the indicator, the rule and the reason in Vietnamese (with the numbers)."""

    code: str
    indicator_id: str
    rule: str
    reason: str

    @property
    def note(self) -> str:
        """The note written with the value (data/values.csv ``note``, exports, tooltip)."""
        return f"Quy tắc {self.rule} ({RULES[self.rule].title}): {self.reason}"


def _n(value: float, decimals: int = 0) -> str:
    return format_number(value, decimals)


def neighbours(communes, distance_m: float = NEIGHBOUR_DISTANCE_M, crs: str = "EPSG:3405") -> dict[str, list[str]]:
    """Adjacent units by code: polygons within ``distance_m`` of each other (the layer's simplification leaves gaps)."""
    metric = communes.to_crs(crs)
    left, right = metric.sindex.query(metric.geometry.buffer(distance_m), predicate="intersects")
    codes = metric["code"].to_numpy()
    out: dict[str, list[str]] = {c: [] for c in codes}
    for a, b in zip(left, right, strict=True):
        if a != b:
            out[codes[a]].append(codes[b])
    return out


def check_population(
    units: pd.DataFrame,
    adjacent: Mapping[str, list[str]],
    predecessors: Mapping[str, int] | None = None,
    figure_area: Mapping[str, float] | None = None,
) -> list[Flag]:
    """Flags of the population figures of ``units`` (columns code, name, unit_type, province_code, area_km2,
    population; population may be missing) and of the densities computed from them.

    ``adjacent``: code → adjacent codes (``neighbours``); ``predecessors``: code → number of former units merged
    into it (absent: not known); ``figure_area``: code → the area published together with the population figure
    (the evidence that a repeated figure belongs to this unit).
    """
    u = units.set_index("code")
    pop = pd.to_numeric(u["population"], errors="coerce")
    density = pop / pd.to_numeric(u["area_km2"], errors="coerce")
    flags: dict[str, list[Flag]] = {}

    def add(code: str, rule: str, reason: str) -> None:
        flags.setdefault(code, []).append(Flag(code, "population", rule, reason))

    for code, people in pop.dropna().items():
        if people >= LOW_POPULATION:
            continue
        near = [density.get(c) for c in adjacent.get(code, ()) if pd.notna(density.get(c))]
        if near:
            median = float(np.median(near))
            if density[code] < NEIGHBOUR_RATIO * median:
                add(
                    code,
                    "DS1",
                    f"{_n(people)} người, mật độ {_n(density[code], 1)} người/km² — bằng "
                    f"{_n(100 * density[code] / median, 1)} % trung vị mật độ của {len(near)} đơn vị liền kề "
                    f"({_n(median)} người/km²)",
                )
        if u.at[code, "unit_type"] == "phường":
            add(code, "DS2", f"phường có {_n(people)} người")
        merged = (predecessors or {}).get(code, 0)
        if merged >= 2:
            add(code, "DS3", f"gộp từ {merged} đơn vị cũ mà chỉ có {_n(people)} người")
    flags_bs1 = _copies(u, pop, figure_area or {})
    for flag in flags_bs1:
        flags.setdefault(flag.code, []).append(flag)
    out = [f for code in sorted(flags) for f in flags[code]]
    for code in sorted(flags):
        rules = ", ".join(f.rule for f in flags[code])
        out.append(Flag(code, "density", "MD1", f"mật độ tính từ dân số {_n(pop[code])} người đã bị gắn cờ ({rules})"))
    return out


def _copies(u: pd.DataFrame, pop: pd.Series, figure_area: Mapping[str, float]) -> list[Flag]:
    """BS1: one population on namesakes in different provinces; a member is cleared only by its own area evidence."""
    have = pop.dropna()
    frame = pd.DataFrame(
        {"key": u.loc[have.index, "name"].map(name_key), "pop": have, "prov": u.loc[have.index, "province_code"]}
    )
    out = []
    for _, group in frame.groupby(["key", "pop"]):
        if group["prov"].nunique() < 2:
            continue
        area = pd.to_numeric(u.loc[group.index, "area_km2"], errors="coerce")
        agrees = {
            code: code in figure_area and abs(figure_area[code] - area[code]) <= AREA_AGREEMENT * area[code]
            for code in group.index
        }
        owners = [c for c, ok in agrees.items() if ok]
        for code in group.index:
            if len(owners) == 1 and code == owners[0]:
                continue
            others = ", ".join(f"{u.at[c, 'full_name']} ({u.at[c, 'province']})" for c in group.index if c != code)
            evidence = (
                f"; diện tích đi kèm số liệu {_n(figure_area[code], 2)} km², "
                f"diện tích công bố của đơn vị {_n(area[code], 2)} km²"
                if code in figure_area
                else ""
            )
            out.append(Flag(code, "population", "BS1", f"{_n(pop[code])} người, đúng bằng số của {others}{evidence}"))
    return out


def count_predecessors(text: str) -> int:
    """Number of former units in a ``predecessors`` text of sapnhap.bando.com.vn ("Xã A, Xã B (phần còn lại …)");
    0 for "Không sáp nhập" (not merged) or no text. Commas inside parentheses do not separate units."""
    if not text.strip() or text.strip().casefold() == "không sáp nhập":
        return 0
    depth, parts = 0, 1
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        parts += ch == "," and depth == 0
    return parts


def flag_table(flags: list[Flag], units: pd.DataFrame) -> pd.DataFrame:
    """The "Số liệu cần kiểm tra" rows: unit, indicator, rule and reason (one row per flag)."""
    names = units.set_index("code")["full_name"]
    return pd.DataFrame(
        [
            {
                "code": f.code,
                "full_name": names.get(f.code, ""),
                "indicator_id": f.indicator_id,
                "rule": f.rule,
                "rule_title": RULES[f.rule].title,
                "reason": f.reason,
            }
            for f in flags
        ],
        columns=["code", "full_name", "indicator_id", "rule", "rule_title", "reason"],
    )


FLAGGED_TABLE = {"code": "Mã", "full_name": "Đơn vị", "display": "Giá trị", "value_note": "Quy tắc kiểm tra và lý do"}


def flagged_rows(joined: pd.DataFrame) -> pd.DataFrame:
    """The "Số liệu cần kiểm tra" table of a joined map: unit, value shown and the rule that flagged it (Vietnamese
    headers). Empty (with its columns) when nothing is flagged."""
    rows = joined[joined["status"] == FLAGGED]
    return pd.DataFrame(rows[list(FLAGGED_TABLE)]).rename(columns=FLAGGED_TABLE).reset_index(drop=True)


CONFLICTS_FILE = "province_sum_conflicts.csv"  # written by tools/build_profiles.py
_MEASURES = {"population": ("dân số", "người", 0), "area_km2": ("diện tích", "km²", 2)}


def sum_conflicts(province_code: str | None = None, data: Path | None = None) -> pd.DataFrame:
    """Provinces whose communes add up to more than 1 % off the province's own figure (population, area): both
    figures, the number of communes with a figure and the gap. Empty when the profile has no such table."""
    from ktxh_geo.vocab.profile import active

    path = (data or active().data_dir) / CONFLICTS_FILE
    if not path.exists():
        return pd.DataFrame()
    table = pd.read_csv(path, dtype={"province_code": str})
    return table if province_code is None else table[table["province_code"] == province_code]


def conflict_caption(conflicts: pd.DataFrame) -> str:
    """One Vietnamese sentence per measure: how many provinces, and the figures when there is one."""
    out = []
    for measure, rows in conflicts.groupby("measure", sort=False):
        word, unit, decimals = _MEASURES[measure]
        if len(rows) == 1:
            r = rows.iloc[0]
            out.append(
                f"{r.province}: tổng {word} của {r.communes_with_figure}/{r.communes} xã, phường có số liệu là "
                f"{_n(r.communes_sum, decimals)} {unit}, số của tỉnh là {_n(r.province_figure, decimals)} {unit} "
                f"(chênh {_n(r.gap_pct, 1)} %)."
            )
        else:
            worst = rows.loc[rows["gap_pct"].abs().idxmax()]
            out.append(
                f"Ở {len(rows)} tỉnh, thành phố, tổng {word} các xã, phường khác số của tỉnh hơn 1 % (nhiều nhất "
                f"{worst.province}: {_n(worst.gap_pct, 1)} %); cả hai số đều được công bố, bảng so sánh đi kèm dữ liệu."
            )
    return " ".join(out)


@lru_cache(maxsize=8)
def _context(profile_id: str, edition: str) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Units of the edition (code, name, full_name, unit_type, province_code, province, area_km2, population from the
    shipped values) and their adjacency: what an imported population is judged against."""
    from ktxh_geo.io.shipped import load_communes, load_values

    communes = load_communes(edition)
    values = load_values(include_illustrative=False, include_entered=False)
    values = values[(values["edition"] == edition) & (values["level"] == "commune")]
    area = values[values["indicator_id"] == "area_km2"].set_index("code")["value"]
    people = values[values["indicator_id"] == "population"].drop_duplicates("code").set_index("code")["value"]
    units = pd.DataFrame(communes.drop(columns="geometry"))
    for col in ("province_code", "province"):
        if col not in units:
            units[col] = ""
    units["area_km2"] = units["code"].map(area)
    units["population"] = units["code"].map(people)
    return units, neighbours(communes)


def flag_imported(edition: str, population: Mapping[str, float]) -> list[Flag]:
    """The rules over imported populations (code → value), judged with the shipped figures of the other units.

    Returns the population flags only (a density is computed from it). Nothing when the profile ships no areas.
    """
    from ktxh_geo.vocab.profile import active

    if not population:
        return []
    units, adjacent = _context(active().id, edition)
    if units["area_km2"].isna().all():
        return []
    units = units.assign(population=units["code"].map(population).fillna(units["population"]))
    found = check_population(units, adjacent)
    return [f for f in found if f.indicator_id == "population" and f.code in population]
