"""Where the project's shipped files live (overridable for tests and deployments)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def geo_dir() -> Path:
    """Folder of the boundary and object geometries (env ``KTXH_GEO_DIR`` overrides)."""
    return Path(os.environ.get("KTXH_GEO_DIR", ROOT / "geo"))


def data_dir() -> Path:
    """Folder of the indicator tables (env ``KTXH_DATA_DIR`` overrides)."""
    return Path(os.environ.get("KTXH_DATA_DIR", ROOT / "data"))


def state_dir() -> Path:
    """Writable folder for what users change at run time: entered figures, edited locations, slides.

    Env ``KTXH_STATE_DIR`` overrides; the default ``var/`` in the project is git-ignored. Shipped files
    in data/ and geo/ are never written at run time.
    """
    return Path(os.environ.get("KTXH_STATE_DIR", ROOT / "var"))


STATIC_DIR = ROOT / "static"
LEAFLET_DIR = STATIC_DIR / "vendor" / "leaflet-1.9.4"
