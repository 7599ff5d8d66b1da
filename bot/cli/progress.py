"""`progress import` (a platform export as a dated snapshot), `progress ledger` (the 台账 as Excel) and
`progress report` (the 数据通报 on demand)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

from bot.audit import CLI
from bot.cli.common import Env, err, out, split_list, subcommand
from bot.progress.columns import KINDS, Kind
from bot.texts import cli as texts
from bot.texts import progress as ptexts


def register(sub: Any) -> None:
    s = subcommand(sub, "progress", cmd_progress, "learning progress: import platform exports, the 台账, the report")
    ps = s.add_subparsers(dest="action", required=True)
    p = ps.add_parser("import", help="import a 形考/网检/直播/选课/报考/预警 export (XLSX or CSV) as a dated snapshot")
    p.add_argument("file")
    p.add_argument("--kind", choices=KINDS, help="what the file is (default: read from its columns and title)")
    p.add_argument("--as-of", help="the day the export is about, e.g. 2026-11-30 (default: from its title, or today)")
    p.add_argument("--event", help="a 腾讯会议 attendance list: the live session, e.g. live-admin-2026-11-10")
    p.add_argument("--class", dest="classes", help="only these classes (comma-separated; default: all)")
    p.add_argument("--dry-run", action="store_true", help="check and report, store nothing")
    p = ps.add_parser("ledger", help="export a class's 台账 (学号, 姓名, 问题, 联系时间, 方式, 结果) to Excel")
    p.add_argument("--class", dest="class_name", required=True)
    p.add_argument("--out", required=True)
    p = ps.add_parser("report", help="the 数据通报 of a month: text, Excel (--out) and a chart (--chart)")
    p.add_argument("--month", help="e.g. 2026-11 (default: this month so far)")
    p.add_argument("--group", help="a coordinator group, a class or a teaching point (default: everything)")
    p.add_argument("--out")
    p.add_argument("--chart")


def cmd_progress(env: Env) -> int:
    return {"import": _import, "ledger": _ledger, "report": _report}[env.args.action](env)


def _import(env: Env) -> int:
    args, services = env.args, env.services
    path = Path(args.file)
    if not path.exists():
        err(f"{path}: file not found")
        return 2
    as_of = None
    if args.as_of:
        try:
            as_of = date.fromisoformat(args.as_of)
        except ValueError:
            err(f"--as-of {args.as_of!r}: not a date (use 2026-11-30)")
            return 2
    classes = split_list(args.classes) or None
    known = {c.name for c in env.config.groups.classes}
    if classes and not set(classes) <= known:
        err(f"--class: unknown class {', '.join(sorted(set(classes) - known))}; known: {', '.join(sorted(known))}")
        return 2
    report = services.progress.import_file(path, actor=CLI, classes=classes, kind=Kind(args.kind) if args.kind else None,
                                           as_of=as_of, event=args.event, dry_run=args.dry_run)
    text = ptexts.import_report(report)
    if not args.dry_run:
        services.audit.record(CLI, texts.CLI_PLACE, "progress import", f"{path.name} {args.kind or ''}".strip(),
                              "ok" if report.ok else "refused")
    if not report.ok:
        err(text)
        return 2
    out(text)
    return 0


def _ledger(env: Env) -> int:
    args, services = env.args, env.services
    if env.config.class_group(args.class_name) is None:
        err(f"--class {args.class_name!r}: unknown class; known: "
            f"{', '.join(c.name for c in env.config.groups.classes)}")
        return 2
    n = services.progress.ledger(args.class_name, Path(args.out))
    services.audit.record(CLI, texts.CLI_PLACE, "progress ledger", args.class_name)
    out(texts.LEDGER_EXPORTED.format(n=n, class_name=args.class_name, path=args.out))
    return 0


def _report(env: Env) -> int:
    args, services = env.args, env.services
    progress = services.progress
    try:
        classes, scope = services.digests.scope_named(args.group)
    except ValueError as exc:
        err(str(exc))
        return 2
    if args.month:
        try:
            start = date.fromisoformat(args.month + "-01")
        except ValueError:
            err(f"--month {args.month!r}: not a month (use 2026-11)")
            return 2
        end = date(start.year + 1, 1, 1) if start.month == 12 else start.replace(month=start.month + 1)
        title = ptexts.REPORT_TITLE
    else:
        start, end = progress.month_bounds("本月", env.now)
        title = ptexts.REPORT_TITLE_NOW
    report = progress.build_report(classes, scope, start, end, chart=bool(args.chart), workbook=bool(args.out),
                                   title=title)
    out(report.text)
    if args.out and report.workbook:
        shutil.copyfile(report.workbook, args.out)
        out("\n" + texts.WRITTEN.format(path=args.out))
    if args.chart and report.chart:
        shutil.copyfile(report.chart, args.chart)
        out(texts.WRITTEN.format(path=args.chart))
    return 0 if not report.empty else 1
