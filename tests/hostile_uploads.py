"""Hostile upload files, built for real: what an anonymous visitor could hand to "Tải lên ranh giới".

Each builder returns the bytes of one file; ``under_every_name`` wraps the same content under every name the
upload accepts (and as the .shp inside a zip), since GDAL would pick the driver from the content.
"""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from pathlib import Path

CENTRE = (106.266, 21.477)  # inside xã Đông Sơn (Yên Thế)
# a square of about 500 m around CENTRE, inside the district: the old reader accepted it as a footprint
SQUARE_WKT = "POLYGON((106.2635 21.4747,106.2685 21.4747,106.2685 21.4793,106.2635 21.4793,106.2635 21.4747))"
ACCEPTED_NAMES = ("a.geojson", "a.json", "a.gpkg", "a.kml")


def planted_csv(folder: Path, secret: str) -> Path:
    """A server file the attacker wants: a CSV whose one row is a footprint inside the district plus a secret."""
    path = folder / "planted.csv"
    path.write_text(f'WKT,secret\n"{SQUARE_WKT}",{secret}\n', encoding="utf-8")
    return path


def vrt_reading(source: str, sql: str | None = None, geometry_field: str = "WKT", layer: str = "planted") -> bytes:
    """A GDAL VRT whose layer is another data source (a server file, a URL): its ``layer``, or an SQL query."""
    sql_xml = f'<SrcSQL dialect="SQLITE">{sql}</SrcSQL>' if sql else f"<SrcLayer>{layer}</SrcLayer>"
    return (
        '<OGRVRTDataSource><OGRVRTLayer name="x">'
        f"<SrcDataSource>{source}</SrcDataSource>"
        '<OpenOptions><OOI key="HEADERS">AUTO</OOI></OpenOptions>'
        f"{sql_xml}"
        f'<GeometryField encoding="WKT" field="{geometry_field}"/>'
        "<GeometryType>wkbPolygon</GeometryType><LayerSRS>EPSG:4326</LayerSRS>"
        "</OGRVRTLayer></OGRVRTDataSource>"
    ).encode()


def vrt_passwd() -> bytes:
    """The issue's attack: /etc/passwd's characters turned into the coordinates of a self-intersecting polygon."""
    sql = (
        "SELECT 'POLYGON((106.26 21.47, 106.27 21.48, 106.27 21.47, 106.' || unicode(substr(field_1,1,1)) "
        "|| ' 21.48, 106.26 21.47))' AS wkt FROM passwd LIMIT 1"
    )
    return (
        '<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>CSV:/etc/passwd</SrcDataSource>'
        '<OpenOptions><OOI key="HEADERS">NO</OOI></OpenOptions>'
        f'<SrcSQL dialect="SQLITE">{sql}</SrcSQL><GeometryField encoding="WKT" field="wkt"/>'
        "<GeometryType>wkbPolygon</GeometryType><LayerSRS>EPSG:4326</LayerSRS></OGRVRTLayer></OGRVRTDataSource>"
    ).encode()


def vrt_endless() -> bytes:
    """A VRT whose SQL never ends (a recursive query with no stop): the old reader pinned a core."""
    sql = (
        "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) "
        f"SELECT '{SQUARE_WKT}' AS wkt FROM r WHERE i &lt; 0"
    )
    return vrt_reading("CSV:/etc/passwd", sql, "wkt")


def gdalg(source: str) -> bytes:
    """A GDALG streamed pipeline (GDAL 3.11+): JSON that makes GDAL run a command line."""
    doc = {"type": "gdal_streamed_alg", "command_line": f"gdal vector pipeline ! read {source} ! write --of stream"}
    return json.dumps(doc).encode()


def geojson(square: bool = True, crs: dict | None = None) -> bytes:
    """A valid FeatureCollection with the square (and a ``crs`` member if given)."""
    ring = [[106.2635, 21.4747], [106.2685, 21.4747], [106.2685, 21.4793], [106.2635, 21.4793], [106.2635, 21.4747]]
    doc: dict = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}}],
    }
    if crs is not None:
        doc["crs"] = crs
    return json.dumps(doc).encode()


def _gpkg(folder: Path, name: str, extra_sql: list[str], layer_is_view: bool) -> bytes:
    """A GeoPackage made with GDAL (the square), then altered with ``extra_sql``."""
    import geopandas as gpd
    from shapely import wkt

    path = folder / name
    gpd.GeoDataFrame({"n": [1]}, geometry=[wkt.loads(SQUARE_WKT)], crs="EPSG:4326").to_file(
        path, driver="GPKG", layer="ranh_gioi", engine="pyogrio"
    )
    con = sqlite3.connect(path)
    for sql in extra_sql:
        con.execute(sql)
    if layer_is_view:  # the layer itself becomes a view over a query that never ends
        con.execute(
            'CREATE VIEW "vo_tan" AS WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) '
            'SELECT r.i AS fid, g.geom AS geom FROM r, "ranh_gioi" g'
        )
        con.execute("DELETE FROM gpkg_contents")
        con.execute("DELETE FROM gpkg_geometry_columns")
        con.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
            "VALUES ('vo_tan', 'features', 'vo_tan', 4326)"
        )
        con.execute("INSERT INTO gpkg_geometry_columns VALUES ('vo_tan', 'geom', 'POLYGON', 4326, 0, 0)")
        con.execute("DELETE FROM gpkg_ogr_contents")
    con.commit()
    con.close()
    return path.read_bytes()


def gpkg_recursive_view(folder: Path) -> bytes:
    """A genuine GeoPackage whose layer is a view over an endless recursive query (the issue's CPU attack)."""
    return _gpkg(folder, "view.gpkg", [], layer_is_view=True)


def gpkg_with_trigger(folder: Path) -> bytes:
    """A GeoPackage with a trigger that, if it ever ran, would write a marker table and then never end."""
    return _gpkg(
        folder,
        "trigger.gpkg",
        [
            "CREATE TABLE fired (at TEXT)",
            'CREATE TRIGGER "boom" AFTER UPDATE ON gpkg_ogr_contents BEGIN INSERT INTO fired VALUES (1); '
            "INSERT INTO fired SELECT i FROM (WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) "
            "SELECT i FROM r); END",
            'CREATE TRIGGER "boom2" AFTER INSERT ON "ranh_gioi" BEGIN INSERT INTO fired VALUES (2); END',
        ],
        layer_is_view=False,
    )


def gpkg_virtual_table(folder: Path) -> bytes:
    """A GeoPackage holding a virtual table of a module other than the R-tree (GDAL's VirtualOGR reads files)."""
    path = folder / "virtual.gpkg"
    _gpkg(folder, "virtual.gpkg", [], layer_is_view=False)
    con = sqlite3.connect(path)
    con.execute("PRAGMA writable_schema = ON")
    con.execute(
        "INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) VALUES ('table', 'lo', 'lo', 0, "
        "'CREATE VIRTUAL TABLE lo USING VirtualOGR(''/etc/passwd'')')"
    )
    con.commit()
    con.close()
    return path.read_bytes()


def zipped(member: str, content: bytes, extra: dict[str, bytes] | None = None) -> bytes:
    """A zip holding ``content`` as ``member`` (e.g. a VRT stored as a.shp), plus ``extra`` members."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(member, content)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buf.getvalue()


def under_every_name(content: bytes) -> dict[str, bytes]:
    """The same content under every accepted name and stored as the .shp of a zip."""
    files = {name: content for name in ACCEPTED_NAMES}
    files["a.zip"] = zipped("a.shp", content, {"a.shx": content, "a.dbf": content})
    return files


def local_cs_shapefile(folder: Path) -> bytes:
    """A zipped Shapefile of the square in metres whose .prj is a LOCAL_CS (no datum, cannot be reprojected)."""
    import geopandas as gpd
    from shapely import wkt

    sub = folder / "local"
    sub.mkdir()
    square = gpd.GeoSeries([wkt.loads(SQUARE_WKT)], crs="EPSG:4326").to_crs("EPSG:32648")
    gpd.GeoDataFrame({"n": [1]}, geometry=square).to_file(sub / "a.shp", engine="pyogrio")
    (sub / "a.prj").write_text('LOCAL_CS["Cong trinh",LOCAL_DATUM["Tu do",0],UNIT["metre",1]]')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for f in sub.iterdir():
            zf.write(f, f.name)
    return buf.getvalue()


# ---------------------------------------------------------------- spreadsheets (the "Nhập số liệu" upload)

SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
STYLES_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"
STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def _repeated(head: bytes, unit: bytes, n: int, tail: bytes) -> bytes:
    return head + unit * n + tail


def xlsx_with_parts(parts: dict[str, tuple[str, str, bytes]], sheet: bytes | None = None) -> bytes:
    """A small valid workbook (header + one row, shared strings used by the sheet) plus extra ``parts``:
    ``{path: (content type, relationship type, bytes)}``, each declared in [Content_Types].xml and related from
    the workbook — so openpyxl reads them whatever their names are."""
    sheet = (
        sheet
        or (
            f'<worksheet xmlns="{SHEET_NS}"><sheetData>'
            '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
            '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2"><v>1.5</v></c></row>'
            "</sheetData></worksheet>"
        ).encode()
    )
    overrides = [
        ("/xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
        ("/xl/worksheets/sheet1.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"),
    ] + [("/" + path, ctype) for path, (ctype, _rel, _data) in parts.items()]
    rels = [("rId1", f"{REL_NS}/worksheet", "worksheets/sheet1.xml")] + [
        (f"rId{i}", rel, "/" + path) for i, (path, (_ctype, rel, _data)) in enumerate(parts.items(), start=2)
    ]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "[Content_Types].xml",
            f'<Types xmlns="{CT_NS}">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            + "".join(f'<Override PartName="{p}" ContentType="{c}"/>' for p, c in overrides)
            + "</Types>",
        )
        zf.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        zf.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{SHEET_NS}" xmlns:r="{REL_NS}"><sheets>'
            '<sheet name="Số liệu" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{PKG_REL_NS}">'
            + "".join(f'<Relationship Id="{i}" Type="{t}" Target="{p}"/>' for i, t, p in rels)
            + "</Relationships>",
        )
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
        for path, (_ctype, _rel, data) in parts.items():
            zf.writestr(path, data)
    return buf.getvalue()


def shared_strings(n_extra: int = 0, encoding: str = "utf-8") -> bytes:
    """The three strings the sheet uses, then ``n_extra`` empty unused ones (in ``encoding``)."""
    head = f'<?xml version="1.0" encoding="{encoding}"?><sst xmlns="{SHEET_NS}">'
    used = "<si><t>Tên xã</t></si><si><t>Tỷ lệ hộ nghèo (%)</t></si><si><t>Bố Hạ</t></si>"
    return (head + used + "<si/>" * n_extra + "</sst>").encode(encoding)


def styles_bomb(n: int = 1_990_000, unit: bytes = b"<xf/>", container: str = "cellXfs") -> bytes:
    """The issue's 20 KB styles.xml: ``n`` format entries — under 10 MB inflated and under the old 2 million
    element cap, so inside every size limit."""
    return _repeated(
        f'<styleSheet xmlns="{SHEET_NS}"><{container} count="{n}">'.encode(),
        unit,
        n,
        f"</{container}></styleSheet>".encode(),
    )


def xlsx_styles_bomb(styles: bytes | None = None, name: str = "xl/styles.xml") -> bytes:
    """A workbook whose styles part (under ``name``) is ``styles`` (default: the issue's 1.99 million formats)."""
    strings = (STRINGS_TYPE, f"{REL_NS}/sharedStrings", shared_strings())
    styles = styles if styles is not None else styles_bomb()
    return xlsx_with_parts({"xl/sharedStrings.xml": strings, name: (STYLES_TYPE, f"{REL_NS}/styles", styles)})


def xlsx_strings_bomb(n: int = 1_990_000, name: str = "xl/chuoi.bin", encoding: str = "utf-8") -> bytes:
    """The issue's bypass: shared strings under a part name not ending in .xml (``n`` unused strings, inside
    every size limit)."""
    return xlsx_with_parts({name: (STRINGS_TYPE, f"{REL_NS}/sharedStrings", shared_strings(n, encoding))})
