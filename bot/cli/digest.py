"""`digest`: the figures for coordinators as text, an Excel workbook (--out) and a chart (--chart)."""

from __future__ import annotations

import shutil
from typing import Any

from bot.cli.common import Env, err, out, subcommand
from bot.kernel.enums import Period
from bot.texts import cli as texts

PERIODS = {"day": Period.TODAY, "today": Period.TODAY, "week": Period.WEEK, "month": Period.MONTH,
           "last-week": Period.WEEKLY, "last-month": Period.MONTHLY}


def register(sub: Any) -> None:
    s = subcommand(sub, "digest", cmd_digest, "figures for coordinators: text, Excel (--out) and a chart (--chart)")
    s.add_argument("--period", choices=list(PERIODS), default="week")
    s.add_argument("--group", help="a coordinator group, a class or a teaching point (default: everything)")
    s.add_argument("--out", help="write the Excel workbook here")
    s.add_argument("--chart", help="write the PNG chart here")


def cmd_digest(env: Env) -> int:
    digests, args = env.services.digests, env.args
    try:
        classes, scope = digests.scope_named(args.group)
    except ValueError as exc:
        err(str(exc))
        return 2
    digest = digests.build(PERIODS[args.period], classes, scope, env.now, chart=bool(args.chart),
                           workbook=bool(args.out))
    out(digest.text)
    if args.out and digest.workbook:
        shutil.copyfile(digest.workbook, args.out)
        out("\n" + texts.WRITTEN.format(path=args.out))
    if args.chart:
        if digest.chart:
            shutil.copyfile(digest.chart, args.chart)
            out(texts.WRITTEN.format(path=args.chart))
        else:
            out(texts.NO_CHART)
    return 0
