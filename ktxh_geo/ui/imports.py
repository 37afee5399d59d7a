"""Streamlit sections of the "Nhập số liệu" page: templates, upload with report, on-screen edit, history.

All checks are in ktxh_geo.model.imports and all writes in ktxh_geo.store; user text is shown only in tables
or Markdown-escaped (``md_text``), never as HTML. Writes need a signed-in ``Editor`` (``None`` when nobody
is signed in). Every save states the version its form was read at (``ui.conflicts``): a save over figures someone
changed meanwhile is refused with who changed which cells, and the editor reloads or saves over them.
"""

from __future__ import annotations

import hashlib
from collections.abc import MutableMapping

import pandas as pd
import streamlit as st

from ktxh_geo.errors import Conflict, KtxhError, StorageError, vn_time
from ktxh_geo.io import store
from ktxh_geo.io.shipped import load_indicators, load_values
from ktxh_geo.io.uploads import MAX_BYTES
from ktxh_geo.model.datasets import Dataset, default_year, edition_for_year, units_in_year, years
from ktxh_geo.model.imports import Report, cells_from_edit, check_file
from ktxh_geo.render.escape import md_text
from ktxh_geo.render.xlsx_template import build_template
from ktxh_geo.text import MAX_SOURCE_CHARS, format_number, printable
from ktxh_geo.ui import conflicts
from ktxh_geo.ui import data as ui
from ktxh_geo.vocab import Editor
from ktxh_geo.vocab.profile import active

REPORT_CACHE = "import-reports"  # session-state key of the checked uploads
REPORT_CACHE_SIZE = 4

STATUS_TEXT = {
    "name": "khớp tên",
    "code": "theo mã",
    "manual": "chọn trên màn hình",
    "unmatched": "không tìm thấy",
    "ambiguous": "khớp nhiều đơn vị",
    "not_in_year": "không tồn tại trong năm",
}


def _none_to_import(datasets: dict[str, Dataset]) -> bool:
    """Say so (and return True) when the active profile has no import datasets or no import years."""
    if datasets and years():
        return False
    st.info(f"Hồ sơ địa phương “{active().label}” không có bộ số liệu cấp xã để nhập.")
    return True


def _pick(datasets: dict[str, Dataset], key: str) -> tuple[Dataset, int]:
    cols = st.columns(2)
    ds_id = cols[0].selectbox("Bộ số liệu", list(datasets), format_func=lambda k: datasets[k].title, key=f"{key}-ds")
    offered = list(years())
    year = cols[1].selectbox("Năm số liệu", offered, index=offered.index(default_year()), key=f"{key}-year")
    return datasets[ds_id], int(year)


def _names(units: pd.DataFrame, year: int) -> dict[str, str]:
    return dict(zip(units_in_year(units, year)["gso_code"], units_in_year(units, year)["name_full"], strict=True))


def scope(units: pd.DataFrame, key: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The units a file covers: with a unit list of the whole country, one province chosen on screen.

    Returns (the province's units, the whole list) — names are matched in the province first and a name or code
    found only elsewhere is reported with where it is — or (units, None) for a single-area list.
    """
    if "province_code" not in units.columns or units["province_code"].nunique() <= 1:
        return units, None
    provinces = dict(zip(units["province_code"], units["province"], strict=True))
    linked = st.query_params.get("province")  # a link's province (?province=) is the one offered first
    if linked in provinces and key not in st.session_state:
        st.session_state[key] = linked
    chosen = st.selectbox("Tỉnh, thành phố", sorted(provinces, key=provinces.get), format_func=provinces.get, key=key)
    return units[units["province_code"] == chosen], units


def template_section(datasets: dict[str, Dataset], units: pd.DataFrame) -> None:
    st.caption("Mẫu Excel có sẵn mã và tên các xã, mỗi chỉ tiêu một cột, và trang “Hướng dẫn” về đơn vị, giá trị.")
    if _none_to_import(datasets):
        return
    units, _ = scope(units, "tpl-province")
    ds, year = _pick(datasets, "tpl")
    st.download_button(
        f"Tải mẫu “{ds.title}” năm {year} (.xlsx)",
        build_template(ds, year, units),
        file_name=f"mau_{ds.id}_{year}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="tpl-download",
    )
    st.markdown("**Các cột và giá trị cho phép**")
    st.dataframe(
        pd.DataFrame(
            [
                {"Cột": c.label, "Giá trị cho phép": c.allowed_text(), "Bắt buộc": "có" if c.required else "không"}
                for c in ds.columns
            ]
        ),
        hide_index=True,
    )


def _issues_frame(report: Report) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "Mức": "Lỗi" if i.level == "error" else "Cảnh báo",
                "Dòng": "" if i.row is None else str(i.row),
                "Cột": printable(i.column or ""),
                "Vấn đề": printable(i.message),
            }
            for i in report.issues
        ]
    )


def cached_report(
    state: MutableMapping,
    data: bytes,
    filename: str,
    ds: Dataset,
    year: int,
    units: pd.DataFrame,
    overrides: dict[int, str],
    country: pd.DataFrame | None = None,
) -> Report:
    """The check of an upload, made once per (file content, name, dataset, year, choices on screen).

    Streamlit reruns the page on every click; the report is kept in ``state`` (st.session_state) under the
    sha256 of the bytes, so a rerun reuses it instead of checking the whole file again. Only the last
    ``REPORT_CACHE_SIZE`` reports are kept.
    """
    scope_key = tuple(sorted(units["gso_code"]))[:1] + (len(units),)
    key = (hashlib.sha256(data).hexdigest(), filename, ds.id, int(year), tuple(sorted(overrides.items())), scope_key)
    cache = state.get(REPORT_CACHE)
    if not isinstance(cache, dict):
        cache = {}
    report = cache.pop(key, None)
    if report is None:
        report = check_file(data, filename, ds, year, units, overrides, country)
    cache[key] = report  # most recent last
    while len(cache) > REPORT_CACHE_SIZE:
        cache.pop(next(iter(cache)))
    state[REPORT_CACHE] = cache
    return report


def _may_write(editor: Editor | None, datasets: dict[str, Dataset], verb: str, role: str) -> bool:
    """Whether a writing section can be shown: datasets to import and a signed-in editor (named on screen)."""
    if _none_to_import(datasets):
        return False
    if editor is None:
        st.info(f"Cần đăng nhập với quyền biên tập để {verb} số liệu.")
        return False
    st.caption(f"{role}: {md_text(editor.name)}")
    return True


def upload_section(editor: Editor | None, datasets: dict[str, Dataset], units: pd.DataFrame) -> None:
    if not _may_write(editor, datasets, "nhập", "Người nhập"):
        return
    units, country = scope(units, "up-province")
    ds, year = _pick(datasets, "up")
    limit = format_number(MAX_BYTES / 1024 / 1024, 0)
    upload = ui.file_uploader(f"Tệp số liệu (.xlsx hoặc .csv, tối đa {limit} MB)", ["xlsx", "csv"], "upload", MAX_BYTES)
    if upload is None:
        return
    data = upload.getvalue()
    key = hashlib.sha256(data).hexdigest()[:12] + f"-{ds.id}-{year}"
    form = f"up-{key}"
    basis = conflicts.basis(form, store.latest_version, fresh=False)  # the version when this file was uploaded
    prefix = f"fix-{key}-"
    overrides = {int(k[len(prefix) :]): v for k, v in st.session_state.items() if str(k).startswith(prefix) and v}
    report = cached_report(st.session_state, data, upload.name, ds, year, units, overrides, country)
    names = _names(units, year)

    fixable = [m for m in report.matches if m.code is None and m.status in ("unmatched", "ambiguous", "not_in_year")]
    if fixable or overrides:
        st.markdown("**Chọn đơn vị cho các tên chưa khớp**")
        for m in sorted(fixable, key=lambda m: m.row) + [
            m for m in report.matches if m.status == "manual" and m.row in overrides
        ]:
            suggested = [c for c, _ in m.suggestions if c in names]
            options = [""] + suggested + [c for c in names if c not in suggested]
            st.selectbox(
                f"Dòng {m.row}: “{md_text(m.text)}” ({STATUS_TEXT.get(m.status, m.status)})",
                options,
                format_func=lambda c: "— chọn đơn vị —" if not c else f"{names[c]} ({c})",
                key=f"{prefix}{m.row}",
            )

    if report.errors:
        st.error(f"Tệp chưa hợp lệ: {len(report.errors)} lỗi. Sửa tệp rồi tải lên lại, hoặc chọn đơn vị ở trên.")
    elif report.cells:
        st.success(f"Tệp hợp lệ: {len(report.cells)} giá trị cho {report.n_units} đơn vị, năm {year}.")
    if report.issues:
        st.markdown("**Báo cáo kiểm tra**")
        st.dataframe(_issues_frame(report), hide_index=True, width="stretch")
    if len(report.preview):
        st.markdown("**Xem trước**")
        st.dataframe(_printable_frame(report.preview), hide_index=True, width="stretch")
    if not report.ok:
        return
    source = st.text_input(
        "Nguồn số liệu (bắt buộc): văn bản, cơ quan ban hành, ngày",
        key=f"source-{key}",
        placeholder="ví dụ: Quyết định số …/QĐ-UBND ngày …",
        max_chars=MAX_SOURCE_CHARS,
    )
    overwrite = conflicts.choice(form, table=lambda c: figures_table(c, units, report.cells))
    if st.button("Xác nhận và lưu", type="primary", disabled=not source.strip(), key=f"confirm-{key}") or overwrite:
        try:
            vid = store.save(
                report.cells,
                editor=editor,
                source=source,
                action="import",
                dataset=ds.id,
                year=year,
                file=upload.name,
                expected_version=basis,
                overwrite=overwrite,
            )
        except Conflict as exc:
            conflicts.refused(form, exc)
            st.rerun()
        except KtxhError as exc:
            st.error(md_text(str(exc)))
            return
        conflicts.saved(form)
        st.cache_data.clear()
        over = " (lưu đè lên thay đổi của người khác, đã ghi vào lịch sử)" if overwrite else ""
        st.success(f"Đã lưu phiên bản {vid}: {len(report.cells)} giá trị{over}. Bản đồ đã dùng số liệu mới.")


def _printable_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells from a file with control and bidi characters escaped (a table never renders Markdown)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: printable(v) if isinstance(v, str) else v)
    return out


def edit_section(editor: Editor | None, datasets: dict[str, Dataset], units: pd.DataFrame) -> None:
    if not _may_write(editor, datasets, "sửa", "Người sửa"):
        return
    units, _ = scope(units, "edit-province")
    ds, year = _pick(datasets, "edit")
    edition = edition_for_year(year)
    codes = units_in_year(units, year)
    if ds.xa_only:
        codes = codes[codes["type"] == "Xã"]
    vals = load_values(include_illustrative=False)
    vals = vals[(vals["level"] == "commune") & (vals["edition"] == edition) & (vals["year"] == year)]
    table = pd.DataFrame({"Mã": codes["gso_code"].tolist(), "Đơn vị": codes["name_full"].tolist()})
    config = {"Mã": st.column_config.TextColumn(disabled=True), "Đơn vị": st.column_config.TextColumn(disabled=True)}
    for c in ds.columns:
        rows = vals[vals["indicator_id"] == c.indicator_id].set_index("code")
        if c.kind == "category":
            table[c.label] = [rows["value_text"].get(code) or None for code in table["Mã"]]
            config[c.label] = st.column_config.SelectboxColumn(options=list(c.categories))
        else:
            table[c.label] = [rows["value"].get(code) for code in table["Mã"]]
            table[c.label] = pd.to_numeric(table[c.label], errors="coerce")
            config[c.label] = st.column_config.NumberColumn(
                min_value=c.min, max_value=c.max, step=1 if c.integer else 0.01
            )
    form, editor_key = f"edit-{ds.id}-{year}", f"editor-{ds.id}-{year}"
    edited = st.data_editor(table, column_config=config, hide_index=True, key=editor_key)
    cells, problems = cells_from_edit(table, edited, ds, edition, year)
    basis = conflicts.basis(form, store.latest_version, fresh=not cells)  # kept from the first changed cell on
    for p in problems:
        st.error(md_text(p))
    overwrite = conflicts.choice(form, table=lambda c: figures_table(c, units, cells), clear=[editor_key])
    if not cells:
        st.caption("Sửa ô trong bảng rồi ghi nguồn và lưu. Ô để trống sẽ xóa giá trị đã nhập.")
        return
    st.write(f"{len(cells)} ô thay đổi.")
    source = st.text_input(
        "Nguồn số liệu (bắt buộc)",
        key=f"edit-source-{ds.id}-{year}",
        max_chars=MAX_SOURCE_CHARS,
    )
    clicked = st.button("Lưu thay đổi", type="primary", disabled=bool(problems) or not source.strip(), key="edit-save")
    if clicked or overwrite:
        try:
            vid = store.save(
                cells,
                editor=editor,
                source=source,
                action="edit",
                dataset=ds.id,
                year=year,
                expected_version=basis,
                overwrite=overwrite,
            )
        except Conflict as exc:
            conflicts.refused(form, exc)
            st.rerun()
        except KtxhError as exc:
            st.error(md_text(str(exc)))
            return
        conflicts.saved(form)
        st.cache_data.clear()
        st.success(f"Đã lưu phiên bản {vid}" + (" (lưu đè, đã ghi vào lịch sử)." if overwrite else "."))


def _show_value(value, text) -> str:
    if text:
        return str(text)
    return "" if value is None or pd.isna(value) else format_number(value)


def _diff_frame(diff: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Changed cells with the indicator's and the unit's names: before and after."""
    names = dict(zip(units["gso_code"], units["name_full"], strict=True))
    indicators = load_indicators()
    return pd.DataFrame(
        {
            "Chỉ tiêu": diff["indicator_id"].map(lambda i: indicators[i].name if i in indicators else i),
            "Đơn vị": diff["code"].map(lambda c: names.get(c, c)),
            "Năm": diff["year"],
            "Trước": [_show_value(v, t) for v, t in zip(diff["old_value"], diff["old_text"], strict=True)],
            "Sau": [_show_value(v, t) for v, t in zip(diff["new_value"], diff["new_text"], strict=True)],
        }
    )


def figures_table(conflict: Conflict, units: pd.DataFrame, cells=None) -> pd.DataFrame:
    """The cells others changed meanwhile (only those this save writes, when ``cells`` are given), with who
    and when: the table under a conflict on /nhap-lieu."""
    keys = None if cells is None else {c.key for c in cells}
    frames = []
    for change in conflict.changes:
        diff = store.changes(change.token)
        if keys is not None and len(diff):
            mask = [(r.indicator_id, r.code, r.edition, int(r.year)) in keys for r in diff.itertuples()]
            diff = diff[mask]
        if len(diff):
            who = {"Phiên bản": change.token, "Người lưu": printable(change.who), "Lúc (giờ VN)": vn_time(change.when)}
            frames.append(_diff_frame(diff, units).assign(**who))
    columns = ["Phiên bản", "Người lưu", "Lúc (giờ VN)", "Chỉ tiêu", "Đơn vị", "Năm", "Trước", "Sau"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def history_section(editor: Editor | None, units: pd.DataFrame) -> None:
    try:
        history = store.versions()
    except StorageError as err:  # the store is down: say so here, the other tabs keep working
        st.error(md_text(err))
        return
    if history.empty:
        st.info("Chưa có phiên bản nào: chưa nhập số liệu nào.")
        return
    names = dict(zip(units["gso_code"], units["name_full"], strict=True))
    st.dataframe(
        _printable_frame(
            history.assign(action=history["action"].map(store.ACTIONS))[
                ["id", "created_at", "user", "action", "dataset", "year", "source", "file", "n_changes", "overwrote"]
            ]
        ).rename(
            columns={
                "id": "Phiên bản",
                "created_at": "Thời điểm (UTC)",
                "user": "Người nhập",
                "action": "Thao tác",
                "dataset": "Bộ số liệu",
                "year": "Năm",
                "source": "Nguồn",
                "file": "Tệp",
                "n_changes": "Số ô thay đổi",
                "overwrote": "Lưu đè lên phiên bản",
            }
        ),
        hide_index=True,
        width="stretch",
    )
    vid = st.selectbox("Xem phiên bản", history["id"].tolist(), key="history-version")
    fresh = st.session_state.get("history-viewing") != vid  # a restore states the history as first shown
    st.session_state["history-viewing"] = vid
    basis = conflicts.basis("restore", store.latest_version, fresh=fresh)
    diff = store.changes(vid)
    if len(diff):
        st.markdown(f"**Các thay đổi của phiên bản {vid}**")
        st.dataframe(_diff_frame(diff, units), hide_index=True, width="stretch")
    with st.expander(f"Toàn bộ số liệu đã nhập tại phiên bản {vid}"):
        snap = store.snapshot(vid)
        st.dataframe(
            _printable_frame(
                snap.assign(name=snap["code"].map(names))[
                    ["indicator_id", "code", "name", "year", "value", "value_text", "source", "version_id"]
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    if editor is not None and vid != history["id"].max():
        overwrite = conflicts.choice("restore", table=lambda c: figures_table(c, units), verb="Vẫn khôi phục")
        if st.button(f"Khôi phục phiên bản {vid} (tạo phiên bản mới)", key="restore") or overwrite:
            try:
                new = store.restore(int(vid), editor=editor, expected_version=basis, overwrite=overwrite)
            except Conflict as exc:
                conflicts.refused("restore", exc)
                st.rerun()
            except KtxhError as exc:
                st.error(md_text(str(exc)))
                return
            conflicts.saved("restore")
            st.cache_data.clear()
            st.success(f"Đã khôi phục: phiên bản {new} có nội dung của phiên bản {vid}.")
