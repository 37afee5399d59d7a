"""Settings: where shipped files and run-time state live (each overridable by an environment variable)."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STATIC_DIR = ROOT / "static"
LEAFLET_DIR = STATIC_DIR / "vendor" / "leaflet-1.9.4"


def profiles_dir() -> Path:
    """Folder of the locality profiles (env ``KTXH_PROFILES_DIR`` overrides)."""
    return Path(os.environ.get("KTXH_PROFILES_DIR", ROOT / "profiles"))


def state_dir() -> Path:
    """Writable folder for what users change at run time: entered figures, edited locations, slides.

    Env ``KTXH_STATE_DIR`` overrides; the default ``var/`` in the project is git-ignored. Shipped files
    in profiles/ are never written at run time.
    """
    return Path(os.environ.get("KTXH_STATE_DIR", ROOT / "var"))


def client_ip_header() -> str:
    """Header holding the visitor's address when the app runs behind a reverse proxy (env
    ``KTXH_CLIENT_IP_HEADER``, e.g. ``X-Real-IP``); empty: the connection's own address is used."""
    return os.environ.get("KTXH_CLIENT_IP_HEADER", "").strip()
