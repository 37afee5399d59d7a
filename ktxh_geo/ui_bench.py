"""Server-side time of a Streamlit rerun of a page (AppTest, no browser): the cost of every widget change.

Lives in a ui* module because it imports Streamlit (the rest of ktxh_geo stays Streamlit-free).
"""

from __future__ import annotations

import logging
import statistics
import time

from .paths import ROOT


def page_rerun_ms(page: str = "views/ban_do.py", repeat: int = 20, params: dict[str, str] | None = None) -> float:
    """Median time of ``repeat`` reruns of ``page`` after one warm-up run (caches filled, as in a session)."""
    from streamlit.testing.v1 import AppTest

    # AppTest runs "bare": Streamlit warns once about a missing ScriptRunContext; keep the bench output clean.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page(page)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    if at.exception:
        raise RuntimeError(f"{page}: {at.exception[0].message}")
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)
