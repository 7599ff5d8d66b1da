"""`simulate`: run a scripted chat on a virtual clock (README "模拟脚本")."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from bot.cli.common import Env, err, subcommand


def register(sub: Any) -> None:
    s = subcommand(sub, "simulate", cmd_simulate, "run a scripted chat on a virtual clock")
    s.add_argument("script")
    s.add_argument("--json", action="store_true", help="one JSON object per message")
    s.add_argument("--db", help="database URL (default: a temporary SQLite file)")


def cmd_simulate(env: Env) -> int:
    from bot.simulate import run_script

    args = env.args
    failures = asyncio.run(run_script(args.script, env.config, sys.stdout, as_json=args.json, db_url=args.db))
    for f in failures:
        err(f"{args.script}, line {f.line}: {f.message}")
    return 1 if failures else 0
