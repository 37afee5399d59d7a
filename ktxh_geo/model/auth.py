"""Editor passwords: salted PBKDF2-SHA256 hashes kept in Streamlit secrets ([editors] name = "pbkdf2_sha256$…").

Plain functions (no Streamlit): the sign-in widgets live in ktxh_geo/ui/auth.py.

Sign-in cannot be turned against an editor:
- names are compared in one canonical form (``canonical_name``: Unicode NFKC, case folded, spaces collapsed,
  invisible format characters dropped), for lookup and for throttling alike;
- failed passwords lock a name only **for the client that typed them** (``sign_in(..., client=…)``): a
  stranger's five failures for "EDITOR1 " lock "editor1" on the stranger's machine, not on the editor's;
- every client, and the whole app process, has a rate limit on attempts (``CLIENT_ATTEMPTS`` per
  ``CLIENT_WINDOW``, ``GLOBAL_ATTEMPTS`` per ``GLOBAL_WINDOW``), checked before any PBKDF2 work — the work a
  flood of attempts would otherwise make the server do;
- the failure count lives in the shared store (every app process sees it) and, when the store cannot be
  written, in this process too: throttling never depends on a write succeeding. A store that cannot even be
  read refuses sign-in with its own Vietnamese message (fail closed).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from ktxh_geo.errors import Forbidden, StorageError
from ktxh_geo.text import format_number
from ktxh_geo.vocab import Editor, require_editor, signed_in  # noqa: F401 — the identity lives in the vocabulary

log = logging.getLogger(__name__)

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


MAX_NAME_CHARS = 100  # a typed name longer than this is refused before any work (said in the form)
MAX_PASSWORD_CHARS = 1024


def canonical_name(name: object) -> str:
    """The one form names are compared in: NFKC, case folded, format characters dropped, spaces collapsed.

    "  EDITOR1 ", "editor1" and "ｅｄｉｔｏｒ１" are the same name; so are "Nguyễn  An" typed with combining marks
    and the precomposed form.
    """
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", str(name or "")).casefold())
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return " ".join(text.split())


def _entries(editors: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """canonical name → (name as configured, stored entry); names that collide once canonical match nobody."""
    out: dict[str, tuple[str, str]] = {}
    clashes: set[str] = set()
    for name, encoded in editors.items():
        key = canonical_name(name)
        if not key:
            continue
        if key in out:
            clashes.add(key)
        out[key] = (str(name), str(encoded))
    for key in clashes:
        log.error("[editors]: several names are the same once normalised (%r); none of them can sign in", key)
        out.pop(key)
    return out


def scope_of(name: str, scopes: Mapping[str, object] | None) -> frozenset[str] | None:
    """The communes (GSO codes) ``name`` may report for, from [editor_scopes] (``name = ["07210", …]``, names
    compared canonically); None when the name has no entry: the planning office, unrestricted. An entry that is
    not a list of codes gives an empty scope (writes nothing) rather than an unrestricted one (fail closed)."""
    for key, codes in (scopes or {}).items():
        if canonical_name(key) == canonical_name(name):
            if isinstance(codes, str) or not isinstance(codes, list | tuple):
                log.error("[editor_scopes]: the entry of %r is not a list of commune codes; it may write nothing", key)
                return frozenset()
            return frozenset(str(c).strip() for c in codes if str(c).strip())
    return None


def configured_name(name: str, editors: Mapping[str, str]) -> str | None:
    """The configured editor ``name`` stands for (canonical comparison), or None."""
    entry = _entries(editors).get(canonical_name(name))
    return entry[0] if entry else None


def entry_fingerprint(name: str, editors: Mapping[str, str]) -> str | None:
    """A digest of the editor's configured entry (name and password hash), or None when there is none: a
    session keeps it at sign-in and ends when it changes (password changed, editor removed or renamed)."""
    entry = _entries(editors).get(canonical_name(name))
    if entry is None:
        return None
    return hashlib.sha256("\0".join(entry).encode("utf-8")).hexdigest()


def _match(name: str, password: str, editors: Mapping[str, str]) -> str | None:
    """The configured name when ``name`` is an editor and the password matches; the same PBKDF2 work otherwise."""
    entry = _entries(editors).get(canonical_name(name))
    if entry is None or not _rounds(entry[1]):
        verify_password(password or "", _decoy(editors))
        return None
    return entry[0] if verify_password(password or "", entry[1]) else None


def check_editor(name: str, password: str, editors: Mapping[str, str]) -> bool:
    """True when ``name`` is a configured editor (canonical comparison) and the password matches (constant-time).

    An unknown name costs the same PBKDF2 work (same iteration count as a configured entry), so the answer
    time does not tell whether a name exists.
    """
    return _match(name, password, editors) is not None


# ---------------------------------------------------------------- rate limits (per client, per process)

CLIENT_ATTEMPTS = 10
CLIENT_WINDOW = timedelta(minutes=5)
GLOBAL_ATTEMPTS = 30
GLOBAL_WINDOW = timedelta(minutes=1)


class RateLimited(Forbidden):
    """Too many sign-in attempts from one client, or on this server; refused before any password work."""


class Attempts:
    """Sliding windows of sign-in attempts in this process: per client and for everyone (monotonic clock).

    Kept in memory on purpose: it protects this process's CPU from PBKDF2 floods and must work when nothing
    can be written.
    """

    MAX_CLIENTS = 10_000  # oldest clients are forgotten past this

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clients: dict[str, deque[float]] = {}
        self._all: deque[float] = deque()

    def admit(self, client: str) -> None:
        """Count one attempt from ``client``, or raise ``RateLimited`` (Vietnamese, with when to retry)."""
        now = time.monotonic()
        with self._lock:
            mine = self._clients.setdefault(client, deque())
            for times, window in ((mine, CLIENT_WINDOW), (self._all, GLOBAL_WINDOW)):
                while times and times[0] <= now - window.total_seconds():
                    times.popleft()
            if len(mine) >= CLIENT_ATTEMPTS:
                wait = mine[0] + CLIENT_WINDOW.total_seconds() - now
                raise RateLimited(
                    f"Quá nhiều lần đăng nhập từ máy này ({CLIENT_ATTEMPTS} lần trong "
                    f"{format_number(CLIENT_WINDOW.total_seconds() / 60, 0)} phút); hãy thử lại sau "
                    f"{format_number(max(1, -(-wait // 60)), 0)} phút."
                )
            if len(self._all) >= GLOBAL_ATTEMPTS:
                raise RateLimited("Máy chủ đang nhận quá nhiều lần đăng nhập; hãy thử lại sau 1 phút.")
            mine.append(now)
            self._all.append(now)
            if len(self._clients) > self.MAX_CLIENTS:
                for key in sorted(self._clients, key=lambda k: self._clients[k][-1] if self._clients[k] else 0)[
                    : len(self._clients) - self.MAX_CLIENTS
                ]:
                    self._clients.pop(key)


ATTEMPTS = Attempts()


# ---------------------------------------------------------------- lock-out after repeated failures

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_DURATION = timedelta(minutes=15)
VN_TIME = timezone(timedelta(hours=7), "giờ Việt Nam")
LOCAL = ""  # the client of the command line, the tests and visitors on the server itself
_unsaved: dict[str, list[float]] = {}  # failures the store could not record, by throttle key (this process)
_unsaved_lock = threading.Lock()


def _key(name: str, client: str) -> str:
    """What failures are counted under: the canonical name, for one client."""
    return canonical_name(name) + (f"\x1f{client}" if client else "")


def record_failure(name: str, *, client: str = LOCAL, now: datetime | None = None, path: Path | None = None) -> None:
    """Count a failed password for ``name`` (known or unknown) from ``client`` in the shared store (table
    login_attempts); when the store cannot be written, in this process (logged), so the lock still applies."""
    from ktxh_geo.io import store

    key = _key(name, client)
    try:
        store.record_failure(key, now=now, path=path)
    except StorageError as exc:
        log.warning("sign-in failure kept in memory only (the store cannot be written): %s", exc)
        with _unsaved_lock:
            _unsaved.setdefault(key, []).append((now or datetime.now(UTC)).timestamp())


def clear(name: str, *, client: str = LOCAL, path: Path | None = None) -> None:
    """Forget the failed passwords of ``name`` from ``client`` (after a successful sign-in)."""
    from ktxh_geo.io import store

    key = _key(name, client)
    with _unsaved_lock:
        _unsaved.pop(key, None)
    try:
        store.clear(key, path=path)
    except StorageError as exc:  # the old failures expire by themselves; signing in must not fail for this
        log.warning("sign-in failures not cleared (the store cannot be written): %s", exc)


def locked_until(
    name: str, *, client: str = LOCAL, now: datetime | None = None, path: Path | None = None
) -> datetime | None:
    """When the lock on ``name`` for ``client`` ends (UTC), or None: locked for LOCK_DURATION after
    MAX_FAILURES failed passwords within FAILURE_WINDOW. Counted the same for every name, configured or not.
    A store that cannot be read raises its ``StorageError`` (sign-in then fails closed)."""
    from ktxh_geo.io import store

    now = now or datetime.now(UTC)
    since = now - FAILURE_WINDOW - LOCK_DURATION
    key = _key(name, client)
    times = store.failures(key, since=since, path=path)
    with _unsaved_lock:
        times = sorted(times + [t for t in _unsaved.get(key, []) if t >= since.timestamp()])
    until = None
    for first, fifth in zip(times, times[MAX_FAILURES - 1 :], strict=False):
        if fifth - first <= FAILURE_WINDOW.total_seconds():
            end = datetime.fromtimestamp(fifth, UTC) + LOCK_DURATION
            until = end if until is None or end > until else until
    return until if until is not None and until > now else None


def is_locked(name: str, *, client: str = LOCAL, now: datetime | None = None, path: Path | None = None) -> bool:
    return locked_until(name, client=client, now=now, path=path) is not None


def locked_message(until: datetime) -> str:
    """Vietnamese refusal that says until when, without telling whether the name exists."""
    local = until.astimezone(VN_TIME)
    return (
        f"Tạm khóa đăng nhập với tên này trên máy này đến {local:%H:%M} ngày {local:%d/%m/%Y} (giờ Việt Nam) vì "
        f"đã nhập sai {MAX_FAILURES} lần trong {int(FAILURE_WINDOW.total_seconds() // 60)} phút. Hãy thử lại sau "
        "thời điểm đó."
    )


WRONG = "Tên đăng nhập hoặc mật khẩu không đúng."


def sign_in(
    name: str,
    password: str,
    editors: Mapping[str, str],
    *,
    client: str = LOCAL,
    now: datetime | None = None,
    path: Path | None = None,
    attempts: Attempts | None = None,
    scopes: Mapping[str, object] | None = None,
) -> Editor:
    """Check a password sign-in from ``client`` and return the Editor; ``Forbidden`` (Vietnamese) when refused.

    In order, before any password work: typed lengths, the client's and the process's rate limits (``attempts``,
    default ``ATTEMPTS``), the lock of this name for this client. A locked name is refused even with the right
    password; each wrong password counts towards the lock of (name, client).
    """
    name, password = str(name or ""), str(password or "")
    if len(name) > MAX_NAME_CHARS:
        raise Forbidden(f"Tên đăng nhập dài quá {MAX_NAME_CHARS} ký tự.")
    if len(password) > MAX_PASSWORD_CHARS:
        raise Forbidden(f"Mật khẩu dài quá {format_number(MAX_PASSWORD_CHARS)} ký tự.")
    client = str(client or LOCAL)[:80]
    (attempts or ATTEMPTS).admit(client)
    until = locked_until(name, client=client, now=now, path=path)
    if until is not None:
        raise Forbidden(locked_message(until))
    configured = _match(name, password, editors)
    if configured is None:
        record_failure(name, client=client, now=now, path=path)
        until = locked_until(name, client=client, now=now, path=path)
        raise Forbidden(locked_message(until) if until else WRONG)
    clear(name, client=client, path=path)
    return signed_in(configured, "password", scope_of(configured, scopes))
