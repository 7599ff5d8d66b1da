"""`roster import` and `roster export`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from bot.cli.common import Env, err, out, subcommand
from bot.kernel.tables import TableError
from bot.texts import cli as texts


def register(sub: Any) -> None:
    s = subcommand(sub, "roster", cmd_roster, "import or export the class roster")
    rs = s.add_subparsers(dest="action", required=True)
    r = rs.add_parser("import")
    r.add_argument("file")
    r.add_argument("--dry-run", action="store_true")
    r = rs.add_parser("export")
    r.add_argument("--out", required=True)


def _progress(done: int, total: int) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    sys.stderr.write(texts.ROSTER_PROGRESS.format(bar="#" * filled + "." * (width - filled), done=done, total=total))
    if done == total:
        sys.stderr.write("\n")


def cmd_roster(env: Env) -> int:
    roster = env.services.roster
    if env.args.action == "export":
        out_path = Path(env.args.out)
        n = roster.export(out_path)
        out(texts.ROSTER_EXPORTED.format(n=n, path=out_path))
        return 0
    path = Path(env.args.file)
    try:
        report = roster.import_file(path, dry_run=env.args.dry_run, progress=_progress)
    except TableError as exc:
        err(str(exc))
        return 2
    text = texts.roster_import(path.name, env.args.dry_run, report.added, report.updated, report.unchanged,
                               [str(e) for e in report.errors], report.ok)
    if not report.ok:
        err(text)
        return 2
    out(text)
    return 0
