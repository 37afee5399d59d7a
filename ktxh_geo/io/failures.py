"""Every failure of the store through one path: one Vietnamese message per kind, never a secret.

``storage_error`` turns a database error (SQLAlchemy/psycopg/sqlite3) or a file-system error into one of the
``StorageError`` classes of ``ktxh_geo.errors`` — read-only, missing grant, full, busy (lock or statement timeout),
unreachable or lost connection, unknown commit outcome, schema mismatch — with a message that holds no SQL, no
parameter, no path and no part of the connection URL. The detail (error class, SQLSTATE, the driver's first line,
with every secret of the URL replaced by ``***``) goes to the log ``ktxh_geo.store`` (level INFO) for the
administrator.

``mask_url`` is the only way a URL is ever shown (the command line's "where"): the password, and the value of every
query parameter whose name says it is a secret (``password``, ``sslpassword``, ``sslkey``, ``*token*``, …), become
``***``; a URL that cannot be parsed is not shown at all.
"""

from __future__ import annotations

import errno
import logging
import re
import sqlite3
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from ktxh_geo.errors import (
    DataError,
    OutcomeUnknown,
    SchemaError,
    StorageError,
    StoreBusy,
    StoreDenied,
    StoreFull,
    StoreReadOnly,
    StoreUnavailable,
)

log = logging.getLogger("ktxh_geo.store")

MASK = "***"
SECRET_WORDS = ("pass", "pwd", "secret", "key", "token", "credential")
STORE_NAME = "ktxh_store.sqlite"
UPGRADE = "người quản trị cần chạy “python -m ktxh_geo db upgrade”"

# ---------------------------------------------------------------- secrets in URLs


def is_secret_name(name: str) -> bool:
    """A URL query parameter whose value must never be shown (password=, sslpassword=, sslkey=, api_token=, …)."""
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


def mask_url(url: str) -> str:
    """The URL with its password and every secret-named query value replaced by ``***`` (unparsable: not shown)."""
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 — whatever the parser says may quote the URL itself
        return "(địa chỉ cơ sở dữ liệu không đọc được)"
    if parsed.password is not None:
        parsed = parsed.set(password=MASK)
    query = {k: (MASK if is_secret_name(k) else v if isinstance(v, str) else tuple(v)) for k, v in parsed.query.items()}
    return parsed.set(query=query).render_as_string(hide_password=False).replace(quote(MASK, safe=""), MASK)


def url_secrets(url: str) -> tuple[str, ...]:
    """The literal secrets of a URL (password, secret-named query values), to redact from any text."""
    found: list[str] = []
    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001
        parsed = None
    if parsed is not None:
        if parsed.password:
            found.append(str(parsed.password))
        for k, v in parsed.query.items():
            if is_secret_name(k):
                found.extend([v] if isinstance(v, str) else list(v))
    # the raw text too: a URL the parser refused may still carry user:password@ or ?password=
    match = re.search(r"://[^:/@?#]*:([^@/?#]+)@", url)
    if match:
        found.append(match.group(1))
    for name, value in re.findall(r"[?&]([^=&#]+)=([^&#]*)", url):
        if is_secret_name(name):
            found.append(value)
    return tuple(s for s in dict.fromkeys(found) if s)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret (as written, URL-quoted or form-quoted) replaced by ``***``."""
    for secret in secrets:
        for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
            text = text.replace(form, MASK)
    return text


# ---------------------------------------------------------------- what failed, in Vietnamese

# PostgreSQL SQLSTATE (exact code, or its two-character class) → (error class, cause)
_PG_STATES: dict[str, tuple[type[StorageError], str]] = {
    "25006": (StoreReadOnly, "cơ sở dữ liệu đang ở chế độ chỉ đọc (bản sao, đang chuyển máy dự phòng hoặc bảo trì)"),
    "42501": (
        StoreDenied,
        "tài khoản của ứng dụng thiếu quyền trên bảng dữ liệu (cần quyền đọc, thêm, sửa và xóa dòng; xem README)",
    ),
    "55P03": (StoreBusy, "một người khác đang lưu và giữ khóa quá thời gian chờ"),
    "57014": (StoreBusy, "thao tác chạy quá thời gian cho phép"),
    "25P03": (StoreUnavailable, "máy chủ đã đóng phiên kết nối vì chờ quá lâu giữa chừng"),
    "40001": (StoreBusy, "nhiều người lưu cùng lúc và không xếp được thứ tự sau nhiều lần thử"),
    "40P01": (StoreBusy, "nhiều người lưu cùng lúc và không xếp được thứ tự sau nhiều lần thử"),
    "53300": (StoreUnavailable, "máy chủ cơ sở dữ liệu đang có quá nhiều kết nối"),
    "28P01": (StoreUnavailable, "máy chủ cơ sở dữ liệu từ chối tên đăng nhập hoặc mật khẩu của ứng dụng"),
    "28000": (StoreUnavailable, "máy chủ cơ sở dữ liệu từ chối kết nối của ứng dụng"),
    "3D000": (StoreUnavailable, "không có cơ sở dữ liệu đã cấu hình trên máy chủ"),
    "42P01": (SchemaError, f"lược đồ không khớp với ứng dụng (thiếu bảng); {UPGRADE}"),
    "42703": (SchemaError, f"lược đồ không khớp với ứng dụng (thiếu cột); {UPGRADE}"),
    "53": (StoreFull, "máy chủ cơ sở dữ liệu hết dung lượng đĩa hoặc tài nguyên"),
    "08": (StoreUnavailable, "không kết nối được hoặc mất kết nối tới máy chủ cơ sở dữ liệu"),
    "57": (StoreUnavailable, "máy chủ cơ sở dữ liệu đang tắt, khởi động lại hoặc đã ngắt kết nối"),
}
_PG_TEXT = (  # connection failures carry no SQLSTATE: recognised by the driver's text
    ("password authentication failed", StoreUnavailable, _PG_STATES["28P01"][1]),
    ("does not exist", StoreUnavailable, _PG_STATES["3D000"][1]),
    ("no space left", StoreFull, _PG_STATES["53"][1]),
)
_LOST = (StoreUnavailable, "không kết nối được hoặc mất kết nối tới máy chủ cơ sở dữ liệu")

_SQLITE_TEXT = (
    ("database or disk is full", StoreFull, "ổ đĩa đầy; giải phóng dung lượng rồi thử lại"),
    ("attempt to write a readonly database", StoreReadOnly, "thư mục hoặc tệp chỉ đọc; cần quyền ghi"),
    ("readonly", StoreReadOnly, "thư mục hoặc tệp chỉ đọc; cần quyền ghi"),
    (
        "unable to open database file",
        StoreUnavailable,
        "thư mục không tồn tại, không phải thư mục hoặc không ghi được",
    ),
    ("disk i/o error", StorageError, "lỗi đọc/ghi ổ đĩa"),
    ("database is locked", StoreBusy, "một tiến trình khác đang lưu và giữ khóa quá thời gian chờ"),
)
ERRNO_CAUSES: dict[int, tuple[type[StorageError], str]] = {
    errno.ENOSPC: (StoreFull, "ổ đĩa đầy; giải phóng dung lượng rồi thử lại"),
    errno.EDQUOT: (StoreFull, "hết hạn mức dung lượng (quota); giải phóng dung lượng rồi thử lại"),
    errno.EROFS: (StoreReadOnly, "thư mục chỉ đọc (hệ thống tệp chỉ đọc); cần quyền ghi"),
    errno.EACCES: (StoreDenied, "không có quyền ghi vào thư mục"),
    errno.EPERM: (StoreDenied, "không có quyền ghi vào thư mục"),
    errno.ENOTDIR: (StoreUnavailable, "một phần của đường dẫn không phải thư mục"),
    errno.EEXIST: (StoreUnavailable, "đường dẫn đã có nhưng không phải thư mục"),
    errno.ENOENT: (StoreUnavailable, "thư mục không tồn tại"),
    errno.EIO: (StorageError, "lỗi đọc/ghi ổ đĩa"),
}
_ADVICE = {
    StoreBusy: " Thử lại sau ít phút.",
    StoreUnavailable: " Hãy thử lại sau.",
}


def _sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", exc)
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def retryable(exc: BaseException) -> bool:
    """A serialization failure or deadlock: the transaction can simply run again."""
    return _sqlstate(exc) in ("40001", "40P01")


def classify(exc: BaseException) -> tuple[type[StorageError], str] | None:
    """(error class, Vietnamese cause) of a store failure, or None when ``exc`` is not a database/file error."""
    if isinstance(exc, sa_exc.TimeoutError):  # the pool had no free connection in time
        return StoreBusy, "mọi kết nối tới cơ sở dữ liệu đang bận quá thời gian chờ"
    orig = exc.orig if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None else exc
    if isinstance(orig, sqlite3.Error):
        lowered = str(orig).lower()
        for needle, cls, cause in _SQLITE_TEXT:
            if needle in lowered:
                return cls, cause
        return StorageError, f"lỗi của SQLite ({type(orig).__name__})"
    if isinstance(orig, OSError) and not isinstance(exc, sa_exc.DBAPIError) and orig.errno is not None:
        return ERRNO_CAUSES.get(orig.errno, (StorageError, "lỗi hệ thống tệp"))
    if isinstance(exc, sa_exc.DBAPIError):
        state = _sqlstate(exc)
        if state:
            found = _PG_STATES.get(state) or _PG_STATES.get(state[:2])
            return found or (StorageError, f"lỗi cơ sở dữ liệu (mã SQLSTATE {state})")
        lowered = str(orig).lower()
        for needle, cls, cause in _PG_TEXT:
            if needle in lowered:
                return cls, cause
        if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError) or exc.connection_invalidated:
            return _LOST
        return StorageError, f"lỗi cơ sở dữ liệu ({type(orig).__name__})"
    return None


def storage_error(
    exc: BaseException,
    *,
    sqlite: bool,
    reading: bool = False,
    at_commit: bool = False,
    secrets: Iterable[str] = (),
) -> StorageError | DataError:
    """The one Vietnamese error for a failed read or write of the store (the detail goes to the log only).

    ``at_commit``: the failure came while committing. A lost connection then leaves the outcome unknown
    (``OutcomeUnknown``: "reload to check"); any other failure means nothing was saved.
    """
    orig = exc.orig if isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None else exc
    detail = redact(str(orig).strip().splitlines()[0] if str(orig).strip() else "", secrets)
    log.info("kho dữ liệu: %s %s: %s", type(orig).__name__, _sqlstate(exc) or "", detail)
    if isinstance(orig, sqlite3.DatabaseError) and "not a database" in str(orig):
        return DataError(
            f"Tệp kho dữ liệu SQLite {STORE_NAME} trong thư mục trạng thái bị hỏng (không phải cơ sở dữ liệu); "
            "không ghi gì. Hãy khôi phục từ bản sao lưu (python -m ktxh_geo db restore)."
        )
    cls, cause = classify(exc) or (StorageError, f"lỗi không mong đợi ({type(orig).__name__})")
    place = "kho dữ liệu trong thư mục trạng thái (KTXH_STATE_DIR)" if sqlite else "cơ sở dữ liệu PostgreSQL"
    if at_commit and (cls is StoreUnavailable or (sqlite and cls is StorageError)):  # lost, or an I/O error
        return OutcomeUnknown(
            f"Không xác định được đã lưu hay chưa — hãy tải lại để kiểm tra ({cause} đúng lúc ghi vào {place})."
        )
    advice = _ADVICE.get(cls, "")
    if reading:
        return cls(f"Không đọc được {place}: {cause}.{advice}")
    return cls(f"Không ghi được vào {place}: {cause}. Không có gì được lưu; dữ liệu trước đó vẫn nguyên.{advice}")
