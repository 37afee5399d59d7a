"""Streamlit widgets of the "Dự án" page: the table/map link and the four tools (check, edit, upload, measure).

State in ``st.session_state``: ``du_an_selected`` (selected id), ``du_an_map_n`` (bumped to remount the
map when the selection changes, so it fits to the new object), ``du_an_table`` (the table's selection).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st
from shapely.geometry import Point

from ktxh_geo.errors import Conflict, KtxhError, LocationError
from ktxh_geo.io.footprints import CRS_CHOICES, MAX_UPLOAD_BYTES, FootprintError, kml_supported, load_footprint
from ktxh_geo.io.register import read_history, save_location
from ktxh_geo.model.location_check import check_locations, format_csv
from ktxh_geo.model.locations import preview_point, vn2000_to_wgs84, wgs84_to_vn2000
from ktxh_geo.model.measure import distances_to_projects, format_distance, nearest_boundary
from ktxh_geo.model.projects import CATEGORIES, STATUS_LABELS, commune_codes
from ktxh_geo.render.escape import md_text
from ktxh_geo.render.project_map import object_at
from ktxh_geo.text import MAX_NOTE_CHARS, format_number
from ktxh_geo.ui import conflicts
from ktxh_geo.ui import data as ui
from ktxh_geo.vocab import PRECISION_LABELS, Editor
from ktxh_geo.vocab.profile import active

TABLE_KEY = "du_an_table"
SELECTED = "du_an_selected"
FLASH = "du_an_flash"
LAST_CLICK = "du_an_last_click"
NEED_SIGN_IN = (
    "Cần đăng nhập với quyền biên tập (biểu mẫu “Đăng nhập” ở đầu thẻ “Sửa vị trí”) để lưu; "
    "tên người sửa được ghi theo tài khoản đã đăng nhập."
)


def map_key() -> str:
    return f"du_an_map_{st.session_state.get('du_an_map_n', 0)}"


def select(project_id: str | None) -> None:
    """Make ``project_id`` the selection and remount the map so it fits to it."""
    if st.session_state.get(SELECTED) != project_id:
        st.session_state[SELECTED] = project_id
        st.session_state["du_an_map_n"] = st.session_state.get("du_an_map_n", 0) + 1


def apply_map_click(projects: gpd.GeoDataFrame, table: pd.DataFrame) -> None:
    """Before the table is drawn: a click on an object (last run) selects its row."""
    value = st.session_state.get(map_key()) or {}
    click = value.get("last_object_clicked") if isinstance(value, dict) else None
    if not click:
        return
    marker = (map_key(), click.get("lat"), click.get("lng"))
    if st.session_state.get("du_an_click_done") == marker:
        return
    st.session_state["du_an_click_done"] = marker
    st.session_state[LAST_CLICK] = (float(click["lng"]), float(click["lat"]))
    hit = object_at(projects, click["lng"], click["lat"])
    if hit is None:
        return
    rows = [i for i, pid in enumerate(table["Mã"]) if pid == hit]
    st.session_state[TABLE_KEY] = {"selection": {"rows": rows[:1], "columns": [], "cells": []}}
    st.session_state["du_an_rows_seen"] = rows[:1]
    select(hit)


def sync_table_selection(table: pd.DataFrame) -> None:
    """Before the table is drawn: keep its highlighted row on the selected object when the filters change.

    A fresh click by the user (rows differ from the last rows seen) is left alone; apply_table_event handles it.
    """
    state = st.session_state.get(TABLE_KEY)
    rows = list(state["selection"]["rows"]) if state else []
    if rows != st.session_state.get("du_an_rows_seen", []):
        return
    selected = st.session_state.get(SELECTED)
    want = [i for i, pid in enumerate(table["Mã"]) if pid == selected][:1]
    if want != rows:
        st.session_state[TABLE_KEY] = {"selection": {"rows": want, "columns": [], "cells": []}}
        st.session_state["du_an_rows_seen"] = want


# Short location labels for the table (the full wording is in the popup and the editor).
PRECISION_SHORT = {"exact": "Chính xác", "approximate": "Gần đúng", "commune": "Theo xã", "unknown": "Chưa rõ"}
# Column widths (px) that fit the table's part of a 1280-px page without a horizontal scroll bar (long texts end
# in "…" and show whole on hover). "Mã" (the register id) stays in the frame for the row/map link, not on screen.
TABLE_COLUMNS = {
    "Tên": st.column_config.TextColumn("Tên", width=120),
    "Loại": st.column_config.TextColumn("Loại", width=72),
    "Địa bàn": st.column_config.TextColumn("Địa bàn", width=72),
    "Trạng thái": st.column_config.TextColumn("Trạng thái", width=68),
    "Vị trí": st.column_config.TextColumn("Vị trí", width=62),
}
ROW_PX, HEADER_PX, MAX_TABLE_PX = 35, 38, 560


def table_height(n_rows: int) -> int:
    """Just enough for the rows (no empty rows under a filtered table), at most ``MAX_TABLE_PX``."""
    return min(MAX_TABLE_PX, HEADER_PX + ROW_PX * max(n_rows, 1) + 2)


def table_frame(projects: gpd.GeoDataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Display table: id, name, category, communes, status, location precision (short labels)."""
    return pd.DataFrame(
        {
            "Mã": projects["id"].to_numpy(),
            "Tên": projects["name"].to_numpy(),
            "Loại": projects["category"].map(CATEGORIES).to_numpy(),
            "Địa bàn": projects["commune_codes"].map(lambda v: ", ".join(names.get(c, c) for c in commune_codes(v))),
            "Trạng thái": projects["status"].map(STATUS_LABELS).to_numpy(),
            "Vị trí": projects["location_precision"].map(PRECISION_SHORT).fillna("Chưa rõ").to_numpy(),
        }
    )


def apply_table_event(event, table: pd.DataFrame) -> None:
    """After the table is drawn: a newly selected row selects its object (and zooms the map)."""
    rows = list(event.selection.rows) if event is not None else []
    if rows == st.session_state.get("du_an_rows_seen"):
        return
    st.session_state["du_an_rows_seen"] = rows
    if rows and rows[0] < len(table):
        select(str(table.iloc[rows[0]]["Mã"]))
    elif not rows:  # the user unticked the row: back to the whole district
        select(None)


def flash() -> None:
    """Show (once) the message left by the last save."""
    msg = st.session_state.pop(FLASH, None)
    if msg:
        st.success(msg)


@st.cache_data(show_spinner=False, max_entries=8)
def _check(profile_id: str, version: str, _projects, _communes, _outline):
    """The "Cần kiểm tra" list, computed once per profile and store version (spatial joins are not free)."""
    return check_locations(_projects, _communes, _outline)


def check_panel(projects, communes, outline) -> None:
    from ktxh_geo.model.location_check import kind_label
    from ktxh_geo.ui.data import store_version

    report = _check(active().id, store_version(), projects, communes, outline)
    st.caption(
        f"{len(report)} đối tượng cần kiểm tra: sai xã, {kind_label('outside').lower()}, chỉ có vị trí gần đúng hoặc "
        "chưa có vị trí. Điểm nằm đúng trên ranh giới hai xã được tính là thuộc cả hai xã."
    )
    st.dataframe(
        report.rename(columns={"id": "Mã", "name": "Tên", "kind_label": "Loại", "reason": "Lý do"})[
            ["Mã", "Tên", "Loại", "Lý do"]
        ],
        hide_index=True,
        width="stretch",
        key="du_an_check",
    )
    st.download_button(
        "Tải danh sách (CSV)", format_csv(report).encode("utf-8"), "can_kiem_tra.csv", "text/csv", key="dl_check"
    )


def _pick(projects, label: str, key: str) -> str | None:
    """Object picker of a tool tab; defaults to the selected object, and picking one selects it everywhere."""
    ids = list(projects["id"])
    counts = projects["name"].value_counts()
    names = {  # the name as people know it; a name two objects share gets its place in the register (no ids)
        i: n if counts[n] == 1 else f"{n} (đối tượng số {k + 1})"
        for k, (i, n) in enumerate(zip(projects["id"], projects["name"], strict=True))
    }
    current = st.session_state.get(SELECTED)
    index = ids.index(current) if current in ids else None
    widget_key = f"{key}_{current}"
    return st.selectbox(
        label,
        ids,
        index=index,
        format_func=names.get,
        key=widget_key,
        placeholder="Chọn đối tượng (hoặc chọn một dòng trong bảng)",
        on_change=lambda: select(st.session_state[widget_key]),
    )


REFUSED = "du_an_refused"  # (point, note) of a typed point outside the area, drawn on the map


def parse_metres(text: str) -> float:
    """A coordinate in metres typed the Vietnamese way ("2.375.981,72") or plainly ("2375981.72")."""
    t = text.strip().replace(" ", "").replace("\u00a0", "")
    if "," in t:
        t = t.replace(".", "").replace(",", ".")
    elif t.count(".") > 1:
        t = t.replace(".", "")
    value = float(t)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value


def edit_panel(projects, communes, outline, editor: Editor | None = None) -> Point | None:
    """The location editor; returns the valid unsaved point being previewed (None when unchanged or invalid).

    A typed point outside the area is refused; it is left in ``st.session_state[REFUSED]`` (point, distance
    note) for the map to draw. Saving needs the signed-in ``editor`` (the button is disabled otherwise).
    """
    st.session_state[REFUSED] = None
    pid = _pick(projects, "Đối tượng", "edit_pick")
    if not pid:
        return None
    row = projects[projects["id"] == pid].iloc[0]
    geom = row.geometry
    start = geom.representative_point() if geom is not None else outline.union_all().representative_point()
    clicked = st.session_state.get(LAST_CLICK)
    if clicked:
        st.button(
            f"Dùng điểm vừa nhấp trên bản đồ ({format_number(clicked[0], 6)}; {format_number(clicked[1], 6)})",
            key="edit_use_click",
            on_click=_use_click,
            args=(pid, clicked),
        )
    method = st.radio(
        "Nhập tọa độ theo",
        ["wgs84", "vn2000"],
        horizontal=True,
        key="edit_method",
        format_func={
            "wgs84": "WGS84 (kinh độ, vĩ độ)",
            "vn2000": f"{active().vn2000_label}: X, Y (mét)",
        }.get,
    )
    try:
        if method == "wgs84":
            c1, c2 = st.columns(2)
            lon = c1.number_input("Kinh độ (°E)", value=float(start.x), format="%.6f", step=0.0001, key=f"lon_{pid}")
            lat = c2.number_input("Vĩ độ (°N)", value=float(start.y), format="%.6f", step=0.0001, key=f"lat_{pid}")
            input_text = f"WGS84 lon={lon:.6f} lat={lat:.6f}"
        else:
            x0, y0 = wgs84_to_vn2000(start.x, start.y)
            c1, c2 = st.columns(2)
            help_ = "Viết kiểu Việt Nam (2.375.981,72) hoặc không có dấu phân cách (2375981.72)."
            tx = c1.text_input("X (hướng Bắc, m)", value=format_number(x0, 2), key=f"x_{pid}", help=help_)
            ty = c2.text_input("Y (hướng Đông, m)", value=format_number(y0, 2), key=f"y_{pid}", help=help_)
            try:
                x, y = parse_metres(tx), parse_metres(ty)
            except ValueError:
                st.error("X và Y phải là số mét, ví dụ 2.375.981,72 hoặc 2375981.72.")
                return None
            lon, lat = vn2000_to_wgs84(x, y)
            input_text = f"{active().vn2000_label} X={x:.2f} Y={y:.2f}"
        pv = preview_point(lon, lat, outline, communes)
    except LocationError as err:
        st.error(md_text(err))
        _remember_refused(lon, lat, outline)
        return None
    declared = commune_codes(row["commune_codes"])
    st.info(
        f"Điểm sẽ lưu: kinh độ {format_number(pv.point.x, 6)}, vĩ độ {format_number(pv.point.y, 6)} (WGS84); "
        f"VN-2000 X = {format_number(pv.x_north, 2)} m, Y = {format_number(pv.y_east, 2)} m; "
        f"thuộc {md_text(', '.join(pv.commune_names)) or '—'}."
    )
    if declared and not set(pv.commune_codes) & set(declared):
        st.warning("Điểm này không nằm trong xã mà danh mục ghi; sau khi lưu, đối tượng sẽ hiện trong “Cần kiểm tra”.")
    precision = st.selectbox(
        "Độ chính xác", ["exact", "approximate"], format_func=PRECISION_LABELS.get, key="edit_prec"
    )
    note = st.text_input("Ghi chú (nguồn của tọa độ)", key="edit_note", max_chars=MAX_NOTE_CHARS)
    moved = geom is None or start.distance(pv.point) > 1e-6
    form = f"loc-{pid}"  # the object's edit version as shown, kept from the first move of the point on
    basis = conflicts.basis(form, lambda: int(row["edit_version"]), fresh=not moved)
    if editor is None:
        st.caption(NEED_SIGN_IN)
    overwrite = conflicts.choice(form, clear=[f"{k}_{pid}" for k in ("lon", "lat", "x", "y")])
    if st.button("Lưu vị trí", type="primary", disabled=editor is None, key="edit_save") or overwrite:
        try:
            save_location(
                pid,
                pv.point,
                editor,
                action="set_point",
                input_text=input_text,
                precision=precision,
                note=note,
                expected_version=basis,
                overwrite=overwrite,
            )
        except Conflict as err:
            conflicts.refused(form, err)
            st.rerun()
        except KtxhError as err:
            st.error(f"Không lưu được vị trí của “{md_text(row['name'])}”: {md_text(err)}")
            return None
        conflicts.saved(form)
        over = " Đã lưu đè lên thay đổi của người khác (ghi trong lịch sử)." if overwrite else ""
        who = md_text(editor.name)
        st.session_state[FLASH] = f"Đã lưu vị trí mới của “{md_text(row['name'])}” (người sửa: {who}).{over}"
        st.rerun()
    return pv.point if moved else None


def _remember_refused(lon, lat, outline) -> None:
    """A finite point outside the area: keep it (with its distance to the boundary) for the map to draw."""
    try:
        pt = Point(float(lon), float(lat))
    except (TypeError, ValueError):
        return
    if not (-180 <= pt.x <= 180 and -90 <= pt.y <= 90):
        return
    area = outline.to_crs("EPSG:4326").union_all()
    if area.covers(pt):
        return
    metric = gpd.GeoSeries([pt, area.boundary], crs="EPSG:4326").to_crs("EPSG:32648")
    km = metric.iloc[0].distance(metric.iloc[1]) / 1000
    st.session_state[REFUSED] = (pt, f"Cách ranh giới khoảng {format_number(km, 2)} km.")


def _use_click(pid: str, clicked: tuple[float, float]) -> None:
    """Put the last map click into the WGS84 inputs (runs before the widgets are drawn)."""
    st.session_state["edit_method"] = "wgs84"
    st.session_state[f"lon_{pid}"], st.session_state[f"lat_{pid}"] = clicked


def upload_panel(projects, communes, outline, editor: Editor | None = None) -> None:
    pid = _pick(projects, "Đối tượng", "up_pick")
    types = ["geojson", "json", "zip", "gpkg"] + (["kml"] if kml_supported() else [])
    limit = format_number(MAX_UPLOAD_BYTES / 1024 / 1024, 0)
    up = ui.file_uploader(
        f"Tệp ranh giới (GeoJSON, Shapefile nén .zip, GeoPackage, KML; tối đa {limit} MB)",
        types,
        "up_file",
        MAX_UPLOAD_BYTES,
    )
    crs = st.radio("Hệ tọa độ của tệp", list(CRS_CHOICES), format_func=CRS_CHOICES.get, horizontal=True, key="up_crs")
    if not pid:
        return
    row = projects[projects["id"] == pid].iloc[0]
    form = f"fp-{pid}"  # the object's edit version when the file was chosen
    basis = conflicts.basis(form, lambda: int(row["edit_version"]), fresh=up is None)
    if up is None:
        return
    try:
        fp = load_footprint(up.name, up.getvalue(), outline, row["area_ha"], crs)
    except (FootprintError, KtxhError) as err:
        st.error(md_text(err))
        return
    st.info(
        f"Tệp {md_text(up.name)} hợp lệ ({md_text(fp.source_crs)}): {fp.geometry.geom_type}, "
        f"diện tích {format_number(fp.area_ha, 2)} ha."
    )
    for w in fp.warnings:
        st.warning(md_text(w))
    if editor is None:
        st.caption(NEED_SIGN_IN)
    overwrite = conflicts.choice(form)
    if st.button("Lưu ranh giới", type="primary", disabled=editor is None, key="up_save") or overwrite:
        try:
            save_location(
                pid,
                fp.geometry,
                editor,
                action="upload_footprint",
                input_text=up.name,
                note="; ".join(fp.warnings),
                expected_version=basis,
                overwrite=overwrite,
            )
        except Conflict as err:
            conflicts.refused(form, err)
            st.rerun()
        except KtxhError as err:
            st.error(f"Không lưu được ranh giới từ tệp {md_text(up.name)}: {md_text(err)}")
            return
        conflicts.saved(form)
        over = " Đã lưu đè lên thay đổi của người khác (ghi trong lịch sử)." if overwrite else ""
        st.session_state[FLASH] = (
            f"Đã lưu ranh giới của “{md_text(row['name'])}” từ tệp {md_text(up.name)} "
            f"(người sửa: {md_text(editor.name)}).{over}"
        )
        st.rerun()


def measure_panel(projects, communes) -> None:
    located = projects[projects.geometry.notna()]
    pid = _pick(located, "Đối tượng", "ms_pick")
    if not pid:
        return
    metres, name = nearest_boundary(pid, projects, communes)
    st.markdown(f"Ranh giới xã gần nhất: cách **{md_text(format_distance(metres))}**, bên kia là **{md_text(name)}**.")
    table = distances_to_projects(pid, projects)
    st.dataframe(
        table.rename(columns={"id": "Mã", "name": "Tên", "distance": "Khoảng cách"})[["Mã", "Tên", "Khoảng cách"]],
        hide_index=True,
        width="stretch",
        key="du_an_measure",
    )
    if (projects.set_index("id").at[pid, "location_precision"]) != "exact":
        st.caption("Vị trí của đối tượng này là gần đúng; khoảng cách chỉ mang tính tham khảo.")


def history_panel() -> None:
    hist = read_history()
    if hist.empty:
        st.caption("Chưa có thay đổi nào được lưu.")
        return
    labels = {
        "changed_at_utc": "Thời điểm (UTC)",
        "who": "Người sửa",
        "id": "Mã",
        "action": "Thao tác",
        "input": "Dữ liệu nhập",
        "previous_precision": "Độ chính xác cũ",
        "previous_geometry_wkt": "Vị trí cũ (WKT)",
        "new_precision": "Độ chính xác mới",
        "new_geometry_wkt": "Vị trí mới (WKT)",
        "note": "Ghi chú",
        "overwrote": "Lưu đè lên lần sửa",
    }
    actions = {"set_point": "Đặt điểm", "upload_footprint": "Tải lên ranh giới"}
    shown = hist.iloc[::-1].assign(action=hist["action"].map(actions).fillna(hist["action"]))
    st.caption(f"{len(hist)} thay đổi, mới nhất trước. Giá trị cũ được giữ lại; tệp lịch sử chỉ được ghi thêm.")
    st.dataframe(shown.rename(columns=labels), hide_index=True, width="stretch", key="du_an_history")
