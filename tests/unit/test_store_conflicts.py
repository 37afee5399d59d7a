"""No silent overwrite: two editors in two processes (two engines, as on two app servers), on SQLite and PostgreSQL.

Each editor is a separate Python process that opens the forms (reads the versions a page shows) and saves with
them, as the pages do. The second save over the same figure, restore, object location or deck is refused with a
``Conflict`` naming who changed what; nothing is lost; saving over it is possible and recorded as an overwrite.
On today's code (before optimistic concurrency) every second save here went through and replaced the first.
"""

import json
import multiprocessing
import subprocess
import sys
import textwrap

import pytest

from ktxh_geo.errors import Conflict
from ktxh_geo.io import register, store
from ktxh_geo.model import slides
from ktxh_geo.vocab import signed_in

EDITOR = textwrap.dedent(
    """
    import json, sys
    from shapely.geometry import Point
    from ktxh_geo.errors import Conflict
    from ktxh_geo.io import register, store
    from ktxh_geo.model import slides
    from ktxh_geo.vocab import signed_in

    me, seen = signed_in(sys.argv[1], "password"), {}

    def cell(code, value):
        return store.Cell("poverty_rate", code, "2020-2024", 2023, value)

    for line in sys.stdin:
        cmd = json.loads(line)
        op, over = cmd["op"], cmd.get("overwrite")
        try:
            if op == "open":  # what the pages read when they show their forms
                reg = register.load_register().set_index("id")
                seen = {
                    "figures": store.latest_version(),
                    "locations": {pid: int(reg.at[pid, "edit_version"]) for pid in ("cho_bo_ha", "ban_ven")},
                    "deck": slides.load_deck().version,
                }
                out = seen
            elif op == "save":
                cells = [cell(cmd["code"], cmd["value"])]
                vid = store.save(
                    cells, editor=me, source=f"báo cáo của {me.name}", action="edit", dataset="poverty_rate",
                    expected_version=seen["figures"], overwrite=over,
                )
                out, seen["figures"] = {"saved": vid}, vid  # the page shows what was just saved
            elif op == "restore":
                vid = store.restore(cmd["version"], editor=me, expected_version=seen["figures"], overwrite=over)
                out, seen["figures"] = {"saved": vid}, vid
            elif op == "move":
                pid = cmd["id"]
                row = register.save_location(
                    pid, Point(*cmd["point"]), me, action="set_point", input_text="WGS84",
                    expected_version=seen["locations"][pid], overwrite=over,
                )
                out, seen["locations"][pid] = {"saved": row["new_geometry_wkt"]}, row["edit_version"]
            elif op == "slide":
                version = slides.add_slide(
                    slides.Slide(cmd["title"], {"indicator": "poverty_rate"}), me,
                    expected_version=seen["deck"], overwrite=over,
                )
                out, seen["deck"] = {"saved": version}, version
        except Conflict as c:
            out = {"conflict": str(c), "current": c.current, "who": [x.who for x in c.changes]}
        print(json.dumps(out, ensure_ascii=False), flush=True)
    """
)


class Editor:
    """An editor's app process: opens forms and saves, answering one JSON line per command."""

    def __init__(self, name: str):
        self.proc = subprocess.Popen(
            [sys.executable, "-c", EDITOR, name], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def __call__(self, op: str, **kw) -> dict:
        self.proc.stdin.write(json.dumps({"op": op, **kw}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, f"the editor process died ({self.proc.poll()})"
        return json.loads(line)

    def close(self) -> None:
        self.proc.stdin.close()
        assert self.proc.wait(60) == 0


@pytest.fixture()
def editors(target):
    a, b = Editor("An"), Editor("Bình")
    yield a, b
    a.close()
    b.close()


def _value(code: str) -> float:
    return store.snapshot().set_index("code").at[code, "value"]


@pytest.mark.slow
def test_the_second_save_of_a_figure_is_refused_nothing_is_lost(editors):
    a, b = editors
    assert a("open")["figures"] == b("open")["figures"] == 0
    assert a("save", code="07243", value=5.0) == {"saved": 1}
    refused = b("save", code="07243", value=7.0)  # today: "Đã lưu phiên bản 2" and An's 5 silently replaced
    assert refused["who"] == ["An"] and refused["current"] == 1
    assert "phiên bản 1 (sửa trực tiếp: 1 ô) — An" in refused["conflict"]
    assert "Chưa lưu gì của bạn" in refused["conflict"]
    assert _value("07243") == 5.0 and store.latest_version() == 1
    # Bình chooses to save over An's change (the version shown in the message): saved and recorded as such
    assert b("save", code="07243", value=7.0, overwrite=refused["current"]) == {"saved": 2}
    assert _value("07243") == 7.0
    # An's form is stale now; another cell of the same table touches nothing of Bình's, so it is saved
    assert a("save", code="07246", value=3.0) == {"saved": 3}
    history = store.versions().set_index("id")
    assert history.at[2, "overwrote"] == "1" and history.at[3, "overwrote"] == "" and history.at[2, "user"] == "Bình"
    assert _value("07243") == 7.0 and _value("07246") == 3.0


@pytest.mark.slow
def test_an_overwrite_covers_only_what_was_shown(editors):
    a, b = editors
    a("open"), b("open")
    a("save", code="07243", value=5.0)
    shown = b("save", code="07243", value=7.0)["current"]
    a("open")
    a("save", code="07243", value=6.0)  # a newer change after Bình saw the message
    again = b("save", code="07243", value=7.0, overwrite=shown)
    assert again["who"] == ["An", "An"] and again["current"] == 2
    assert _value("07243") == 6.0


@pytest.mark.slow
def test_a_restore_over_newer_versions_is_refused(editors):
    a, b = editors
    a("open")
    a("save", code="07243", value=1.0)
    a("save", code="07243", value=2.0)
    a("open"), b("open")
    b("save", code="07249", value=9.0)
    refused = a("restore", version=1)
    assert refused["who"] == ["Bình"] and "phiên bản 3" in refused["conflict"]
    assert store.latest_version() == 3
    assert a("restore", version=1, overwrite=refused["current"]) == {"saved": 4}
    assert store.versions().set_index("id").at[4, "overwrote"] == "3"
    assert "07249" not in set(store.snapshot()["code"])  # the restore replaced everything, as chosen


@pytest.mark.slow
def test_the_second_move_of_an_object_is_refused(editors):
    a, b = editors
    a("open"), b("open")
    assert "saved" in a("move", id="cho_bo_ha", point=[106.19, 21.44])
    refused = b("move", id="cho_bo_ha", point=[106.20, 21.45])
    assert refused["who"] == ["An"] and "cho_bo_ha" in refused["conflict"]
    assert register.load_register().set_index("id").at["cho_bo_ha", "geometry"].wkt == "POINT (106.19 21.44)"
    assert "saved" in b("move", id="ban_ven", point=[106.06, 21.57])  # another object: no conflict
    assert "saved" in b("move", id="cho_bo_ha", point=[106.20, 21.45], overwrite=refused["current"])
    history = register.read_history()
    assert history["who"].tolist() == ["An", "Bình", "Bình"] and history["overwrote"].tolist() == ["", "", "1"]
    assert history["previous_geometry_wkt"].tolist()[-1] == "POINT (106.19 21.44)"


@pytest.mark.slow
def test_a_slide_added_meanwhile_is_shown_before_adding_another(editors):
    a, b = editors
    a("open"), b("open")
    assert a("slide", title="Của An") == {"saved": 1}
    refused = b("slide", title="Của Bình")
    assert refused["who"] == ["An"] and "Của An" in refused["conflict"]
    assert b("slide", title="Của Bình", overwrite=refused["current"]) == {"saved": 2}
    titles = [s.title for s in slides.load_deck().slides]
    assert titles[-2:] == ["Của An", "Của Bình"]


def _race(expected: int, barrier, results) -> None:
    cell = store.Cell("poverty_rate", "07243", "2020-2024", 2023, float(multiprocessing.current_process().pid))
    barrier.wait()
    try:
        store.save(
            [cell], editor=signed_in("x", "cli"), source="đua", action="edit", dataset="p", expected_version=expected
        )
        results.put("saved")
    except Conflict:
        results.put("conflict")


@pytest.mark.slow
def test_the_check_is_atomic_when_six_editors_save_at_once(target):
    """Six processes read version 0 and save the same cell at the same moment: exactly one is saved."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(6), ctx.Queue()
    procs = [ctx.Process(target=_race, args=(0, barrier, results)) for _ in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * 6
    outcomes = sorted(results.get(timeout=5) for _ in range(6))
    assert outcomes == ["conflict"] * 5 + ["saved"] and store.latest_version() == 1
