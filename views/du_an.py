"""Projects page: searchable table linked to the map, and the location tools (check, edit, upload, measure)."""

import streamlit as st
from streamlit_folium import st_folium

from ktxh_geo.errors import KtxhError
from ktxh_geo.model.projects import CATEGORIES, STATUS_LABELS, filter_projects
from ktxh_geo.render.escape import md_text
from ktxh_geo.render.project_map import build_project_map
from ktxh_geo.ui import auth as ui_auth
from ktxh_geo.ui import data as ui
from ktxh_geo.ui import projects as up
from ktxh_geo.vocab.profile import active

ui.page_style()
profile = active()
st.title("Dự án")
up.flash()

try:
    projects = ui.projects()  # with the saved edits; the shipped register while the store is down
except KtxhError as err:  # a damaged edits file in KTXH_STATE_DIR: say which, never guess
    st.error(md_text(err))
    ui.end_page()
if projects.empty:  # a locality whose plan objects are not in its data yet: say so and what to do
    st.info(
        f"{md_text(profile.label)}: chưa có dự án, công trình nào trong dữ liệu của địa phương này, nên chưa có bảng, "
        "bản đồ dự án và công cụ kiểm tra vị trí. Để thêm, gửi danh sách dự án của kế hoạch (tên, loại, xã, phường, "
        "tọa độ nếu có, và văn bản nguồn) cho quản trị viên hệ thống; sau khi nạp, trang này hiện đủ các công cụ."
    )
    st.page_link("views/ban_do.py", label="Mở bản đồ chuyên đề", icon=":material/map:")
    ui.end_page()
kinds = ", ".join(CATEGORIES[c][:1].lower() + CATEGORIES[c][1:] for c in CATEGORIES if c in set(projects["category"]))
approximate = int((projects["location_precision"] != "exact").sum())
st.caption(
    f"Các đối tượng của {md_text(profile.plan_short)}: {md_text(kinds)}. {approximate}/{len(projects)} đối tượng chưa "
    "có tọa độ chính xác: điểm nét đứt là vị trí gần đúng đặt trong phạm vi xã."
)
base = profile.editions[profile.base_edition]
communes = ui.communes(profile.base_edition)
outline = ui.outline()
names = dict(zip(communes["code"], communes["full_name"], strict=True))

c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
query = c1.text_input("Tìm dự án (có dấu hoặc không dấu)", placeholder="ví dụ: cum cong nghiep, chợ, ban ven")
cats = c2.multiselect("Loại", list(CATEGORIES), format_func=CATEGORIES.get, placeholder="Chọn loại")
codes = c3.multiselect(
    base.unit_words.capitalize(), list(names), format_func=names.get, placeholder=f"Chọn {base.unit_words}"
)
statuses = c4.multiselect(
    "Trạng thái", list(STATUS_LABELS), format_func=STATUS_LABELS.get, placeholder="Chọn trạng thái"
)
shown = filter_projects(projects, query, cats, codes, statuses)
table = up.table_frame(shown, names)

up.apply_map_click(projects, table)
up.sync_table_selection(table)
left, right = st.columns([6, 5])
with left:
    st.caption(f"{len(table)} / {len(projects)} đối tượng. Chọn một dòng để phóng bản đồ tới đối tượng.")
    event = st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        on_select="rerun",
        selection_mode="single-row",
        key=up.TABLE_KEY,
        height=up.table_height(len(table)),
        column_config=up.TABLE_COLUMNS,
        column_order=list(up.TABLE_COLUMNS),
    )
    up.apply_table_event(event, table)
selected = st.session_state.get(up.SELECTED)
map_box = right.container()  # filled after the tabs, so the map can show the editor's unsaved point

t_check, t_edit, t_upload, t_measure, t_hist = st.tabs(
    ["Cần kiểm tra", "Sửa vị trí", "Tải lên ranh giới", "Đo khoảng cách", "Lịch sử thay đổi"]
)
with t_check:
    up.check_panel(projects, communes, outline)
with t_edit:
    editor = ui_auth.editor()  # the sign-in form (once on the page); saving records this identity
    preview = up.edit_panel(projects, communes, outline, editor)
with t_upload:
    if editor is None and ui_auth.editing_configured():
        st.caption("Đăng nhập ở thẻ “Sửa vị trí” để lưu ranh giới.")
    up.upload_panel(projects, communes, outline, editor)
with t_measure:
    up.measure_panel(projects, communes)
with t_hist:
    try:
        up.history_panel()
    except KtxhError as err:
        st.error(md_text(err))

with map_box:
    refused = st.session_state.get(up.REFUSED)
    m = build_project_map(
        projects,
        communes,
        outline,
        selected=selected,
        preview=preview,
        refused=refused[0] if refused else None,
        refused_note=refused[1] if refused else "",
    )
    st_folium(m, height=600, use_container_width=True, returned_objects=["last_object_clicked"], key=up.map_key())
    if selected and projects.set_index("id").at[selected, "geometry"] is None:
        st.info("Đối tượng đang chọn chưa có vị trí trên bản đồ: dùng thẻ “Sửa vị trí” hoặc “Tải lên ranh giới”.")
    if preview is not None:
        st.caption("Chấm tròn viền đỏ: điểm xem trước trong thẻ “Sửa vị trí” (chưa lưu).")
    if refused:
        st.caption(f"Chấm đỏ và nét đứt: điểm bị từ chối vì ngoài địa bàn. {md_text(refused[1])}")
