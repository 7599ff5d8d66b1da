"""Ack ingest through the real runtime: a burst of 收到 arriving together, from the gateway's event callback
through the journal, the dispatcher and storage (the Runner's event loop, worker threads, SQLite WAL file), until
every one is processed and credited. Printed beside the raw SQLite single-row-commit rate measured in the same
run on the same disk.

    python bench/ack_ingest.py [--members 500] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import build_app  # noqa: E402
from bot.clock import RealClock  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.gateways.base import Incoming, Member, RoomInfo  # noqa: E402
from bot.gateways.fake import FakeGateway, FakeRoom  # noqa: E402
from bot.runtime import Runner  # noqa: E402


def raw_rate(folder: Path, n: int) -> float:
    """Single-row INSERT + COMMIT per transaction, same pragmas as the bot (WAL, synchronous=NORMAL)."""
    conn = sqlite3.connect(folder / "raw.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, notice INTEGER, who TEXT, at TEXT, UNIQUE(notice, who))")
    start = time.perf_counter()
    for i in range(n):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (notice, who, at) VALUES (?, ?, ?)", (1, f"wxid_{i}", "2026-09-07 08:00:00"))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return n / elapsed


async def bot_rate(folder: Path, members: int, rounds: int) -> tuple[float, int, str]:
    config = load_config(ROOT / "config.yaml")
    empty = folder / "calendar.yaml"  # ack ingest alone: no calendar reminders in the way
    empty.write_text("events: []\n", encoding="utf-8")
    config = config.model_copy(update={
        "files": config.files.model_copy(update={"calendar": str(empty), "exports": str(folder / "x")}),
        "outbox": config.outbox.model_copy(update={"min_interval": timedelta(0), "jitter": timedelta(0)})})
    clock = RealClock()
    gateway = FakeGateway(clock)
    teacher = Member("wxid_wang", "王老师")
    students = [Member(f"wxid_{i:04d}", f"学生{i:04d}", f"学生{i:04d}") for i in range(members)]
    room = FakeRoom("r1@chatroom", "2024秋行政管理1班", {m.contact_id: m for m in [teacher, *students]})
    gateway.rooms_by_id[room.room_id] = room
    info = RoomInfo(room.room_id, room.topic)
    app = build_app(config, gateway, clock, db=Database(f"sqlite:///{folder / 'bot.db'}"))
    runner = Runner(app)
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(runner.idle.wait(), 120)
    assert gateway.events is not None
    on_message = gateway.events.on_message
    elapsed, count = 0.0, 0
    for r in range(rounds):
        await on_message(Incoming(f"n{r}", clock.now(), teacher, f"/通知 第{r + 1}条：周五前完成形考作业", info))
        while app.services.outbox.pending_count():  # noqa: ASYNC110  (the runner sends; wait for it)
            await asyncio.sleep(0.01)
        # WeChat stamps messages to the second, and the journal drops a second "收到" from the same person in the
        # same second as a redelivery: each round's burst is a minute later, as it would be.
        said = clock.now() + timedelta(minutes=r)
        burst = [Incoming(f"b{r}-{i}", said, m, "收到", info) for i, m in enumerate(students)]
        t0 = time.perf_counter()
        await asyncio.gather(*(on_message(m) for m in burst))  # all arriving together; each returns processed
        assert app.services.inbox.backlog() == 0
        elapsed += time.perf_counter() - t0
        count += len(burst)
    await on_message(Incoming("stats", clock.now(), teacher, "/统计", info))
    while app.services.outbox.pending_count():  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    runner.stop()
    await task
    return count / elapsed, count, gateway.sent[-1].text


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--members", type=int, default=500)
    p.add_argument("--rounds", type=int, default=3, help="notices, each acknowledged by every member at once")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ack-") as tmp:
        folder = Path(tmp)
        raw = raw_rate(folder, 5000)
        rate, count, stats = asyncio.run(bot_rate(folder, args.members, args.rounds))
    print(f"raw SQLite single-row commits        : {raw:10.0f} /s")
    print(f"ack ingest through the runtime, burst: {rate:10.0f} msg/s   ({count} messages, "
          f"{args.members} arriving together per notice)")
    print(f"ratio bot/raw                        : {rate / raw:10.2f}")
    print(f"/统计 afterwards                      : {stats}")


if __name__ == "__main__":
    main()
