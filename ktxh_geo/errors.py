"""One error hierarchy for ktxh-geo: every error meant for a user carries a Vietnamese message.

``KtxhError`` is the base; pages and the command line catch it and show ``str(err)`` (never a traceback).
Anything else that escapes is a bug: pages show a generic Vietnamese message and the traceback goes to the log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone


class KtxhError(Exception):
    """Base of every expected error; the message is Vietnamese and safe to show to the user."""


class InputError(KtxhError, ValueError):
    """Bad input from a user (a file, a typed value, a URL parameter); the message names file, row and field."""


class DataError(KtxhError):
    """A shipped or stored file that cannot be read or is inconsistent (names the file)."""


class Forbidden(KtxhError, PermissionError):
    """A write attempted without a signed-in editor; nothing was written."""


class StorageError(KtxhError):
    """The state folder or database cannot be read or written; nothing was half-written (see the subclasses)."""


class LocationError(InputError):
    """A location that cannot be accepted (a planner's point or footprint); the message is meant for the planner."""


class ExportError(InputError):
    """A request that cannot be exported (unknown id, no data, unwritable path); the message is one line."""


class LimitExceeded(InputError):
    """An input larger than the app accepts (size, rows, cells, vertices), refused before heavy work."""


# ---------------------------------------------------------------- the store: one class per kind of failure
# ``io.failures`` maps every database and file-system error to one of these; messages never hold SQL, parameters,
# a path or any part of the connection URL (the log gets a one-line, redacted detail).


class SchemaError(StorageError):
    """The database's schema is missing, older or newer than this code (and cannot be upgraded here)."""


class StoreUnavailable(StorageError):
    """The database cannot be reached (refused, lost, shut down, wrong credentials); nothing was saved."""


class StoreReadOnly(StorageError):
    """The database or state folder accepts no writes (a replica, a failover, a read-only file system)."""


class StoreDenied(StorageError):
    """The application's database role lacks a privilege it needs (a missing GRANT)."""


class StoreFull(StorageError):
    """No space left (disk, quota, tablespace)."""


class StoreBusy(StorageError):
    """A lock or a statement did not finish within its time limit (another writer holds the lock)."""


class OutcomeUnknown(StorageError):
    """The connection was lost while committing: the save may or may not have been recorded."""


# ---------------------------------------------------------------- optimistic concurrency


@dataclass(frozen=True)
class Change:
    """One change made by someone else since a form was read: the version (or history id) that made it."""

    token: int
    who: str
    when: str  # ISO-8601, UTC
    what: str  # Vietnamese, one line
    details: tuple[str, ...] = ()  # what exactly (cells, points, titles), for a table on screen


def vn_time(iso: str) -> str:
    """An ISO-8601 UTC time as "HH:MM dd/mm/yyyy" in Vietnam's time (UTC+7); the text itself when unparsable."""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone(timezone(timedelta(hours=7)))
    return f"{local:%H:%M} ngày {local:%d/%m/%Y}"


class Conflict(KtxhError):
    """A write refused because what it changes was changed by someone else after the form was read.

    ``expected``: the version the form was read at; ``current``: the version now (save over it by writing again
    with ``overwrite=current``); ``changes``: what changed, by whom and when. Nothing was written.
    """

    def __init__(self, subject: str, expected: int, current: int, changes: tuple[Change, ...]):
        self.subject, self.expected, self.current, self.changes = subject, expected, current, changes
        shown = "; ".join(f"{c.what} — {c.who}, {vn_time(c.when)}" for c in changes[:5])
        more = f"; và {len(changes) - 5} thay đổi khác" if len(changes) > 5 else ""
        super().__init__(
            f"{subject} đã được người khác thay đổi sau khi bạn mở biểu mẫu: {shown}{more} (giờ Việt Nam). "
            "Chưa lưu gì của bạn: hãy tải lại để xem số liệu mới nhất, hoặc chọn lưu đè lên thay đổi đó."
        )
