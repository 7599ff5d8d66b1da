"""Ack-ingest throughput: 收到 messages per second through the full router and storage path (SQLite file),
next to the raw SQLite single-row-commit rate measured in the same run on the same disk.

    python bench/ack_ingest.py [--members 500] [--rounds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.config import load_config
from bot.db import Database
from bot.gateways.base import Incoming
from bot.simulation import Chat

ROOT = Path(__file__).resolve().parent.parent


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
    config = config.model_copy(update={"files": config.files.model_copy(update={"calendar": str(empty)})})
    start = datetime(2026, 9, 7, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    db = Database(f"sqlite:///{folder / 'bot.db'}")
    chat = Chat(config, start, db=db)
    people = [{"name": "王老师", "id": "wxid_wang", "role": "teacher"}]
    people += [{"name": f"学生{i:04d}", "id": f"wxid_{i:04d}", "alias": f"学生{i:04d}"} for i in range(members)]
    chat.add_room("2024秋行政管理1班", people)
    room = chat.room("行管1班")
    await chat.start()
    await chat.app.room_changed(room.info())  # as the gateway does at login: the member list is known
    students = [m for m in room.members.values() if m.contact_id != "wxid_wang"]
    elapsed = 0.0
    count = 0
    for r in range(rounds):
        # Each round: a new notice, then every member says 收到 once within a minute: every message is a write.
        await chat.say("王老师", "行管1班", f"/通知 第{r + 1}条：周五前完成形考作业{r + 1}")
        base = chat.clock.now()
        msgs = [Incoming(f"bench-{r}-{i}", base + timedelta(milliseconds=100 * i), who, "收到", room.info())
                for i, who in enumerate(students)]
        t0 = time.perf_counter()
        for m in msgs:
            await chat.app.receive(m)
        elapsed += time.perf_counter() - t0
        count += len(msgs)
        await chat.advance("1h")
    [reply] = await chat.say("王老师", "行管1班", "/统计")
    chat.close()
    return count / elapsed, count, reply.text


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--members", type=int, default=500)
    p.add_argument("--rounds", type=int, default=4, help="notices, each acknowledged by every member")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(dir=ROOT / "data", prefix="bench-") as tmp:
        folder = Path(tmp)
        raw = raw_rate(folder, 5000)
        rate, count, stats = asyncio.run(bot_rate(folder, args.members, args.rounds))
    print(f"raw SQLite single-row commits : {raw:10.0f} /s")
    print(f"ack ingest (router + storage) : {rate:10.0f} msg/s   ({count} messages, {args.members} members)")
    print(f"ratio bot/raw                 : {rate / raw:10.2f}   (target >= 0.25)")
    print(f"/统计 afterwards               : {stats}")


if __name__ == "__main__":
    main()
