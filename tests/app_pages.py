"""The pages of app.py's st.Page(...) entries, read from its source (so tests cover pages added later)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def app_pages() -> list[dict]:
    """The script pages of app.py: path, title, url_path, default (the page the app's root shows).

    The root is a hidden function page that switches to the overview (a default page's own URL would not be
    routable): the first script page is then the one "/" shows.
    """
    tree = ast.parse((ROOT / "app.py").read_text(encoding="utf-8"))
    pages, root_is_function = [], False
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page":
            kw = {k.arg: ast.literal_eval(k.value) for k in node.keywords if isinstance(k.value, ast.Constant)}
            if not isinstance(node.args[0], ast.Constant):
                root_is_function |= bool(kw.get("default"))
                continue
            pages.append(
                {
                    "path": node.args[0].value,
                    "title": kw["title"],
                    "url_path": kw.get("url_path", ""),
                    "default": kw.get("default", False),
                }
            )
    pages.sort(key=lambda p: p["path"] != "views/tong_quan.py")  # the overview first, as in the navigation
    if root_is_function and pages:
        pages[0]["default"] = True
    return pages
