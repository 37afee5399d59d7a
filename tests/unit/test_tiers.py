"""Tiers that match their names: no app in tests/unit (AppTest lives in tests/app, browsers in tests/browser), and
every unit test that starts another Python (the command line, writer processes) or PostgreSQL says so with
``@pytest.mark.slow``, so ``pytest tests/unit -m "not slow"`` is a loop of seconds."""

import ast
import re
from pathlib import Path

import pytest

UNIT = Path(__file__).resolve().parent
# What makes a test slow: another Python (the command line, a writer process), a process pool, PostgreSQL.
# A quick tool run (pdftotext, node) is not.
SPAWNS = re.compile(
    r"sys\.executable|\.venv/bin/python|Popen|multiprocessing|get_context\(|\.Process\(|\bpg_url\b|\bpg_schema\b"
)
SLOW_FIXTURES = {"pg_url", "target", "pg_store"}  # marked slow by tests/conftest.py (pg_store uses pg_url)


def _unit_files() -> list[Path]:
    return [p for p in sorted(UNIT.glob("test_*.py")) if p.name != "test_tiers.py"]  # not this file's own words


def _slow_tests(src: str) -> tuple[set[str], set[str]]:
    """(tests that start a process, directly or through a helper or fixture of the file; tests marked slow)."""
    tree = ast.parse(src)
    funcs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    classes = {
        n.name for n in tree.body if isinstance(n, ast.ClassDef) and SPAWNS.search(ast.get_source_segment(src, n))
    }
    spawning: set[str] = set()
    grew = True
    while grew:
        grew = False
        for name, node in funcs.items():
            seg = ast.get_source_segment(src, node)
            uses = {a.arg for a in node.args.args} & (SLOW_FIXTURES | spawning)
            calls = any(re.search(rf"\b{s}\(", seg) for s in spawning | classes)
            if name not in spawning and (SPAWNS.search(seg) or uses or calls):
                spawning.add(name)
                grew = True
    whole_file = re.search(r"^pytestmark = .*pytest\.mark\.slow", src, re.M)
    marked = {
        n
        for n, node in funcs.items()
        if whole_file
        or any("mark.slow" in ast.get_source_segment(src, d) for d in node.decorator_list)
        or {a.arg for a in node.args.args} & SLOW_FIXTURES
    }
    return {n for n in spawning if n.startswith("test_")}, marked


def test_no_app_and_no_browser_in_the_unit_tier():
    for path in _unit_files():
        src = path.read_text(encoding="utf-8")
        assert "AppTest" not in src, f"{path.name}: AppTest belongs in tests/app"
        assert "streamlit_server" not in src and "playwright" not in src, f"{path.name}: browsers are tests/browser"


def test_every_unit_test_that_starts_a_process_is_marked_slow():
    unmarked = []
    for path in _unit_files():
        spawning, marked = _slow_tests(path.read_text(encoding="utf-8"))
        unmarked += [f"{path.name}::{name}" for name in sorted(spawning - marked)]
    assert not unmarked, "mark these @pytest.mark.slow:\n" + "\n".join(unmarked)


@pytest.mark.slow
def test_the_check_sees_a_helper_that_spawns():
    src = (
        "import subprocess, sys\n\ndef _cli():\n    subprocess.run([sys.executable])\n\n"
        "def test_a():\n    _cli()\n\ndef test_b():\n    pass\n"
    )
    assert _slow_tests(src) == ({"test_a"}, set())
