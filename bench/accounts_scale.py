"""A city on several accounts, on the virtual clock: N class groups spread over K WeChat accounts (one bot each,
one shared database), M calendar events. Every bot is the real App (engine, delivery log, paced courier) on its own
fake gateway; only the first runs the timed jobs (the elected process), the others send what is queued for their
account.

Prints, per account, the groups it holds, messages sent, the busiest hour and the worst lateness; for the city, the
share sent at or before due, duplicates (must be 0) and messages sent by an account that does not hold the room
(must be 0). Baselines from the same run: the on-time share of a naive queue fed at each message's due time, per
account and for one account holding the whole city.

    python bench/accounts_scale.py [--groups 3000] [--accounts 4] [--events 30] [--days 30] [--db URL]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlmodel import select  # noqa: E402

from bench.reminders_scale import START, TZ, make_calendar, naive_on_time  # noqa: E402
from bot.app import App, build_app  # noqa: E402
from bot.calendar.planner import batches, due_items  # noqa: E402
from bot.clock import VirtualClock  # noqa: E402
from bot.config import Account, ClassGroup, load_config  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.gateways.base import Member  # noqa: E402
from bot.gateways.fake import FakeGateway, FakeRoom  # noqa: E402
from bot.handbook.service import IndexCache  # noqa: E402
from bot.models import Delivery, OutboxItem  # noqa: E402


async def run(groups: int, accounts: int, events: int, days: int, url: str | None) -> None:
    import logging

    logging.getLogger("banzhu").setLevel(logging.ERROR)  # each bot's room check names the other bots' groups
    base = load_config(ROOT / "config.yaml")
    with tempfile.TemporaryDirectory(prefix="bench-acc-") as tmp:
        folder = Path(tmp)
        cal = folder / "calendar.yaml"
        make_calendar(cal, events, days)
        points = [f"点{k + 1}" for k in range(accounts)]
        classes = [ClassGroup(name=f"班{i:04d}", topic=f"2026秋测试{i:04d}班", point=points[i % accounts])
                   for i in range(groups)]
        names = [f"账号{k + 1}" for k in range(accounts)]
        cfg = base.model_copy(update={
            "teaching_points": points,
            "groups": base.groups.model_copy(update={"classes": classes, "coordinators": []}),
            "gateway": base.gateway.model_copy(update={"accounts": [
                Account(name=n, token_env=f"T{k}", endpoint_env=f"E{k}", points=[points[k]])
                for k, n in enumerate(names)]}),
            "files": base.files.model_copy(update={"calendar": str(cal)}), "staff": []})
        db_url = url or f"sqlite:///{folder / 'bench.db'}"
        clock = VirtualClock(START)
        indexes = IndexCache()
        gateways = [FakeGateway(clock, cfg.gateway.bot_name) for _ in names]
        apps: list[App] = []
        for k, (name, gw) in enumerate(zip(names, gateways, strict=True)):
            app = build_app(cfg, gw, clock, db=Database(db_url), rng=random.Random(k), indexes=indexes, account=name)
            app.leader = k == 0  # one elected process runs the timed jobs
            apps.append(app)
        for i, c in enumerate(classes):
            gw = gateways[i % accounts]
            m = Member(f"wxid_{c.name}", f"学生{c.name}")
            gw.rooms_by_id[f"r{i:05d}@chatroom"] = FakeRoom(f"r{i:05d}@chatroom", c.topic, {m.contact_id: m})
        for app in apps:
            await app.start()
        t0 = time.perf_counter()
        plan = apps[0].services.calendar.plan(clock.now())
        planning = time.perf_counter() - t0
        items = sum(len(b.items) for b in plan)

        t0 = time.perf_counter()
        target = START + timedelta(days=days + 1)
        while True:
            wakes = [w for w in [await a.next_wake() for a in apps] if w is not None]
            wake = min(wakes, default=None)
            if wake is None or wake > target:
                break
            clock.set(wake)
            for a in apps:
                await a.run_due(clock.now())
        wall = time.perf_counter() - t0

        db = apps[0].db
        with db.tx() as s:
            due = {d.key: d.due_at for d in s.exec(select(Delivery).where(Delivery.kind == "reminder"))}
            statuses = Counter(d.status for d in s.exec(select(Delivery).where(Delivery.kind == "reminder")))
            sent = [o for o in s.exec(select(OutboxItem).where(OutboxItem.status == "sent"))
                    if o.dedupe_key and o.dedupe_key.startswith("batch:")]
            pending = len(s.exec(select(OutboxItem.id).where(OutboxItem.status != "sent")).all())
        batch_due = {f"batch:{b.items[0].key}": min(d.due for d in b.items) for b in plan}
        room_account = {rid: names[k] for k, gw in enumerate(gateways) for rid in gw.rooms_by_id}
        lateness = {o.id: (o.sent_at - batch_due.get(o.dedupe_key, due[o.dedupe_key[6:]])).total_seconds()
                    for o in sent}
        wrong = sum(1 for o in sent if room_account.get(o.room_id or "") != o.account)
        texts = Counter((s.message.room_id, s.message.text) for gw in gateways for s in gw.sent)
        duplicates = sum(n - 1 for n in texts.values() if n > 1)
        out = cfg.outbox
        gap, jitter = out.min_interval.total_seconds(), out.jitter.total_seconds()
        whole = batches(due_items(apps[0].services.calendar.events(), classes, START - timedelta(days=7),
                                  START + timedelta(days=45), cfg.quiet_hours, TZ), timedelta(0), cfg.quiet_hours, TZ)
        print(f"groups x accounts x events : {groups} x {accounts} x {events}  ({items} reminder deliveries, "
              f"{len(plan)} messages planned; {db_url.split(':', 1)[0]})")
        print(f"planning time              : {planning * 1000:.0f} ms")
        print(f"messages sent              : {len(sent)}  (delivery log: {dict(statuses)}; left unsent: {pending})")
        on_time = sum(x <= 0 for x in lateness.values()) / max(len(lateness), 1)
        print(f"sent at or before due      : {on_time:.1%}   (naive queue-at-due, one account for the city: "
              f"{naive_on_time(whole, gap, jitter):.1%})")
        print(f"duplicates                 : {duplicates}")
        print(f"sent by the wrong account  : {wrong}")
        for k, name in enumerate(names):
            mine = [o for o in sent if o.account == name]
            hours = Counter(o.sent_at.replace(minute=0, second=0, microsecond=0) for o in mine)
            own = [b for b in whole if cfg.account_of(b.group) == name]
            baseline = f"{naive_on_time(own, gap, jitter):.1%}" if own else "n/a"
            worst = max((lateness[o.id] for o in mine), default=0)
            print(f"  {name}: {len(gateways[k].rooms_by_id)} groups, {len(mine)} messages "
                  f"({len(gateways[k].sent)} through its gateway), busiest hour {max(hours.values(), default=0)}, "
                  f"on time {sum(lateness[o.id] <= 0 for o in mine) / max(len(mine), 1):.1%} "
                  f"(naive queue-at-due: {baseline}), worst lateness {worst:.0f} s")
        print(f"wall time of the run       : {wall:.0f} s  (pacing {gap:.0f}s + up to {jitter:.0f}s jitter per "
              "message, per account)")
        for a in apps:
            a.db.close()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--groups", type=int, default=3000)
    p.add_argument("--accounts", type=int, default=4)
    p.add_argument("--events", type=int, default=30)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--db", help="a database URL (default: a fresh SQLite file)")
    args = p.parse_args()
    asyncio.run(run(args.groups, args.accounts, args.events, args.days, args.db))


if __name__ == "__main__":
    main()
