"""`web`: serve the web console (后台) on the configured database, without running the bot."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.cli.common import Env, out, subcommand


def register(sub: Any) -> None:
    s = subcommand(sub, "web", cmd_web, "serve the web console (后台); staff log in with /后台 sent to the bot")
    s.add_argument("--host", help="address to listen on (default: web.host, 127.0.0.1)")
    s.add_argument("--port", type=int, help="port (default: web.port, 8080)")


def cmd_web(env: Env) -> int:
    from bot.web.server import server

    cfg = env.config.web
    host, port = env.args.host or cfg.host, env.args.port or cfg.port
    out(f"web console on http://{host}:{port} (links sent by /后台 start with {cfg.base_url})")
    asyncio.run(server(env.services, host, port).serve())
    return 0
