"""`status`: is a bot process running, is WeChat connected, what was last received and sent, what waits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.cli.common import Env, out, subcommand
from bot.status import read


def register(sub: Any) -> None:
    subcommand(sub, "status", cmd_status, "bot process, connection, last message in and out, pending messages")


def cmd_status(env: Env) -> int:
    from bot.courier import throttle_note

    services = env.services
    tz = env.config.tz
    now = env.now

    def t(when: Any) -> str:
        return f"{when.astimezone(tz):%Y-%m-%d %H:%M:%S}" if when else "never"

    for account in services.accounts.names():
        report = read(services.db, now, account)
        pending = services.outbox.pending_count(account)
        who = f"WeChat account {account}" if account else "WeChat"
        state = report.state
        if state is None:
            line = f"{who}: never connected; pending messages: {pending}"
        elif not report.running:
            line = (f"{who} ({state.gateway}): no bot process is running (last heartbeat {t(state.heartbeat_at)}); "
                    f"pending messages: {pending}")
        else:
            how = "connected" if state.connected else "disconnected"
            line = f"{who} ({state.gateway}): {how} since {t(state.since)}; pending messages: {pending}"
        out(line)
        if state is not None:
            out(f"  last message received: {t(state.last_received_at)}; last sent: {t(state.last_sent_at)}")
        note = throttle_note(services.db, now, account)
        if note:
            out(f"  {note}")
    backlog = services.inbox.backlog()
    if backlog:
        out(f"incoming messages waiting to be processed: {backlog}")
    week = now - timedelta(days=7)
    undelivered, unreachable = services.outbox.undelivered_count(week), services.accounts.unreachable()
    if undelivered or unreachable:
        out(f"private messages not delivered in the last 7 days: {undelivered} (contacts the bot cannot write to "
            f"privately: {unreachable}; their fallbacks went to the group or the admins)")
    failed = services.outbox.failed_count(week) - undelivered
    if failed:
        out(f"messages given up on after retries in the last 7 days: {failed}")
    waiting = len(services.friends.pending())
    if waiting:
        out(f"friend requests waiting for an admin: {waiting} (/好友申请)")
    if not services.alerts.configured:
        out("alerts: no second channel configured (alerts.webhook_env or alerts.smtp): a logout is only logged")
    return 0
