"""The web console's pages at scale: 200 classes x 50 students x 20 notices in a month (200,000 expected
acknowledgements), 400 unanswered questions, the sample calendar. Each page is requested through the real app
(session cookie, CSRF, templates) several times; the median server time is printed next to a baseline measured
in the same run: the raw SQL the overview cannot do without (the EXPECTED and ACKS aggregates over the month).

    python bench/web_pages.py [--classes 200] [--students 50] [--notices 20] [--repeat 5]

Targets (issue 17): each page under 300 ms on the sample data; a 200-class overview under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bot.clock import VirtualClock  # noqa: E402
from bot.config import ClassGroup, load_config  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.digests.figures import ACKS, EXPECTED  # noqa: E402
from bot.models import (  # noqa: E402
    Ack,
    Contact,
    Delivery,
    Notice,
    NoticeMember,
    Question,
    Room,
    RoomMember,
    StaffBinding,
    Student,
)
from bot.services import build_services  # noqa: E402
from bot.web.app import create_app  # noqa: E402

START = datetime(2026, 9, 1, tzinfo=UTC)
MAJORS = [("行政管理", "城区", "2024秋"), ("会计学", "清苑", "2025春"), ("法学", "清苑", "2025春")]


def groups(classes: int) -> list[ClassGroup]:
    return [ClassGroup(name=f"班{c:03d}", topic=f"t{c}", point=MAJORS[c % 3][1], major=MAJORS[c % 3][0],
                       grade=MAJORS[c % 3][2], advisor=None) for c in range(classes)]


def fill(db: Database, classes: int, students: int, notices: int) -> int:
    rng = random.Random(5)
    db.insert_ignore(Room, [{"room_id": f"r{c}", "topic": f"t{c}", "group_name": f"班{c:03d}", "updated_at": START}
                            for c in range(classes)])
    db.insert_ignore(Contact, [{"contact_id": f"c{c}-{s}", "name": f"学生{c}-{s}", "updated_at": START}
                               for c in range(classes) for s in range(students)])
    db.insert_ignore(RoomMember, [{"room_id": f"r{c}", "contact_id": f"c{c}-{s}", "alias": "", "active": True,
                                   "joined_at": START} for c in range(classes) for s in range(students)])
    db.insert_ignore(Student, [{"student_no": f"2024{c:03d}{s:04d}", "name": f"学生{c}-{s}", "class_name": f"班{c:03d}",
                                "point": MAJORS[c % 3][1], "phone": "", "major": "", "grade": "",
                                "contact_id": f"c{c}-{s}" if s % 5 else None}
                               for c in range(classes) for s in range(students)])
    rows = [{"id": c * notices + n + 1, "group_name": f"班{c:03d}", "room_id": f"r{c}", "author_id": "t",
             "author_name": "老师", "text": f"请大家完成形考作业{n}", "needs_ack": True,
             "created_at": START + timedelta(hours=30 * n), "deadline": START + timedelta(hours=30 * n + 48),
             "is_fanout": False, "nudges_sent": 0, "summary_sent": True}
            for c in range(classes) for n in range(notices)]
    db.insert_ignore(Notice, rows)
    db.insert_ignore(NoticeMember, [{"notice_id": r["id"], "contact_id": f"c{r['room_id'][1:]}-{s}"}
                                    for r in rows for s in range(students)])
    acks = []
    for r in rows:
        for s in range(students):
            if rng.random() < 0.9:
                at = r["created_at"] + timedelta(hours=rng.random() * 60)
                acks.append({"notice_id": r["id"], "contact_id": f"c{r['room_id'][1:]}-{s}", "name": "", "at": at,
                             "late": at > r["deadline"], "via": "reply", "message_id": "", "text": "收到"})
    db.insert_ignore(Ack, acks)
    db.insert_ignore(Question, [{"group_name": f"班{q % classes:03d}", "contact_id": f"c{q % classes}-1",
                                 "name": "学生", "text": f"第{q}个问题怎么办？", "at": START + timedelta(hours=q),
                                 "answered_id": None, "in_private": False, "score": 0.1, "forwarded": True}
                                for q in range(400)])
    db.insert_ignore(Delivery, [{"key": f"rem:x{c}:{d}", "kind": "reminder", "group_name": f"班{c:03d}",
                                 "due_at": START + timedelta(days=d), "claimed_at": START + timedelta(days=d),
                                 "status": "sent", "detail": ""} for c in range(classes) for d in range(10)])
    db.insert_ignore(StaffBinding, [{"contact_id": "admin", "name": "陈校长", "role": "admin", "classes": [],
                                     "points": [], "source": "grant", "created_at": START}])
    return len(acks)


async def timed(client: httpx.AsyncClient, path: str, repeat: int) -> tuple[float, float, int]:
    """(median server ms from Server-Timing, median wall ms, status)."""
    server, wall, status = [], [], 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = await client.get(path)
        wall.append((time.perf_counter() - t0) * 1000)
        status = r.status_code
        m = re.search(r"dur=([\d.]+)", r.headers.get("server-timing", ""))
        server.append(float(m.group(1)) if m else wall[-1])
    return statistics.median(server), statistics.median(wall), status


async def run(args: argparse.Namespace) -> None:
    base = load_config(ROOT / "config.yaml")
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        files = base.files.model_copy(update={"exports": tmp, "calendar": str(ROOT / "data" / "calendar.yaml")})
        cfg = base.model_copy(update={"groups": base.groups.model_copy(update={"classes": groups(args.classes),
                                                                               "coordinators": []}),
                                      "staff": [], "files": files})
        db = Database(f"sqlite:///{tmp}/web.db")
        t0 = time.perf_counter()
        n = fill(db, args.classes, args.students, args.notices)
        print(f"data: {args.classes} classes x {args.students} students x {args.notices} notices, {n:,} acks "
              f"(loaded in {time.perf_counter() - t0:.0f} s), 400 unanswered questions, the sample calendar")
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        clock = VirtualClock(START + timedelta(days=29))
        services = build_services(cfg, db, clock)
        web = services.web
        person = services.people.person("admin", "")
        link = web.issue_link(person).rsplit("/", 1)[1]
        session = web.redeem(link).token
        app = create_app(services)
        cid = web.opaque("class", "班007")
        sid = web.opaque("student", "no:20240070003")
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=cfg.web.base_url,
                                     cookies={"bz_session": session}) as client:
            await client.get("/")  # warm: templates compiled, caches filled
            pages = ["/", "/?p=week", "/overview.xlsx", f"/c/{cid}", f"/c/{cid}/s/{sid}", "/n/141", "/questions",
                     "/faq", "/calendar", "/calendar?view=month&m=2026-09", "/imports", "/health"]
            print(f"{'page':36s} {'server ms':>10s} {'wall ms':>9s}")
            for path in pages:
                server, wall, status = await timed(client, path, args.repeat)
                print(f"{path:36s} {server:10.1f} {wall:9.1f}" + ("" if status == 200 else f"  (HTTP {status})"))
        start, end = START, START + timedelta(days=29)
        staff = sorted(services.people.not_members() | {"-"})
        names = [g.name for g in cfg.groups.classes]
        times = []
        for _ in range(args.repeat):
            with db.read() as s:
                conn = s.connection()
                t0 = time.perf_counter()
                conn.execute(EXPECTED, {"s": start, "e": end, "t": True, "f": False, "staff": staff, "groups": names}).all()
                conn.execute(ACKS, {"s": start, "e": end, "t": True, "f": False, "staff": staff, "groups": names}).all()
                times.append((time.perf_counter() - t0) * 1000)
        print(f"{'baseline: raw EXPECTED+ACKS SQL, 1 month':36s} {statistics.median(times):10.1f}")
        db.close()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--classes", type=int, default=200)
    p.add_argument("--students", type=int, default=50)
    p.add_argument("--notices", type=int, default=20)
    p.add_argument("--repeat", type=int, default=5)
    asyncio.run(run(p.parse_args()))


if __name__ == "__main__":
    main()
