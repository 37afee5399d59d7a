"""Exports: PNG pixels and colours, PDF text and fonts, standalone HTML, data round-trips, CLI errors."""

import io
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from PIL import Image
from pypdf import PdfReader
from shapely.geometry import Point

from ktxh_geo.__main__ import main
from ktxh_geo.model import mapcontext
from ktxh_geo.model.join import ILLUSTRATIVE_MARK
from ktxh_geo.render import export
from ktxh_geo.render.layout import render_layout
from ktxh_geo.text import format_number

UTM48N = "EPSG:32648"
ROOT = Path(__file__).resolve().parents[2]
DAY = date(2024, 3, 5)


@pytest.fixture(scope="module")
def poverty():
    """All 19 values illustrative (the only commune-level poverty figures shipped)."""
    return mapcontext.prepare("poverty_rate", 2023, include_illustrative=True)


@pytest.fixture(scope="module")
def villages():
    """Official values only; the two thị trấn are "Không áp dụng"."""
    return mapcontext.prepare("model_villages", 2023, include_illustrative=False, layers=("cluster", "village"))


def _pdf_text(data: bytes, tmp_path: Path) -> str:
    pdf = tmp_path / "map.pdf"
    pdf.write_bytes(data)
    out = subprocess.run(["/usr/bin/pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(out.split())


# ---- PNG ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("paper", "orientation", "dpi", "size"),
    [
        ("a4", "landscape", 300, (3508, 2480)),
        ("a4", "portrait", 150, (1240, 1754)),
        ("a3", "landscape", 150, (2480, 1754)),
    ],
)
def test_png_has_the_paper_size_in_pixels(villages, paper, orientation, dpi, size):
    png = export.render_png(villages, paper, orientation, dpi, DAY)
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG" and img.size == size
    assert img.info["dpi"] == pytest.approx((dpi, dpi), abs=0.05)  # Word places it at the paper's size


def _probe(geom, label_xy, markers) -> Point:
    """A point of the commune clear of its label and the object markers (so the fill shows)."""
    free = geom.buffer(-250)
    free = free.difference(Point(label_xy).buffer(1600))
    for x, y in markers:
        free = free.difference(Point(x, y).buffer(700))
    assert not free.is_empty
    return free.representative_point()


@pytest.mark.parametrize("fixture", ["poverty", "villages"])
@pytest.mark.parametrize("orientation", ["landscape", "portrait"])
def test_png_shows_each_communes_class_colour_at_its_place(request, fixture, orientation):
    ctx = request.getfixturevalue(fixture)
    lay = export.layout(ctx, "a4", orientation, 150, DAY)
    img = np.asarray(Image.open(io.BytesIO(export.save_png(lay))).convert("RGB")).astype(int)
    assert img.shape[:2] == (lay.size_px[1], lay.size_px[0])
    communes = ctx.joined.to_crs(UTM48N)
    checked = 0
    for code, geom, color, status in zip(
        communes["code"], communes.geometry, ctx.classification.colors, communes["status"], strict=True
    ):
        if status == "missing":
            continue  # hatched grey: checked in the legend test
        pt = _probe(geom, lay.label_points[code], lay.marker_points)
        col, row = lay.to_pixel(pt.x, pt.y)
        got = img[int(row), int(col)]
        want = np.array([round(c * 255) for c in to_rgb(color)])
        assert np.abs(got - want).max() <= 6, (code, got, want, color)
        checked += 1
    assert checked == 19


def test_png_pixel_mapping_is_not_trivially_satisfied(villages):
    """Two communes of different classes really differ where the mapping says they are."""
    lay = export.layout(villages, "a4", "landscape", 150, DAY)
    img = np.asarray(Image.open(io.BytesIO(export.save_png(lay))).convert("RGB")).astype(int)
    communes = villages.joined.to_crs(UTM48N).set_index("code")
    colors = dict(zip(villages.joined["code"], villages.classification.colors, strict=True))
    an_thuong, bo_ha = "07285", "07294"  # 3 model villages vs. thị trấn "Không áp dụng" (white)
    assert colors[an_thuong] != colors[bo_ha] and colors[bo_ha] == "#ffffff"
    for code in (an_thuong, bo_ha):
        pt = _probe(communes.geometry[code], lay.label_points[code], lay.marker_points)
        col, row = lay.to_pixel(pt.x, pt.y)
        assert np.abs(img[int(row), int(col)] - np.array([round(c * 255) for c in to_rgb(colors[code])])).max() <= 6


def test_png_hatches_communes_without_data():
    """Official NTM status only: most xã have no figure and print as hatched grey, like the legend's swatch."""
    ctx = mapcontext.prepare("ntm_status", 2023, include_illustrative=False, layers=())
    lay = export.layout(ctx, "a4", "landscape", 150, DAY)
    img = np.asarray(Image.open(io.BytesIO(export.save_png(lay))).convert("RGB")).astype(int)
    communes = ctx.joined.to_crs(UTM48N)
    missing = communes[communes["status"] == "missing"]
    assert len(missing) >= 10
    grey = np.array([0xBD, 0xBD, 0xBD])
    for code, geom in zip(missing["code"], missing.geometry, strict=True):
        pt = _probe(geom, lay.label_points[code], [])
        col, row = (int(v) for v in lay.to_pixel(pt.x, pt.y))
        window = img[row - 6 : row + 6, col - 6 : col + 6].reshape(-1, 3)
        is_grey = (np.abs(window - grey).max(axis=1) <= 6).mean()
        is_hatch = (window.max(axis=1) < 0xA8).mean()
        assert is_grey > 0.5 and is_hatch > 0.05, (code, is_grey, is_hatch)


def test_scale_bar_measures_true_kilometres(villages):
    """The map is drawn in UTM 48N: paper distances times the scale equal geodesic distances on the ground."""
    from matplotlib.patches import Rectangle
    from pyproj import Geod, Transformer

    dpi = 150
    lay = export.layout(villages, "a4", "landscape", dpi, DAY)
    (x1, y1), (x2, y2) = lay.label_points["07243"], lay.label_points["07273"]  # Đồng Tiến, Đông Sơn
    to_wgs = Transformer.from_crs(UTM48N, "EPSG:4326", always_xy=True)
    (lon1, lat1), (lon2, lat2) = to_wgs.transform(x1, y1), to_wgs.transform(x2, y2)
    ground_m = Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)[2]
    (c1, r1), (c2, r2) = lay.to_pixel(x1, y1), lay.to_pixel(x2, y2)
    paper_mm = np.hypot(c2 - c1, r2 - r1) / dpi * 25.4
    assert paper_mm * lay.m_per_mm == pytest.approx(ground_m, rel=0.002)
    segments = [p for p in lay.map_ax.patches if isinstance(p, Rectangle) and p.get_zorder() == 8]
    assert len(segments) == 4
    left = min(p.get_x() for p in segments)
    right = max(p.get_x() + p.get_width() for p in segments)
    assert right - left == pytest.approx(lay.scale_km * 1000)
    texts = [t.get_text() for t in lay.map_ax.texts]
    assert f"{format_number(lay.scale_km, 1)} km" in texts
    assert f"Tỷ lệ 1:{format_number(round(lay.m_per_mm) * 1000, 0)} (khi in đúng khổ giấy)" in texts


# ---- PDF ---------------------------------------------------------------------------------------


def test_pdf_text_has_title_communes_and_legend_with_diacritics(villages, tmp_path):
    data = export.render_pdf(villages, "a4", "landscape", DAY)
    text = _pdf_text(data, tmp_path)
    assert villages.indicator.name.startswith("Số thôn được công nhận đạt chuẩn NTM kiểu mẫu")
    assert f"{villages.indicator.name} năm 2023 — huyện Yên Thế — đơn vị hành chính 2020–2024" in text
    for name in villages.joined["name"]:
        assert name in text, name
    for item in villages.classification.legend:
        assert item.label in text, item.label
    assert "Không áp dụng" in text and "Chưa có số liệu" in text
    assert "Cụm công nghiệp (CCN) (vị trí gần đúng)" in text
    assert "Marc Choisy" in text and "Thang Le Quoc" in text and "MIT" in text
    assert "Ngày xuất bản đồ: 05/03/2024" in text
    assert "km" in text and "EPSG:32648" in text
    assert ILLUSTRATIVE_MARK not in text
    page = PdfReader(io.BytesIO(data)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 595)


def test_pdf_says_illustrative_exactly_when_shown(poverty, tmp_path):
    text = _pdf_text(export.render_pdf(poverty, "a3", "portrait", DAY), tmp_path)
    assert "Tỷ lệ hộ nghèo năm 2023 — huyện Yên Thế — đơn vị hành chính 2020–2024" in text
    assert f"Tỷ lệ hộ nghèo (%) — {ILLUSTRATIVE_MARK}" in text  # legend title
    assert f"{ILLUSTRATIVE_MARK} — giá trị cấp xã trên bản đồ này không phải số liệu chính thức" in text
    for item in poverty.classification.legend:
        assert item.label in text
    page = PdfReader(io.BytesIO(export.render_pdf(poverty, "a3", "portrait", DAY))).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (842, 1191)


def test_pdf_embeds_dejavu_sans_as_truetype(villages, tmp_path):
    pdf = tmp_path / "m.pdf"
    pdf.write_bytes(export.render_pdf(villages))
    fonts = subprocess.run(["/usr/bin/pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:]]
    assert rows and all("DejaVuSans" in r[0] for r in rows)
    assert all("TrueType" in " ".join(r) and "yes" in r for r in rows)  # embedded


def test_missing_glyph_warning_fails_tests():
    """pyproject turns matplotlib's "Glyph ... missing" warning into an error (it names the caller's module)."""
    fig = Figure()
    fig.text(0.5, 0.5, "Tỷ lệ 漢")
    with pytest.raises(UserWarning, match="Glyph .* missing from font"):
        fig.savefig(io.BytesIO(), format="png")


@pytest.mark.filterwarnings("ignore:Glyph")
def test_layout_refuses_text_the_font_cannot_draw(villages):
    """Even with the warning silenced (as outside the tests), a map with boxes for letters is refused."""
    with pytest.raises(ValueError, match="no glyph"):
        render_layout(villages.thematic, villages.outline, None, [], "Bản đồ 漢", "x", export_date=DAY)


# ---- HTML --------------------------------------------------------------------------------------


def test_html_is_standalone(poverty):
    page = export.render_html(poverty, DAY)
    tags = re.findall(r"<(?:script|link)\b[^>]*>", page)
    assert not [t for t in tags if re.search(r"(?:src|href)\s*=", t)], "every script and stylesheet is inlined"
    assert not re.search(r"<(?:script|link)[^>]+https?://", page)
    assert not re.search(r"@import|url\(\s*['\"]?https?:", page)
    assert "L.map(" in page and "leaflet-container" in page  # Leaflet JS and CSS are in the page
    assert page.count('"code": "0') >= 19 or all(c in page for c in poverty.joined["code"])
    assert ILLUSTRATIVE_MARK in page and "Marc Choisy" in page and "05/03/2024" in page
    assert "<title>Tỷ lệ hộ nghèo năm 2023" in page


# ---- data --------------------------------------------------------------------------------------


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a["code"].astype(str).str.zfill(5)) == list(b["code"])
    assert np.allclose(a["value"].to_numpy(float), b["value"].to_numpy(float), equal_nan=True)
    for col in ("status_label", "source", "display", "full_name", "class_label"):
        assert list(a[col].fillna("")) == list(b[col].fillna("")), col
    assert list(a["year"].astype(int)) == list(b["year"].astype(int))


def _machine(people: pd.DataFrame) -> pd.DataFrame:
    """A people table (Vietnamese headers) read back under the machine names."""
    return people.rename(columns={v: k for k, v in export.PEOPLE_COLUMNS.items()})


@pytest.mark.parametrize("fmt", ["gpkg", "geojson"])
def test_geodata_round_trips(poverty, tmp_path, fmt):
    out = export.write_export(fmt, poverty, tmp_path / f"t.{fmt}")
    back = gpd.read_file(out)
    table = export.data_table(poverty)
    assert len(back) == 19 and back.crs.to_epsg() == 4326
    _same(back, table)
    assert back.geometry.geom_equals_exact(table.geometry, tolerance=1e-6).all()
    assert {"value_text", "value_note", "status_label", "indicator_name"} <= set(back.columns)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"t.{fmt}"]


def test_csv_has_bom_and_round_trips(poverty, tmp_path):
    out = export.write_export("csv", poverty, tmp_path / "t.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert "Đồng Tiến".encode() in raw
    back = pd.read_csv(out, encoding="utf-8-sig", dtype={"Mã đơn vị": str})
    assert list(back.columns[:3]) == ["Mã đơn vị", "Tên đơn vị", "Loại đơn vị"]  # headers a clerk reads
    _same(_machine(back), export.data_table(poverty))
    assert (back["Loại số liệu"] == ILLUSTRATIVE_MARK).all()
    assert not {"indicator_id", "status", "edition", "geometry_source"} & set(_machine(back).columns)  # no raw ids


def test_xlsx_round_trips_with_notes(villages, tmp_path):
    out = export.write_export("xlsx", villages, tmp_path / "t.xlsx", export_date=DAY)
    sheets = pd.read_excel(out, sheet_name=None, dtype={"Mã đơn vị": str})
    assert list(sheets) == ["Số liệu", "Ghi chú", "Tên cột", "Giấy phép"]
    back = sheets["Số liệu"]
    _same(_machine(back), export.data_table(villages))
    names = dict(zip(sheets["Tên cột"]["Tên cột"], sheets["Tên cột"]["Tên trường (GeoPackage, GeoJSON)"], strict=True))
    assert (
        list(names) == list(back.columns)
        and names["Mã đơn vị"] == "code"
        and names["Bộ đơn vị hành chính"] == "edition"
    )
    notes = dict(zip(sheets["Ghi chú"]["Mục"], sheets["Ghi chú"]["Nội dung"], strict=True))
    assert notes["Ngày xuất"] == "05/03/2024" and "Marc Choisy" in notes["Ranh giới"]
    assert notes["Chỉ tiêu"] == villages.indicator.name and "model_villages" not in "".join(map(str, notes.values()))
    assert notes["Đơn vị hành chính"] == "19 xã, thị trấn (01/01/2020 – 31/12/2024)"
    assert "Lưu ý" not in notes  # no illustrative values on this map


def test_failed_export_leaves_nothing_and_keeps_old_file(villages, tmp_path, monkeypatch):
    out = tmp_path / "map.png"
    out.write_bytes(b"old report")

    def broken(fmt, ctx, path, *args):
        Path(path).write_bytes(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "_write", broken)
    with pytest.raises(export.ExportError, match="không ghi được .*No space left"):
        export.write_export("png", villages, out)
    assert out.read_bytes() == b"old report"
    assert [p.name for p in tmp_path.iterdir()] == ["map.png"]


# ---- command line ------------------------------------------------------------------------------


def test_cli_list(capsys):
    assert main(["export", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "poverty_rate\tTỷ lệ hộ nghèo (%)" in lines
    assert {line.split("\t")[0] for line in lines} == {"poverty_rate", "ntm_status", "ntm_criteria", "model_villages"}


def test_cli_writes_pdf(tmp_path, capsys):
    out = tmp_path / "bao-cao.pdf"
    rc = main(["export", "--indicator", "model_villages", "--layers", "cluster", "--format", "pdf", "--out", str(out)])
    assert rc == 0 and out.read_bytes().startswith(b"%PDF")
    assert "đã ghi" in capsys.readouterr().out
    text = _pdf_text(out.read_bytes(), tmp_path)
    assert "Cụm công nghiệp (CCN)" in text and "Thôn/bản NTM kiểu mẫu" not in text


def test_cli_leaves_illustrative_values_out_unless_asked(tmp_path):
    out = tmp_path / "ntm.csv"
    assert main(["export", "--indicator", "ntm_status", "--out", str(out)]) == 0  # format from the extension
    assert ILLUSTRATIVE_MARK not in set(pd.read_csv(out, encoding="utf-8-sig")["Loại số liệu"])
    assert main(["export", "--indicator", "ntm_status", "--illustrative", "--out", str(out)]) == 0
    assert ILLUSTRATIVE_MARK in set(pd.read_csv(out, encoding="utf-8-sig")["Loại số liệu"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--indicator", "khong_co"], "không có chỉ tiêu bản đồ 'khong_co'"),
        (["--indicator", "gtsx_total"], "không có chỉ tiêu bản đồ 'gtsx_total'"),  # district-only
        (
            ["--indicator", "model_villages", "--year", "2019"],
            "chưa có số liệu cấp xã năm 2019; các năm có số liệu: 2023",
        ),
        (["--indicator", "poverty_rate"], "thêm --illustrative"),
        (["--indicator", "model_villages", "--format", "bmp"], "định dạng 'bmp' không hỗ trợ"),
        (["--indicator", "model_villages", "--edition", "2030"], "không có đơn vị hành chính '2030'"),
        (["--indicator", "model_villages", "--layers", "airport"], "không có lớp đối tượng 'airport'"),
        (["--indicator", "model_villages", "--dpi", "72"], "72 dpi không hỗ trợ"),
    ],
)
def test_cli_errors_are_one_line_and_write_nothing(tmp_path, capsys, args, message):
    out = tmp_path / "map.png"
    assert main(["export", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("lỗi: ") and message in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["missing_dir", "under_a_file", "a_directory"])
def test_cli_unwritable_path(tmp_path, capsys, where):
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "dir.png").mkdir()
    out = {
        "missing_dir": tmp_path / "nope" / "map.png",
        "under_a_file": tmp_path / "file.txt" / "map.png",
        "a_directory": tmp_path / "dir.png",
    }[where]
    assert main(["export", "--indicator", "model_villages", "--format", "png", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"lỗi: không ghi được {out}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.png", "file.txt"]
    assert list((tmp_path / "dir.png").iterdir()) == []


@pytest.mark.slow
def test_cli_runs_as_a_module(tmp_path):
    out = tmp_path / "m.html"
    done = subprocess.run(
        [sys.executable, "-m", "ktxh_geo", "export", "--indicator", "ntm_criteria", "--illustrative"]
        + ["--format", "html", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert ILLUSTRATIVE_MARK in out.read_text(encoding="utf-8")
    bad = subprocess.run(
        [sys.executable, "-m", "ktxh_geo", "export", "--indicator", "x", "--out", str(tmp_path / "x.png")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and len(bad.stderr.splitlines()) == 1


# ---- map page panel ----------------------------------------------------------------------------
