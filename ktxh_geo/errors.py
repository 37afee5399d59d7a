"""One error hierarchy for ktxh-geo: every error meant for a user carries a Vietnamese message.

``KtxhError`` is the base; pages and the command line catch it and show ``str(err)`` (never a traceback).
Anything else that escapes is a bug: pages show a generic Vietnamese message and the traceback goes to the log.
"""

from __future__ import annotations


class KtxhError(Exception):
    """Base of every expected error; the message is Vietnamese and safe to show to the user."""


class InputError(KtxhError, ValueError):
    """Bad input from a user (a file, a typed value, a URL parameter); the message names file, row and field."""


class DataError(KtxhError):
    """A shipped or stored file that cannot be read or is inconsistent (names the file)."""


class Forbidden(KtxhError, PermissionError):
    """A write attempted without a signed-in editor; nothing was written."""


class StorageError(KtxhError):
    """The state folder or database cannot be written (full, read-only, locked); nothing was half-written."""


class LimitExceeded(InputError):
    """An input larger than the app accepts (size, rows, cells, vertices), refused before heavy work."""
