"""Editor passwords: salted PBKDF2-SHA256 hashes kept in Streamlit secrets ([editors] name = "pbkdf2_sha256$…").

Plain functions (no Streamlit): the sign-in widgets live in ktxh_geo/ui_auth.py.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from ktxh_geo.errors import Forbidden

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


def _rounds(encoded: object) -> int | None:
    try:
        algorithm, iterations, _salt, _hash = str(encoded).split("$")
        rounds = int(iterations)
    except ValueError:
        return None
    return rounds if algorithm == ALGORITHM and 1 <= rounds <= 10_000_000 else None


def _decoy(editors: Mapping[str, str]) -> str:
    """An entry no password matches, with the iteration count of a real entry (same work for unknown names)."""
    rounds = next((r for r in map(_rounds, editors.values()) if r), DEFAULT_ITERATIONS)
    return f"{ALGORITHM}${rounds}${'0' * 32}${'f' * 64}"


def check_editor(name: str, password: str, editors: Mapping[str, str]) -> bool:
    """True when ``name`` is a configured editor and the password matches (constant-time compare).

    An unknown name costs the same PBKDF2 work (same iteration count as a configured entry), so the answer
    time does not tell whether a name exists.
    """
    name = (name or "").strip()
    encoded = editors.get(name) if name else None
    if not encoded or not _rounds(encoded):
        verify_password(password or "", _decoy(editors))
        return False
    return verify_password(password or "", str(encoded))


# ---------------------------------------------------------------- lock-out after repeated failures

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)
VN_TIME = timezone(timedelta(hours=7), "giờ Việt Nam")


def record_failure(name: str, *, now: datetime | None = None, path: Path | None = None) -> None:
    """Count a failed password for ``name`` (known or unknown) in the shared store (table login_attempts)."""
    from ktxh_geo.io import store

    store.record_failure(name, now=now, path=path)


def clear(name: str, *, path: Path | None = None) -> None:
    """Forget the failed passwords of ``name`` (after a successful sign-in)."""
    from ktxh_geo.io import store

    store.clear(name, path=path)


def locked_until(name: str, *, now: datetime | None = None, path: Path | None = None) -> datetime | None:
    """When the lock on ``name`` ends (UTC), or None: locked for LOCK_DURATION after MAX_FAILURES failed
    passwords within FAILURE_WINDOW. Counted the same for every name, configured or not."""
    from ktxh_geo.io import store

    now = now or datetime.now(UTC)
    times = store.failures(name, since=now - FAILURE_WINDOW - LOCK_DURATION, path=path)
    until = None
    for first, fifth in zip(times, times[MAX_FAILURES - 1 :], strict=False):
        if fifth - first <= FAILURE_WINDOW.total_seconds():
            end = datetime.fromtimestamp(fifth, UTC) + LOCK_DURATION
            until = end if until is None or end > until else until
    return until if until is not None and until > now else None


def is_locked(name: str, *, now: datetime | None = None, path: Path | None = None) -> bool:
    return locked_until(name, now=now, path=path) is not None


def locked_message(until: datetime) -> str:
    """Vietnamese refusal that says until when, without telling whether the name exists."""
    local = until.astimezone(VN_TIME)
    return (
        f"Tạm khóa đăng nhập với tên này đến {local:%H:%M} ngày {local:%d/%m/%Y} (giờ Việt Nam) vì đã nhập sai "
        f"{MAX_FAILURES} lần trong {int(FAILURE_WINDOW.total_seconds() // 60)} phút. Hãy thử lại sau thời điểm đó."
    )


WRONG = "Tên đăng nhập hoặc mật khẩu không đúng."


def sign_in(
    name: str,
    password: str,
    editors: Mapping[str, str],
    *,
    now: datetime | None = None,
    path: Path | None = None,
) -> Editor:
    """Check a password sign-in and return the Editor; ``Forbidden`` (Vietnamese) when refused.

    A locked name is refused even with the right password; each wrong password counts towards the lock
    (kept in the shared store, so every app process on the machine sees the same count).
    """
    until = locked_until(name, now=now, path=path)
    if until is not None:
        raise Forbidden(locked_message(until))
    if not check_editor(name, password, editors):
        record_failure(name, now=now, path=path)
        until = locked_until(name, now=now, path=path)
        raise Forbidden(locked_message(until) if until else WRONG)
    clear(name, path=path)
    return signed_in(name, "password")


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
