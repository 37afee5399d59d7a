"""Exports in a real browser: the standalone HTML offline from disk, and the download buttons of the map page."""

import io
import zipfile
from datetime import date

import pandas as pd
import pytest
from browser import offline_page
from PIL import Image

from ktxh_geo.model import mapcontext
from ktxh_geo.model.join import ILLUSTRATIVE_MARK
from ktxh_geo.render import export

pytestmark = pytest.mark.browser


def test_exported_html_draws_19_communes_from_disk_with_network_blocked(tmp_path):
    ctx = mapcontext.prepare("poverty_rate", 2023, include_illustrative=True)
    out = export.write_export("html", ctx, tmp_path / "ban-do.html", export_date=date(2024, 3, 5))
    with offline_page() as page:
        page.goto(out.as_uri())  # as from a USB stick: file://, no server, no internet
        page.locator("path.leaflet-interactive").first.wait_for(timeout=30_000)
        assert page.locator("path.leaflet-interactive[fill-opacity='0.85']").count() == 19
        legend = page.locator(".ktxh-legend").first.inner_text()
        assert "Tỷ lệ hộ nghèo (%)" in legend and "Chưa có số liệu" in legend
        assert page.locator(".ktxh-banner", has_text=ILLUSTRATIVE_MARK).count() == 1
        assert page.locator(".ktxh-label", has_text="Bố Hạ").count() == 1
        assert page.locator(".ktxh-credit", has_text="05/03/2024").count() == 1
        page.screenshot(path=str(tmp_path / "html.png"))
        assert page.blocked == []


def test_map_page_downloads_png_and_csv(server, tmp_path):
    with offline_page() as page:
        page.goto(server + "/ban-do")
        page.get_by_text("Xuất bản đồ").click()
        page.get_by_text("Ảnh PNG (cho Word)").wait_for(timeout=30_000)
        page.get_by_role("button", name="Tạo tệp").click()  # the file is made in the page's run (errors said there)
        button = page.locator("[data-testid='stDownloadButton'] button")
        button.wait_for(timeout=120_000)
        assert button.inner_text().strip().endswith("_a4-ngang.png")
        with page.expect_download(timeout=120_000) as info:
            button.click()
        png = tmp_path / "map.png"
        info.value.save_as(png)
        name = info.value.suggested_filename
        assert name.startswith("ban-do_") and name.endswith("_2020-2024_a4-ngang.png")
        assert Image.open(io.BytesIO(png.read_bytes())).size == (3508, 2480)

        page.get_by_text("Bảng CSV (UTF-8, mở bằng Excel)").click()
        page.get_by_role("button", name="Tạo tệp").click()
        page.locator("[data-testid='stDownloadButton'] button", has_text=".zip").wait_for(timeout=120_000)
        with page.expect_download(timeout=120_000) as info:
            button.click()
        bundle = tmp_path / "map.zip"
        info.value.save_as(bundle)
        assert info.value.suggested_filename.endswith("_2020-2024.zip")
        with zipfile.ZipFile(bundle) as zf:  # the CSV travels with its licence notice
            names = zf.namelist()
            csv_name = next(n for n in names if n.endswith(".csv"))
            assert "LICENSE.txt" in names and "Thang Le Quoc" in zf.read("LICENSE.txt").decode("utf-8")
            raw = zf.read(csv_name)
        assert raw.startswith(b"\xef\xbb\xbf")
        table = pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype={"Mã đơn vị": str})
        assert len(table) == 19 and "Thị trấn Bố Hạ" in set(table["Tên đơn vị"])
        assert {"Giá trị", "Loại số liệu", "Nguồn", "Ghi chú", "Giá trị (như trên bản đồ)"} <= set(table.columns)
        assert page.blocked == []
