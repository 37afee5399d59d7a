"""The store on both backends (SQLite file, real PostgreSQL/PostGIS): same API, same guarantees.

Every test gets a fresh store (fixture ``target`` of ``store_helpers``): a new SQLite file, or a new PostgreSQL
schema (``search_path`` in the URL), dropped afterwards. Writers in separate processes check that concurrent saves
never lose an update or reuse a number.
"""

import os
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import Point
from sqlalchemy import text
from store_helpers import pg_schema

from ktxh_geo.cli.db import copy_store
from ktxh_geo.errors import Forbidden, StorageError
from ktxh_geo.io import db, register, schema, store
from ktxh_geo.model import auth, slides
from ktxh_geo.model.auth import signed_in

AN = signed_in("an", "password")
CODES = ["07243", "07246", "07249"]


def _cells(value, codes=CODES, year=2023):
    return [store.Cell("poverty_rate", c, "2020-2024", year, value) for c in codes]


def _save(value, **kw):
    args = {"editor": AN, "source": f"nguồn {value}", "action": "import", "dataset": "poverty_rate"}
    return store.save(_cells(value), **{**args, **kw})


@pytest.mark.slow
def test_versions_restore_and_history(target):
    assert store.latest_version() == 0 and store.snapshot().empty
    assert _save(1.0) == 1 and _save(2.0) == 2
    assert (
        store.save(
            [store.Cell("poverty_rate", "07243", "2020-2024", 2023)],
            editor=AN,
            source="xóa",
            action="edit",
            dataset="poverty_rate",
        )
        == 3
    )
    snap = store.snapshot().set_index("code")
    assert sorted(snap.index) == ["07246", "07249"] and snap.at["07246", "version_id"] == 2
    assert store.changes(3)[["code", "old_value", "new_value"]].values.tolist()[0][:2] == ["07243", 2.0]
    assert store.restore(1, editor=signed_in("bình", "oidc")) == 4
    assert set(store.snapshot()["value"]) == {1.0} and len(store.snapshot(2)) == 3
    hist = store.versions()
    assert hist["id"].tolist() == [4, 3, 2, 1] and hist.iloc[0]["user"] == "bình"
    assert hist.iloc[0]["restored_from"] == 1 and hist["n_changes"].tolist() == [3, 1, 3, 3]


@pytest.mark.slow
def test_refusals_and_a_failed_save_write_nothing(target):
    _save(1.0)
    key = db.state_version()
    with pytest.raises(Forbidden):
        _save(2.0, editor=None)
    with pytest.raises(store.StoreError):
        _save(2.0, source=" ")
    with pytest.raises(store.StoreError, match="Không có giá trị nào khác"):
        _save(1.0)
    with pytest.raises(RuntimeError, match="simulated crash"):
        _save(2.0, _fail_mid_transaction=True)
    assert db.state_version() == key and store.latest_version() == 1 and set(store.snapshot()["value"]) == {1.0}
    assert _save(3.0) == 2  # the number of the failed save is not burnt either


@pytest.mark.slow
def test_locations_history_slides_and_the_cache_key(target):
    keys = {db.state_version()}
    row = register.save_location("cho_bo_ha", Point(106.19, 21.44), AN, action="set_point", input_text="WGS84")
    keys.add(db.state_version())
    register.save_location("cho_bo_ha", Point(106.191, 21.441), AN, action="set_point", input_text="")
    keys.add(db.state_version())
    hist = register.read_history()
    assert hist["previous_geometry_wkt"].tolist() == [row["previous_geometry_wkt"], "POINT (106.19 21.44)"]
    assert hist["new_geometry_wkt"].tolist()[-1] == "POINT (106.191 21.441)"
    reg = register.load_register().set_index("id")
    assert reg.at["cho_bo_ha", "edited"] and reg.at["cho_bo_ha", "geometry"].equals(Point(106.191, 21.441))
    shipped, _, _ = slides.load_deck()
    slides.add_slide(slides.Slide("Trang mới", {"indicator": "poverty_rate"}), AN)
    keys.add(db.state_version())
    deck, error, _ = slides.load_deck()
    assert error is None and [s.title for s in deck] == [*[s.title for s in shipped], "Trang mới"]
    assert len(keys) == 4  # every kind of write changes the key the app caches on
    if target.kind == "postgresql":
        with target.engine.connect() as conn:
            kind = conn.execute(text("SELECT GeometryType(geometry), ST_SRID(geometry) FROM location_edits")).one()
            assert tuple(kind) == ("POINT", 4326)


@pytest.mark.slow
def test_sign_in_throttle(target):
    t0 = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    for i in range(5):
        auth.record_failure("an", now=t0 + timedelta(seconds=i))
    assert auth.is_locked("an", now=t0 + timedelta(minutes=1))
    auth.clear("an")
    assert store.failures("an", since=t0) == []


@pytest.mark.slow
def test_postgresql_without_schema_is_refused_with_a_message(pg_url):
    with pg_schema(pg_url, upgrade=False) as url:
        with pytest.raises(StorageError, match="db upgrade"):
            store.latest_version(url)
        with pytest.raises(StorageError, match="db upgrade"):
            store.save(_cells(1.0), editor=AN, source="x", action="import", dataset="d", path=url)


WRITER = textwrap.dedent(
    """
    import sys
    from ktxh_geo.errors import StoreBusy
    from ktxh_geo.io import store
    from ktxh_geo.model.auth import signed_in
    server, writer, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    ed = signed_in(f"{server}-{writer}", "cli")
    code = f"{writer:05d}"
    for i in range(n):
        cell = store.Cell("poverty_rate", code, "2020-2024", 2000 + i, float(i))
        while True:  # eight tight loops on two cores: a writer may wait past the lock timeout and is told to retry
            try:
                store.save([cell], editor=ed, source=f"{server} {writer} {i}", action="edit", dataset="poverty_rate")
                break
            except StoreBusy:
                continue
    """
)

SERVER = textwrap.dedent(
    """
    import subprocess, sys
    writer_code, server, first, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    procs = [subprocess.Popen([sys.executable, "-c", writer_code, server, str(w), n]) for w in range(first, first + 4)]
    sys.exit(max(p.wait() for p in procs))
    """
)


@pytest.mark.slow
def test_eight_writers_on_two_servers_lose_nothing(target):
    """2 "servers" × 4 writer processes × 50 saves = 400 versions, numbers 1..400, every cell kept."""
    env = {**os.environ}
    servers = [
        subprocess.Popen([sys.executable, "-c", SERVER, WRITER, name, str(first), "50"], env=env)
        for name, first in (("a", 0), ("b", 4))
    ]
    assert [s.wait(timeout=240) for s in servers] == [0, 0]
    hist = store.versions()
    assert sorted(hist["id"]) == list(range(1, 401)) and store.latest_version() == 400
    assert (hist["n_changes"] == 1).all()
    snap = store.snapshot()
    assert len(snap) == 400  # no save overwrote another's state (a lost update would drop cells)
    assert sorted(set(snap["code"])) == [f"{w:05d}" for w in range(8)]
    assert sorted(snap["version_id"]) == list(range(1, 401))


@pytest.mark.slow
def test_db_copy_moves_an_old_sqlite_store_to_postgresql(state, tmp_path, monkeypatch, pg_url, capsys):
    monkeypatch.delenv(db.ENV_URL, raising=False)
    _save(1.0)
    _save(2.0)
    auth.record_failure("x")
    register.save_location("cho_bo_ha", Point(106.19, 21.44), AN, action="set_point", input_text="")
    slides.add_slide(slides.Slide("Trang", {"indicator": "poverty_rate"}), AN)
    with pg_schema(pg_url, upgrade=False) as url:
        got = copy_store(f"sqlite:///{tmp_path / 'ktxh_store.sqlite'}", url)
        out = capsys.readouterr().out
        assert got["versions"][0] == 2 and got["snapshot"][0] == 6 and got["location_history"][0] == 1
        assert "versions: 2 dòng, sha256" in out and "location_edits: 1 dòng" in out
        monkeypatch.setenv(db.ENV_URL, url)
        assert store.latest_version() == 2 and set(store.snapshot()["value"]) == {2.0}
        assert register.read_history()["new_geometry_wkt"].tolist() == ["POINT (106.19 21.44)"]
        assert slides.load_deck()[0][-1].title == "Trang"
        with pytest.raises(StorageError, match="đã có dữ liệu"):
            copy_store(f"sqlite:///{tmp_path / 'ktxh_store.sqlite'}", url)


@pytest.mark.slow
def test_db_upgrade_command(pg_url, capsys):
    from ktxh_geo.__main__ import main

    with pg_schema(pg_url, upgrade=False) as url:
        assert main(["db", "upgrade", "--url", url]) == 0
        assert f"lược đồ phiên bản 0 → {schema.SCHEMA_VERSION}" in capsys.readouterr().out
        assert main(["db", "upgrade", "--url", url]) == 0
        assert "không cần nâng cấp" in capsys.readouterr().out
        assert store.latest_version(url) == 0
