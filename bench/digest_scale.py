"""Digest figures at scale: 200 classes x 200 students x 60 notices (2.4M acknowledgement rows), aggregated in SQL.

Prints the time and the peak Python memory of computing one digest, on SQLite and (when reachable) PostgreSQL,
next to the time of one plain COUNT(*) over the ack table in the same database as a baseline.

    python bench/digest_scale.py [--classes 200] [--students 200] [--notices 60] [--pg postgresql://…]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bot.app import build_app  # noqa: E402
from bot.clock import VirtualClock  # noqa: E402
from bot.config import ClassGroup, load_config  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.gateways.fake import FakeGateway  # noqa: E402
from bot.kernel.enums import Period  # noqa: E402
from bot.models import Ack, Notice, NoticeMember, Room, RoomMember  # noqa: E402

START = datetime(2026, 9, 1, tzinfo=UTC)


def fill(db: Database, classes: int, students: int, notices: int) -> int:
    rng = random.Random(3)
    db.insert_ignore(Room, [{"room_id": f"r{c}", "topic": f"t{c}", "group_name": f"班{c:03d}", "updated_at": START}
                            for c in range(classes)])
    db.insert_ignore(RoomMember, [{"room_id": f"r{c}", "contact_id": f"c{c}-{s}", "alias": "", "active": True,
                                   "joined_at": START} for c in range(classes) for s in range(students)])
    notice_rows = [{"id": c * notices + n + 1, "group_name": f"班{c:03d}", "room_id": f"r{c}", "author_id": "t",
                    "author_name": "老师", "text": "通知", "needs_ack": True,
                    "created_at": START + timedelta(hours=10 * n), "deadline": START + timedelta(hours=10 * n + 48),
                    "is_fanout": False, "nudges_sent": 0, "summary_sent": True}
                   for c in range(classes) for n in range(notices)]
    # Who acknowledges what, decided first: the notices' counters and noticemember.acked are then written as the
    # notice service keeps them (the digest reads those, not the 2.3M rows).
    acked: dict[int, list[tuple[int, bool]]] = {}
    for row in notice_rows:
        got = []
        for s in range(students):
            if rng.random() < 0.93 + 0.05 * (s % 2):  # most students acknowledge, a few fall behind
                at = row["created_at"] + timedelta(hours=rng.random() * 60)
                got.append((s, at > row["deadline"]))
        acked[row["id"]] = got
        row["expected_count"] = students
        row["ack_count"] = len(got)
        row["late_count"] = sum(1 for _, late in got if late)
    db.insert_ignore(Notice, notice_rows)
    for start in range(0, len(notice_rows), 500):  # everyone was in the group when each notice was posted
        chunk = notice_rows[start:start + 500]
        db.insert_ignore(NoticeMember, [
            {"notice_id": row["id"], "contact_id": f"c{row['room_id'][1:]}-{s}", "acked": s in done}
            for row in chunk for done in [{k for k, _ in acked[row["id"]]}] for s in range(students)])
    total = 0
    batch: list[dict] = []
    for row in notice_rows:
        for s, late in acked[row["id"]]:
            batch.append({"notice_id": row["id"], "contact_id": f"c{row['room_id'][1:]}-{s}", "name": "",
                          "at": row["created_at"] + timedelta(hours=1), "late": late, "via": "reply",
                          "message_id": "", "text": ""})
        if len(batch) >= 100_000:
            db.insert_ignore(Ack, batch)
            total += len(batch)
            batch = []
    db.insert_ignore(Ack, batch)
    return total + len(batch)


def _empty_calendar() -> Path:
    path = Path(tempfile.mkdtemp(prefix="bench-digest-cal-")) / "calendar.yaml"
    path.write_text("events: []\n", encoding="utf-8")
    return path


def measure(name: str, db: Database, classes: int, students: int, notices: int) -> None:
    base = load_config(ROOT / "config.yaml")
    groups = [ClassGroup(name=f"班{c:03d}", topic=f"t{c}", point=base.teaching_points[c % 2]) for c in range(classes)]
    cfg = base.model_copy(update={"groups": base.groups.model_copy(update={"classes": groups, "coordinators": []}),
                                  "staff": [], "files": base.files.model_copy(update={
                                      "exports": str(Path(tempfile.mkdtemp(prefix="bench-digest-out-"))),
                                      "calendar": str(_empty_calendar())})})
    t0 = time.perf_counter()
    rows = fill(db, classes, students, notices)
    filled = time.perf_counter() - t0
    clock = VirtualClock(START + timedelta(days=31, hours=2))
    app = build_app(cfg, FakeGateway(clock), clock, db=db)
    with db.engine.begin() as conn:  # a live database is analysed by autovacuum; a fresh bulk load is not
        conn.execute(text("ANALYZE"))
    with db.engine.connect() as conn:
        t0 = time.perf_counter()
        conn.execute(text("SELECT COUNT(*) FROM ack")).scalar()
        count_s = time.perf_counter() - t0
    digests = app.services.digests
    names = [g.name for g in groups]
    t0 = time.perf_counter()
    figures = digests.figures(START, START + timedelta(days=31), names)
    one = time.perf_counter() - t0
    # The whole monthly digest, as a coordinator group gets it: this month's and last month's figures, the text,
    # the chart and the workbook. The first in a process also loads matplotlib; a running bot pays that once.
    when = START + timedelta(days=31, hours=2)
    whole = []
    for _ in range(2):
        t0 = time.perf_counter()
        digest = digests.build(Period.MONTHLY, names, "全部教学点", when, chart=True, workbook=True)
        whole.append(time.perf_counter() - t0)
    tracemalloc.start()
    digests.build(Period.MONTHLY, names, "全部教学点", when, chart=True, workbook=True)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    behind = sum(len(c.behind) for c in figures.classes.values())
    print(f"{name:10s}: {rows:,} ack rows (loaded in {filled:.0f} s); figures alone {one:.2f} s; the whole monthly "
          f"digest (figures x2, text, chart, workbook) {whole[1]:.2f} s ({whole[0]:.2f} s the first time in a "
          f"process), peak Python memory {peak / 2**20:.1f} MiB; rate {figures.rate:.1%}, {behind} students behind; "
          f"{len(digest.text)} characters; baseline COUNT(*) over ack: {count_s:.2f} s")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--classes", type=int, default=200)
    p.add_argument("--students", type=int, default=200)
    p.add_argument("--notices", type=int, default=60)
    p.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-digest-") as tmp:
        db = Database(f"sqlite:///{tmp}/digest.db")
        measure("SQLite", db, args.classes, args.students, args.notices)
        db.close()
    try:
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(args.pg, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        try:
            db = Database(f"{args.pg}?options=-csearch_path%3D{schema}")
            measure("PostgreSQL", db, args.classes, args.students, args.notices)
            db.close()
        finally:
            with psycopg.connect(args.pg, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")
    except Exception as exc:
        print(f"PostgreSQL: skipped ({exc})")


if __name__ == "__main__":
    main()
