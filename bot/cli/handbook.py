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
    h = hs.add_parser("import")
    h.add_argument("file")
    h.add_argument("--out", default="data/handbook.md")
    h = hs.add_parser("misses", help="declined questions, and what the bot would answer now")
    h.add_argument("--since", default="30d", help="how far back (default 30d)")
    h.add_argument("--out", help="also write them to this Excel file")


def cmd_handbook(env: Env) -> int:
    return _misses(env) if env.args.action == "misses" else _import(env)


def _import(env: Env) -> int:
    from bot.handbook.source import HandbookError, import_file, parse_markdown

    src = Path(env.args.file)
    try:
        text = import_file(src)
        book = parse_markdown(text, str(src))
    except (HandbookError, OSError) as exc:
        err(f"error: {exc}")
        return 2
    for w in book.warnings:
        err(f"warning: {w}")
    Path(env.args.out).write_text(text, encoding="utf-8")
    out(texts.HANDBOOK_IMPORTED.format(n=len(book.units), path=env.args.out))
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
