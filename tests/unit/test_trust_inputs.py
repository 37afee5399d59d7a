"""Hostile or oversized inputs: limits before heavy work, strict numbers, escaped file text, cached checks."""

import io
import logging
import math
import zipfile

import geopandas as gpd
import pandas as pd
import pytest
from import_corpus import HEADER, csv_bytes, many_cells_xlsx, many_rows_csv, raw_xlsx, xlsx_bytes
from shapely.geometry import Point, box

from ktxh_geo.errors import InputError, LimitExceeded
from ktxh_geo.io import footprints as footprint
from ktxh_geo.io import shipped as load
from ktxh_geo.io import uploads
from ktxh_geo.io.footprints import FootprintError, load_footprint
from ktxh_geo.io.uploads import FileProblem, read_table
from ktxh_geo.model.datasets import load_datasets
from ktxh_geo.model.imports import Gazetteer, Issue, check_file, parse_number
from ktxh_geo.render.escape import md_text
from ktxh_geo.text import format_number, printable
from ktxh_geo.ui import imports as ui_import

DATASETS = load_datasets()
RATE = DATASETS["poverty_rate"].column("poverty_rate")
COUNT = DATASETS["poverty_rate"].column("households")
CENTRE = (106.266, 21.477)  # inside xã Đông Sơn


@pytest.fixture(scope="module")
def outline():
    return load.load_outline()


# ---------------------------------------------------------------- 1. limits before heavy work (imports)


def test_error_classes_belong_to_the_hierarchy():
    assert issubclass(FileProblem, InputError) and issubclass(uploads.FileTooLarge, LimitExceeded)
    assert issubclass(FootprintError, InputError) and issubclass(footprint.FootprintTooLarge, LimitExceeded)


def test_upload_over_10_mb_is_refused_naming_file_and_limit():
    with pytest.raises(uploads.FileTooLarge, match=r"qua_lon\.csv: tệp quá lớn .*giới hạn là 10 MB"):
        read_table(b"Ten xa,Ty le\n" + b"1,2\n" * (3 * 1024 * 1024), "qua_lon.csv")


def test_csv_rows_are_counted_while_reading_and_refused_past_5000(units):
    with pytest.raises(uploads.FileTooLarge, match=r"nhieu\.csv: quá nhiều dòng số liệu .*giới hạn 5\.000 dòng"):
        read_table(many_rows_csv(5_001), "nhieu.csv")
    table = read_table(many_rows_csv(5_000), "du.csv")  # exactly at the limit: read
    assert len(table.rows) == 5_000


def test_xlsx_is_scanned_before_openpyxl_and_a_lying_dimension_does_not_help(monkeypatch):
    import openpyxl

    def never(*args, **kwargs):
        raise AssertionError("openpyxl must not parse a file past the limits")

    monkeypatch.setattr(openpyxl, "load_workbook", never)
    with pytest.raises(uploads.FileTooLarge, match=r"o\.xlsx: quá nhiều ô có giá trị .*200\.000"):
        read_table(many_cells_xlsx(), "o.xlsx")  # <dimension ref="A1:B2"/>, 240,000 cells


def test_xlsx_rows_past_the_dimension_are_read_not_cut_off():
    body = importer_rows([["Tên xã", "Tỷ lệ hộ nghèo (%)"], ["Bố Hạ", 1.5], ["Đông Sơn", 2.5], ["Tân Sỏi", 3.5]])
    table = read_table(raw_xlsx(body, dimension="A1:B2"), "it.xlsx")
    assert [r[0] for r in table.rows] == ["Bố Hạ", "Đông Sơn", "Tân Sỏi"]


def importer_rows(rows):
    from import_corpus import inline_row

    return b"".join(inline_row(i, r) for i, r in enumerate(rows, start=1))


def test_xlsx_value_far_down_is_refused_without_reading_a_million_empty_rows():
    body = importer_rows([["Tên xã", "Tỷ lệ hộ nghèo (%)"], ["Bố Hạ", 1.5]])
    from import_corpus import inline_row

    body += inline_row(1_048_576, ["Đông Sơn", 2.5])
    with pytest.raises(uploads.FileTooLarge, match=r"xa\.xlsx: có giá trị ở dòng 1\.048\.576"):
        read_table(raw_xlsx(body), "xa.xlsx")


def test_styled_empty_cells_far_right_do_not_count_as_columns():
    from import_corpus import inline_row

    body = inline_row(1, ["Tên xã", "Tỷ lệ hộ nghèo (%)"]).replace(b"</row>", b'<c r="XFD1" s="1"/></row>')
    body += inline_row(2, ["Bố Hạ", 1.5])
    table = read_table(raw_xlsx(body, dimension="A1:XFD1048576"), "kieu.xlsx")
    assert table.column_letters == ["A", "B"] and table.rows == [["Bố Hạ", 1.5]]


def test_merged_cells_and_formulas_are_still_refused_in_read_only_mode():
    def merge(ws):
        ws.merge_cells("A2:A3")

    with pytest.raises(FileProblem, match=r"ô gộp \(A2:A3\)"):
        read_table(xlsx_bytes([HEADER[:2], ["Đông Sơn", 2.5], [None, 3.1]], merge), "gop.xlsx")

    def formula(ws):
        ws["B3"] = "=B2*2"

    with pytest.raises(FileProblem, match=r"dòng 3, cột B: ô chứa công thức \(=B2\*2\)"):
        read_table(xlsx_bytes([HEADER[:2], ["Đông Sơn", 2.5], ["Bố Hạ", None]], formula), "ct.xlsx")


def test_alias_table_is_built_once_for_5000_unknown_names(units, monkeypatch):
    builds = []
    original = Gazetteer._build_aliases

    def counting(self):
        builds.append(self.year)
        return original(self)

    monkeypatch.setattr(Gazetteer, "_build_aliases", counting)
    rows = [HEADER[:2]] + [[f"Làng Không Có {i}", "2,5"] for i in range(5_000)]
    report = check_file(csv_bytes(rows), "la.csv", DATASETS["poverty_rate"], 2024, units)
    assert len(report.errors) == 5_000 and "không tìm thấy xã" in report.errors[0].message
    assert builds == [2024]
    gaz = Gazetteer.build(units, 2024)
    for name in ["Bố Hạ", "xã Đồng", "Tam Hiệp", "không có"] * 50:
        gaz.match(name)
    assert gaz.aliases() is gaz.aliases() and builds == [2024, 2024]


# ---------------------------------------------------------------- 2. a rerun reuses the report


def test_ui_report_is_cached_by_content_dataset_year_and_choices(units, monkeypatch):
    calls = []
    real = ui_import.check_file

    def counting(*args, **kwargs):
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(ui_import, "check_file", counting)
    state: dict = {}
    data = csv_bytes([HEADER[:2], ["Bố Hạ", "2,5"]])
    ds = DATASETS["poverty_rate"]
    first = ui_import.cached_report(state, data, "a.csv", ds, 2024, units, {})
    again = ui_import.cached_report(state, data, "a.csv", ds, 2024, units, {})
    assert again is first and calls == ["a.csv"]
    ui_import.cached_report(state, data, "a.csv", ds, 2025, units, {})
    ui_import.cached_report(state, data, "a.csv", ds, 2024, units, {2: "07294"})
    ui_import.cached_report(state, data + b"\n", "a.csv", ds, 2024, units, {})
    assert len(calls) == 4
    for year in (2020, 2021, 2022):
        ui_import.cached_report(state, data, "a.csv", ds, year, units, {})
    assert len(state[ui_import.REPORT_CACHE]) == ui_import.REPORT_CACHE_SIZE


# ---------------------------------------------------------------- 3. strict numbers


@pytest.mark.parametrize(
    "text", ["1_000", "٣", "２", "1e3", "1E2", "inf", "-inf", "nan", "NaN", " 0x10", "0x10", "+5", "1.23,4", "--1"]
)
def test_forms_float_would_accept_are_refused(text):
    for column in (RATE, COUNT):
        assert parse_number(text, column) == (None, f"“{text}” không phải là số")


@pytest.mark.parametrize(
    ("text", "rate", "count"),
    [
        ("2,83", 2.83, None),
        ("2.83", 2.83, None),
        ("1.350", 1.35, 1350),
        ("1,350", None, 1350),
        ("1.234,5", None, None),
        ("1,234.5", None, None),
        ("12.345.678", None, 12345678),
        ("1 350", None, 1350),
        ("1\u00a0350", None, 1350),
        ("5 %", 5.0, None),
        ("-0", 0.0, 0.0),
        ("0,5", 0.5, None),
    ],
)
def test_vietnamese_and_plain_forms_are_accepted(text, rate, count):
    assert parse_number(text, RATE)[0] == rate
    assert parse_number(text, COUNT)[0] == count
    assert parse_number("1.234,5", DATASETS["poverty_rate"].column("households"))[1].endswith("phải là số nguyên")


def test_out_of_range_message_shows_the_number_as_typed():
    assert parse_number("100.0000001", RATE) == (
        None,
        "100.0000001 vượt quá giá trị lớn nhất cho phép (phải từ 0 đến 100)",
    )
    assert parse_number(100.0000001, RATE)[1].startswith("100,0000001 vượt quá")  # an Excel number: every digit
    assert parse_number(25.0, DATASETS["ntm_criteria"].column("ntm_criteria"))[1].startswith("25 vượt quá")
    assert parse_number(-0.000001, RATE)[1].startswith("-0,000001 nhỏ hơn")


# ---------------------------------------------------------------- 4. control characters never reach a terminal


def test_printable_escapes_controls_and_bidi_but_keeps_vietnamese():
    assert printable("\x1b[31mĐông Sơn\x07") == "\\x1b[31mĐông Sơn\\x07"
    assert printable("a\u202eb\r\nc\u200fd") == "a\\u202eb\\r\\nc\\u200fd"
    assert printable("Xã Đồng Tiến 2,5 % (“x”)") == "Xã Đồng Tiến 2,5 % (“x”)"
    assert printable(None) == "None"


def test_report_lines_escape_file_text(units):
    rows = [HEADER[:2], ["\x1b[2J\x1b[31mĐông Sơn\u202e", "2,5"], ["Bố Hạ", "\x1b]0;x\x07"]]
    report = check_file(csv_bytes(rows), "t\x1b[0m.csv", DATASETS["poverty_rate"], 2024, units)
    text = "\n".join(report.lines())
    assert "\x1b" not in text and "\u202e" not in text and "\x07" not in text
    assert "\\x1b[2J\\x1b[31mĐông Sơn\\u202e" in text and "t\\x1b[0m.csv" in text
    issue = Issue("a\rb.csv", 2, "A", "“\x1b”")
    assert str(issue) == "a\\rb.csv, dòng 2, cột A: “\\x1b”"


def test_sheet_title_and_formula_text_are_escaped():
    def edit(ws):
        ws.title = "Số\u202eliệu"
        ws["B3"] = '="\u202e"&"x"'

    with pytest.raises(FileProblem) as err:
        read_table(xlsx_bytes([HEADER[:2], ["Đông Sơn", 2.5], ["Bố Hạ", None]], edit), "ct.xlsx")
    assert "\u202e" not in str(err.value) and str(err.value).count("\\u202e") == 2


# ---------------------------------------------------------------- 5. encodings


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_csv_is_named_with_the_fix(encoding):
    with pytest.raises(FileProblem, match=r"u\.csv: .*UTF-16.*“CSV UTF-8"):
        read_table(csv_bytes([HEADER[:2], ["Đông Sơn", "2,5"]], encoding), "u.csv")


def test_csv_structure_error_is_vietnamese_with_the_line():
    with pytest.raises(FileProblem, match=r"q\.csv: dòng \d+: không đọc được tệp CSV — có ô dài hơn 131\.072 ký tự"):
        read_table(b'Ten xa,Ty le\n"Bo Ha,' + b"x" * 200_000 + b"\n", "q.csv")


# ---------------------------------------------------------------- 7. Markdown in data text


def test_md_text_neutralises_markdown_and_html():
    assert md_text("![x](http://evil/a.png)") == "\\!\\[x\\]\\(http://evil/a\\.png\\)"
    assert md_text("**ĐÃ HỦY**") == "\\*\\*ĐÃ HỦY\\*\\*"
    assert md_text("<img src=x onerror=alert(1)>") == "\\<img src=x onerror=alert\\(1\\)\\>"
    assert md_text("1. Đông Sơn") == "1\\. Đông Sơn"
    assert md_text("# _a_ `b` ~c~ |d| {e} +f -g \\h") == ("\\# \\_a\\_ \\`b\\` \\~c\\~ \\|d\\| \\{e\\} \\+f \\-g \\\\h")
    assert md_text("$x$ \x1b") == "\\$x\\$ \\\\x1b"
    assert md_text("Xã Đồng Tiến") == "Xã Đồng Tiến"


def test_ui_import_escapes_data_text_in_markdown_calls():
    import inspect

    source = inspect.getsource(ui_import)
    assert "md_text(m.text)" in source and "st.error(p)" not in source
    sig = inspect.signature(ui_import.upload_section)
    assert list(sig.parameters)[0] == "editor"
    assert "user=" not in source


# ---------------------------------------------------------------- 6. footprints


def _zip_shapefile(gdf: gpd.GeoDataFrame, folder) -> bytes:
    folder.mkdir()
    gdf.to_file(folder / "ranh_gioi.shp", engine="pyogrio")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in folder.iterdir():
            zf.write(f, f.name)
    return buf.getvalue()


def _detailed_circle(vertices: int, radius_m: float = 300, jag_m: float = 0) -> gpd.GeoDataFrame:
    """A circle of ``vertices`` points; with ``jag_m`` every other point is that much further out (a saw edge)."""
    c = gpd.GeoSeries([Point(CENTRE)], crs="EPSG:4326").to_crs("EPSG:32648").iloc[0]
    step = 2 * math.pi / vertices
    from shapely.geometry import Polygon

    radii = [radius_m + (jag_m if i % 2 else 0) for i in range(vertices)]
    ring = [(c.x + r * math.cos(i * step), c.y + r * math.sin(i * step)) for i, r in enumerate(radii)]
    return gpd.GeoDataFrame({"name": ["ccn"]}, geometry=[Polygon(ring)], crs="EPSG:32648")


def test_footprint_with_too_many_vertices_is_refused_or_simplified(tmp_path, outline):
    data = _zip_shapefile(_detailed_circle(30_000), tmp_path / "a")
    with pytest.raises(footprint.FootprintTooLarge, match=r"“tron\.zip”: có 30\.001 đỉnh; giới hạn 20\.000 đỉnh"):
        load_footprint("tron.zip", data, outline, 28)
    fp = load_footprint("tron.zip", data, outline, 28, simplify_m=1.0)
    assert "dung sai 1 m" in fp.warnings[0] and "từ 30.001 còn" in fp.warnings[0]
    assert shapely_coords(fp.geometry) <= footprint.MAX_VERTICES
    assert fp.area_ha == pytest.approx(math.pi * 300**2 / 1e4, rel=0.01)
    saw = _zip_shapefile(_detailed_circle(30_000, jag_m=5), tmp_path / "c")
    with pytest.raises(footprint.FootprintTooLarge, match=r"dung sai 0,5 m còn .*vẫn vượt giới hạn 20\.000"):
        load_footprint("rang_cua.zip", saw, outline, 28, simplify_m=0.5)


def shapely_coords(geom) -> int:
    import shapely

    return int(shapely.get_num_coordinates(geom))


def test_footprint_size_feature_and_zip_limits(tmp_path, outline):
    with pytest.raises(footprint.FootprintTooLarge, match=r"“to\.geojson”: tệp quá lớn .*giới hạn 5 MB"):
        load_footprint("to.geojson", b" " * (5 * 1024 * 1024 + 1), outline, 1)
    c = gpd.GeoSeries([Point(CENTRE)], crs="EPSG:4326").to_crs("EPSG:32648").iloc[0]
    squares = [box(c.x + 3 * i, c.y, c.x + 3 * i + 1, c.y + 1) for i in range(1_001)]
    many = gpd.GeoDataFrame(geometry=squares, crs="EPSG:32648").to_crs("EPSG:4326")
    path = tmp_path / "nhieu.geojson"
    many.to_file(path, driver="GeoJSON", engine="pyogrio")
    with pytest.raises(footprint.FootprintTooLarge, match=r"có 1\.001 đối tượng; giới hạn 1\.000"):
        load_footprint("nhieu.geojson", path.read_bytes(), outline, 1)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(60):
            zf.writestr(f"f{i}.txt", "x")
    with pytest.raises(footprint.FootprintTooLarge, match=r"chứa 60 tệp; giới hạn 50"):
        load_footprint("nhieu_tep.zip", buf.getvalue(), outline, 1)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.shp", b"\0" * (20 * 1024 * 1024))
    with pytest.raises(footprint.FootprintTooLarge, match="bom nén"):
        load_footprint("bom.zip", bomb.getvalue(), outline, 1)


def test_corrupt_footprint_message_is_vietnamese_without_gdal_text_or_paths(tmp_path, outline, caplog):
    good = _zip_shapefile(_detailed_circle(100), tmp_path / "b")
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            content = src.read(info)
            dst.writestr(info.filename, b"rac" * 40 if info.filename.endswith(".shp") else content)
    cases = {"hong.zip": buf.getvalue(), "rac.geojson": b"{ not json", "rac.gpkg": b"SQLite format 3\0" + b"x" * 500}
    for name, data in cases.items():
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="ktxh_geo.io.footprints"):
            with pytest.raises(FootprintError) as err:
                load_footprint(name, data, outline, 1)
        message = str(err.value)
        assert f"“{name}”: không đọc được dữ liệu không gian" in message
        assert "/tmp" not in message and "upload" not in message and "vsizip" not in message
        assert not any(word in message for word in ("not recognized", "Error", "failed", "supported file"))
        assert caplog.records and name in caplog.text  # the technical text is kept for IT support, in the log


def test_footprint_file_name_is_escaped(tmp_path, outline):
    with pytest.raises(FootprintError) as err:
        load_footprint("a\x1b[31m.dwg", b"AC1027", outline, 1)
    assert "\x1b" not in str(err.value) and "a\\x1b[31m.dwg" in str(err.value)


def test_format_number_unchanged():
    assert format_number(1350) == "1.350" and format_number(2.83) == "2,83" and format_number(4.1) == "4,10"
    assert pd.isna(float("nan")) and format_number(float("nan")) == ""
