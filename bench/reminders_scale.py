"""Reminders at scale on the virtual clock: N class groups x M calendar events through the real engine
(planner, delivery log, paced outbox, fake gateway).

Prints planning time, the share of messages sent at or before their due time, the worst lateness, duplicates
(must be 0), and the same on-time share for a naive schedule that queues each message at its due time,
computed on the same plan with the same pacing.

    python bench/reminders_scale.py [--groups 1000] [--events 30] [--days 30]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlmodel import select  # noqa: E402

from bot.calendar.planner import batches, due_items  # noqa: E402
from bot.config import ClassGroup, load_config  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.models import Delivery, OutboxItem  # noqa: E402
from bot.simulation import Chat  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 9, 7, 7, 0, tzinfo=TZ)


def make_calendar(path: Path, events: int, days: int) -> None:
    rng = random.Random(5)
    lines = ["events:"]
    kinds = ["作业", "直播", "作业", "考试", "其他", "选课"]
    for i in range(events):
        kind = kinds[i % len(kinds)]
        day = START + timedelta(days=2 + rng.randrange(days - 4), hours=rng.choice([1, 3, 5, 11, 12, 13]))
        t = day.replace(minute=rng.choice([0, 30])).strftime("%Y-%m-%d %H:%M")
        if kind == "作业":
            lines.append(f"  - {{id: e{i}, type: 作业, title: 形考作业{i}, deadline: '{t}'}}")
        elif kind == "选课":
            opening = (day - timedelta(days=5)).strftime("%Y-%m-%d %H:%M")
            lines.append(f"  - {{id: e{i}, type: 选课, title: 选课{i}, start: '{opening}', deadline: '{t}'}}")
        else:
            lines.append(f"  - {{id: e{i}, type: {kind}, title: 活动{i}, start: '{t}'}}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def naive_on_time(plan, gap_min: float, jitter: float) -> float:
    """A paced queue fed at each message's due time (no lead): the share delivered by its due time."""
    rng = random.Random(1)
    items = sorted(plan, key=lambda b: b.due)
    free = items[0].due if items else START
    ok = 0
    for b in items:
        send = max(free, b.due)
        ok += send <= b.due
        free = send + timedelta(seconds=gap_min + jitter * rng.random())
    return ok / max(len(items), 1)


async def run(groups: int, events: int, days: int) -> None:
    base = load_config(ROOT / "config.yaml")
    with tempfile.TemporaryDirectory(prefix="bench-rem-") as tmp:
        folder = Path(tmp)
        cal = folder / "calendar.yaml"
        make_calendar(cal, events, days)
        classes = [ClassGroup(name=f"班{i:04d}", topic=f"2026秋测试{i:04d}班", point=base.teaching_points[i % 2])
                   for i in range(groups)]
        cfg = base.model_copy(update={
            "groups": base.groups.model_copy(update={"classes": classes, "coordinators": []}),
            "files": base.files.model_copy(update={"calendar": str(cal)}), "staff": []})
        chat = Chat(cfg, START, db=Database(f"sqlite:///{folder / 'bench.db'}"))
        for c in classes:
            chat.add_room(c.topic, [{"name": f"学生{c.name}", "id": f"wxid_{c.name}"}])
        await chat.start()
        for room in chat.gateway.rooms_by_id.values():
            await chat.app.room_changed(room.info())
        t0 = time.perf_counter()
        plan = chat.services.calendar.plan(chat.clock.now())
        planning = time.perf_counter() - t0
        items = sum(len(b.items) for b in plan)
        t0 = time.perf_counter()
        await chat.run_until(START + timedelta(days=days + 1))
        wall = time.perf_counter() - t0
        with chat.db.tx() as s:
            due = {d.key: d.due_at for d in s.exec(select(Delivery).where(Delivery.kind == "reminder"))}
            statuses = Counter(d.status for d in s.exec(select(Delivery).where(Delivery.kind == "reminder")))
            sent = [o for o in s.exec(select(OutboxItem).where(OutboxItem.status == "sent"))
                    if o.dedupe_key and o.dedupe_key.startswith("batch:")]
        batch_due = {f"batch:{b.items[0].key}": min(d.due for d in b.items) for b in plan}
        quiet_moved = {f"batch:{b.items[0].key}" for b in plan if any(d.due != d.planned for d in b.items)}
        lateness = [(o.sent_at - batch_due.get(o.dedupe_key, due[o.dedupe_key[6:]])).total_seconds() for o in sent]
        on_time = sum(x <= 0 for x in lateness) / max(len(lateness), 1)
        normal = [x for o, x in zip(sent, lateness, strict=True) if o.dedupe_key not in quiet_moved]
        moved = [x for o, x in zip(sent, lateness, strict=True) if o.dedupe_key in quiet_moved]
        texts = Counter((s.message.room_id, s.message.text) for s in chat.gateway.sent)
        duplicates = sum(n - 1 for n in texts.values() if n > 1)
        out = cfg.outbox
        naive = naive_on_time(batches(due_items(chat.services.calendar.events(), classes, START - timedelta(days=7),
                                                START + timedelta(days=45), cfg.quiet_hours, TZ),
                                      timedelta(0), cfg.quiet_hours, TZ),
                              out.min_interval.total_seconds(), out.jitter.total_seconds())
        chat.close()
    print(f"groups x events            : {groups} x {events}  ({items} reminder deliveries, {len(plan)} messages planned)")
    print(f"planning time              : {planning * 1000:.0f} ms")
    print(f"messages sent              : {len(sent)}  (delivery log: {dict(statuses)})")
    print(f"sent at or before due      : {on_time:.1%}   (naive queue-at-due baseline: {naive:.1%})")
    print(f"  due outside quiet hours  : {sum(x <= 0 for x in normal) / max(len(normal), 1):.1%} of {len(normal)}, "
          f"worst {max(normal, default=0):.0f} s")
    print(f"  postponed to quiet end   : {sum(x <= 0 for x in moved) / max(len(moved), 1):.1%} of {len(moved)}, "
          f"worst {max(moved, default=0):.0f} s")
    print(f"worst lateness             : {max(lateness, default=0):.0f} s   (negative = early)")
    print(f"earliest before due        : {-min(lateness, default=0) / 60:.0f} min  (a fan-out that does not fit "
          "after quiet hours starts the evening before)")
    print(f"duplicates                 : {duplicates}")
    print(f"wall time of the run       : {wall:.0f} s  (pacing {out.min_interval.total_seconds():.0f}s "
          f"+ up to {out.jitter.total_seconds():.0f}s jitter per message)")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--groups", type=int, default=1000)
    p.add_argument("--events", type=int, default=30)
    p.add_argument("--days", type=int, default=30)
    args = p.parse_args()
    asyncio.run(run(args.groups, args.events, args.days))


if __name__ == "__main__":
    main()
