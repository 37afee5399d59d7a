"""Command line: ``python -m ktxh_geo validate | bench | ...``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ktxh_geo.settings import data_dir, geo_dir


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
    from ktxh_geo.cli.bench import run

    for name, value, unit in run(repeat=args.repeat):
        print(f"{name}: {value:.2f} {unit}" if unit == "x" else f"{name}: {value:.1f} {unit}", flush=True)
    return 0


def _place_projects(args: argparse.Namespace) -> int:
    from ktxh_geo.io.shipped import load_communes, read_csv_text
    from ktxh_geo.model.projects import write_project_points

    register = read_csv_text(Path(args.data) / "projects.csv")
    out = write_project_points(register, load_communes("2020-2024", Path(args.geo)), Path(args.geo))
    print(f"wrote {out}")
    return 0


def _check_locations(args: argparse.Namespace) -> int:
    from ktxh_geo.io.register import load_register
    from ktxh_geo.io.shipped import load_communes, load_outline
    from ktxh_geo.model.location_check import check_locations, format_csv, format_text

    geo = Path(args.geo)
    register = load_register(Path(args.data), geo, Path(args.state) if args.state else None)
    report = check_locations(register, load_communes("2020-2024", geo), load_outline(geo))
    text = format_csv(report) if args.format == "csv" else format_text(report)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}: {len(report)} đối tượng cần kiểm tra")
    else:
        sys.stdout.write(text)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ktxh_geo", description="ktxh-geo tools")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate", help="check geo/ and data/")
    p.add_argument("--data", default=str(data_dir()))
    p.add_argument("--geo", default=str(geo_dir()))
    p.set_defaults(func=_validate)

    p = sub.add_parser("bench", help="print performance figures (name: value unit)")
    p.add_argument("--repeat", type=int, default=20)
    p.set_defaults(func=_bench)

    p = sub.add_parser("place-projects", help="(re)write geo/projects.geojson from data/projects.csv")
    p.add_argument("--data", default=str(data_dir()))
    p.add_argument("--geo", default=str(geo_dir()))
    p.set_defaults(func=_place_projects)

    p = sub.add_parser("check-locations", help='print the "Cần kiểm tra" list (id, name, reason)')
    p.add_argument("--format", choices=["text", "csv"], default="text")
    p.add_argument("--out", help="write to this file instead of stdout")
    p.add_argument("--data", default=str(data_dir()))
    p.add_argument("--geo", default=str(geo_dir()))
    p.add_argument("--state", default=None, help="folder of saved edits (default: KTXH_STATE_DIR or var/)")
    p.set_defaults(func=_check_locations)

    from ktxh_geo.cli.imports import add_parsers as add_import_parsers

    add_import_parsers(sub)  # import, hash-password

    from ktxh_geo.cli.export import add_parser as add_export_parser

    add_export_parser(sub)  # export (png, pdf, html, gpkg, geojson, csv, xlsx)

    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
