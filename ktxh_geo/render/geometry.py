"""Display geometry: a layer's polygons simplified once, together, so neighbours keep one shared edge.

Per-polygon simplification opens slivers between neighbours (100 new holes on the 19 communes at 5 m);
``shapely.coverage_simplify`` simplifies the shared edges once for both sides. Done in a metric CRS so the
tolerance is in metres, then rounded to a ~1 m grid (shared vertices round identically, so edges stay shared).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from ktxh_geo.vocab.profile import active

WGS84 = "EPSG:4326"
# Well below one pixel up to zoom 14 (1 px ≈ 9,5 m) and far below the boundaries' own accuracy (~150 m).
DRAW_TOLERANCE_M = 5.0
GRID_DEG = 1e-5


def simplify_coverage(
    geoms: gpd.GeoSeries, tolerance_m: float = DRAW_TOLERANCE_M, metric_crs: str | None = None
) -> np.ndarray:
    """WGS84 geometries for drawing: polygon layers coverage-simplified in ``metric_crs``; others as they are."""
    metric_crs = metric_crs or active().metric_crs
    wgs = geoms.to_crs(WGS84) if geoms.crs is not None and geoms.crs.to_epsg() != 4326 else geoms
    values = np.asarray(wgs.values)
    kinds = set(shapely.get_type_id(values).tolist())
    if not kinds <= {3, 6}:  # not only polygons and multipolygons: points/lines are drawn as they are
        return values
    metric = gpd.GeoSeries(values, crs=WGS84).to_crs(metric_crs)
    simple = shapely.coverage_simplify(metric.values, tolerance_m)
    back = gpd.GeoSeries(simple, crs=metric_crs).to_crs(WGS84).values
    return shapely.make_valid(shapely.set_precision(back, GRID_DEG))


def publish(
    name: str, gdf: gpd.GeoDataFrame, tolerance_m: float = DRAW_TOLERANCE_M, metric_crs: str | None = None
) -> str:
    """Write the layer's display geometry (features keyed by ``code``) as a static file; return its URL.

    The browser fetches it once (gzip from the server, cached by name). The name carries a hash of the source
    (codes, geometry, tolerance, CRS), so when that file exists nothing is simplified again: a fresh server
    answers at once. Written atomically into ``static/cache/geo``. A layer without ``code`` (an outline) is keyed
    by position.
    """
    import hashlib
    import json
    import os
    import tempfile

    from ktxh_geo.settings import STATIC_DIR

    metric_crs = metric_crs or active().metric_crs
    wgs = gdf.to_crs(WGS84) if gdf.crs is not None and gdf.crs.to_epsg() != 4326 else gdf
    codes = [str(c) for c in wgs["code"]] if "code" in wgs else [str(i) for i in range(len(wgs))]
    source = hashlib.sha256()
    source.update(json.dumps([codes, tolerance_m, metric_crs, GRID_DEG]).encode())
    for wkb in shapely.to_wkb(np.asarray(wgs.geometry.values)):
        source.update(wkb)
    folder = STATIC_DIR / "cache" / "geo"
    path = folder / f"{name}-{source.hexdigest()[:16]}.geojson"
    if not path.exists():
        geoms = simplify_coverage(wgs.geometry, tolerance_m, metric_crs)
        features = [
            {"type": "Feature", "properties": {"code": code}, "geometry": json.loads(g)}
            for code, g in zip(codes, shapely.to_geojson(geoms), strict=True)
        ]
        body = json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":")).encode()
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".geo-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(body)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return f"/app/static/cache/geo/{path.name}"
