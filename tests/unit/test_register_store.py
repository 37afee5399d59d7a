"""VN-2000 conversion, point validation and the audited, atomic location store."""

import errno
import hashlib
from datetime import UTC, datetime

import pytest
from pyproj import CRS, Geod, Transformer
from pyproj.transformer import TransformerGroup
from shapely.geometry import Point

from ktxh_geo.errors import DataError, Forbidden, LocationError, StorageError
from ktxh_geo.io import register as register_store
from ktxh_geo.io import shipped as load
from ktxh_geo.io.register import load_register, read_edits, read_history, save_location
from ktxh_geo.model.auth import signed_in
from ktxh_geo.model.locations import preview_point, vn2000_to_wgs84, wgs84_to_vn2000
from ktxh_geo.settings import ROOT
from ktxh_geo.vocab.profile import active

GEOD = Geod(ellps="WGS84")
A = signed_in("A", "password")
B = signed_in("B", "password")
YT = ROOT / "profiles" / "yen-the-2024"
SHIPPED = [YT / "geo" / "projects.geojson", YT / "data" / "projects.csv"]

WRITE = "Không ghi được vào kho dữ liệu trong thư mục trạng thái (KTXH_STATE_DIR): "  # never the folder's path


def _dms(d, m, s):
    return d + m / 60 + s / 3600


def _metres(a, b):
    return GEOD.inv(a[0], a[1], b[0], b[1])[2]


def test_published_control_point_vn2000_to_wgs84():
    """Control point LS1 of Thông tư 37/2019/TT-BGTVT (phụ lục, cảng biển Quảng Ngãi, khu vực đảo Lý Sơn),
    as quoted by nganhangphapluat.lawnet.vn: VN-2000 15°22′32,7″N 109°06′00,5″E = WGS84 15°22′29″N 109°06′07″E
    (WGS84 values published to 1″). The VN-2000 geographic point is projected onto the Bắc Giang plane with
    plain TM maths (no datum change), then converted by our function: this checks the datum shift."""
    plane = Transformer.from_crs(
        CRS.from_proj4("+proj=longlat +ellps=WGS84 +no_defs +type=crs"),
        CRS.from_proj4("+proj=tmerc +lat_0=0 +lon_0=107 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m +type=crs"),
        always_xy=True,
    )
    east, north = plane.transform(_dms(109, 6, 0.5), _dms(15, 22, 32.7))
    lon, lat = vn2000_to_wgs84(north, east)
    assert abs((lon - _dms(109, 6, 7)) * 3600) < 0.5
    assert abs((lat - _dms(15, 22, 29)) * 3600) < 0.5
    # the shift itself is ~200 m, so a missing or wrong-signed datum shift would fail the check above
    assert _metres((lon, lat), (_dms(109, 6, 0.5), _dms(15, 22, 32.7))) > 150


@pytest.mark.parametrize("north,east", [(2_375_000.0, 395_000.0), (2_380_000.0, 410_000.0), (2_392_000.0, 420_000.0)])
def test_agrees_with_epsg_pipeline(north, east):
    """Independent check: EPSG:9214 "VN-2000 / TM-3 107-00" with EPSG transformation "VN-2000 to WGS 84 (2)"
    from PROJ's database (same published parameters, applied as coordinate-frame rotations). Our +towgs84 string
    applies them as position-vector, so the two differ by the rotation term only: 0,76 m here."""
    epsg = [
        t for t in TransformerGroup("EPSG:9214", "EPSG:4326", always_xy=True).transformers if "(2)" in t.description
    ]
    assert len(epsg) == 1
    ours = vn2000_to_wgs84(north, east)
    ref = epsg[0].transform(east, north)
    assert 0.5 < _metres(ours, ref) < 1.0


def test_round_trip_and_zone_parameters():
    assert "+lon_0=107" in active().vn2000["proj"] and "+k=0.9999" in active().vn2000["proj"]
    assert "+x_0=500000" in active().vn2000["proj"]
    x, y = wgs84_to_vn2000(106.13, 21.51)
    assert 2_375_000 < x < 2_385_000 and 405_000 < y < 415_000
    lon, lat = vn2000_to_wgs84(x, y)
    assert _metres((lon, lat), (106.13, 21.51)) < 0.001


def test_swapped_or_bad_vn2000_input_is_refused():
    with pytest.raises(LocationError, match="bị đảo"):
        vn2000_to_wgs84(410_000, 2_380_000)
    with pytest.raises(LocationError, match="không hợp lệ"):
        vn2000_to_wgs84(12, 34)


def test_preview_inside_and_outside(communes):
    outline = load.load_outline()
    pv = preview_point(106.266, 21.477, outline, communes)
    assert pv.commune_codes == ("07273",)
    assert pv.commune_names == ("Xã Đông Sơn",)
    with pytest.raises(LocationError, match="nằm ngoài huyện Yên Thế"):
        preview_point(106.45, 21.30, outline, communes)
    with pytest.raises(LocationError, match="bị đảo"):
        preview_point(21.477, 106.266, outline, communes)


def _digest(paths):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None for p in paths}


def test_save_keeps_history_and_never_touches_shipped_files(tmp_path):
    before = _digest(SHIPPED)
    t1 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    row = save_location(
        "ccn_dong_son",
        Point(106.27, 21.48),
        signed_in("Nguyễn Văn A", "password"),
        action="set_point",
        input_text="WGS84",
        state=tmp_path,
        now=t1,
    )
    assert row["previous_geometry_wkt"] == "POINT (106.266039 21.477361)"
    assert row["previous_precision"] == "commune"
    save_location(
        "ccn_dong_son",
        Point(106.268, 21.479),
        signed_in("Trần Thị B", "oidc"),
        action="set_point",
        input_text="VN-2000",
        state=tmp_path,
    )
    hist = read_history(tmp_path)
    assert list(hist["who"]) == ["Nguyễn Văn A", "Trần Thị B"]
    assert hist.at[0, "changed_at_utc"] == "2026-01-02T03:04:05Z"
    assert hist.at[1, "previous_geometry_wkt"] == "POINT (106.27 21.48)"
    assert hist.at[1, "new_geometry_wkt"] == "POINT (106.268 21.479)"
    reg = load_register(state=tmp_path).set_index("id")
    assert reg.at["ccn_dong_son", "geometry"].equals(Point(106.268, 21.479))
    assert reg.at["ccn_dong_son", "location_precision"] == "exact" and reg.at["ccn_dong_son", "edited"]
    assert not reg.at["ccn_tan_soi", "edited"]
    assert len(read_edits(tmp_path)) == 1
    assert _digest(SHIPPED) == before
    assert not list(tmp_path.glob("*.tmp"))


def test_state_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("KTXH_STATE_DIR", str(tmp_path / "st"))
    assert register_store.state_dir() == tmp_path / "st"
    save_location("cho_bo_ha", Point(106.19, 21.44), signed_in("C", "password"), action="set_point", input_text="x")
    assert (tmp_path / "st" / "ktxh_store.sqlite").exists() and not (tmp_path / "st" / "projects_history.csv").exists()
    assert list(read_history(tmp_path / "st")["who"]) == ["C"]


def test_refusals_leave_nothing_saved(tmp_path):
    with pytest.raises(Forbidden, match="đăng nhập"):
        save_location("cho_bo_ha", Point(106.19, 21.44), "  ", action="set_point", input_text="", state=tmp_path)
    with pytest.raises(LocationError, match="ngoài huyện"):
        save_location("cho_bo_ha", Point(106.45, 21.30), A, action="set_point", input_text="", state=tmp_path)
    with pytest.raises(LocationError, match="Không có đối tượng"):
        save_location("khong_co", Point(106.19, 21.44), A, action="set_point", input_text="", state=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_failed_save_leaves_register_unchanged(tmp_path, monkeypatch):
    """A disk failure after the history row is written (inside the transaction) rolls the whole save back."""
    save_location("cho_bo_ha", Point(106.19, 21.44), A, action="set_point", input_text="", state=tmp_path)
    real = register_store.db.bump_counter

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(register_store.db, "bump_counter", full)
    with pytest.raises(StorageError) as err:
        save_location("cho_bo_ha", Point(106.191, 21.441), B, action="set_point", input_text="", state=tmp_path)
    assert str(err.value).startswith(WRITE + "ổ đĩa đầy") and str(tmp_path) not in str(err.value)
    monkeypatch.setattr(register_store.db, "bump_counter", real)
    assert list(read_history(tmp_path)["who"]) == ["A"]
    assert load_register(state=tmp_path).set_index("id").at["cho_bo_ha", "geometry"].equals(Point(106.19, 21.44))


def test_old_edits_and_history_files_are_imported_once(tmp_path):
    save_location("cho_bo_ha", Point(106.19, 21.44), A, action="set_point", input_text="WGS84", state=tmp_path)
    hist = read_history(tmp_path)
    hist.to_csv(tmp_path / "old.csv", index=False)
    edits = read_edits(tmp_path)
    folder = tmp_path / "old"
    folder.mkdir()
    hist.to_csv(folder / "projects_history.csv", index=False)
    edits.to_file(folder / "projects_edits.geojson", driver="GeoJSON")
    assert read_history(folder).equals(hist)
    assert read_edits(folder).geometry.iloc[0].equals(Point(106.19, 21.44))
    save_location("ban_ven", Point(106.06, 21.57), B, action="set_point", input_text="", state=folder)
    assert list(read_history(folder)["who"]) == ["A", "B"] and len(read_edits(folder)) == 2


def test_concurrent_saves_keep_both_edits(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    points = {"cho_bo_ha": Point(106.19, 21.44), "ccn_tan_soi": Point(106.167, 21.445), "ban_ven": Point(106.06, 21.57)}
    with ThreadPoolExecutor(3) as pool:
        list(
            pool.map(
                lambda item: save_location(item[0], item[1], A, action="set_point", input_text="", state=tmp_path),
                points.items(),
            )
        )
    assert set(read_edits(tmp_path)["id"]) == set(points)
    assert len(read_history(tmp_path)) == 3


def test_corrupt_edits_file_is_reported_with_its_name(tmp_path):
    (tmp_path / "projects_edits.geojson").write_text("{ not geojson", encoding="utf-8")
    with pytest.raises(DataError, match="projects_edits.geojson") as err:
        load_register(state=tmp_path)
    assert str(tmp_path / "projects_edits.geojson") in str(err.value) and "bị hỏng" in str(err.value)
