"""Figures kept by the old communes (before 01/7/2025) placed on the 2025 communes, for any province.

An office's sheet of 2024 figures is keyed by old communes — their GSO code, or their name with the old district.
Each row is found in the conversion table (``data/old_units_2024.csv`` of the national profile: each old commune
and the 2025 unit(s) it went into, from sapnhap.bando.com.vn via vietnamadminunits) and the figures of a 2025 unit
are computed from its old communes with each indicator's declared rule — the rules of ``model.aggregate``: counts
sum, rates are weighted by their denominator (refused without one), statuses are counted.

An old commune that was split among several 2025 units ("phần còn lại …") is never given whole to one of them: its
figures are refused and listed, and so is every 2025 unit that received a part of it (its total would be wrong).
A 2025 unit whose old communes are not all in the sheet gets no sum nor weighted rate (it would be understated).
The report says what was merged, what was split, what was incomplete and which rows could not be placed.

``save_placed`` saves the placed figures in the store as a new version whose values are computed ("tính từ số liệu
công bố"), never official: the source names the sheet's origin, the file and each indicator's rule; the units the
report refused get nothing (they stay missing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ktxh_geo.errors import DataError
from ktxh_geo.io.shipped import VALUE_COLUMNS, read_csv_text
from ktxh_geo.io.uploads import CODE_HEADERS, Table, header_key
from ktxh_geo.model.aggregate import DERIVED_MARK, RULE_LABELS, _status_summary, _sum, _weighted
from ktxh_geo.text import MAX_SOURCE_CHARS, fold, format_number
from ktxh_geo.vocab.indicators import Indicator
from ktxh_geo.vocab.profile import active

OLD_UNITS_FILE = "old_units_2024.csv"
DISTRICT_HEADERS = {"huyen", "huyen cu", "quan huyen", "quan huyen cu", "huyen thi xa thanh pho", "district"}
OLD_NAME_HEADERS = {"xa", "xa cu", "ten xa", "ten xa cu", "xa phuong thi tran", "don vi", "don vi cu", "commune"}
OLD_CODE_HEADERS = CODE_HEADERS | {"ma xa cu", "ma don vi cu", "ma gso cu", "ma 2024"}
_UNIT_WORDS = re.compile(r"^(huyen|quan|thi xa|thanh pho|tp|thi tran|tt|xa|phuong|p|h|q|tx)\s+")


@dataclass(frozen=True)
class OldUnit:
    """An old commune as the aggregation rules read it (``code``, ``name``, ``full_name``, ``unit_type``)."""

    code: str
    name: str
    full_name: str
    district: str
    unit_type: str
    new_codes: tuple[str, ...]
    split: bool


@dataclass
class Placement:
    """The placed figures (rows shaped like data/values.csv, on the 2025 units) and what the placing found."""

    values: pd.DataFrame
    merged: dict[str, list[str]] = field(default_factory=dict)  # 2025 unit → its old communes, when more than one
    split: list[str] = field(default_factory=list)  # old communes split among several units: refused
    incomplete: list[str] = field(default_factory=list)  # "<indicator>: <2025 unit> (thiếu …)"
    unplaced: list[str] = field(default_factory=list)  # rows that name no old commune of the area
    refused: dict[str, str] = field(default_factory=dict)  # indicator name → why it was not placed at all

    def report(self) -> list[str]:
        """The report in Vietnamese, one line each."""
        lines = [f"Đã đặt {format_number(len(self.values), 0)} giá trị lên {self.values['code'].nunique()} đơn vị mới."]
        lines += [f"Gộp: {new} ← {', '.join(old)}" for new, old in self.merged.items()]
        lines += [f"Không đặt (xã cũ bị chia cho nhiều đơn vị mới): {s}" for s in self.split]
        lines += [f"Không tính (thiếu xã cũ): {s}" for s in self.incomplete]
        lines += [f"Không đặt được: {s}" for s in self.unplaced]
        lines += [f"Không gộp chỉ tiêu “{k}”: {v}" for k, v in self.refused.items()]
        if self.split or self.incomplete:
            lines.append("Khi lưu: các đơn vị không đặt hoặc không tính ở trên không được lưu (để trống, không ước).")
        return lines


def old_units(province: str | None = None) -> pd.DataFrame:
    """The conversion table (old commune → 2025 unit), of one 2025 province's old communes when ``province``.

    A district with its own crosswalk (data/crosswalk_2025.csv: its base-edition communes, the interim mergers of
    01/01/2025 included) uses it; otherwise the country's table, whose old communes are those of 30/6/2025 (a
    commune merged into another on 01/01/2025 is not in it: its rows are reported as not placed)."""
    from ktxh_geo.io.shipped import load_crosswalk

    own = load_crosswalk()
    if len(own):
        return pd.DataFrame(
            {
                "old_code": own["old_gso_code"],
                "old_name": own["old_name"],
                "old_district": active().area_name,
                "new_code": own["new_gso_code"],
                "new_codes": own["new_gso_code"],
                "split": "0",
            }
        )
    table = read_csv_text(_old_units_path())
    if province:
        codes = set(_units_2025(province)["code"])
        table = table[table["new_codes"].map(lambda s: bool(codes & set(s.split(";"))))]
    return table.reset_index(drop=True)


def _old_units_path() -> Path:
    """The profile's table, else the one beside its units' origin (a province uses the country's, as for the origin)."""
    profile = active()
    for folder in (profile.data_dir, profile.origin_file.parent if profile.origin_file else None):
        if folder and (folder / OLD_UNITS_FILE).exists():
            return folder / OLD_UNITS_FILE
    raise DataError(f"{profile.label}: chưa có bảng chuyển đổi xã cũ sang đơn vị mới ({OLD_UNITS_FILE}).")


def _units_2025(province: str | None) -> pd.DataFrame:
    from ktxh_geo.io.shipped import load_communes

    profile = active()
    edition = profile.drill_down.get("edition") or profile.reform_edition or profile.default_edition
    where = {profile.drill_down["key"]: province} if province and profile.drill_down else {}
    return load_communes(edition, where=where)


def _district_key(text: object) -> str:
    return _UNIT_WORDS.sub("", fold(re.sub(r"[^\w\s]", " ", str(text or "")))).strip()


def _name_key(text: object) -> str:
    return _UNIT_WORDS.sub("", fold(re.sub(r"[^\w\s]", " ", str(text or "")))).strip()


def _unit(row: dict) -> OldUnit:
    name = row["old_name"]
    kind = next((t for t in ("thị trấn", "phường", "xã") if fold(name).startswith(fold(t) + " ")), "")
    short = name[len(kind) + 1 :] if kind else name
    return OldUnit(
        row["old_code"], short, name, row["old_district"], kind, tuple(s for s in row["new_codes"].split(";") if s),
        row["split"] == "1",
    )  # fmt: skip


def _columns(table: Table, indicators: dict[str, Indicator]) -> tuple[int | None, int | None, int | None, dict]:
    """(code column, name column, district column, {indicator id: column}) of the sheet's headers."""
    keys = [header_key(h) for h in table.headers]
    code = next((i for i, k in enumerate(keys) if k in OLD_CODE_HEADERS), None)
    name = next((i for i, k in enumerate(keys) if k in OLD_NAME_HEADERS), None)
    district = next((i for i, k in enumerate(keys) if k in DISTRICT_HEADERS), None)
    by_key = {header_key(ind.name): ind.id for ind in indicators.values()} | {
        header_key(ind.id): ind.id for ind in indicators.values()
    }
    found = {by_key[k]: i for i, k in enumerate(keys) if k in by_key}
    return code, name, district, found


def _number(raw) -> float | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, int | float):
        return float(raw)
    text = str(raw).strip().replace(" ", "")
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", text) or "," in text:  # Vietnamese: 1.234,5
        text = text.replace(".", "").replace(",", ".")
    return float(text)


def place(
    table: Table,
    indicators: dict[str, Indicator],
    year: int,
    province: str | None = None,
    conversion: pd.DataFrame | None = None,
) -> Placement:
    """Put the sheet's figures of old communes on the 2025 units (see module doc). Raises ``DataError`` (Vietnamese,
    naming the file, row and column) for a sheet without a key column or with a cell that is not a number."""
    conversion = old_units(province) if conversion is None else conversion
    code_col, name_col, district_col, columns = _columns(table, indicators)
    where = f"{table.file}" + (f", trang {table.sheet}" if table.sheet else "")
    if code_col is None and name_col is None:
        raise DataError(f"{where}: không có cột mã xã cũ (Mã xã) hay tên xã cũ (Xã cũ) ở dòng tiêu đề.")
    if not columns:
        raise DataError(f"{where}: không có cột nào mang tên hay mã một chỉ tiêu của danh mục.")
    units = [_unit(r) for r in conversion.to_dict("records")]
    by_code = {u.code: u for u in units}
    by_name: dict[str, list[OldUnit]] = {}
    for u in units:
        by_name.setdefault(_name_key(u.full_name), []).append(u)
    out = Placement(pd.DataFrame(columns=[*VALUE_COLUMNS, "derived_rule"]))

    found: dict[str, OldUnit] = {}
    figures: dict[str, dict[str, float | str]] = {}  # old code → indicator id → value
    for cells, row_no in zip(table.rows, table.row_numbers, strict=True):
        unit = _find(cells, code_col, name_col, district_col, by_code, by_name, f"{where}, dòng {row_no}", out)
        if unit is None:
            continue
        found[unit.code] = unit
        for ind_id, col in columns.items():
            raw = cells[col] if col < len(cells) else None
            ind = indicators[ind_id]
            if ind.is_categorical:
                if raw is not None and str(raw).strip():
                    figures.setdefault(unit.code, {})[ind_id] = str(raw).strip()
                continue
            try:
                value = _number(raw)
            except ValueError:
                letter = table.column_letters[col] if col < len(table.column_letters) else str(col + 1)
                raise DataError(
                    f"{where}, dòng {row_no}, cột {letter} ({table.headers[col]}): “{raw}” không phải là số."
                ) from None
            if value is not None:
                figures.setdefault(unit.code, {})[ind_id] = value

    out.split = sorted(f"{u.full_name} ({u.code}, {u.district}) → {', '.join(u.new_codes)}" for u in found.values()
                       if u.split)  # fmt: skip
    members: dict[str, list[OldUnit]] = {}
    for u in units:
        for c in u.new_codes:
            members.setdefault(c, []).append(u)
    targets = sorted({c for u in found.values() for c in u.new_codes})
    new_units = _units_2025(province)
    names, edition = new_units.set_index("code")["full_name"].to_dict(), new_units["edition"].iloc[0]
    rows = []
    for ind_id in columns:
        ind = indicators[ind_id]
        rule = ind.aggregation or "none"
        if rule not in RULE_LABELS or rule == "none":
            out.refused[ind.name] = f"không có quy tắc gộp (aggregation = {rule}) trong danh mục chỉ tiêu"
            continue
        if rule == "weighted_mean" and ind.denominator not in columns:
            out.refused[ind.name] = (
                f"là tỷ lệ, phải tính bình quân gia quyền theo mẫu số “{ind.denominator or 'chưa khai báo'}”, "
                "nhưng bảng không có cột mẫu số; không lấy trung bình cộng các tỷ lệ"
            )
            continue
        own = {c: f[ind_id] for c, f in figures.items() if ind_id in f}
        values = pd.DataFrame(
            {
                "value": [float("nan") if isinstance(v, str) else v for v in own.values()],
                "value_text": [v if isinstance(v, str) else "" for v in own.values()],
            },
            index=pd.Index(list(own), name="code"),
        )
        weights = pd.Series(dtype=object)  # the denominators of a weighted rate
        if rule == "weighted_mean":
            weights = pd.Series({c: f[ind.denominator] for c, f in figures.items() if ind.denominator in f})
        for new in targets:
            olds = members.get(new, [])
            label = f"{names.get(new, new)} ({new})"
            split = [m for m in olds if m.split]
            if split and rule != "status_summary":
                out.incomplete.append(f"{ind.name}: {label} nhận một phần của {', '.join(m.full_name for m in split)}")
                continue
            whole = [m for m in olds if not m.split]
            if ind.applies_to == "xa":  # an indicator of xã only: thị trấn and phường do not count ("không áp dụng")
                whole = [m for m in whole if m.unit_type == "xã"]
            have = [m for m in whole if m.code in values.index]
            if not have:
                continue
            if rule == "weighted_mean" and weights is not None and any(m.code not in weights.index for m in have):
                lacking = [m.full_name for m in have if m.code not in weights.index]
                out.incomplete.append(f"{ind.name}: {label} thiếu mẫu số của {', '.join(lacking)}")
                continue
            if rule == "sum":
                value, text, detail = _sum(whole, have, values, ind)
            elif rule == "weighted_mean":
                value, text, detail = _weighted(whole, have, values, weights, ind)
            else:
                value, text, detail = _status_summary(whole, have, values)
            if value is None:
                lacking = [m.full_name for m in whole if m not in have]
                out.incomplete.append(f"{ind.name}: {label} thiếu {', '.join(lacking)}")
                continue
            derived = f"{RULE_LABELS[rule]} của {len(whole)} xã cũ: {detail}"
            if len(whole) > 1:
                out.merged[label] = [m.full_name for m in whole]
            rows.append(
                {
                    "indicator_id": ind.id,
                    "level": "commune",
                    "code": new,
                    "edition": edition,
                    "year": year,
                    "value": value,
                    "value_text": text,
                    "status": "computed",
                    "source": f"{DERIVED_MARK} từ bảng số liệu theo xã cũ {table.file} (quy tắc: {RULE_LABELS[rule]})",
                    "note": derived,
                    "derived_rule": derived,
                }
            )
    out.values = pd.DataFrame(rows, columns=[*VALUE_COLUMNS, "derived_rule"])
    return out


def _find(cells, code_col, name_col, district_col, by_code, by_name, where: str, out: Placement) -> OldUnit | None:
    """The old commune a row names (by code, else by name and old district), or None after listing why."""
    code = str(cells[code_col]).strip() if code_col is not None and cells[code_col] is not None else ""
    if code:
        code = code.zfill(5) if code.isdigit() else code
        if code in by_code:
            return by_code[code]
        out.unplaced.append(f"{where}: không có xã cũ mã {code} trong phạm vi")
        return None
    name = str(cells[name_col]).strip() if name_col is not None and cells[name_col] is not None else ""
    if not name:
        return None  # an empty line
    candidates = by_name.get(_name_key(name), [])
    district = str(cells[district_col] or "").strip() if district_col is not None else ""
    if district:
        candidates = [u for u in candidates if _district_key(u.district) == _district_key(district)]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        out.unplaced.append(f"{where}: không tìm thấy xã cũ “{name}”" + (f" ({district})" if district else ""))
    else:
        which = ", ".join(f"{u.full_name} ({u.district})" for u in candidates[:5])
        out.unplaced.append(f"{where}: “{name}” trùng tên nhiều xã cũ ({which}); hãy ghi thêm huyện cũ hoặc mã xã")
    return None


def rules_text(placed: Placement, indicators: dict[str, Indicator]) -> str:
    """The rule of each saved indicator, e.g. "Số hộ: tổng; Tỷ lệ hộ nghèo: bình quân gia quyền theo Số hộ"."""
    parts = []
    for ind_id in dict.fromkeys(placed.values["indicator_id"]):
        ind = indicators[ind_id]
        rule = RULE_LABELS[ind.aggregation]
        if ind.aggregation == "weighted_mean":
            rule += f" theo {indicators[ind.denominator].name if ind.denominator in indicators else ind.denominator}"
        parts.append(f"{ind.name}: {rule}")
    return "; ".join(parts)


def save_source(placed: Placement, indicators: dict[str, Indicator], origin: str, file: str) -> str:
    """The source of every saved value: the sheet's own origin, the uploaded file and each indicator's rule (only
    the rules' names when that would pass the store's limit)."""
    head = f"{' '.join(str(origin).split())} — {DERIVED_MARK} từ bảng số liệu theo xã cũ “{file}”, quy tắc: "
    full = head + rules_text(placed, indicators)
    if len(full) <= MAX_SOURCE_CHARS:
        return full
    labels = dict.fromkeys(RULE_LABELS[indicators[i].aggregation] for i in placed.values["indicator_id"])
    return head + ", ".join(labels)


def placed_cells(placed: Placement) -> list:
    """The placed figures as the store's cells (what ``save_placed`` writes)."""
    from ktxh_geo.io.store import Cell

    return [
        Cell(r.indicator_id, r.code, r.edition, int(r.year), None if pd.isna(r.value) else float(r.value),
             r.value_text or "")
        for r in placed.values.itertuples()
    ]  # fmt: skip


def save_placed(
    placed: Placement,
    indicators: dict[str, Indicator],
    *,
    editor,
    origin: str,
    file: str,
    year: int,
    expected_version: int | None = None,
    overwrite: int | None = None,
) -> int:
    """Save the placed figures as a new version of the store, status computed (dataset ``PLACED_DATASET``), never
    official; returns its id. Only ``placed.values`` are written: the split, incomplete and unplaced units get
    nothing (they stay missing). ``origin``: the sheet's source (required); the conflict check and the editor's
    scope are the store's (``Conflict``, ``Forbidden``; nothing written)."""
    from ktxh_geo.io import store

    if not str(origin or "").strip():
        raise store.StoreError("Phải ghi rõ nguồn của bảng số liệu theo xã cũ (văn bản, cơ quan, ngày) trước khi lưu.")
    if placed.values.empty:
        raise store.StoreError("Không có giá trị nào đặt được lên đơn vị mới: không lưu gì.")
    return store.save(
        placed_cells(placed),
        editor=editor,
        source=save_source(placed, indicators, origin, file),
        action="import",
        dataset=store.PLACED_DATASET,
        year=year,
        file=file,
        expected_version=expected_version,
        overwrite=overwrite,
    )
