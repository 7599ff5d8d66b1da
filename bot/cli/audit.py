"""`audit` (print the audit log) and `forget` (delete a student's personal data)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.audit import CLI
from bot.cli.common import Env, err, out, subcommand
from bot.texts import cli as texts


def register(sub: Any) -> None:
    s = subcommand(sub, "audit", cmd_audit, "print the audit log")
    s.add_argument("--since", help="e.g. 2026-09-01 or 2026-09-01T08:00")
    s = subcommand(sub, "forget", cmd_forget, "delete a student's personal data")
    s.add_argument("student_no")


def cmd_audit(env: Env) -> int:
    tz = env.config.tz
    since = None
    if env.args.since:
        try:
            since = datetime.fromisoformat(env.args.since)
        except ValueError:
            err(f"--since {env.args.since!r}: not a date (use 2026-09-01 or 2026-09-01T08:00)")
            return 2
        since = since if since.tzinfo else since.replace(tzinfo=tz)
    for r in env.services.audit.since(since):
        out(f"{r.at.astimezone(tz):%Y-%m-%d %H:%M:%S}\t{r.actor_name}({r.actor_id})\t{r.where}\t{r.action}\t"
            f"{r.detail}\t{r.result}")
    return 0


def cmd_forget(env: Env) -> int:
    services = env.services
    no = env.args.student_no
    student = services.roster.student(no)
    contact_id = student.contact_id if student else None
    progress = services.progress.forget(no)
    files = services.collections.forget(no, contact_id)
    ok = services.roster.forget(no)
    services.audit.redact(no, contact_id)
    services.audit.record(CLI, texts.CLI_PLACE, "forget", "student", "ok" if ok or progress or files else "not found")
    ok = ok or bool(progress) or bool(files)
    out(texts.FORGOTTEN if ok else texts.NO_SUCH_STUDENT)
    return 0 if ok else 1
