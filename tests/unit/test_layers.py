"""The import rules of ARCHITECTURE.md, with no exceptions: no arrow goes up a floor and no two modules import each
other (directly or round a loop). Every import counts, also a lazy one inside a function."""

from layers import FLOORS, circles, floor, graph, sources, upward


def test_every_module_is_on_a_known_floor():
    mods = sources()
    assert len(mods) > 60  # the package, the pages and the app were read
    assert {floor(m) for m in mods} == set(FLOORS)
    assert floor("ktxh_geo.vocab.profile") == "vocab" and floor("ktxh_geo.errors") == "vocab"
    assert floor("ktxh_geo.io.db") == "io" and floor("ktxh_geo.cli.export") == "top" and floor("views.ban_do") == "top"


def test_no_import_goes_up_a_floor():
    assert upward(graph()) == []


def test_no_import_circle():
    assert circles(graph()) == []


def test_the_graph_sees_lazy_imports_and_reports_what_it_finds():
    g = graph()
    # ktxh_geo.cli imports its commands inside functions: the graph must see those arrows
    assert "ktxh_geo.model.validate" in g["ktxh_geo.cli"]
    # a made-up loop and an arrow up are found
    assert circles({"a.x": {"a.y"}, "a.y": {"a.z"}, "a.z": {"a.x"}}) == [["a.x", "a.y", "a.z"]]
    assert upward({"ktxh_geo.io.db": {"ktxh_geo.model.auth"}}) == [("ktxh_geo.io.db", "ktxh_geo.model.auth")]


def test_streamlit_only_in_ui_and_views():
    for module, path in sources().items():
        if floor(module) in ("vocab", "io", "model", "render"):
            text = path.read_text(encoding="utf-8")
            assert "import streamlit" not in text and "from streamlit" not in text, module
