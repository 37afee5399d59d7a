"""The pages as an editor meets the store's faults (AppTest): a conflict on /nhap-lieu and /du-an, the store down.

Editor Bình works in the app; "another server" saves through the store API meanwhile. Bình's save is refused with
who changed what, the two choices are offered, nothing is lost, and saving over it is recorded. With the database
unreachable every page still opens, the map shows the shipped data, and a notice says saving is unavailable; on
the next run after it is back the page says so. No message names the database, its host, user or password.
"""

from pathlib import Path

import pytest
from import_corpus import csv_bytes
from shapely.geometry import Point
from streamlit.testing.v1 import AppTest

from ktxh_geo.io import db, register, store
from ktxh_geo.model.auth import hash_password
from ktxh_geo.vocab import signed_in

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PASSWORD = "mat-khau-dai-1"
EDITORS = {"Bình": hash_password(PASSWORD, 1_000)}
AN = signed_in("An", "password")
# per locality: the file Bình uploads, and the cell in it (indicator, code, edition, year)
FILES = {
    "yen-the-2024": (
        [["Tên xã", "Tỷ lệ hộ nghèo (%)"], ["xa dong son", "1,75"]],
        ("poverty_rate", "07273", "2020-2024", 2023),
    ),
    "bac-ninh-2025": (
        [["Tên đơn vị", "Dân số (người)"], ["Phường Bắc Giang", "41234"]],
        ("population", "07210", "2025", 2025),
    ),
}


@pytest.fixture(autouse=True)
def state(tmp_path, monkeypatch):
    monkeypatch.delenv(db.ENV_URL, raising=False)
    monkeypatch.setenv("KTXH_STATE_DIR", str(tmp_path))
    return tmp_path


def _page(page: str, profile: str = "yen-the-2024", editors: dict | None = EDITORS) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    if editors:
        at.secrets["editors"] = editors
    at.query_params["profile"] = profile
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    if editors:
        inputs = {t.label: t for t in at.text_input}
        inputs["Tên đăng nhập"].input("Bình")
        inputs["Mật khẩu"].input(PASSWORD)
        next(b for b in at.button if b.label == "Đăng nhập").click().run()
        assert not at.exception, at.exception
    return at


def _button(at: AppTest, start: str):
    return next(b for b in at.button if b.label.startswith(start))


def _texts(at: AppTest) -> str:
    parts = [e.value for kind in ("warning", "error", "info", "success", "caption", "markdown") for e in at.get(kind)]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("profile", list(FILES))
def test_an_import_over_a_figure_saved_meanwhile_is_refused_then_saved_over(profile):
    rows, (indicator, code, edition, year) = FILES[profile]
    at = _page("views/nhap_lieu.py", profile)
    at.selectbox(key="up-year").set_value(year).run()
    at.file_uploader(key="upload").set_value(("so_lieu.csv", csv_bytes(rows), "text/csv")).run()
    assert not at.exception, at.exception
    next(t for t in at.text_input if t.label.startswith("Nguồn số liệu")).input("Báo cáo của Bình").run()
    # meanwhile An saves the same figure through another app server
    store.save(
        [store.Cell(indicator, code, edition, year, 5.0)],
        editor=AN,
        source="Báo cáo của An",
        action="edit",
        dataset=indicator,
    )
    _button(at, "Xác nhận và lưu").click().run()
    assert not at.exception, at.exception
    warning = next(w.value for w in at.warning if "người khác thay đổi" in w.value)
    assert "phiên bản 1" in warning and "An" in warning and "Chưa lưu gì của bạn" in warning
    table = next(df.value for df in at.dataframe if "Người lưu" in df.value.columns)
    assert table.iloc[0]["Người lưu"] == "An" and table.iloc[0]["Sau"] == "5" and table.iloc[0]["Đơn vị"] != code
    assert store.latest_version() == 1 and store.snapshot()["value"].tolist() == [5.0]  # An's figure is kept
    _button(at, "Tải lại số liệu mới nhất")  # both choices are offered
    _button(at, "Lưu đè").click().run()
    assert not at.exception, at.exception
    assert any("Đã lưu phiên bản 2" in s.value and "lưu đè" in s.value for s in at.success)
    assert store.versions().set_index("id").at[2, "overwrote"] == "1"
    assert not any("người khác thay đổi" in w.value for w in at.warning)


def test_reload_forgets_the_conflict_and_the_next_save_goes_through():
    rows, (indicator, code, edition, year) = FILES["yen-the-2024"]
    at = _page("views/nhap_lieu.py")
    at.selectbox(key="up-year").set_value(year).run()
    at.file_uploader(key="upload").set_value(("so_lieu.csv", csv_bytes(rows), "text/csv")).run()
    next(t for t in at.text_input if t.label.startswith("Nguồn số liệu")).input("Báo cáo của Bình").run()
    store.save(
        [store.Cell(indicator, code, edition, year, 5.0)],
        editor=AN,
        source="Báo cáo của An",
        action="edit",
        dataset=indicator,
    )
    _button(at, "Xác nhận và lưu").click().run()
    _button(at, "Tải lại số liệu mới nhất").click().run()
    assert not at.exception and not any("người khác thay đổi" in w.value for w in at.warning)
    _button(at, "Xác nhận và lưu").click().run()
    assert any("Đã lưu phiên bản 2" in s.value for s in at.success)
    assert store.versions().set_index("id").at[2, "overwrote"] == ""  # reloaded first: not an overwrite


def test_a_restore_after_a_newer_save_is_refused_on_the_history_tab():
    for value in (1.0, 2.0):
        cell = store.Cell("poverty_rate", "07273", "2020-2024", 2023, value)
        store.save([cell], editor=AN, source=f"nguồn {value}", action="edit", dataset="poverty_rate")
    at = _page("views/nhap_lieu.py")
    at.selectbox(key="history-version").set_value(1).run()
    store.save(
        [store.Cell("poverty_rate", "07243", "2020-2024", 2023, 9.0)],
        editor=AN,
        source="mới",
        action="edit",
        dataset="poverty_rate",
    )
    at.button(key="restore").click().run()
    assert not at.exception, at.exception
    assert any("phiên bản 3" in w.value for w in at.warning) and store.latest_version() == 3
    _button(at, "Vẫn khôi phục").click().run()
    assert store.latest_version() == 4 and store.versions().set_index("id").at[4, "overwrote"] == "3"


def test_a_location_moved_meanwhile_is_refused_on_du_an(state):
    at = _page("views/du_an.py")
    at.session_state["du_an_table"] = {"selection": {"rows": [1], "columns": [], "cells": []}}  # ccn_tan_soi
    at.run()
    at.number_input(key="lon_ccn_tan_soi").set_value(106.1700).run()
    register.save_location("ccn_tan_soi", Point(106.168, 21.446), AN, action="set_point", input_text="WGS84")
    at.button(key="edit_save").click().run()
    assert not at.exception, at.exception
    warning = next(w.value for w in at.warning if "người khác thay đổi" in w.value).replace("\\", "")  # Markdown
    assert "Vị trí của đối tượng" in warning and "An" in warning and "ccn_tan_soi" in warning
    assert register.read_history()["who"].tolist() == ["An"]
    _button(at, "Tải lại số liệu mới nhất").click().run()
    assert at.number_input(key="lon_ccn_tan_soi").value == pytest.approx(106.168)  # An's point, not Bình's typing
    at.number_input(key="lon_ccn_tan_soi").set_value(106.1695).run()
    at.button(key="edit_save").click().run()
    history = register.read_history()
    assert history["who"].tolist() == ["An", "Bình"] and history["overwrote"].tolist() == ["", ""]
    assert history["previous_geometry_wkt"].tolist()[-1] == "POINT (106.168 21.446)"


def _unreachable_url() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"postgresql+psycopg://ktxh_app:mat-khau-bi-mat@127.0.0.1:{port}/kho_du_lieu?sslpassword=khoa-bi-mat"


@pytest.mark.parametrize("profile", ["yen-the-2024", "bac-ninh-2025", "national-2025"])
def test_with_the_store_down_every_page_opens_and_says_saving_is_unavailable(profile, monkeypatch, state):
    monkeypatch.setenv(db.ENV_URL, _unreachable_url())
    db.dispose()
    at = _page("views/ban_do.py", profile, editors=None)
    assert not at.exception and not at.error, [e.value for e in at.error]
    notice = next(w.value for w in at.warning if "tạm thời" in w.value)
    assert "Không đọc được cơ sở dữ liệu PostgreSQL" in notice and "chưa lưu được thay đổi nào" in notice
    comps = [c for c in at.get("component_instance") if c.proto.component_name.endswith("st_folium")]
    assert len(comps) == 1  # the map is drawn with the shipped data
    shown = _texts(at)
    for secret in ("mat-khau-bi-mat", "khoa-bi-mat", "ktxh_app", "kho_du_lieu", "127.0.0.1", "Traceback"):
        assert secret not in shown, secret
    for page in ("views/du_an.py", "views/nhap_lieu.py", "views/tong_quan.py", "views/so_sanh.py", "views/don_vi.py"):
        other = _page(page, profile, editors=None)  # each page opened afresh, as a visitor would
        assert not other.exception, (page, other.exception)
        assert any("chưa lưu được thay đổi nào" in w.value for w in other.warning), page
        assert "mat-khau-bi-mat" not in _texts(other) and "127.0.0.1" not in _texts(other)
    # the database is back: the next run says so and the pages read the store again
    monkeypatch.delenv(db.ENV_URL)
    at.switch_page("views/ban_do.py").run()
    assert any("Kho dữ liệu đã hoạt động trở lại" in i.value for i in at.info)
    assert not any("tạm thời" in w.value for w in at.warning)
