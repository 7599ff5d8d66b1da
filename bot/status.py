"""`python -m bot status`: is WeChat connected, since when, and how much is waiting to be sent."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from bot.models import Meta

if TYPE_CHECKING:
    from bot.app import App

KEY = "gateway_status"


def write_status(app: App, connected: bool) -> None:
    """Recorded by the running bot on every connect and disconnect."""
    now = app.clock.now()
    with app.db.tx() as s:
        row = s.get(Meta, KEY) or Meta(key=KEY, value="{}")
        row.value = json.dumps({"connected": connected, "since": now.isoformat(), "gateway": app.config.gateway.kind})
        s.add(row)


def read_status(app: App) -> str:
    with app.db.tx() as s:
        row = s.get(Meta, KEY)
    pending = app.outbox.pending_count()
    if row is None:
        return f"WeChat: never connected; pending messages: {pending}"
    data = json.loads(row.value)
    since = datetime.fromisoformat(data["since"]).astimezone(app.config.tz)
    state = "connected" if data["connected"] else "disconnected"
    line = f"WeChat ({data.get('gateway')}): {state} since {since:%Y-%m-%d %H:%M:%S}; pending messages: {pending}"
    note = app.outbox.throttle_note(app.clock.now())
    return f"{line}; {note}" if note else line
