"""`handbook import` (a .docx/.pdf/.md handbook to Markdown) and `handbook misses` (declined questions, replayed
against today's handbook, grouped by the section they were closest to)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.cli.common import Env, err, out, subcommand
from bot.kernel.durations import parse_duration
from bot.texts import cli as texts


def register(sub: Any) -> None:
    s = subcommand(sub, "handbook", cmd_handbook, "import a .docx/.pdf/.md handbook; list the questions it declined")
    hs = s.add_subparsers(dest="action", required=True)
    h = hs.add_parser("import", help="turn a .docx/.pdf/.md handbook into the Markdown the bot answers from")
    h.add_argument("file")
    h.add_argument("--out", help="where to write it (default: the configured handbook, files.handbook; a running "
                                 "bot then reloads it)")
    h.add_argument("--dry-run", action="store_true", help="check and report, write nothing")
    h = hs.add_parser("misses", help="declined questions, and what the bot would answer now")
    h.add_argument("--since", default="30d", help="how far back (default 30d)")
    h.add_argument("--out", help="also write them to this Excel file")


def cmd_handbook(env: Env) -> int:
    return _misses(env) if env.args.action == "misses" else _import(env)


def _import(env: Env) -> int:
    src = Path(env.args.file)
    if not src.exists():
        err(f"{src}: file not found")
        return 2
    report = env.services.handbook.import_file(src, dry_run=env.args.dry_run,
                                               out=Path(env.args.out) if env.args.out else None,
                                               shown=env.args.out or env.config.files.handbook)
    text = texts.handbook_import(report)
    if not report.ok:
        err(text)
        return 2
    out(text)
    return 0


def _misses(env: Env) -> int:
    from bot.handbook.misses import misses, misses_workbook

    services = env.services
    tz = env.config.tz
    rows = misses(services.handbook, services.db, env.now - parse_duration(env.args.since))
    for m in rows:
        now = texts.MISS_ANSWERED.format(unit=m.now_answers) if m.now_answers else \
            texts.MISS_DECLINED.format(reason=m.reason, nearest=m.nearest)
        out(f"{m.at.astimezone(tz):%m-%d %H:%M}\t{m.group}\t{m.text}\t{now}")
    fixed = sum(1 for m in rows if m.now_answers)
    out(texts.MISSES_TOTAL.format(n=len(rows), fixed=fixed))
    if env.args.out:
        out(texts.EXPORTED_TO.format(path=misses_workbook(rows, tz, Path(env.args.out))))
    return 0
