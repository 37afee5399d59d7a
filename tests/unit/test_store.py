"""The versioned store: versions, restore, and crash safety (a killed writer leaves the previous version)."""

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from ktxh_geo.errors import Forbidden
from ktxh_geo.io import shipped as load
from ktxh_geo.io import store
from ktxh_geo.model.auth import signed_in
from ktxh_geo.model.join import has_illustrative, join_indicator

CODES_19 = (
    "07243 07246 07249 07252 07255 07258 07260 07261 07264 07267 07270 07273 07276 07279 07282 07285 07288 07291 07294"
).split()


AN = signed_in("an", "password")
BINH = signed_in("bình", "password")


def _cells(value: float, year: int = 2023):
    return [store.Cell("poverty_rate", code, "2020-2024", year, value) for code in CODES_19]


def _save(path, value, **kw):
    args = {"editor": AN, "source": f"nguồn {value}", "action": "import", "dataset": "poverty_rate", "year": 2023}
    return store.save(_cells(value), path=path, **{**args, **kw})


def test_versions_history_and_restore(tmp_path):
    path = tmp_path / "s.sqlite"
    assert store.latest_version(path) == 0 and store.snapshot(path=path).empty
    assert not path.exists()  # reading never creates the file
    assert _save(path, 1.0) == 1
    assert _save(path, 2.0) == 2
    edit = [
        store.Cell("poverty_rate", "07243", "2020-2024", 2023, 9.5),
        store.Cell("poverty_rate", "07246", "2020-2024", 2023),
    ]
    assert store.save(edit, path=path, editor=BINH, source="sửa", action="edit", dataset="poverty_rate") == 3
    snap = store.snapshot(path=path).set_index("code")
    assert snap.at["07243", "value"] == 9.5 and "07246" not in snap.index and len(snap) == 18
    assert snap.at["07249", "source"] == "nguồn 2.0" and snap.at["07249", "version_id"] == 2
    changes = store.changes(3, path)
    assert len(changes) == 2 and set(changes["code"]) == {"07243", "07246"}
    assert store.restore(1, editor=BINH, path=path) == 4
    snap = store.snapshot(path=path)
    assert len(snap) == 19 and set(snap["value"]) == {1.0} and set(snap["source"]) == {"nguồn 1.0"}
    history = store.versions(path)
    assert history["id"].tolist() == [4, 3, 2, 1]
    assert history.iloc[0]["action"] == "restore" and history.iloc[0]["restored_from"] == 1
    assert history.iloc[0]["user"] == "bình" and history.iloc[0]["n_changes"] == 19
    assert len(store.snapshot(2, path)) == 19  # old versions stay viewable


def test_a_source_and_a_user_are_required(tmp_path):
    path = tmp_path / "s.sqlite"
    with pytest.raises(store.StoreError, match="nguồn"):
        _save(path, 1.0, source="  ")
    with pytest.raises(store.StoreError, match="HTML"):
        _save(path, 1.0, source="QĐ <script>alert(1)</script>")
    with pytest.raises(Forbidden, match="đăng nhập"):
        _save(path, 1.0, editor=None)
    with pytest.raises(store.StoreError):
        store.restore(7, editor=AN, path=path)
    assert store.latest_version(path) == 0
    _save(path, 1.0)
    before = path.read_bytes()
    with pytest.raises(store.StoreError, match="Không có giá trị nào khác"):
        _save(path, 1.0, source="cùng số liệu, nguồn khác")
    assert path.read_bytes() == before and store.latest_version(path) == 1


def test_exception_mid_transaction_keeps_previous_version(tmp_path):
    path = tmp_path / "s.sqlite"
    _save(path, 1.0)
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="simulated crash"):
        _save(path, 2.0, _fail_mid_transaction=True)
    assert path.read_bytes() == before
    assert store.latest_version(path) == 1
    assert set(store.snapshot(path=path)["value"]) == {1.0}


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from ktxh_geo.io import store
    from ktxh_geo.model.auth import signed_in
    ed = signed_in("w", "cli")
    path = Path(sys.argv[1])
    codes = sys.argv[2].split(",")
    i = 0
    while True:
        i += 1
        cells = [store.Cell("poverty_rate", c, "2020-2024", y, float(i)) for c in codes for y in range(2000, 2040)]
        store.save(cells, editor=ed, source=f"v{i}", action="import", dataset="poverty_rate", path=path)
    """
)


@pytest.mark.slow
def test_writer_killed_mid_save_leaves_a_complete_version(tmp_path):
    path = tmp_path / "s.sqlite"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), ",".join(CODES_19)], env={**os.environ})
    try:
        deadline = time.monotonic() + 60
        while store.latest_version(path) < 3:
            assert proc.poll() is None, "writer died"
            assert time.monotonic() < deadline, "writer made no progress"
            time.sleep(0.05)
        time.sleep(0.137)  # land somewhere inside a later save
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"  # rolls back a hot journal
    con.close()
    latest = store.latest_version(path)
    assert latest >= 3
    snap = store.snapshot(path=path)
    assert len(snap) == 19 * 40  # every cell of the last committed version, none half-written
    assert set(snap["value"]) == {float(latest)} and set(snap["source"]) == {f"v{latest}"}
    assert len(store.changes(latest, path)) == 19 * 40
    # and the store still takes new versions
    assert _save(path, 5.0) == latest + 1


def test_entered_values_replace_illustrative_ones(state, communes, indicators):
    ind = indicators["poverty_rate"]
    joined = join_indicator(communes, load.load_values(True), ind, 2023, True)
    assert has_illustrative(joined)
    store.save(_cells(1.25), editor=AN, source="Báo cáo rà soát hộ nghèo 2023", action="import", dataset="x")
    values = load.load_values(True)
    joined = join_indicator(communes, values, ind, 2023, True).set_index("code")
    assert not has_illustrative(joined.reset_index())
    assert set(joined["status"]) == {"official"}
    assert joined.at["07273", "display"] == "1,25 %"
    assert joined.at["07273", "source"] == "Báo cáo rà soát hộ nghèo 2023"
    # the district figure of values.csv is untouched; without the store nothing changes
    assert len(values[(values["indicator_id"] == "poverty_rate") & (values["level"] == "district")]) == 2
    assert len(load.load_values(True, include_entered=False)) == len(values) - 19


def test_an_entered_figure_replaces_a_shipped_official_one(state):
    shipped = load.load_values(False)
    row = shipped[(shipped["indicator_id"] == "ntm_status") & (shipped["level"] == "commune")].iloc[0]
    cell = store.Cell("ntm_status", row["code"], row["edition"], int(row["year"]), None, "NTM kiểu mẫu")
    store.save([cell], editor=AN, source="QĐ công nhận", action="edit", dataset="ntm_status")
    values = load.load_values(False)
    rows = values[(values["indicator_id"] == "ntm_status") & (values["code"] == row["code"])]
    rows = rows[rows["year"] == row["year"]]
    assert rows["value_text"].tolist() == ["NTM kiểu mẫu"] and rows["source"].tolist() == ["QĐ công nhận"]


STUCK_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from ktxh_geo.io import store
    from ktxh_geo.model.auth import signed_in
    path, marker = Path(sys.argv[1]), Path(sys.argv[2])
    codes = sys.argv[3].split(",")
    real = store._record

    def stuck(con, new, old, meta, fail=False):
        vid = real(con, new, old, meta, fail)  # every row of the new version written, not committed
        marker.write_text(str(vid))
        time.sleep(120)

    store._record = stuck
    cells = [store.Cell("poverty_rate", c, "2020-2024", y, 2.0) for c in codes for y in range(2000, 2040)]
    store.save(cells, editor=signed_in("w", "cli"), source="v2", action="import", dataset="poverty_rate", path=path)
    """
)


def _kill_when(proc, marker):
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert proc.poll() is None, "writer died"
            assert time.monotonic() < deadline, "writer made no progress"
            time.sleep(0.05)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


def _assert_version_1_then_new_save(path):
    # a fresh reader, first thing after the kill (no integrity_check or writer has touched the file)
    assert store.latest_version(path) == 1
    snap = store.snapshot(path=path)
    assert len(snap) == 19 and set(snap["value"]) == {1.0} and set(snap["source"]) == {"nguồn 1.0"}
    assert store.versions(path)["id"].tolist() == [1]
    assert _save(path, 5.0) == 2
    assert set(store.snapshot(path=path)["value"]) == {5.0}
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()


@pytest.mark.slow
def test_writer_killed_inside_a_transaction_readers_see_the_previous_version(tmp_path):
    """SIGKILL while a save's rows are written but not committed: readers (even the first one) see version 1."""
    path, marker = tmp_path / "s.sqlite", tmp_path / "marker"
    _save(path, 1.0)
    proc = subprocess.Popen([sys.executable, "-c", STUCK_WRITER, str(path), str(marker), ",".join(CODES_19)])
    _kill_when(proc, marker)
    assert marker.read_text() == "2"  # the killed save had written version 2's rows
    _assert_version_1_then_new_save(path)


HOT_JOURNAL_WRITER = textwrap.dedent(
    """
    import sqlite3, sys, time
    from pathlib import Path
    path, marker = Path(sys.argv[1]), Path(sys.argv[2])
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode=DELETE")  # as the store was written before WAL
    con.execute("PRAGMA cache_size=10")  # spill to the file: the journal becomes hot
    con.execute("BEGIN IMMEDIATE")
    con.execute(
        "INSERT INTO versions (created_at, user, action, dataset, source) "
        "VALUES ('x', 'w', 'import', 'x', 'x')"
    )
    con.executemany(
        "INSERT INTO snapshot VALUES (2, 'poverty_rate', ?, '2020-2024', ?, 9.0, '', 2)",
        [(f"{i:05d}", y) for i in range(3000) for y in range(2000, 2004)],
    )
    marker.write_text("1")
    time.sleep(120)
    """
)


@pytest.mark.slow
def test_hot_rollback_journal_left_by_a_killed_writer_does_not_take_readers_down(tmp_path):
    """The old failure: a hot journal and read-only (mode=ro) readers gave "attempt to write a readonly database"."""
    path, marker = tmp_path / "s.sqlite", tmp_path / "marker"
    _save(path, 1.0)
    proc = subprocess.Popen([sys.executable, "-c", HOT_JOURNAL_WRITER, str(path), str(marker)])
    _kill_when(proc, marker)
    assert (tmp_path / "s.sqlite-journal").stat().st_size > 0  # a hot journal is left behind
    _assert_version_1_then_new_save(path)
