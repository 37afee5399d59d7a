"""ktxh-geo — entry point: page set-up and navigation (run with `make run`).

The pages live in views/, not pages/: with a pages/ folder Streamlit (1.67) shows
"Page not found" on every deep link such as /ban-do before running the right page.
"""

import streamlit as st

from ktxh_geo.render.escape import md_text
from ktxh_geo.ui import data as ui

st.set_page_config(page_title="Bản đồ kế hoạch KT-XH", page_icon="🗺️", layout="wide")

home = st.Page("views/tong_quan.py", title="Tổng quan chỉ tiêu", icon=":material/bar_chart:", url_path="tong-quan")


def _home() -> None:
    """The app's root opens the overview; /tong-quan is then a deep link like every other page."""
    st.switch_page(home, query_params=st.query_params.to_dict())  # a link's ?group=, ?profile= … survive


pages = [
    st.Page(_home, title="Trang chủ", url_path="trang-chu", default=True, visibility="hidden"),
    home,
    st.Page("views/ban_do.py", title="Bản đồ chuyên đề", icon=":material/map:", url_path="ban-do"),
    st.Page("views/du_an.py", title="Dự án", icon=":material/location_on:", url_path="du-an"),
    st.Page("views/so_sanh.py", title="So sánh hai bản đồ", icon=":material/compare:", url_path="so-sanh"),
    st.Page("views/don_vi.py", title="Đơn vị hành chính", icon=":material/account_tree:", url_path="don-vi"),
    st.Page("views/nhap_lieu.py", title="Nhập số liệu", icon=":material/upload_file:", url_path="nhap-lieu"),
    st.Page("views/tien_do.py", title="Tiến độ kế hoạch", icon=":material/fact_check:", url_path="tien-do"),
]
try:
    if notice := ui.choose_profile():  # the locality (profile) of this session, from ?profile= or its last choice
        st.warning(md_text(notice))
    ui.store_notice()  # the store down (pages show the data they have, saving unavailable) or back (retry)
    page = st.navigation(pages)
    ui.profile_selector()  # one locality selector for every page, under the navigation
    if page.url_path != "ban-do":  # the map page writes the whole view, the locality included, itself
        ui.keep_profile_in_url()
    page.run()
except ui.PageEnd:  # a page said all it has to say (ui.end_page, not st.stop: the run must reach its end)
    pass
except Exception as err:  # never a traceback or a server path: a Vietnamese message; the log keeps the details
    ui.show_error(err)
ui.run_done()  # the end of this run: a signal browser tests wait on instead of sleeping
