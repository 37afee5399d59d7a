"""``python -m ktxh_geo import``: check a file of commune figures and, when valid, save it as a new version."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import tomllib
from pathlib import Path

EXIT_INVALID = 2


def add_parsers(sub) -> None:
    """Register the ``import`` and ``hash-password`` sub-commands."""
    p = sub.add_parser("import", help="nhập số liệu cấp xã từ Excel/CSV (kiểm tra, rồi lưu thành phiên bản mới)")
    p.add_argument("file", nargs="?", help=".xlsx or .csv with a commune column")
    p.add_argument("--dataset", help="dataset id (see --list)")
    p.add_argument("--year", type=int)
    p.add_argument("--source", default="", help="nguồn số liệu (văn bản, cơ quan, ngày) — bắt buộc khi lưu")
    p.add_argument(
        "--user",
        default="",
        help="tên người biên tập đã cấu hình trong mục [editors] của tệp secrets (bắt buộc khi lưu)",
    )
    p.add_argument("--dry-run", action="store_true", help="chỉ kiểm tra, không lưu")
    p.add_argument("--list", action="store_true", help="liệt kê các bộ số liệu và cột")
    p.set_defaults(func=run_import)

    p = sub.add_parser("hash-password", help="tạo dòng [editors] cho .streamlit/secrets.toml")
    p.add_argument("name", help="tên đăng nhập của người biên tập")
    p.add_argument("--iterations", type=int, default=None)
    p.set_defaults(func=run_hash_password)


def secrets_file() -> Path:
    """The secrets file the app reads: the first of env STREAMLIT_SECRETS_FILES, else .streamlit/secrets.toml."""
    from ktxh_geo.settings import ROOT

    env = os.environ.get("STREAMLIT_SECRETS_FILES", "").strip()
    if env:
        return Path(env.split(",")[0].strip())
    return ROOT / ".streamlit" / "secrets.toml"


def cli_editor(name: str):
    """The Editor for ``--user NAME`` when NAME is in [editors] of the secrets file (compared as the sign-in
    form compares names: ``auth.canonical_name``); ``Forbidden`` otherwise."""
    from ktxh_geo.errors import Forbidden
    from ktxh_geo.model.auth import configured_name, signed_in

    name = (name or "").strip()
    path = secrets_file()
    if not name:
        raise Forbidden(f"thiếu --user: cần tên một người biên tập trong mục [editors] của {path}; không lưu gì.")
    try:
        with open(path, "rb") as fh:
            editors = tomllib.load(fh).get("editors") or {}
    except FileNotFoundError:
        raise Forbidden(
            f"không có tệp secrets {path} (mục [editors]) nên không xác nhận được người biên tập “{name}”; "
            "không lưu gì."
        ) from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise Forbidden(f"không đọc được tệp secrets {path} ({exc}); không lưu gì.") from None
    configured = configured_name(name, editors) if isinstance(editors, dict) else None
    if configured is None:
        raise Forbidden(f"“{name}” không phải người biên tập trong mục [editors] của {path}; không lưu gì.")
    return signed_in(configured, "cli")


def run_import(args: argparse.Namespace) -> int:
    from ktxh_geo.errors import KtxhError
    from ktxh_geo.io.shipped import load_units
    from ktxh_geo.io.store import save, store_path
    from ktxh_geo.model.datasets import load_datasets, years
    from ktxh_geo.model.imports import check_path

    datasets = load_datasets()
    if args.list:
        for ds in datasets.values():
            print(f"{ds.id}: {ds.title}")
            for c in ds.columns:
                need = "bắt buộc" if c.required else "tùy chọn"
                print(f"    {c.indicator_id} — “{c.label}”: {c.allowed_text()} ({need})")
        return 0
    missing = [flag for flag, v in (("FILE", args.file), ("--dataset", args.dataset), ("--year", args.year)) if not v]
    if missing:
        print("thiếu tham số: " + ", ".join(missing), file=sys.stderr)
        return EXIT_INVALID
    if args.dataset not in datasets:
        print(f"không có bộ số liệu “{args.dataset}”; có: {', '.join(datasets)}", file=sys.stderr)
        return EXIT_INVALID
    offered = years()
    if args.year not in offered:
        span = f"{offered[0]}–{offered[-1]}" if offered else "— (địa phương này không có bộ số liệu nhập)"
        print(f"năm {args.year} ngoài phạm vi {span}", file=sys.stderr)
        return EXIT_INVALID
    path = Path(args.file)
    report = check_path(path, datasets[args.dataset], args.year, load_units())
    for line in report.lines():
        print(line)
    if not report.ok:
        return EXIT_INVALID
    if args.dry_run:
        print("--dry-run: không lưu gì.")
        return 0
    try:
        vid = save(
            report.cells,
            editor=cli_editor(args.user),
            source=args.source,
            action="import",
            dataset=args.dataset,
            year=args.year,
            file=path.name,
        )
    except KtxhError as exc:  # not an editor, no source, storage failure: one Vietnamese line
        print(f"không lưu: {exc}", file=sys.stderr)
        return EXIT_INVALID
    print(f"đã lưu phiên bản {vid} vào {store_path()}")
    return 0


def run_hash_password(args: argparse.Namespace) -> int:
    from ktxh_geo.model.auth import DEFAULT_ITERATIONS, hash_password

    if sys.stdin.isatty():
        password = getpass.getpass("Mật khẩu: ")
        if getpass.getpass("Nhập lại: ") != password:
            print("hai lần nhập không khớp", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\n")
    if len(password) < 8:
        print("mật khẩu phải có ít nhất 8 ký tự", file=sys.stderr)
        return 1
    encoded = hash_password(password, args.iterations or DEFAULT_ITERATIONS)
    print("# thêm vào .streamlit/secrets.toml, mục [editors]")
    print(f'"{args.name}" = "{encoded}"')
    return 0
