"""Hostile uploads to "Tải lên ranh giới" (issue 17): read as what the name says, in a confined worker.

Every file here is built for real (tests/hostile_uploads.py) and sent through ``load_footprint`` — the same
function the page calls for anyone, signed in or not. Asserted: the file is refused (or, for a harmless one,
read) with a Vietnamese message that holds nothing from the file or the server; nothing outside the upload is
read (a planted file's secret never appears, no footprint comes from it); no connection reaches a local
server; the worker is gone afterwards and never outlives its limit.
"""

from __future__ import annotations

import json
import socketserver
import subprocess
import threading
import time
from pathlib import Path

import hostile_uploads as H
import pyogrio
import pytest
from shapely.geometry import Polygon

from ktxh_geo.errors import LimitExceeded
from ktxh_geo.io import footprints, sandbox, vector_worker
from ktxh_geo.io import shipped as load
from ktxh_geo.io.footprints import FootprintError, load_footprint

SECRET = "HEMMELIG-7f3a"


@pytest.fixture(scope="module")
def outline():
    return load.load_outline()


@pytest.fixture(autouse=True)
def fresh_parses():
    footprints._parsed.clear()  # every test parses for real
    yield
    footprints._parsed.clear()


@pytest.fixture
def workers(monkeypatch):
    """The pids of the worker processes started during the test."""
    pids: list[int] = []
    real = subprocess.Popen

    def recording(*args, **kwargs):
        proc = real(*args, **kwargs)
        pids.append(proc.pid)
        return proc

    monkeypatch.setattr(subprocess, "Popen", recording)
    return pids


def _gone(pid: int) -> bool:
    return not Path(f"/proc/{pid}").exists()


class _Listener:
    """A local TCP server that counts every connection (an HTTP request or anything else)."""

    def __init__(self):
        self.connections = 0
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                outer.connections += 1
                self.request.sendall(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener():
    srv = _Listener()
    yield srv
    srv.close()


def _refused(name: str, data: bytes, outline) -> str:
    started = time.monotonic()
    with pytest.raises(FootprintError) as err:
        load_footprint(name, data, outline, 25)
    assert time.monotonic() - started < footprints.PARSE_SECONDS
    message = str(err.value)
    assert message.startswith(f"Tệp “{name}”")
    for leak in (SECRET, "root:", "passwd", "/tmp", "/etc", "vsi", "Error", "SELECT", "["):
        assert leak not in message, (name, leak, message)
    return message


# ---------------------------------------------------------------- refused under every name, nothing read


@pytest.mark.slow
def test_vrt_gdalg_and_view_geopackage_are_refused_under_every_name(tmp_path, outline, workers):
    planted = H.planted_csv(tmp_path, SECRET)
    # the old reader accepted this one: a 25 ha footprint read from a server file
    assert pyogrio.read_dataframe(H.vrt_reading(f"CSV:{planted}")).geometry.iloc[0].area > 0
    hostile = {
        "VRT of a planted file": H.vrt_reading(f"CSV:{planted}"),
        "VRT of /etc/passwd as coordinates": H.vrt_passwd(),
        "VRT with an endless query": H.vrt_endless(),
        "GDALG pipeline": H.gdalg(f"CSV:{planted}"),
        "GeoPackage layer = endless recursive view": H.gpkg_recursive_view(tmp_path),
        "GeoPackage with VirtualOGR": H.gpkg_virtual_table(tmp_path),
    }
    seen = 0
    for content in hostile.values():
        for name, data in H.under_every_name(content).items():
            _refused(name, data, outline)
            seen += 1
    assert seen == 30
    assert len(workers) == 30 and all(_gone(pid) for pid in workers)  # one worker per file, each one gone


def test_specific_refusals_say_what_the_file_is(tmp_path, outline):
    assert "nội dung không phải GeoJSON" in _refused("a.geojson", H.gdalg("CSV:/etc/passwd"), outline)
    assert "nội dung không phải GeoPackage" in _refused("a.gpkg", H.vrt_passwd(), outline)
    assert "khung nhìn (view)" in _refused("a.gpkg", H.gpkg_recursive_view(tmp_path), outline)
    assert "bảng ảo" in _refused("b.gpkg", H.gpkg_virtual_table(tmp_path), outline)
    assert "không đọc được dữ liệu không gian" in _refused("a.geojson", H.vrt_passwd(), outline)


def test_no_request_leaves_the_server(tmp_path, outline, listener):
    url = listener.url
    # positive control: GDAL left to itself does fetch a GeoJSON "crs" link (the test can fail)
    link = H.geojson(crs={"type": "link", "properties": {"href": f"{url}/crs", "type": "proj4"}})
    (tmp_path / "link.geojson").write_bytes(link)
    pyogrio.read_info(tmp_path / "link.geojson")
    assert listener.connections > 0
    listener.connections = 0
    kml_link = (
        '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document><NetworkLink><Link>'
        f"<href>{url}/nl.kml</href></Link></NetworkLink></Document></kml>"
    ).encode()
    files = {
        "link.geojson": link,
        "ten_url.geojson": H.geojson(crs={"type": "name", "properties": {"name": f"{url}/crs"}}),
        "lien_ket.kml": kml_link,
        "prj_url.zip": H.zipped("a.shp", b"", {"a.prj": f"{url}/prj".encode()}),
    }
    for name, data in H.under_every_name(H.vrt_reading(f"/vsicurl/{url}/v.csv")).items():
        files[f"vrt_{name}"] = data
    for name, data in H.under_every_name(H.gdalg(f"/vsicurl/{url}/g.geojson")).items():
        files[f"gdalg_{name}"] = data
    for name, data in files.items():
        _refused(name, data, outline)
    assert listener.connections == 0


def test_geojson_crs_may_only_name_a_crs(outline):
    for crs in (
        {"type": "link", "properties": {"href": "file:///etc/passwd"}},
        {"type": "name", "properties": {"name": "/etc/passwd"}},
        {"type": "name", "properties": {"name": "+proj=longlat +init=/etc/passwd:x"}},
        {"type": "name", "properties": {"name": 4326}},
    ):
        assert "mục “crs” chỉ được ghi tên hệ tọa độ" in _refused("crs.geojson", H.geojson(crs=crs), outline)
        footprints._parsed.clear()
    named = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    assert load_footprint("crs.geojson", H.geojson(crs=named), outline, 25).area_ha == pytest.approx(26.4, abs=1)


def test_trigger_geopackage_is_read_with_its_triggers_dropped_first(tmp_path, outline):
    data = H.gpkg_with_trigger(tmp_path)
    started = time.monotonic()
    fp = load_footprint("trigger.gpkg", data, outline, 25)  # a trigger that ran would never end
    assert fp.area_ha == pytest.approx(26.4, abs=1) and time.monotonic() - started < footprints.PARSE_SECONDS
    copy = tmp_path / "copy.gpkg"
    copy.write_bytes(data)
    assert vector_worker._geopackage(copy) == "ranh_gioi"
    import sqlite3

    con = sqlite3.connect(copy)
    assert con.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM fired").fetchone() == (0,)
    con.close()
    # a GeoPackage written by GDAL (R-tree and feature-count triggers) still reads
    assert footprints.read_footprint_file("good.gpkg", H._gpkg(tmp_path, "good.gpkg", [], False)).shape[0] == 1


def test_zip_member_paths_never_reach_the_file_system(tmp_path, outline):
    good = H.local_cs_shapefile(tmp_path)  # any real shapefile; its members renamed with ../ and absolute paths
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            dst.writestr("../../../../tmp/ktxh_evil/" + info.filename, src.read(info))
    with pytest.raises(FootprintError, match="không chuyển được hệ tọa độ"):  # read: the LOCAL_CS .prj came along
        load_footprint("ten_xau.zip", buf.getvalue(), outline, 25)
    assert not Path("/tmp/ktxh_evil").exists()


# ---------------------------------------------------------------- the worker: killed, confined, gone


@pytest.mark.slow
def test_a_parse_past_its_time_is_killed_and_said_in_vietnamese(tmp_path, outline, workers, monkeypatch):
    monkeypatch.setattr(footprints, "PARSE_SECONDS", 0.3)  # the worker cannot even start in that time
    started = time.monotonic()
    with pytest.raises(footprints.FootprintTooLarge, match="“a.geojson”: đọc tệp quá 0 giây nên đã dừng") as err:
        load_footprint("a.geojson", H.geojson(), outline, 25)
    assert isinstance(err.value, LimitExceeded) and time.monotonic() - started < 2
    assert len(workers) == 1 and _gone(workers[0])


def test_sandbox_kills_a_spinning_or_sleeping_child_and_its_group(tmp_path):
    for do in ("spin", "sleep"):
        folder = tmp_path / do
        folder.mkdir()
        started = time.monotonic()
        with pytest.raises(sandbox.SandboxError) as err:
            sandbox.run("tests.sandbox_probe", {"do": do}, folder, seconds=1.5)
        elapsed = time.monotonic() - started
        assert err.value.kind == "time" and 1.4 < elapsed < 4, (do, elapsed)
        pid = int((folder / "started").read_text())
        assert _gone(pid)


def test_sandbox_refuses_network_processes_exec_and_bounds_memory_and_output(tmp_path, listener):
    def run(request, seconds=10.0, **kw):
        folder = tmp_path / f"{request['do']}-{time.monotonic_ns()}"
        folder.mkdir()
        return sandbox.run("tests.sandbox_probe", request, folder, seconds=seconds, **kw).header

    echo = run({"do": "echo", "value": 5})
    assert echo["value"] == 5 and echo["confined"] == {"seccomp": True, "pdeathsig": True}
    assert run({"do": "thread"})["thread"] == 42  # threads still work (GDAL may use them)
    assert run({"do": "connect", "port": listener.port}) | {"confined": None} == {
        "connected": False,
        "errno": 1,
        "confined": None,
    }
    assert listener.connections == 0
    assert run({"do": "fork"})["forked"] is False
    assert run({"do": "exec"})["exec"] is False
    assert run({"do": "write", "size": sandbox.OUTPUT_BYTES + 1})["written"] is False
    started = time.monotonic()
    with pytest.raises(sandbox.SandboxError) as err:
        run({"do": "allocate"})
    assert err.value.kind == "memory" and time.monotonic() - started < 5
    with pytest.raises(sandbox.SandboxError) as err:
        run({"do": "abort"})
    assert err.value.kind == "crash" and "probe aborting" in err.value.detail  # the tail of stderr, for the log


def test_the_worker_reads_only_with_the_driver_the_name_chose(tmp_path):
    (tmp_path / "upload.geojson").write_bytes(H.geojson())
    request = {"driver": "GeoJSON", "file": "upload.geojson", "max_features": 10}
    # started without the other drivers skipped, the worker refuses to read at all
    out = sandbox.run("ktxh_geo.io.vector_worker", request, tmp_path, seconds=20, env=vector_worker.ENV)
    assert out.header["error"] == "failed" and "drivers registered besides GeoJSON" in out.header["detail"]
    skip = ",".join(d for d in pyogrio.list_drivers() if d != "GeoJSON")
    env = {**vector_worker.ENV, "GDAL_SKIP": skip}
    out = sandbox.run("ktxh_geo.io.vector_worker", request, tmp_path, seconds=20, env=env)
    assert out.header["count"] == 1 and out.header["crs"] == "EPSG:4326" and len(out.data) == out.header["sizes"][0]


def test_busy_when_every_worker_slot_is_taken(outline, monkeypatch):
    monkeypatch.setattr(footprints, "PARSE_SECONDS", 0.2)
    taken = 0
    while sandbox._slots.acquire(blocking=False):
        taken += 1
    try:
        with pytest.raises(FootprintError, match="máy chủ đang bận đọc các tệp khác"):
            load_footprint("a.geojson", H.geojson(), outline, 25)
    finally:
        for _ in range(taken):
            sandbox._slots.release()
    assert taken == sandbox.MAX_WORKERS


@pytest.mark.slow
def test_one_parse_per_file_content(outline, workers):
    data = H.geojson()
    for _ in range(3):  # a page rerun with the file still in the uploader
        assert load_footprint("a.geojson", data, outline, 25).area_ha == pytest.approx(26.4, abs=1)
    assert len(workers) == 1


# ---------------------------------------------------------------- messages never carry the file's content


def test_local_cs_prj_is_a_vietnamese_message(tmp_path, outline):
    with pytest.raises(FootprintError) as err:
        load_footprint("cuc_bo.zip", H.local_cs_shapefile(tmp_path), outline, 25)
    assert "“cuc_bo.zip”: không chuyển được hệ tọa độ của tệp sang kinh độ, vĩ độ (WGS84)" in str(err.value)
    assert "Cong trinh" not in str(err.value)


def test_invalid_geometry_message_has_no_coordinates(outline):
    bowtie = Polygon([(106.26, 21.47), (106.27, 21.48), (106.27, 21.47), (106.26, 21.48)])
    doc = {"type": "Feature", "properties": {}, "geometry": json.loads(json.dumps(bowtie.__geo_interface__))}
    with pytest.raises(FootprintError) as err:
        load_footprint("no.geojson", json.dumps(doc).encode(), outline, 25)
    assert str(err.value) == "Tệp “no.geojson”, đối tượng 1: hình học không hợp lệ (ranh giới tự cắt nhau)."


def test_kml_external_entity_reads_nothing(outline, tmp_path):
    planted = H.planted_csv(tmp_path, SECRET)
    kml = (
        f'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY x SYSTEM "file://{planted}">]>'
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&x;</name><Polygon><outerBoundaryIs>'
        "<LinearRing><coordinates>106.2635,21.4747 106.2685,21.4747 106.2685,21.4793 106.2635,21.4793 "
        "106.2635,21.4747</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></kml>"
    ).encode()
    try:
        fp = load_footprint("thuc_the.kml", kml, outline, 25)
    except FootprintError as err:
        assert SECRET not in str(err)
    else:
        assert SECRET not in repr(fp)


def test_http_server_fixture_counts_plain_requests(listener):
    """The listener used above sees a request when one is made (so a zero means none was made)."""
    import urllib.request

    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with pytest.raises(OSError):
        direct.open(f"{listener.url}/x", timeout=5)
    assert listener.connections == 1
