"""Upload validation: formats, CRS handling (WGS84 / VN-2000), validity, district and area checks."""

import io
import zipfile

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon, box

from ktxh_geo.io import shipped as load
from ktxh_geo.io.footprints import FootprintError, kml_supported, load_footprint
from ktxh_geo.vocab.profile import active

CENTRE = (106.266, 21.477)  # inside xã Đông Sơn


@pytest.fixture(scope="module")
def outline():
    return load.load_outline()


def _square(side_m: float, centre=CENTRE) -> gpd.GeoDataFrame:
    c = gpd.GeoSeries([Point(centre)], crs="EPSG:4326").to_crs("EPSG:32648").iloc[0]
    sq = box(c.x - side_m / 2, c.y - side_m / 2, c.x + side_m / 2, c.y + side_m / 2)
    return gpd.GeoDataFrame({"name": ["ccn"]}, geometry=[sq], crs="EPSG:32648")


def _bytes(gdf: gpd.GeoDataFrame, driver: str, suffix: str, tmp_path) -> bytes:
    path = tmp_path / f"f{suffix}"
    gdf.to_file(path, driver=driver, engine="pyogrio")
    return path.read_bytes()


def _zip_shapefile(gdf, tmp_path, with_prj=True) -> bytes:
    folder = tmp_path / "shp"
    folder.mkdir()
    gdf.to_file(folder / "ranh_gioi.shp", engine="pyogrio")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in folder.iterdir():
            if with_prj or f.suffix != ".prj":
                zf.write(f, f.name)
    return buf.getvalue()


def test_geojson_wgs84_area_matches_declared(tmp_path, outline):
    data = _bytes(_square(500).to_crs("EPSG:4326"), "GeoJSON", ".geojson", tmp_path)
    fp = load_footprint("ccn.geojson", data, outline, declared_area_ha=25)
    assert fp.area_ha == pytest.approx(25, rel=0.01)
    assert fp.warnings == []
    assert fp.geometry.geom_type == "Polygon"


def test_area_differs_more_than_20_percent_warns(tmp_path, outline):
    data = _bytes(_square(400).to_crs("EPSG:4326"), "GeoJSON", ".geojson", tmp_path)  # 16 ha
    fp = load_footprint("ccn.geojson", data, outline, declared_area_ha=25)
    assert len(fp.warnings) == 1
    assert "16 ha" in fp.warnings[0] and "25 ha" in fp.warnings[0] and "là -36 % (quá 20 %)" in fp.warnings[0]
    assert load_footprint("ccn.geojson", data, outline, declared_area_ha=18).warnings == []  # -11 %


def test_zipped_shapefile_in_vn2000_with_and_without_prj(tmp_path, outline):
    sq = _square(500).to_crs(active().vn2000_crs())
    with_prj = _zip_shapefile(sq, tmp_path / "a", with_prj=True) if (tmp_path / "a").mkdir() is None else None
    fp = load_footprint("ranh_gioi.zip", with_prj, outline, 25)
    assert fp.area_ha == pytest.approx(25, rel=0.01)
    (tmp_path / "b").mkdir()
    no_prj = _zip_shapefile(sq, tmp_path / "b", with_prj=False)
    with pytest.raises(FootprintError, match="không ghi hệ tọa độ.*VN-2000"):
        load_footprint("ranh_gioi.zip", no_prj, outline, 25)
    fp = load_footprint("ranh_gioi.zip", no_prj, outline, 25, crs_choice="vn2000")
    assert fp.area_ha == pytest.approx(25, rel=0.01)
    assert fp.source_crs == "VN-2000 Bắc Giang (KTT 107°00′, múi 3°)"
    # the same square read as VN-2000 lands where the WGS84 one does (within the datum-shift accuracy)
    ref = _square(500).to_crs("EPSG:4326").geometry.iloc[0]
    assert fp.geometry.symmetric_difference(ref).area / ref.area < 0.01


def test_geopackage_and_kml(tmp_path, outline):
    gpkg = _bytes(_square(500), "GPKG", ".gpkg", tmp_path)  # stored in UTM 48N, declared in the file
    assert load_footprint("a.gpkg", gpkg, outline, 25).area_ha == pytest.approx(25, rel=0.01)
    assert kml_supported()
    kml = _bytes(_square(500).to_crs("EPSG:4326"), "KML", ".kml", tmp_path)
    assert load_footprint("a.kml", kml, outline, 25).area_ha == pytest.approx(25, rel=0.01)


def test_bad_files_are_rejected_with_vietnamese_messages(tmp_path, outline):
    bowtie = gpd.GeoDataFrame(
        geometry=[Polygon([(106.26, 21.47), (106.27, 21.48), (106.27, 21.47), (106.26, 21.48)])], crs="EPSG:4326"
    )
    cases = {
        "hong.geojson": (_bytes(bowtie, "GeoJSON", ".geojson", tmp_path), "đối tượng 1: hình học không hợp lệ"),
        "xa.geojson": (
            _bytes(_square(500, (106.45, 21.30)).to_crs("EPSG:4326"), "GeoJSON", ".geojson", tmp_path),
            "hoàn toàn ngoài huyện",
        ),
        "diem.geojson": (
            _bytes(gpd.GeoDataFrame(geometry=[Point(CENTRE)], crs="EPSG:4326"), "GeoJSON", ".geojson", tmp_path),
            "kiểu Point",
        ),
        "ban_ve.dwg": (b"AC1027", "không được hỗ trợ"),
        "trong.geojson": (b"", "trống"),
        "hong.zip": (b"not a zip", "không phải tệp zip"),
        "rac.geojson": (b"{ not json", "không đọc được"),
    }
    for name, (data, message) in cases.items():
        with pytest.raises(FootprintError, match=message) as err:
            load_footprint(name, data, outline, 25)
        assert f"“{name}”" in str(err.value)


def test_partly_outside_and_metric_geojson(tmp_path, outline):
    edge = outline.union_all().exterior.coords[0]
    data = _bytes(_square(2000, edge).to_crs("EPSG:4326"), "GeoJSON", ".geojson", tmp_path)
    with pytest.raises(FootprintError, match=r"một phần \(.* ha\) nằm ngoài huyện"):
        load_footprint("bien.geojson", data, outline, 25)
    metric = _square(500).to_crs(active().vn2000_crs()).set_crs(None, allow_override=True)
    raw = metric.to_json().encode()
    with pytest.raises(FootprintError, match="tọa độ tính bằng mét"):
        load_footprint("met.geojson", raw, outline, 25)
    assert load_footprint("met.geojson", raw, outline, 25, crs_choice="vn2000").area_ha == pytest.approx(25, rel=0.01)


def test_vn2000_declared_by_epsg_code_and_wrong_choice(tmp_path, outline):
    # a GeoPackage declaring EPSG:9214 (VN-2000 / TM-3 107-00): PROJ picks the EPSG datum shift itself
    sq = _square(500).to_crs("EPSG:9214")
    data = _bytes(sq, "GPKG", ".gpkg", tmp_path)
    auto = load_footprint("vn2000.gpkg", data, outline, 25)
    ours = load_footprint("vn2000.gpkg", data, outline, 25, crs_choice="vn2000")
    assert auto.area_ha == pytest.approx(25, rel=0.01)
    shift = gpd.GeoSeries([auto.geometry.centroid, ours.geometry.centroid], crs="EPSG:4326").to_crs("EPSG:32648")
    assert shift.iloc[0].distance(shift.iloc[1]) < 1.0  # same official parameters, rotation convention aside
    lonlat = _bytes(_square(500).to_crs("EPSG:4326"), "GeoJSON", ".geojson", tmp_path)
    with pytest.raises(FootprintError, match="dạng độ"):
        load_footprint("ll.geojson", lonlat, outline, 25, crs_choice="vn2000")
