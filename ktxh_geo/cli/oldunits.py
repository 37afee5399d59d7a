"""``python -m ktxh_geo place-old``: a sheet of figures kept by the old communes, placed on the 2025 units.

Prints the report (merged, split and refused, incomplete, not placed) and, with ``--out``, writes the placed
figures as a table shaped like data/values.csv (status "computed", the rule and its inputs in ``note``). With
``--save --user NAME --source TEXT`` (as ``import``) the placed figures are saved in the store as a new version, status
computed, never official; the units the report refused are not saved.
"""

from __future__ import annotations

import argparse
import sys

EXIT_ERROR = 2


def add_parser(sub) -> None:
    p = sub.add_parser(
        "place-old",
        help="place a sheet of figures by old communes (2024 codes or names + old district) on the 2025 units",
        description="Đặt số liệu theo xã cũ (mã GSO hoặc tên và huyện cũ) lên đơn vị hành chính từ 01/7/2025.",
    )
    p.add_argument("file", help="the sheet (.xlsx or .csv): Mã xã or Tên xã [+ Huyện cũ], then indicator columns")
    p.add_argument("--year", type=int, required=True, help="the year of the figures")
    p.add_argument("--province", default=None, help="national profile: the 2025 province (GSO code, e.g. 92)")
    p.add_argument("--catalogue", default=None, help="indicators.csv declaring the sheet's indicators and rules")
    p.add_argument("--out", default=None, help="write the placed figures here (.csv)")
    p.add_argument("--save", action="store_true", help="lưu vào kho (trạng thái: tính từ số liệu công bố)")
    p.add_argument("--source", default="", help="nguồn của bảng số liệu theo xã cũ — bắt buộc khi lưu")
    p.add_argument("--user", default=None, help="tên người biên tập trong mục [editors] của tệp secrets (khi lưu)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ktxh_geo.errors import KtxhError
    from ktxh_geo.io import outputs
    from ktxh_geo.io.shipped import load_indicators
    from ktxh_geo.io.uploads import read_file, read_table
    from ktxh_geo.model.oldunits import place, save_placed

    try:
        indicators = load_indicators(Path(args.catalogue) if args.catalogue else None)
        table = read_table(read_file(args.file), Path(args.file).name)
        placed = place(table, indicators, args.year, args.province)
        if args.out:
            with outputs.atomic([args.out], (".csv",)) as tmps:
                placed.values.drop(columns="derived_rule").to_csv(tmps[0], index=False, encoding="utf-8")
    except (KtxhError, OSError) as exc:
        print(f"lỗi: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_ERROR
    for line in placed.report():
        print(line)
    if args.out:
        print(f"đã ghi {args.out}")
    if args.save:
        from ktxh_geo.cli.imports import cli_editor
        from ktxh_geo.io.store import store_path

        try:
            vid = save_placed(
                placed, indicators, editor=cli_editor(args.user), origin=args.source, file=table.file, year=args.year
            )
        except KtxhError as exc:  # not an editor, no source, outside the editor's communes, storage failure
            print(f"không lưu: {' '.join(str(exc).split())}", file=sys.stderr)
            return EXIT_ERROR
        print(f"đã lưu phiên bản {vid} vào {store_path()} (trạng thái: tính từ số liệu công bố)")
    return 0
