"""``python -m ktxh_geo db upgrade | copy | backup | restore``: the store's schema, and moving a whole store.

``db upgrade [--url URL]`` creates or migrates the schema of the configured database (``KTXH_DATABASE_URL``,
``[connections.ktxh]`` in the Streamlit secrets, else the SQLite file of the state folder).

``db copy --from URL --to URL`` copies every version, snapshot, change, location edit and history row, the slide
decks and the sign-in counters into an empty target; ``db backup --to FILE [--url URL]`` writes the store into a new
SQLite file; ``db restore --from FILE [--url URL] [--replace]`` puts such a file back. All three read the source from
one consistent snapshot without modifying it, write the target in one transaction and compare row counts and
checksums of every table before committing (``io.transfer``), and print them. Every failure is one Vietnamese line
on stderr and exit code 2 (never a traceback, never a secret of the URL).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_ERROR = 2


def add_parser(sub) -> None:
    p = sub.add_parser("db", help="cơ sở dữ liệu lưu số liệu nhập, vị trí đã sửa, trang trình chiếu")
    dbsub = p.add_subparsers(dest="db_command", required=True)
    url_help = "địa chỉ SQLAlchemy (mặc định: KTXH_DATABASE_URL, secrets, var/)"
    up = dbsub.add_parser("upgrade", help="tạo hoặc nâng cấp lược đồ của cơ sở dữ liệu đang cấu hình")
    up.add_argument("--url", default=None, help=url_help)
    up.set_defaults(func=run_upgrade)
    cp = dbsub.add_parser("copy", help="chép toàn bộ kho sang một cơ sở dữ liệu rỗng (kiểm tra số dòng và checksum)")
    cp.add_argument("--from", dest="source", required=True, help="nguồn, ví dụ sqlite:///var/ktxh_store.sqlite")
    cp.add_argument("--to", dest="target", required=True, help="đích, ví dụ postgresql+psycopg://user@host/db")
    cp.set_defaults(func=run_copy)
    bk = dbsub.add_parser("backup", help="sao lưu toàn bộ kho vào một tệp SQLite mới (nhất quán khi đang có người ghi)")
    bk.add_argument("--to", dest="file", required=True, help="tệp sao lưu mới, ví dụ ktxh-2026-03-01.sqlite")
    bk.add_argument("--url", default=None, help=url_help)
    bk.set_defaults(func=run_backup)
    rs = dbsub.add_parser("restore", help="khôi phục kho từ một tệp do “db backup” tạo")
    rs.add_argument("--from", dest="file", required=True, help="tệp sao lưu")
    rs.add_argument("--url", default=None, help=url_help)
    rs.add_argument("--replace", action="store_true", help="xóa dữ liệu đang có của kho đích (trong cùng giao dịch)")
    rs.set_defaults(func=run_restore)


def _backend(url: str | None):
    from ktxh_geo.io import db

    return db.from_url(url) if url else db.backend()


def _fails(action) -> int | None:
    """Run ``action``; every expected failure is one Vietnamese line on stderr and exit code 2."""
    from ktxh_geo.errors import KtxhError

    try:
        action()
    except KtxhError as exc:
        print(f"lỗi: {exc}", file=sys.stderr)
        return EXIT_ERROR
    return None


def _print_checksums(got, out=None) -> None:
    for name, (rows, digest) in got.items():
        print(f"{name}: {rows} dòng, sha256 {digest} (nguồn và đích khớp)", file=out or sys.stdout)


def run_upgrade(args: argparse.Namespace) -> int:
    from ktxh_geo.io import db

    done = {}

    def action():
        b = _backend(args.url)
        done["where"], (done["before"], done["after"]) = b.describe(), db.upgrade(b)

    if (failed := _fails(action)) is not None:
        return failed
    if done["before"] == done["after"]:
        print(f"{done['where']}: lược đồ đã ở phiên bản {done['after']}, không cần nâng cấp.")
    else:
        print(f"{done['where']}: lược đồ phiên bản {done['before']} → {done['after']}.")
    return 0


def _legacy_files(conn, src) -> None:
    """``db copy`` from a state folder also carries the old files of that folder (edits, history, slides)."""
    from ktxh_geo.errors import KtxhError
    from ktxh_geo.io import register
    from ktxh_geo.model import slides

    register._import_legacy(conn, src)
    try:
        slides._import_legacy(conn, src)
    except KtxhError as exc:
        print(f"cảnh báo: {exc}", file=sys.stderr)


def copy_store(source_url: str, target_url: str, out=None) -> dict[str, tuple[int, str]]:
    """Copy the whole store into an empty target (``io.transfer.copy_store``); prints and returns the checksums."""
    from ktxh_geo.io import db, transfer

    got = transfer.copy_store(db.from_url(source_url), db.from_url(target_url), legacy=_legacy_files)
    _print_checksums(got, out)
    return got


def run_copy(args: argparse.Namespace) -> int:
    if (failed := _fails(lambda: copy_store(args.source, args.target))) is not None:
        return failed
    print("đã chép xong.")
    return 0


def run_backup(args: argparse.Namespace) -> int:
    from ktxh_geo.io import transfer

    if (failed := _fails(lambda: _print_checksums(transfer.backup(_backend(args.url), Path(args.file))))) is not None:
        return failed
    print(f"đã sao lưu vào {args.file}.")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from ktxh_geo.io import transfer

    def action():
        _print_checksums(transfer.restore(Path(args.file), _backend(args.url), replace=args.replace))

    if (failed := _fails(action)) is not None:
        return failed
    print("đã khôi phục xong.")
    return 0
