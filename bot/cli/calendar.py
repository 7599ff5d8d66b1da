"""`calendar import` (a live timetable CSV/XLSX or an ICS file) and `reload` (the running bot re-plans)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.cli.common import Env, err, files_ok, out, subcommand
from bot.texts import cli as texts


def register(sub: Any) -> None:
    s = subcommand(sub, "calendar", cmd_calendar, "import a live timetable (CSV/XLSX) or an ICS file")
    cs = s.add_subparsers(dest="action", required=True)
    c = cs.add_parser("import")
    c.add_argument("file")
    c.add_argument("--dry-run", action="store_true")
    subcommand(sub, "reload", cmd_reload, "make the running bot re-read the calendar")


def cmd_calendar(env: Env) -> int:
    path = Path(env.args.file)
    if not path.exists():
        err(f"{path}: file not found")
        return 2
    report = env.services.calendar.import_file(path, dry_run=env.args.dry_run)
    text = texts.calendar_import(path.name, env.args.dry_run, report.added, report.changed, report.unchanged,
                                 report.errors)
    if report.errors and not (report.added or report.changed or report.unchanged):
        err(text)
        return 2
    out(text)  # the good rows are imported; the bad ones are listed in the report
    return 1 if report.errors else 0


def cmd_reload(env: Env) -> int:
    if not files_ok(env.config):
        err("not reloaded: fix the files first")
        return 2
    env.services.calendar.bump_revision()
    out(texts.RELOADED)
    return 0
