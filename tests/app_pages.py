"""The pages of app.py's st.navigation, read from its source (so tests cover pages added later)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def app_pages() -> list[dict]:
    """The st.Page(...) entries of app.py: script path, title, url_path, default."""
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    pages = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page":
            kw = {k.arg: ast.literal_eval(k.value) for k in node.keywords if isinstance(k.value, ast.Constant)}
            pages.append(
                {
                    "path": ast.literal_eval(node.args[0]),
                    "title": kw["title"],
                    "url_path": kw.get("url_path", ""),
                    "default": kw.get("default", False),
                }
            )
    return pages
