"""The "Số liệu theo xã cũ" tab of /nhap-lieu (AppTest): an editor uploads a sheet by old communes, states its source
and saves; the store holds the placed figures as computed (never official) and a stale second save is refused."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ktxh_geo.io import store
from ktxh_geo.model.auth import hash_password, signed_in

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PASSWORD = "mat-khau-dai-1"
EDITORS = {"an": hash_password(PASSWORD, 1_000)}
# Yên Thế's own crosswalk: Xã Yên Thế (07288) ← 5 old xã; the thị trấn does not count for an NTM indicator of xã only
SHEET = "Mã xã,Số thôn được công nhận đạt chuẩn NTM kiểu mẫu (công nhận trong năm)\n" + "".join(
    f"{c},{n}\n" for c, n in [("07288", 1), ("07270", 0), ("07260", 1), ("07276", 0), ("07261", 2), ("07291", 1)]
)

pytestmark = pytest.mark.usefixtures("state")


def _tab() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["editors"] = EDITORS
    at.run()
    at.switch_page("views/nhap_lieu.py")
    at.run()
    inputs = {t.label: t for t in at.text_input}
    inputs["Tên đăng nhập"].input("an")
    inputs["Mật khẩu"].input(PASSWORD)
    next(b for b in at.button if b.label == "Đăng nhập").click()
    at.run()
    at.file_uploader(key="old-upload").set_value(("xa-cu-2024.csv", SHEET.encode("utf-8"), "text/csv")).run()
    assert not at.exception, at.exception
    return at


def _source(at: AppTest):
    return next(t for t in at.text_input if t.label.startswith("Nguồn của bảng số liệu theo xã cũ"))


def test_old_communes_tab_saves_computed_figures_and_refuses_a_stale_save():
    at = _tab()
    assert at.button(key="old_save").disabled  # a source is required
    _source(at).input("Báo cáo NTM năm 2024 của các xã").run()
    at.button(key="old_save").click().run()
    assert not at.exception, at.exception
    assert any("Đã lưu phiên bản 1" in s.value and "tính từ số liệu công bố" in s.value for s in at.success)
    snap = store.snapshot()
    row = snap[snap["code"] == "07288"].iloc[0]
    assert row["value"] == 4.0 and row["edition"] == "2025" and row["dataset"] == store.PLACED_DATASET
    assert row["source"].startswith("Báo cáo NTM năm 2024 của các xã — Số liệu gộp theo đơn vị mới")
    assert "“xa-cu-2024.csv”" in row["source"] and "kiểu mẫu (công nhận trong năm): tổng" in row["source"]
    from ktxh_geo.io.shipped import load_values

    values = load_values(include_illustrative=False)
    mine = values[(values["code"] == "07288") & (values["indicator_id"] == "model_villages")]
    assert mine[mine["year"] == 2024]["status"].tolist() == ["computed"]

    # on the map like any saved figure: Xã Yên Thế 4 thôn, "tính từ số liệu công bố", the saved source
    params = {"indicator": "model_villages", "edition": "2025", "year": "2024"}
    view = AppTest.from_file(APP, default_timeout=120)
    view.query_params.update(params)
    view.run()
    view.switch_page("views/ban_do.py")
    view.query_params.update(params)
    view.run()
    assert not view.exception, view.exception
    args = json.loads(next(c for c in view.get("component_instance") if c.proto.component_name.endswith("st_folium"))
                      .proto.json_args)  # fmt: skip
    texts = args["script"] + (args.get("feature_group") or "")  # the base map and its restyle
    assert '"Xã Yên Thế","4 thôn","tính từ số liệu công bố","Báo cáo NTM năm 2024 của các xã — ' in texts

    # a second editor's tab, read at version 1; someone saves the same figure meanwhile: its save is refused
    other = _tab()
    cell = store.Cell("model_villages", "07288", "2025", 2024, 5.0)
    store.save([cell], editor=signed_in("bình", "password"), source="sửa tay", action="edit", dataset="x", year=2024)
    _source(other).input("Báo cáo khác").run()
    other.button(key="old_save").click().run()
    assert not other.exception, other.exception
    assert store.latest_version() == 2  # nothing written over Bình's figure
    assert any("bình" in w.value for w in other.warning)  # who changed it meanwhile is shown
    overwrite = next(b for b in other.button if b.label.startswith("Lưu đè"))  # and the choice to save over it
    overwrite.click().run()
    assert not other.exception, other.exception
    assert any("Đã lưu phiên bản 3" in s.value and "lưu đè" in s.value for s in other.success)
    assert store.versions()["overwrote"].iloc[0] == "2"
