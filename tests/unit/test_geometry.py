"""Display geometry keeps each edition a clean coverage: no gaps, no overlaps after simplification (issue 12)."""

import geopandas as gpd
import pytest
import shapely

from ktxh_geo.io import shipped as load
from ktxh_geo.render.geometry import simplify_coverage
from ktxh_geo.vocab.editions import EDITIONS

UTM48N = "EPSG:32648"


@pytest.mark.parametrize("edition", list(EDITIONS))
def test_simplified_edition_has_no_gaps_or_overlaps(edition):
    communes = load.load_communes(edition)
    drawn = gpd.GeoSeries(simplify_coverage(communes.geometry), crs="EPSG:4326").to_crs(UTM48N)
    before = shapely.get_num_coordinates(communes.to_crs(UTM48N).geometry.values).sum()
    assert shapely.get_num_coordinates(drawn.values).sum() < 0.7 * before  # it does simplify
    assert drawn.is_valid.all()
    left, right = drawn.sindex.query(drawn.values, predicate="intersects")
    overlap = sum(drawn.iloc[a].intersection(drawn.iloc[b]).area for a, b in zip(left, right, strict=True) if a < b)
    assert overlap < 1.0  # m²
    union = shapely.union_all(drawn.values)
    holes = sum(len(p.interiors) for p in getattr(union, "geoms", [union]))
    assert holes == 0  # no slivers opened between neighbours


def test_per_polygon_simplification_would_open_slivers():
    """The failure this guards against: simplifying each polygon alone leaves gaps between neighbours."""
    metric = load.load_communes("2020-2024").to_crs(UTM48N)
    alone = shapely.simplify(metric.geometry.values, 5.0, preserve_topology=True)
    union = shapely.union_all(alone)
    assert sum(len(p.interiors) for p in getattr(union, "geoms", [union])) > 0
