"""The package's import graph, read with ``ast`` (nothing is imported): floors, arrows that go up, and circles.

Floors, bottom to top (ARCHITECTURE.md): ``vocab`` (ktxh_geo.vocab, errors, settings, text, the profile types) <
``io`` < ``model`` < ``render`` < ``ui`` < ``top`` (views/, app.py, the command line). A module may import its own
floor and any floor below it; every import counts, also one inside a function (a lazy import still ties the two).
Run ``python tests/layers.py`` to print the figures.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOORS = ("vocab", "io", "model", "render", "ui", "top")
VOCAB = {"ktxh_geo.vocab", "ktxh_geo.errors", "ktxh_geo.settings", "ktxh_geo.text", "ktxh_geo"}


def module_name(path: Path) -> str:
    """``ktxh_geo/io/db.py`` → ``ktxh_geo.io.db``; ``views/ban_do.py`` → ``views.ban_do``."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def sources() -> dict[str, Path]:
    """Every module of the product: the package, the pages and the app."""
    files = [*sorted((ROOT / "ktxh_geo").rglob("*.py")), *sorted((ROOT / "views").glob("*.py")), ROOT / "app.py"]
    return {module_name(p): p for p in files}


def floor(module: str) -> str:
    """The floor a module lives on."""
    if module in VOCAB or module.startswith("ktxh_geo.vocab"):
        return "vocab"
    parts = module.split(".")
    if parts[0] != "ktxh_geo":
        return "top"  # views.*, app
    sub = parts[1]
    return {"io": "io", "model": "model", "render": "render", "ui": "ui"}.get(sub, "top")  # cli, __main__


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(module: str, path: Path, known: set[str]) -> set[str]:
    """The package modules ``module`` imports (``from a import b`` counts as ``a.b`` when that is a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _type_checking(node):
            skip.update(id(n) for b in node.body for n in ast.walk(b))
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = module.split(".")[: -node.level] if not path.name == "__init__.py" else module.split(".")
                base = ".".join([*pkg, *([base] if base else [])])
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module and name != "ktxh_geo":
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    """Module → the package modules it imports."""
    src = sources()
    known = set(src)
    return {m: imports(m, p, known) for m, p in src.items()}


def upward(g: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Imports that go to a higher floor (or between two modules of the top floor is fine)."""
    rank = {f: i for i, f in enumerate(FLOORS)}
    return sorted((a, b) for a, targets in g.items() for b in targets if rank[floor(b)] > rank[floor(a)])


def circles(g: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return sorted(out)


def long_modules(limit: int = 500) -> list[tuple[int, str]]:
    """Modules over ``limit`` lines, longest first."""
    rows = [(len(p.read_text(encoding="utf-8").splitlines()), m) for m, p in sources().items()]
    return sorted((n, m) for n, m in rows if n > limit)[::-1]


if __name__ == "__main__":
    g = graph()
    cs = circles(g)
    print(f"modules: {len(g)}; import arrows: {sum(len(t) for t in g.values())}")
    print(f"circles (strongly connected groups): {len(cs)}")
    for c in cs:
        print("  ", " ↔ ".join(c))
    up = upward(g)
    print(f"upward imports: {len(up)}")
    for a, b in up:
        print(f"   {a} ({floor(a)}) → {b} ({floor(b)})")
    print("modules over 500 lines:")
    for n, m in long_modules():
        print(f"   {n:5d} {m}")
