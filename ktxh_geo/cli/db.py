"""``python -m ktxh_geo db upgrade | copy``: create or migrate the store's schema; move a store to another database.

``db upgrade [--url URL]`` creates or migrates the schema of the configured database (``KTXH_DATABASE_URL``,
``[connections.ktxh]`` in the Streamlit secrets, else the SQLite file of the state folder).

``db copy --from sqlite:///…/ktxh_store.sqlite --to postgresql+psycopg://…`` copies every version, snapshot,
change, location edit and history row, the slide deck and the sign-in counters into an empty target, in one
transaction on the target; it compares row counts and checksums of every table (source and target) before
committing, prints them, and refuses a target that already holds data.
"""

from __future__ import annotations

import argparse
import hashlib
import sys

EXIT_ERROR = 2


def add_parser(sub) -> None:
    p = sub.add_parser("db", help="cơ sở dữ liệu lưu số liệu nhập, vị trí đã sửa, trang trình chiếu")
    dbsub = p.add_subparsers(dest="db_command", required=True)
    up = dbsub.add_parser("upgrade", help="tạo hoặc nâng cấp lược đồ của cơ sở dữ liệu đang cấu hình")
    up.add_argument("--url", default=None, help="địa chỉ SQLAlchemy (mặc định: KTXH_DATABASE_URL, secrets, var/)")
    up.set_defaults(func=run_upgrade)
    cp = dbsub.add_parser("copy", help="chép toàn bộ kho sang một cơ sở dữ liệu rỗng (kiểm tra số dòng và checksum)")
    cp.add_argument("--from", dest="source", required=True, help="nguồn, ví dụ sqlite:///var/ktxh_store.sqlite")
    cp.add_argument("--to", dest="target", required=True, help="đích, ví dụ postgresql+psycopg://user@host/db")
    cp.set_defaults(func=run_copy)


def _backend(url: str | None):
    from ktxh_geo.io import db

    return db.from_url(url) if url else db.backend()


def run_upgrade(args: argparse.Namespace) -> int:
    from ktxh_geo.errors import KtxhError
    from ktxh_geo.io import db

    try:
        b = _backend(args.url)
        before, after = db.upgrade(b)
    except KtxhError as exc:
        print(f"lỗi: {exc}", file=sys.stderr)
        return EXIT_ERROR
    if before == after:
        print(f"{b.describe()}: lược đồ đã ở phiên bản {after}, không cần nâng cấp.")
    else:
        print(f"{b.describe()}: lược đồ phiên bản {before} → {after}.")
    return 0


def _normal(value) -> str:
    import shapely

    if value is None:
        return "∅"
    if isinstance(value, bytes | bytearray | memoryview):
        return shapely.to_wkb(shapely.from_wkb(bytes(value)), output_dimension=2, byte_order=1, hex=True)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def checksums(conn) -> dict[str, tuple[int, str]]:
    """Per copied table: (rows, sha256 of the rows in a backend-independent text form, sorted)."""
    from sqlalchemy import select

    from ktxh_geo.io import db

    out = {}
    for table in (*db.COPY_TABLES, db.counters):
        lines = sorted("\x1f".join(_normal(v) for v in row) for row in conn.execute(select(table)))
        digest = hashlib.sha256("\x1e".join(lines).encode("utf-8")).hexdigest()
        out[table.name] = (len(lines), digest)
    return out


class _Mismatch(Exception):
    pass


def copy_store(source_url: str, target_url: str, out=None) -> dict[str, tuple[int, str]]:
    """Copy the whole store into an empty target in one transaction; returns the verified checksums.

    Raises ``KtxhError`` (Vietnamese) when the target is not empty or the checksums differ (nothing committed).
    """
    from sqlalchemy import func, insert, select, update

    from ktxh_geo.errors import KtxhError, StorageError
    from ktxh_geo.io import db, register
    from ktxh_geo.model import slides

    out = out or sys.stdout
    src, dst = db.from_url(source_url), db.from_url(target_url)
    if src.url == dst.url:
        raise StorageError("Nguồn và đích là cùng một cơ sở dữ liệu.")
    if not src.exists():
        raise StorageError(f"Không có kho nguồn {src.describe()}.")
    if src.file is not None:  # the SQLite store is migrated first, with the old files of its folder
        db.write(src, lambda conn: None)
        db.write(src, lambda conn: register._import_legacy(conn, src))
        try:
            db.write(src, lambda conn: slides._import_legacy(conn, src))
        except KtxhError as exc:
            print(f"cảnh báo: {exc}", file=out)
    else:
        db.read(src, lambda conn: None, None)  # the source's schema must be current
    db.upgrade(dst)
    expected = db.read(src, checksums, {})

    def run(conn):
        for name in db.COUNTERS:
            db.lock_counter(conn, name)
        filled = [t.name for t in db.COPY_TABLES if conn.execute(select(func.count()).select_from(t)).scalar()]
        if filled or any(conn.execute(select(db.counters.c.value)).scalars()):
            raise StorageError(
                f"Cơ sở dữ liệu đích {dst.describe()} đã có dữ liệu ({', '.join(filled) or 'bộ đếm'}): "
                "chỉ chép vào một kho rỗng; không ghi gì."
            )
        with src.engine.connect() as source:
            for table in db.COPY_TABLES:
                result = source.execution_options(yield_per=2000).execute(select(table).order_by(*table.primary_key))
                for chunk in result.mappings().partitions(2000):
                    conn.execute(insert(table), [dict(r) for r in chunk])
            for name, value in source.execute(select(db.counters.c.name, db.counters.c.value)):
                conn.execute(update(db.counters).where(db.counters.c.name == name).values(value=value))
        got = checksums(conn)
        if got != expected:
            bad = [name for name in expected if expected[name] != got.get(name)]
            raise StorageError(f"Kiểm tra sau khi chép không khớp ở bảng {', '.join(bad)}; đã hủy, không ghi gì.")
        return got

    got = db.write(dst, run)
    for name, (rows, digest) in got.items():
        print(f"{name}: {rows} dòng, sha256 {digest} (nguồn và đích khớp)", file=out)
    return got


def run_copy(args: argparse.Namespace) -> int:
    from ktxh_geo.errors import KtxhError

    try:
        copy_store(args.source, args.target)
    except KtxhError as exc:
        print(f"lỗi: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print("đã chép xong.")
    return 0
