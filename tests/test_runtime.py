"""The real-time runner: APScheduler's date trigger is the alarm clock that wakes the engine at the next due time."""

import asyncio
from datetime import timedelta

from bot.app import build_app
from bot.clock import RealClock
from bot.gateways.fake import FakeGateway
from bot.runtime import HEARTBEAT, Runner


async def test_apscheduler_wakes_the_engine_for_a_future_send(config, sqlite_db):
    clock = RealClock()
    gateway = FakeGateway(clock)
    app = build_app(config, gateway, clock, db=sqlite_db)
    runner = Runner(app)
    task = asyncio.create_task(runner.run())
    await asyncio.sleep(0.3)  # started, idle: nothing is due
    due = clock.now() + timedelta(seconds=1.2)
    app.outbox.enqueue(text="到点发送", contact_id="wxid_x", not_before=due)
    runner.kick()  # something changed: the runner re-arms its alarm for `due`
    await asyncio.sleep(2.5)
    assert HEARTBEAT > timedelta(seconds=10)  # so only the date-trigger alarm can have woken it in time
    [sent] = gateway.sent
    assert sent.text == "到点发送" and timedelta(0) <= sent.time - due < timedelta(seconds=1)
    assert runner.scheduler.get_job("heartbeat") is not None
    runner.stop()
    await asyncio.wait_for(task, timeout=5)
