"""`check`: validate config.yaml and the files it names."""

from __future__ import annotations

from typing import Any

from bot.cli.common import Env, files_ok, out, subcommand


def register(sub: Any) -> None:
    subcommand(sub, "check", cmd_check, "validate config.yaml and the files it names")


def cmd_check(env: Env) -> int:
    config = env.config
    if not files_ok(config):
        return 2
    out(f"{env.args.config}: OK — {len(config.groups.classes)} class groups, "
        f"{len(config.groups.coordinators)} coordinator groups, {len(config.staff)} staff, "
        f"teaching points {', '.join(config.teaching_points)}")
    return 0
