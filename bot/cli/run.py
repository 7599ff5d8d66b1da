"""`run`: start the bot — on the console gateway (a local try-out) unless config or --gateway says wechaty."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta
from typing import Any

from bot.cli.common import Env, err, files_ok, subcommand
from bot.config import Config


def register(sub: Any) -> None:
    s = subcommand(sub, "run", cmd_run, "start the bot (console gateway unless config says wechaty)")
    s.add_argument("--gateway", choices=["console", "wechaty"])
    s.add_argument("--account", help="the WeChat account this process runs (gateway.accounts in config)")


def cmd_run(env: Env) -> int:
    config = env.config
    if not files_ok(config):
        return 2
    account = env.args.account or ""
    if config.gateway.accounts and not account:
        err(f"config.yaml, gateway.accounts: this city runs several accounts; start one per process with "
            f"--account NAME (one of: {', '.join(a.name for a in config.gateway.accounts)})")
        return 2
    if account:
        try:
            config.account(account)
        except ValueError as exc:
            err(f"config.yaml, gateway.accounts: {exc}")
            return 2
    return asyncio.run(_run(env, config, env.args.gateway or config.gateway.kind, account))


async def _run(env: Env, config: Config, kind: str, account: str) -> int:
    from bot.app import build_app
    from bot.locks import ProcessLock
    from bot.runtime import Runner

    clock = Env.clock_factory()
    db = Env.database_factory(config.effective_database_url())
    lock = ProcessLock(db, f"account:{account}")
    if not await asyncio.to_thread(lock.try_acquire):
        holder = await asyncio.to_thread(lock.holder)
        name = f"account {account!r}" if account else "this bot"
        err(f"error: {name} is already running ({holder}) on this database; a second process would knock the "
            f"first off WeChat. Stop that one first (or run another account with --account).")
        db.close()
        return 3
    if kind == "wechaty":
        from bot.gateways.wechaty import WechatyGateway

        gateway: Any = WechatyGateway.from_config(config, clock, account)
    else:
        from bot.gateways.console import ConsoleGateway
        from bot.world import default_rooms

        # A local try-out should answer quickly; WeChat pacing applies to the wechaty gateway.
        config = config.model_copy(update={"outbox": config.outbox.model_copy(
            update={"min_interval": timedelta(milliseconds=300), "jitter": timedelta(milliseconds=300)})})
        roster = env.services.roster
        if roster.count() == 0 and config.files.roster and config.path(config.files.roster).exists():
            report = roster.import_file(config.path(config.files.roster))
            for e in report.errors:
                err(f"{config.files.roster}: {e}")
        rooms = default_rooms(config, roster.students_of_all())
        env.close()
        gateway = ConsoleGateway(clock, config.gateway.bot_name, rooms, tz=config.tz)
    app = build_app(config, gateway, clock, db=db, account=account)
    runner = Runner(app, ProcessLock(db, "jobs"))
    web_task = None
    if config.web.enabled:  # the console in this process: its forms reach the courier at once
        from bot.web.server import server

        web = server(app.services, config.web.host, config.web.port, embedded=True)
        web_task = asyncio.create_task(web.serve())
    if kind != "wechaty":
        gateway.on_quit = lambda: runner.stop(drain=True)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, runner.stop)
        except NotImplementedError:  # pragma: no cover
            pass
    try:
        await runner.run()
    finally:
        if web_task is not None:
            web.should_exit = True
            await web_task
        lock.release()
    return 0
