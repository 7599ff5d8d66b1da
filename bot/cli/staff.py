"""`grant`, `revoke` and `staff list`: staff rights by one-time code, bound to a WeChat contact id."""

from __future__ import annotations

from typing import Any

from bot.audit import CLI
from bot.cli.common import Env, err, out, split_list, subcommand
from bot.kernel.durations import parse_duration
from bot.staff import GrantError
from bot.texts import cli as texts


def register(sub: Any) -> None:
    s = subcommand(sub, "grant", cmd_grant, "one-time code that binds a staff member by WeChat contact id")
    s.add_argument("role", choices=["teacher", "coordinator", "admin"])
    s.add_argument("--name", required=True)
    s.add_argument("--classes")
    s.add_argument("--points")
    s.add_argument("--ttl", default="24h")
    s = subcommand(sub, "revoke", cmd_revoke, "remove a staff member's rights")
    s.add_argument("--name", required=True)
    s = subcommand(sub, "staff", cmd_staff, "list staff bindings")
    s.add_argument("action", choices=["list"])


def cmd_grant(env: Env) -> int:
    args, services = env.args, env.services
    classes, points = split_list(args.classes), split_list(args.points)
    try:
        code = services.staff.grant(args.name, args.role, classes, points, parse_duration(args.ttl))
    except (GrantError, ValueError) as exc:
        err(str(exc))
        return 2
    services.audit.record(CLI, texts.CLI_PLACE, "grant", f"{args.name} as {args.role} {classes or points}")
    expires = code.expires_at.astimezone(env.config.tz)
    out(texts.GRANTED.format(code=code.code, name=args.name, expires=expires))
    return 0


def cmd_revoke(env: Env) -> int:
    services = env.services
    n = services.staff.revoke(env.args.name)
    services.audit.record(CLI, texts.CLI_PLACE, "revoke", env.args.name, "ok" if n else "not found")
    out(texts.REVOKED.format(name=env.args.name, n=n) if n else texts.NOT_BOUND.format(name=env.args.name))
    return 0 if n else 1


def cmd_staff(env: Env) -> int:
    for row in env.services.staff.list():
        scope = ",".join(row.classes or row.points) or "all"
        out(f"{row.name}\t{row.role}\t{scope}\t{row.source}\t{row.contact_id}")
    return 0
