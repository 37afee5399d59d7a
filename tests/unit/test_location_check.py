"""Location check: spatial join of project geometries to the 2020–2024 communes, and mismatch detection."""

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPoint, Point

from ktxh_geo.io import shipped as load
from ktxh_geo.io.register import load_register
from ktxh_geo.model.location_check import check_locations, communes_of_part, format_csv, format_text


@pytest.fixture(scope="module")
def outline():
    return load.load_outline()


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    return load_register(state=tmp_path_factory.mktemp("empty-state"))


def _register(rows):
    base = {"commune_codes": "", "location_precision": "exact", "category": "market", "status": "planned"}
    recs = [{**base, **r} for r in rows]
    geoms = [r.pop("geometry") for r in recs]
    return gpd.GeoDataFrame(pd.DataFrame(recs), geometry=geoms, crs="EPSG:4326")


def _interior(communes, code):
    return communes.loc[communes["code"] == code].geometry.iloc[0].representative_point()


def _shared_boundary_point(communes, a, b):
    pa = communes.loc[communes["code"] == a].geometry.iloc[0]
    pb = communes.loc[communes["code"] == b].geometry.iloc[0]
    shared = pa.intersection(pb)
    assert shared.length > 0, "the two communes must share a boundary line"
    # a vertex of the shared line: exactly on both polygons' boundaries
    return Point(shapely.get_coordinates(shared)[1])


def test_shipped_register_has_no_mismatch_or_outside(shipped, communes, outline):
    report = check_locations(shipped, communes, outline)
    assert set(report["kind"]) == {"no_location", "approximate"}
    by_id = report.set_index("id")
    # every placed object sits in (one of) its declared communes
    for row in shipped[shipped.geometry.notna()].itertuples():
        assert set(by_id.at[row.id, "found"].split(";")) <= set(row.commune_codes.split(";")), row.id
    assert by_id.at["nm_vien_nen_go", "kind"] == "no_location"
    assert "Chưa có vị trí" in by_id.at["nm_vien_nen_go", "reason"]
    assert by_id.at["ccn_dong_son", "kind"] == "approximate"
    assert "Xã Đông Sơn (07273)" in by_id.at["ccn_dong_son", "reason"]
    # no-location objects come first, and every register object needs checking (none is exact yet)
    assert list(report["kind"]).index("approximate") == (report["kind"] == "no_location").sum()
    assert len(report) == len(shipped)


def test_crafted_wrong_commune_outside_and_boundary(communes, outline):
    on_line = _shared_boundary_point(communes, "07273", "07294")  # Đông Sơn | Bố Hạ
    far = Point(106.45, 21.30)  # south-east of the district, in Lạng Giang / Lục Nam direction
    reg = _register(
        [
            {"id": "right", "name": "Đúng xã", "commune_codes": "07273", "geometry": _interior(communes, "07273")},
            {"id": "wrong", "name": "Sai xã", "commune_codes": "07273", "geometry": _interior(communes, "07249")},
            {"id": "outside", "name": "Ngoài huyện", "commune_codes": "07273", "geometry": far},
            {"id": "edge_a", "name": "Trên ranh giới", "commune_codes": "07273", "geometry": on_line},
            {"id": "edge_b", "name": "Trên ranh giới", "commune_codes": "07294", "geometry": on_line},
            {"id": "edge_c", "name": "Trên ranh giới", "commune_codes": "07249", "geometry": on_line},
            {"id": "none", "name": "Không vị trí", "commune_codes": "", "geometry": None},
            {
                "id": "multi",
                "name": "Tuyến",
                "commune_codes": "07294;07288",
                "geometry": MultiPoint([_interior(communes, "07294"), _interior(communes, "07288")]),
            },
        ]
    )
    report = check_locations(reg, communes, outline).set_index("id")
    assert "right" not in report.index and "multi" not in report.index
    assert report.at["wrong", "kind"] == "mismatch"
    assert report.at["wrong", "found"] == "07249"
    assert report.at["wrong", "reason"] == "Vị trí nằm ở Xã Xuân Lương (07249), danh mục ghi Xã Đông Sơn (07273)"
    assert report.at["outside", "kind"] == "outside"
    assert report.at["outside", "reason"].startswith("Nằm ngoài huyện Yên Thế (cách ranh giới huyện ")
    # boundary point: in both communes, so declaring either one is fine; a third commune is a mismatch
    assert "edge_a" not in report.index and "edge_b" not in report.index
    assert report.at["edge_c", "kind"] == "mismatch"
    assert report.at["edge_c", "found"] == "07273;07294"
    assert report.at["none", "kind"] == "no_location"
    assert list(report.index[:2]) == ["outside", "wrong"]  # worst first


def test_boundary_point_counts_in_both_communes(communes, outline):
    pt = _shared_boundary_point(communes, "07273", "07294")
    hit = communes_of_part(pt, communes, outline.union_all())
    assert hit.codes == ("07273", "07294")
    assert hit.in_district


def test_polygon_touching_a_neighbour_is_only_in_its_own_commune(communes, outline):
    dong_son = communes.loc[communes["code"] == "07273"].geometry.iloc[0]
    hit = communes_of_part(dong_son, communes, outline.union_all())
    assert hit.codes == ("07273",)


def test_text_and_csv_formats(communes, outline):
    reg = _register(
        [{"id": "wrong", "name": "Chợ, thử", "commune_codes": "07273", "geometry": _interior(communes, "07249")}]
    )
    report = check_locations(reg, communes, outline)
    assert format_text(report) == (
        "wrong, Chợ, thử, Vị trí nằm ở Xã Xuân Lương (07249), danh mục ghi Xã Đông Sơn (07273)\n"
    )
    lines = format_csv(report).splitlines()
    assert lines[0] == "id,name,kind,reason,declared,found"
    assert lines[1].startswith('wrong,"Chợ, thử",mismatch,')
