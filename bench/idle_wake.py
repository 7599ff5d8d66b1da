"""What one wake of the engine costs when nothing is due, at the size of a city: N class groups with members,
M open notices with deadlines, the term's calendar planned for every group, a coordinator group.

A wake is what the runtime (bot/runtime.py Runner.run) does after every incoming message and every alarm:
process the journal (nothing waits), run what is due (nothing, here) and ask when the next thing is due. Printed beside a baseline measured in the same run: one
trivial indexed query on the same database.

    python bench/idle_wake.py [--groups 1000] [--notices 300] [--events 30] [--wakes 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.reminders_scale import make_calendar  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.clock import VirtualClock  # noqa: E402
from bot.config import ClassGroup, CoordinatorGroup, load_config  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.gateways.base import Member, RoomInfo  # noqa: E402
from bot.gateways.fake import FakeGateway, FakeRoom  # noqa: E402
from bot.models import Notice, NoticeMember  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 9, 7, 7, 0, tzinfo=TZ)


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--groups", type=int, default=1000)
    p.add_argument("--notices", type=int, default=300)
    p.add_argument("--events", type=int, default=30)
    p.add_argument("--members", type=int, default=20)
    p.add_argument("--wakes", type=int, default=200)
    args = p.parse_args()
    base = load_config(ROOT / "config.yaml")
    with tempfile.TemporaryDirectory(prefix="bench-wake-") as tmp:
        folder = Path(tmp)
        cal = folder / "calendar.yaml"
        make_calendar(cal, args.events, 30)
        classes = [ClassGroup(name=f"班{i:04d}", topic=f"2026秋测试{i:04d}班", point=base.teaching_points[i % 2])
                   for i in range(args.groups)]
        coord = [CoordinatorGroup(name="负责人群", topic="负责人群")]
        cfg = base.model_copy(update={
            "groups": base.groups.model_copy(update={"classes": classes, "coordinators": coord}),
            "files": base.files.model_copy(update={"calendar": str(cal), "exports": str(folder / "x")}),
            "staff": []})
        db = Database(f"sqlite:///{folder / 'wake.db'}")
        clock = VirtualClock(START)
        gateway = FakeGateway(clock)
        for i, c in enumerate(classes):
            gateway.rooms_by_id[f"r{i}"] = FakeRoom(f"r{i}", c.topic, {
                f"m{i}-{k}": Member(f"m{i}-{k}", f"学生{k}") for k in range(args.members)})
        gateway.rooms_by_id["coord"] = FakeRoom("coord", "负责人群")
        app = build_app(cfg, gateway, clock, db=db)
        await app.start()
        for r in gateway.rooms_by_id.values():
            app._room_changed(RoomInfo(r.room_id, r.topic, tuple(r.members.values())))
        with db.tx() as s:  # open notices with deadlines spread over the next two weeks
            for n in range(args.notices):
                c = n % args.groups
                notice = Notice(group_name=classes[c].name, room_id=f"r{c}", author_id="t", author_name="老师",
                                text=f"通知{n}", created_at=START, deadline=START + timedelta(hours=30 + n % 300))
                s.add(notice)
                s.flush()
                assert notice.id is not None
                s.add_all(NoticeMember(notice_id=notice.id, contact_id=f"m{c}-{k}") for k in range(args.members))
        t0 = time.perf_counter()
        first = await app.next_wake()
        plan_s = time.perf_counter() - t0
        clock.set(START + timedelta(minutes=1))
        timings = []
        for _ in range(args.wakes):  # nothing is due between 07:01 and the first reminder
            t0 = time.perf_counter()  # what Runner.run does per wake: the journal, the due work, the next alarm
            await app.process()
            await app.run_due(clock.now())
            await app.next_wake()
            timings.append((time.perf_counter() - t0) * 1000)
        base_t = []
        from sqlalchemy import text

        for _ in range(args.wakes):
            t0 = time.perf_counter()
            with db.read() as s:
                s.connection().execute(text("SELECT id FROM outboxitem WHERE status = 'pending' LIMIT 1")).all()
            base_t.append((time.perf_counter() - t0) * 1000)
        await app.stop()
    print(f"{args.groups} groups, {args.notices} open notices, {args.events} events planned for every group; "
          f"first wake (planning) {plan_s:.2f} s, next due {first:%m-%d %H:%M}")
    print(f"idle wake: median {statistics.median(timings):.2f} ms, p95 {sorted(timings)[int(len(timings) * .95)]:.2f} ms"
          f"   (baseline, one indexed query: median {statistics.median(base_t):.2f} ms)")
    print("target (#16): an idle wake <= 2 ms at 1,000 groups and 300 open notices")


if __name__ == "__main__":
    asyncio.run(main())
