"""Writing a file the user named (``--out`` of every command, exports): the same guards everywhere.

``out`` must be a new path or a regular file: a device (``/dev/full``), a FIFO (which would block), a socket, a
folder or a dangling link is refused before anything is written. The content goes to a temporary file in the
same folder that is renamed onto ``out`` only when complete (``atomic``), so a failure, Ctrl-C or SIGTERM
leaves the old file as it was and no half-written one. Errors are ``OutputError`` with a one-line Vietnamese
message naming the path (the system's own words in brackets).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ktxh_geo.errors import InputError

_WHY = {
    errno.ENOSPC: "ổ đĩa đã đầy",
    errno.EDQUOT: "hết hạn mức dung lượng",
    errno.EACCES: "không có quyền ghi",
    errno.EPERM: "không có quyền ghi",
    errno.EROFS: "ổ đĩa chỉ cho đọc",
    errno.ENAMETOOLONG: "tên tệp quá dài",
    errno.EISDIR: "đây là một thư mục",
}


class OutputError(InputError):
    """An output path that cannot be written; the message is one Vietnamese line naming it."""


def failure(out: str | os.PathLike, exc: OSError) -> OutputError:
    """The one message for an OS error while writing ``out``."""
    why = _WHY.get(exc.errno or 0)
    system = exc.strerror or str(exc)
    return OutputError(f"không ghi được {out}: {why} ({system})" if why else f"không ghi được {out}: {system}")


def check_target(out: str | os.PathLike) -> None:
    """Refuse anything at ``out`` that is not a regular file (device, FIFO, socket, folder, broken link), and a
    folder that does not exist."""
    out = Path(out)
    try:
        info = os.stat(out)  # follows a symbolic link to what it points at
    except FileNotFoundError:
        if os.path.lexists(out):
            raise OutputError(f"không ghi được {out}: liên kết tượng trưng trỏ tới chỗ không tồn tại") from None
        info = None  # a new path
    except NotADirectoryError:
        info = None  # a parent is a file: reported below as a missing folder
    except OSError as exc:
        raise failure(out, exc) from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise OutputError(f"không ghi được {out}: đây là một thư mục")
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise OutputError(
            f"không ghi được {out}: đây không phải tệp thông thường (thiết bị, FIFO hoặc socket); hãy chọn một tệp mới"
        )
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(f"không ghi được {out}: thư mục {folder} không tồn tại")


@contextmanager
def atomic(targets: Sequence[str | os.PathLike], suffixes: Sequence[str] = ()) -> Iterator[list[Path]]:
    """Temporary files (mode 0644 when renamed) beside each of ``targets``, after ``check_target`` on each;
    the caller writes them, and when the block ends without an error they are renamed onto the targets — the
    last target last, so a reader never sees it before the others. Any error (or signal) removes them all."""
    paths = [Path(t) for t in targets]
    for target in paths:
        check_target(target)
    tmps: list[Path] = []
    try:
        for i, target in enumerate(paths):
            suffix = suffixes[i] if i < len(suffixes) else target.suffix
            folder = target.parent if str(target.parent) else Path(".")
            fd, name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=suffix)
            os.close(fd)
            tmps.append(Path(name))
        yield tmps
        for tmp, target in reversed(list(zip(tmps, paths, strict=True))):
            if tmp.exists():
                tmp.chmod(0o644)  # mkstemp makes 0600; an exported file is an ordinary document
            os.replace(tmp, target)
    except OSError as exc:
        raise failure(paths[0], exc) from None
    finally:
        for tmp in tmps:
            tmp.unlink(missing_ok=True)


def write_text(out: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``out`` with the guards and the rename of ``atomic``."""
    with atomic([out]) as (tmp,):
        tmp.write_text(text, encoding="utf-8")
    return Path(out)
