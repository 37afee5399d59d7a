"""mypy on the package, against a recorded baseline that may only go down.

``tests/mypy_baseline.txt`` holds, per file, how many errors of each kind mypy found when the baseline was taken.
A change that adds an error fails here with mypy's own message; a change that removes errors should lower the
baseline: ``KTXH_MYPY_BASELINE=write pytest tests/unit/test_types.py`` rewrites it from the current code.
"""

import os
import re
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / "tests" / "mypy_baseline.txt"
LINE = re.compile(r"^(?P<file>[^:]+):\d+: error: (?P<msg>.*?)\s+\[(?P<code>[a-z-]+)\]$")

pytestmark = pytest.mark.slow  # about 15 s cold (mypy's cache is in .mypy_cache)


def _errors() -> tuple[Counter, list[str]]:
    from mypy import api

    out, _err, _status = api.run(["--config-file", str(ROOT / "pyproject.toml"), "--no-error-summary"])
    lines = [line for line in out.splitlines() if LINE.match(line)]
    return Counter((m["file"], m["code"]) for m in map(LINE.match, lines)), lines


def _read_baseline() -> Counter:
    counts: Counter = Counter()
    for line in BASELINE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            count, file, code = line.split()
            counts[(file, code)] = int(count)
    return counts


def test_mypy_errors_only_go_down():
    os.chdir(ROOT)
    found, lines = _errors()
    if os.environ.get("KTXH_MYPY_BASELINE") == "write":
        body = "".join(f"{n} {f} {c}\n" for (f, c), n in sorted(found.items()))
        BASELINE.write_text(f"# mypy errors per file and code; total {sum(found.values())}\n{body}", encoding="utf-8")
    baseline = _read_baseline()
    grown = {key: (n, baseline[key]) for key, n in found.items() if n > baseline[key]}
    new = [line for line in lines if (LINE.match(line)["file"], LINE.match(line)["code"]) in grown]
    assert not grown, "mypy found new errors (fix them; the baseline only goes down):\n" + "\n".join(new)
    assert sum(found.values()) <= sum(baseline.values())


def test_the_baseline_is_read_as_written(tmp_path):
    assert LINE.match("ktxh_geo/a.py:3: error: Incompatible types  [assignment]")["code"] == "assignment"
    assert sum(_read_baseline().values()) > 0
