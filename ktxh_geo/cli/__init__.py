"""Command line: ``python -m ktxh_geo validate | bench | ...``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ktxh_geo.vocab.editions import base_edition
from ktxh_geo.vocab.profile import active


def _validate(args: argparse.Namespace) -> int:
    from ktxh_geo.model.validate import validate

    report = validate(Path(args.data), Path(args.geo))
    for problem in report.problems:
        print(problem)
    if report.ok:
        print("OK: " + "; ".join(report.summary))
        return 0
    print(f"{len(report.problems)} lỗi (problems) found", file=sys.stderr)
    return 1


def _bench(args: argparse.Namespace) -> int:
    from ktxh_geo.cli.bench import print_load, run

    for name, value, unit in run(repeat=args.repeat, pages=not args.no_pages, paint=not args.no_paint):
        print(f"{name}: {value:.2f} {unit}" if unit == "x" else f"{name}: {value:.1f} {unit}", flush=True)
    if args.load:
        print_load(args)
    return 0


def _place_projects(args: argparse.Namespace) -> int:
    from ktxh_geo.io.shipped import load_communes, read_csv_text
    from ktxh_geo.model.projects import write_project_points

    register = read_csv_text(Path(args.data) / "projects.csv")
    out = write_project_points(register, load_communes(base_edition(), Path(args.geo)), Path(args.geo))
    print(f"wrote {out}")
    return 0


def _check_locations(args: argparse.Namespace) -> int:
    from ktxh_geo.io.register import load_register
    from ktxh_geo.io.shipped import load_communes, load_outline
    from ktxh_geo.model.location_check import check_locations, format_csv, format_text

    geo = Path(args.geo)
    register = load_register(Path(args.data), geo, Path(args.state) if args.state else None)
    report = check_locations(register, load_communes(base_edition(), geo), load_outline(geo))
    text = format_csv(report) if args.format == "csv" else format_text(report)
    if args.out:
        from ktxh_geo.io.outputs import OutputError, write_text

        try:  # the guards of every --out: no device, FIFO or folder; temporary file, then rename
            write_text(args.out, text)
        except OutputError as exc:
            print(f"lỗi: {exc}", file=sys.stderr)
            return 2
        print(f"đã ghi {args.out}: {len(report)} đối tượng cần kiểm tra")
    else:
        sys.stdout.write(text)
    return 0


PROFILE_HELP = "locality profile id (a folder of profiles/; default: env KTXH_PROFILE or the first shipped one)"


def _use_profile(argv: list[str] | None) -> tuple[list[str], int | None]:
    """Take ``--profile ID`` from anywhere on the command line and make it the profile of this run."""
    from ktxh_geo.errors import DataError
    from ktxh_geo.vocab.profile import available, set_active

    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--profile")
    known, rest = pre.parse_known_args(sys.argv[1:] if argv is None else argv)
    if known.profile is not None:
        if known.profile not in available():
            print(f"lỗi: không có hồ sơ địa phương “{known.profile}”; có: {', '.join(available())}", file=sys.stderr)
            return rest, 2
        try:
            set_active(known.profile)
        except DataError as err:
            print(f"lỗi: {err}", file=sys.stderr)
            return rest, 2
    return rest, None


def main(argv: list[str] | None = None) -> int:
    argv, failed = _use_profile(argv)
    if failed is not None:
        return failed
    parser = argparse.ArgumentParser(prog="python -m ktxh_geo", description="ktxh-geo tools")
    parser.add_argument("--profile", help=PROFILE_HELP)  # taken by _use_profile; listed here for --help
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check geo/ and data/")
    p.add_argument("--data", default=str(active().data_dir))
    p.add_argument("--geo", default=str(active().geo_dir))
    p.set_defaults(func=_validate)

    p = sub.add_parser("bench", help="print performance figures (name: value unit)")
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--no-pages", action="store_true", help="skip the page reruns (AppTest)")
    p.add_argument("--no-paint", action="store_true", help="skip first paint in chromium")
    p.add_argument(
        "--load",
        type=lambda s: [int(n) for n in s.split(",")],
        metavar="N[,N…]",
        help="also measure widget-to-map time with N concurrent browser sessions (issue 11)",
    )
    p.add_argument("--servers", type=int, choices=(1, 2), default=1, help="app servers sharing one store (--load)")
    p.set_defaults(func=_bench)

    p = sub.add_parser("place-projects", help="(re)write geo/projects.geojson from data/projects.csv")
    p.add_argument("--data", default=str(active().data_dir))
    p.add_argument("--geo", default=str(active().geo_dir))
    p.set_defaults(func=_place_projects)

    p = sub.add_parser("check-locations", help='print the "Cần kiểm tra" list (id, name, reason)')
    p.add_argument("--format", choices=["text", "csv"], default="text")
    p.add_argument("--out", help="write to this file instead of stdout (a new path or a regular file)")
    p.add_argument("--data", default=str(active().data_dir))
    p.add_argument("--geo", default=str(active().geo_dir))
    p.add_argument("--state", default=None, help="folder of saved edits (default: KTXH_STATE_DIR or var/)")
    p.set_defaults(func=_check_locations)

    from ktxh_geo.cli.imports import add_parsers as add_import_parsers

    add_import_parsers(sub)  # import, hash-password

    from ktxh_geo.cli.export import add_parser as add_export_parser

    add_export_parser(sub)  # export (png, pdf, html, gpkg, geojson, csv, xlsx)
    __import__("ktxh_geo.cli.db", fromlist=["add_parser"]).add_parser(sub)  # db upgrade | db copy
    __import__("ktxh_geo.cli.oldunits", fromlist=["add_parser"]).add_parser(sub)  # place-old

    args = parser.parse_args(argv)
    from ktxh_geo.errors import KtxhError

    try:
        return args.func(args)
    except KtxhError as exc:  # e.g. the store is down or read-only: one Vietnamese line, never a traceback
        print(f"lỗi: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
