"""Put data text where it lands without it ever becoming code: inside <script>, HTML, or a Jinja template.

folium renders a map's script, then renders the *output* through Jinja a second time (branca wraps each
element's script in a new ``Template``); streamlit-folium renders the figure as well. Any data text that
reaches that output literally — a source such as ``QĐ 12 {{ 6*7 }}`` — is evaluated on the server.
So data goes to the map only as JSON made by ``script_json``: it escapes ``{`` and ``}`` inside strings
(``\\u007b``), and ``<``, ``>``, ``&``, ``'`` as Jinja's ``tojson`` does, so the text can end neither a
``<script>`` nor start a template tag. The browser decodes it back to the exact text, which our scripts
only ever put into the page with ``textContent`` (never ``innerHTML``) unless it was escaped with ``html_text``.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

# A JSON string token (valid JSON output only: quotes inside strings are always escaped).
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_IN_STRING = str.maketrans(
    {
        "{": "\\u007b",
        "}": "\\u007d",
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "'": "\\u0027",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)


def script_json(value: Any) -> str:
    """JSON text that is inert inside a <script> element and inside a Jinja template (see module doc)."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return _JSON_STRING.sub(lambda m: m.group().translate(_IN_STRING), text)


def _policy_dumps(obj: Any, **kwargs: Any) -> str:
    """``json.dumps`` for Jinja's ``tojson`` policy: the same text with braces escaped inside strings."""
    text = json.dumps(obj, **kwargs)
    return _JSON_STRING.sub(lambda m: m.group().replace("{", "\\u007b").replace("}", "\\u007d"), text)


def html_text(text: object) -> str:
    """Data text for an HTML context (element content or a quoted attribute)."""
    return html.escape("" if text is None else str(text), quote=True)


def harden_jinja() -> None:
    """Make every ``tojson`` of folium's and branca's templates brace-safe (defence in depth).

    Our own map elements pass data only through ``script_json``; this covers any folium element that
    still serialises a value with ``tojson`` (its coordinates, options, GeoJSON of outlines).
    """
    import folium
    from jinja2 import Template

    for env in (folium.Map._template.environment, Template("").environment):
        env.policies["json.dumps_function"] = _policy_dumps


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def md_text(text: object) -> str:
    """Data text inside a Streamlit Markdown string (st.markdown, st.caption, st.info, button labels …).

    Line breaks become spaces, other control and bidi characters are shown escaped (``text.printable``),
    every Markdown/HTML-significant character is backslash-escaped (an image link, bold "ĐÃ HỦY", a tag or a
    LaTeX ``$…$`` show as typed), and a ``:`` before a word gets a zero-width space so Streamlit's emoji and
    colour shortcodes (``:red[…]``) never apply.
    """
    from ktxh_geo.text import printable

    flat = printable(" ".join(("" if text is None else str(text)).split()))
    return re.sub(r":(?=[A-Za-z0-9_\-\\])", ":\u200b", _MD_SPECIAL.sub(r"\\\1", flat))
