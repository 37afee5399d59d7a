"""``python -m ktxh_geo export``: the map exports without the UI, for batch work before a meeting.

Illustrative values are left out unless ``--illustrative`` is given (the same default as the UI's
"Hiện số liệu minh họa" switch), so a batch never prints illustrative figures by accident.
Errors are one line on stderr with exit code 2, and nothing is left at ``--out``. SIGTERM and SIGINT
(Ctrl+C) stop an export cleanly: the temporary file is removed and the exit code is 128 + the signal number.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from contextlib import contextmanager

from ktxh_geo.render.layout import ORIENTATIONS, PAPERS_MM
from ktxh_geo.render.maps import DEFAULT_LAYERS
from ktxh_geo.vocab.editions import EDITIONS

EXIT_ERROR = 2
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Stopped(BaseException):
    """Raised by the signal handler, so every ``finally`` (temporary files) runs on the way out."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum


def _stop(signum, frame) -> None:
    for sig in STOP_SIGNALS:  # a second signal must not interrupt the clean-up
        signal.signal(sig, signal.SIG_IGN)
    raise Stopped(signum)


@contextmanager
def stop_on_signals():
    """Turn SIGTERM and SIGINT into ``Stopped`` while the export runs (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {sig: signal.signal(sig, _stop) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def add_parser(sub) -> None:
    """Register the ``export`` sub-command on ``main``'s subparsers."""
    p = sub.add_parser(
        "export",
        help="export a map: png, pdf, html, gpkg, geojson, csv, xlsx, docx (--list: indicator ids)",
        description="Xuất bản đồ / dữ liệu của một chỉ tiêu. Số liệu minh họa chỉ có khi thêm --illustrative.",
    )
    p.add_argument("--list", action="store_true", help="list the mappable indicator ids and names")
    p.add_argument("--indicator", help="indicator id (see --list); with --atlas: ids, comma-separated (default: all)")
    p.add_argument(
        "--atlas",
        action="store_true",
        help="one PDF or Word file (--out .pdf/.docx): cover, contents, a page per map, unit table, credits",
    )
    p.add_argument("--year", type=int, help="year (default: newest year with commune values)")
    p.add_argument("--edition", default=None, help="edition id (default: the profile's; see the profile)")
    p.add_argument("--province", default=None, help="national profile: one province's communes (GSO code, e.g. 24)")
    p.add_argument(
        "--layers",
        default=",".join(DEFAULT_LAYERS),
        help="object layers, comma-separated (cluster,village,residential,...); 'none' for none",
    )
    p.add_argument("--illustrative", action="store_true", help="include the illustrative commune values")
    p.add_argument("--scheme", help="natural_breaks, quantiles, equal_interval or user (default: the indicator's)")
    p.add_argument("--classes", type=int, default=5, help="number of classes (default 5)")
    p.add_argument("--paper", default="a4", help="a4 or a3 (png, pdf; the map in docx)")
    p.add_argument("--orientation", default="landscape", help="landscape or portrait (png, pdf; the map in docx)")
    p.add_argument("--dpi", type=int, default=300, help="300 or 150 (png; the map in docx)")
    p.add_argument("--format", help="png, pdf, html, gpkg, geojson, csv, xlsx, docx (default: from --out's extension)")
    p.add_argument("--out", help="output file")
    p.set_defaults(func=run)


def _check(args) -> str:
    """Validate the options; return the format. Raises ExportError with a one-line message."""
    from ktxh_geo.render.export import DPIS, FORMATS, ExportError

    if not args.indicator:
        raise ExportError("thiếu --indicator (xem danh sách: python -m ktxh_geo export --list)")
    if not args.out:
        raise ExportError("thiếu --out (tệp kết quả)")
    fmt = (args.format or args.out.rsplit(".", 1)[-1]).lower()
    checks = [
        (fmt in FORMATS, f"định dạng '{fmt}' không hỗ trợ; chọn một trong: {', '.join(FORMATS)}"),
        (args.paper in PAPERS_MM, f"khổ giấy '{args.paper}' không hỗ trợ; chọn: {', '.join(PAPERS_MM)}"),
        (args.orientation in ORIENTATIONS, f"hướng giấy '{args.orientation}' không hỗ trợ; chọn: landscape, portrait"),
        (args.dpi in DPIS, f"độ phân giải {args.dpi} dpi không hỗ trợ; chọn: {', '.join(map(str, DPIS))}"),
        (
            args.edition is None or args.edition in EDITIONS,
            f"không có đơn vị hành chính '{args.edition}'; chọn: {', '.join(EDITIONS)}",
        ),
    ]
    for ok, message in checks:
        if not ok:
            raise ExportError(message)
    return fmt


def run(args: argparse.Namespace) -> int:
    from ktxh_geo.errors import KtxhError
    from ktxh_geo.model.mapcontext import mappable_indicators, prepare
    from ktxh_geo.render.export import licence_path, write_export

    if args.list:
        for ind_id, ind in mappable_indicators().items():
            print(f"{ind_id}\t{ind.name}" + (f" ({ind.unit})" if ind.unit else ""))
        return 0
    if args.atlas:
        return _atlas(args)
    try:
        with stop_on_signals():
            fmt = _check(args)
            layers = [] if args.layers.strip().lower() in ("", "none") else [x.strip() for x in args.layers.split(",")]
            ctx = prepare(
                args.indicator,
                args.year,
                args.edition,
                args.illustrative,
                layers,
                args.scheme,
                args.classes,
                province=args.province,
            )
            out = write_export(fmt, ctx, args.out, args.paper, args.orientation, args.dpi)
    except (KtxhError, ValueError) as exc:
        print(f"lỗi: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_ERROR
    except Stopped as stop:
        name = signal.Signals(stop.signum).name
        print(f"lỗi: đã dừng xuất theo tín hiệu {name}; tệp tạm đã được xóa", file=sys.stderr)
        return 128 + stop.signum
    note = " (có số liệu minh họa)" if (ctx.joined["status"] == "illustrative").any() else ""
    extra = f" và {licence_path(out)} (giấy phép)" if fmt == "csv" else ""
    print(f"đã ghi {out}{extra}: {ctx.title}{note}")
    return 0


def _atlas(args: argparse.Namespace) -> int:
    """``export --atlas``: the chosen indicators (default: every mappable one) as one PDF or Word file."""
    import time

    from ktxh_geo.errors import KtxhError
    from ktxh_geo.render.atlas import build_atlas, write_atlas
    from ktxh_geo.render.export import ExportError

    start = time.perf_counter()
    try:
        with stop_on_signals():
            if not args.out:
                raise ExportError("thiếu --out (tệp kết quả .pdf hoặc .docx)")
            fmt = (args.format or args.out.rsplit(".", 1)[-1]).lower()
            ids = [i.strip() for i in (args.indicator or "").split(",") if i.strip()] or None
            atlas = build_atlas(ids, args.province, args.illustrative, args.edition)
            out = write_atlas(atlas, fmt, args.out)
    except (KtxhError, ValueError) as exc:
        print(f"lỗi: {' '.join(str(exc).split())}", file=sys.stderr)
        return EXIT_ERROR
    except Stopped as stop:
        name = signal.Signals(stop.signum).name
        print(f"lỗi: đã dừng xuất theo tín hiệu {name}; tệp tạm đã được xóa", file=sys.stderr)
        return 128 + stop.signum
    left = f"; chưa đưa vào: {', '.join(atlas.skipped)}" if atlas.skipped else ""
    seconds = f"{time.perf_counter() - start:.1f}".replace(".", ",")
    print(f"đã ghi {out}: {atlas.title}, {len(atlas.maps)} bản đồ{left} ({seconds} giây)")
    return 0
