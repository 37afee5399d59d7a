"""Editor passwords: salted PBKDF2-SHA256 hashes kept in Streamlit secrets ([editors] name = "pbkdf2_sha256$…").

Plain functions (no Streamlit): the sign-in widgets live in ktxh_geo/ui_auth.py.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from .errors import Forbidden

ALGORITHM = "pbkdf2_sha256"
DEFAULT_ITERATIONS = 600_000


def hash_password(password: str, iterations: int = DEFAULT_ITERATIONS, salt: str | None = None) -> str:
    """``pbkdf2_sha256$iterations$salt$hash`` (salt and hash in hex)."""
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode("ascii"), iterations)
    return f"{ALGORITHM}${iterations}${salt}${digest.hex()}"


def verify_password(password: str, encoded: str) -> bool:
    """True when ``password`` matches the stored entry; malformed entries never match."""
    try:
        algorithm, iterations, salt, expected = str(encoded).split("$")
        rounds = int(iterations)
    except ValueError:
        return False
    if algorithm != ALGORITHM or not 1 <= rounds <= 10_000_000 or not salt:
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt.encode("ascii"), rounds)
    return hmac.compare_digest(digest.hex(), expected.lower())


def check_editor(name: str, password: str, editors: Mapping[str, str]) -> bool:
    """True when ``name`` is a configured editor and the password matches (constant-time compare)."""
    name = (name or "").strip()
    encoded = editors.get(name) if name else None
    if not encoded:
        verify_password(password or "", hash_password("x", 1_000, "00"))  # similar work for unknown names
        return False
    return verify_password(password or "", str(encoded))


# ---------------------------------------------------------------- the signed-in identity

_SIGNED = object()  # only this module's constructors set it: a typed name can never pass as an editor


@dataclass(frozen=True)
class Editor:
    """A signed-in editor: the identity recorded with every write (never a typed name).

    Build one only with ``signed_in`` after the password or the OIDC provider has confirmed who it is;
    every function that writes calls ``require_editor`` first.
    """

    name: str
    method: str  # "password", "oidc" or "cli"
    _proof: object = field(default=None, repr=False, compare=False)


def signed_in(name: str, method: str) -> Editor:
    """The identity of someone whose credentials were just checked (by ``check_editor`` or OIDC)."""
    name = (name or "").strip()
    if not name or method not in ("password", "oidc", "cli"):
        raise Forbidden("Không xác định được người biên tập đã đăng nhập.")
    return Editor(name, method, _SIGNED)


def require_editor(editor: object) -> Editor:
    """Refuse a write unless ``editor`` is a signed-in Editor (raises ``Forbidden``; nothing is written)."""
    if not isinstance(editor, Editor) or editor._proof is not _SIGNED or not editor.name:
        raise Forbidden("Cần đăng nhập với quyền biên tập để lưu thay đổi; không có gì được ghi.")
    return editor
