"""Hostile texts: every one must come out of every output exactly as typed and inert.

Used by the trust tests (tests/test_trust_*.py): template code (Jinja, as folium renders its output a second
time), script and HTML breakers, Markdown that fetches or fakes, spreadsheet formulas, LaTeX, terminal
control and bidirectional-override characters, and oversized text.
"""

HOSTILE = [
    "QĐ 12 {{ 6*7 }}",
    "{% for x in range(3) %}X{% endfor %}",
    "{# chú thích #} {{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "</script><script>window.__pwned=1</script>",
    '<img src=x onerror="window.__pwned=2">',
    "${window.__pwned=3}` + `",
    "![ảnh](http://evil.example/a.png)",
    "**ĐÃ HỦY**",
    "[bấm đây](javascript:window.__pwned=4)",
    '=HYPERLINK("http://evil.example","x")',
    "+1+1",
    "-2+3",
    "@SUM(A1:A2)",
    "\t=1+1",
    "giá $x^2$ \\(y\\)",
    "\x1b[31mđỏ\x1b[0m \x07",
    "abc\u202edcba",
    "' OR 1=1 --",
    "\u2028dòng\u2029",
    "x" * 300,
]

# Markers a test can look for: if any appears evaluated, the text was executed.
EVALUATED = ("QĐ 12 42", "XXX")
