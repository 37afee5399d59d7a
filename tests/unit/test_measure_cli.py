"""Measure tool distances and the check-locations command line."""

import csv
import io
import subprocess
import sys

import pytest
from shapely.geometry import Point

from ktxh_geo.__main__ import main
from ktxh_geo.io import shipped as load
from ktxh_geo.io.register import load_register, save_location
from ktxh_geo.model.auth import signed_in
from ktxh_geo.model.measure import distances_to_projects, format_distance, nearest_boundary
from ktxh_geo.settings import ROOT

ED = signed_in("A", "cli")


def test_format_distance():
    assert format_distance(849.6) == "850 m"
    assert format_distance(2345.0) == "2,35 km"


def test_distances_in_utm(communes, state):
    reg = load_register()
    metres, name = nearest_boundary("ccn_tan_soi", reg, communes)
    assert name == "Xã Đồng Tâm" and 900 < metres < 970  # 933 m (UTM 48N)
    # across the district's outer edge: a point just inside the eastern edge of Đông Sơn
    edge = reg.copy()
    edge.loc[edge["id"] == "ccn_dong_son", "geometry"] = Point(106.2853, 21.49)
    metres, name = nearest_boundary("ccn_dong_son", edge, communes)
    assert (name, metres < 500) == ("ngoài huyện", True)
    table = distances_to_projects("thon_an_chau", reg)
    assert "thon_an_chau" not in set(table["id"])
    assert table["distance_m"].is_monotonic_increasing
    assert len(table) == reg.geometry.notna().sum() - 1
    # two approximate points of An Thượng are one slot apart (~450 m ring around the same anchor)
    first = table.iloc[0]
    assert first["id"] in {"thon_hong_linh", "thon_tan_an", "dc_tan_an"} and first["distance_m"] < 1000
    with pytest.raises(ValueError):
        distances_to_projects("nm_vien_nen_go", reg)


def test_cli_text_lists_every_object_needing_checking(state, capsys):
    assert main(["check-locations"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(load.load_projects())  # nothing has an exact location yet
    assert lines[0] == (
        "nm_vien_nen_go, Nhà máy sản xuất viên nén gỗ và các sản phẩm làm từ gỗ, "
        "Chưa có vị trí: danh mục không ghi xã và chưa có tọa độ"
    )


def test_cli_csv_to_file_and_edits_update_the_list(state, tmp_path, capsys):
    save_location("ccn_dong_son", Point(106.27, 21.48), ED, action="set_point", input_text="t", state=state)
    out = tmp_path / "kiem_tra.csv"
    assert main(["check-locations", "--format", "csv", "--out", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert "ccn_dong_son" not in {r["id"] for r in rows}  # now exact and in its declared commune
    assert {r["kind"] for r in rows} == {"no_location", "approximate"}
    assert "đối tượng cần kiểm tra" in capsys.readouterr().out


@pytest.mark.slow
def test_cli_reports_a_wrong_commune_and_exits_0(state):
    # Xuân Lương's market moved (deliberately wrong) into xã Đông Sơn
    save_location("cho_xuan_luong", Point(106.266, 21.477), ED, action="set_point", input_text="t", state=state)
    proc = subprocess.run(
        [sys.executable, "-m", "ktxh_geo", "check-locations"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0
    assert proc.stdout.splitlines()[0] == (
        "cho_xuan_luong, Chợ xã Xuân Lương, Vị trí nằm ở Xã Đông Sơn (07273), danh mục ghi Xã Xuân Lương (07249)"
    )
