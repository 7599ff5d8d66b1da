"""The real-time runner: APScheduler is the alarm clock that wakes the engine at the next due time.

No real sleeps: the engine runs on a virtual clock, and APScheduler's own idea of now is moved with it
(time-machine), so the real APScheduler computes, arms and fires the alarm.
"""

import asyncio
from datetime import timedelta

import time_machine

from bot.app import build_app
from bot.clock import VirtualClock
from bot.gateways.fake import FakeGateway
from bot.runtime import Runner
from tests.conftest import START


async def cycle(runner: Runner) -> None:
    """Let the engine finish what it was woken for."""
    runner.idle.clear()
    await asyncio.wait_for(runner.idle.wait(), timeout=30)


async def test_apscheduler_wakes_the_engine_for_a_future_send(config, sqlite_db, indexes):
    with time_machine.travel(START, tick=False) as wall:
        clock = VirtualClock(START)
        gateway = FakeGateway(clock)
        app = build_app(config, gateway, clock, db=sqlite_db, indexes=indexes)
        runner = Runner(app)
        task = asyncio.create_task(runner.run())
        await asyncio.wait_for(runner.idle.wait(), timeout=60)  # started, idle: nothing is due
        due = START + timedelta(minutes=15)  # before the weekly digest at 08:30
        app.services.outbox.enqueue(text="到点发送", contact_id="wxid_x", not_before=due)
        await cycle(runner)  # queueing kicked the engine: it re-armed the alarm for `due`
        assert runner.armed_for == due and runner.scheduler.get_job("wake").next_run_time == due
        assert gateway.sent == []
        clock.set(due - timedelta(seconds=1))
        wall.move_to(due - timedelta(seconds=1))
        runner.scheduler.wakeup()  # APScheduler looks: not yet due
        await asyncio.sleep(0)
        assert gateway.sent == []
        clock.set(due)
        wall.move_to(due)
        runner.scheduler.wakeup()  # now it is: the alarm fires and the engine sends
        await cycle(runner)
        if not gateway.sent:  # that cycle was the heartbeat's (woken at due - 1 s, still running): the alarm's is next
            await cycle(runner)
        [sent] = gateway.sent
        assert sent.text == "到点发送" and sent.time == due
        assert runner.scheduler.get_job("heartbeat") is not None
        runner.stop()
        await asyncio.wait_for(task, timeout=30)


async def test_a_message_is_answered_while_a_long_digest_is_built(config, sqlite_db, indexes, monkeypatch):
    """The event loop never waits on a job: a 5-second digest runs in its own thread while a student's question
    is journaled, processed and answered."""
    import threading

    clock = VirtualClock(START)
    gateway = FakeGateway(clock)
    app = build_app(config, gateway, clock, db=sqlite_db, indexes=indexes)
    building, release = threading.Event(), threading.Event()

    def slow_build(*args, **kwargs):
        building.set()
        release.wait(timeout=5)  # a digest over millions of rows takes seconds
        raise AssertionError("not reached in this test")

    monkeypatch.setattr(app.services.digests, "run_due", slow_build)
    from bot.gateways.base import Incoming, Member, RoomInfo

    room = RoomInfo("r1@chatroom", "2024秋行政管理1班", (Member("wxid_wang", "王老师"), Member("wxid_zs", "张三")))
    gateway.rooms_by_id["r1@chatroom"] = __import__("bot.gateways.fake", fromlist=["FakeRoom"]).FakeRoom(
        room.room_id, room.topic, {m.contact_id: m for m in room.members})
    await app.start()
    jobs = asyncio.create_task(app.run_due(START.replace(hour=20)))  # the daily digest's time
    await asyncio.to_thread(building.wait, 5)
    msg = Incoming("q1", clock.now(), Member("wxid_zs", "张三"), "忘记密码怎么办？", RoomInfo(room.room_id, room.topic))
    await asyncio.wait_for(app.receive(msg), timeout=5)
    await asyncio.wait_for(app.drain(clock.now()), timeout=5)
    [answer] = gateway.sent
    assert "忘记密码" in answer.text and building.is_set() and not jobs.done()  # the digest is still being built
    release.set()
    await jobs
    await app.stop()


def _class_room(gateway: FakeGateway):
    from bot.gateways.base import Member, RoomInfo
    from bot.gateways.fake import FakeRoom

    members = [Member("wxid_wang", "王老师"), Member("wxid_zs", "张三"), Member("wxid_ls", "李四")]
    gateway.rooms_by_id["r1@chatroom"] = FakeRoom("r1@chatroom", "2024秋行政管理1班", {m.contact_id: m for m in members})
    return RoomInfo("r1@chatroom", "2024秋行政管理1班")


async def test_messages_are_processed_in_the_order_they_were_announced(config, sqlite_db, indexes, monkeypatch):
    """Announcements are journaled in worker threads, and the journal's order is the order of processing: a slow
    first write (a busy disk) must not let the /统计 sent after a 收到 overtake it (found on the real puppet)."""
    import time

    clock = VirtualClock(START)
    gateway = FakeGateway(clock)
    app = build_app(config, gateway, clock, db=sqlite_db, indexes=indexes)
    inbox = app.services.inbox
    real = inbox.arrived

    def slow_first(ids: list[str]) -> None:
        if "m1" in ids:
            time.sleep(0.3)
        real(ids)

    monkeypatch.setattr(inbox, "arrived", slow_first)
    await asyncio.gather(*(app.arrival(f"m{i}") for i in range(1, 5)))
    assert inbox.arrivals() == ["m1", "m2", "m3", "m4"]


async def test_a_message_announced_before_a_crash_is_read_after_the_restart(config, sqlite_db, indexes):
    """The process dies after WeChat announced a 收到 and before it was read: the next start reads it from the
    puppet service (which keeps recent messages) and counts it, once."""
    from bot.gateways.base import Incoming, Member

    clock = VirtualClock(START)
    gateway = FakeGateway(clock)
    room = _class_room(gateway)
    app = build_app(config, gateway, clock, db=sqlite_db, indexes=indexes)
    await app.start()
    await app.receive(Incoming("n1", clock.now(), Member("wxid_wang", "王老师"), "/通知 周五前交表", room))
    await gateway.announce(Incoming("a1", clock.now(), Member("wxid_zs", "张三"), "收到", room))
    assert app.services.inbox.arrivals() == ["a1"]
    # A crash: no stop, nothing else runs. The next process, on the same database and the same puppet service:
    again = FakeGateway(clock)
    _class_room(again)
    again.held = gateway.held
    app2 = build_app(config, again, clock, db=sqlite_db, indexes=indexes)
    await app2.start()
    notice = app2.services.notices.latest("行管1班")
    assert notice is not None
    assert list(app2.services.notices.status(notice).acked) == ["wxid_zs"]
    assert app2.services.inbox.arrivals() == []
    await app2.recover_arrivals()  # a second connection finds nothing left to read
    assert list(app2.services.notices.status(notice).acked) == ["wxid_zs"]
