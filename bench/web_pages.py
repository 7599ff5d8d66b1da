"""The web console's pages at scale: 200 classes x 50 students x 20 notices in a month (200,000 expected
acknowledgements), 400 unanswered questions, the sample calendar, and learning progress: a 形考 export (each
student's four assignments of their major's course, long layout) and a 网检 export imported through the real
importer. Each page is requested through the real app (session cookie, CSRF, templates) several times; the median
server time is printed next to baselines measured in the same run: the raw SQL the overview cannot do without (the
notices' acknowledgement counters over the trend's eight weeks and the month; the progress figures of every
class), and one class's latest progress values.

    python bench/web_pages.py [--classes 200] [--students 50] [--notices 20] [--repeat 5]

Targets (issue 17): each page under 300 ms on the sample data; a 200-class overview under 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from openpyxl import Workbook  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bot.audit import CLI  # noqa: E402
from bot.clock import VirtualClock  # noqa: E402
from bot.config import ClassGroup, load_config  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.digests.figures import COUNTS, NOTICE_LIST  # noqa: E402
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
# each major's course and its assignments in the sample calendar (data/calendar.yaml), as the platform names them
COURSES = [("行政管理学", "形考作业", 4), ("基础会计", "形考任务", 4), ("宪法学", "形考作业", 3)]
AS_OF = date(2026, 9, 28)


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
             "is_fanout": False, "nudges_sent": 0, "summary_sent": True, "expected_count": students}
            for c in range(classes) for n in range(notices)]
    acks, members = [], []
    for r in rows:  # the notices' counters, as the notice service keeps them
        for s in range(students):
            acked = rng.random() < 0.9
            members.append({"notice_id": r["id"], "contact_id": f"c{r['room_id'][1:]}-{s}", "acked": acked})
            if acked:
                at = r["created_at"] + timedelta(hours=rng.random() * 60)
                acks.append({"notice_id": r["id"], "contact_id": f"c{r['room_id'][1:]}-{s}", "name": "", "at": at,
                             "late": at > r["deadline"], "via": "reply", "message_id": "", "text": "收到"})
                r["ack_count"] = r.get("ack_count", 0) + 1
                r["late_count"] = r.get("late_count", 0) + int(at > r["deadline"])
    db.insert_ignore(Notice, rows)
    db.insert_ignore(NoticeMember, members)
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


def exports(folder: Path, classes: int, students: int) -> tuple[Path, Path]:
    """A long 形考 export (a row per student and assignment) and a 网检 CSV, for every student."""
    rng = random.Random(11)
    homework = folder / "形考-全市.xlsx"
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("形考")
    ws.append([f"2026秋 形考完成情况（截至{AS_OF.year}年{AS_OF.month}月{AS_OF.day}日）"])
    ws.append(["学号", "姓名", "班级", "课程名称", "形考任务", "完成情况", "成绩"])
    for c in range(classes):
        course, word, n = COURSES[c % 3]
        for s in range(students):
            for k in range(1, n + 1):
                done = rng.random() < (0.95 if k == 1 else 0.7)
                ws.append([f"2024{c:03d}{s:04d}", f"学生{c}-{s}", f"班{c:03d}", course, f"{word}{k}",
                           "已提交" if done else "未提交", rng.randint(60, 99) if done else None])
    wb.save(homework)
    online = folder / "网检-全市.csv"
    with online.open("w", newline="", encoding="utf-8-sig") as f:
        out = csv.writer(f)
        out.writerow([f"国开学习网 学习行为统计（统计日期：{AS_OF:%Y-%m-%d}）"])
        out.writerow(["学号", "学生姓名", "在线天数", "学习行为次数", "登录次数", "回帖数"])
        for c in range(classes):
            for s in range(students):
                days = 0 if rng.random() < 0.15 else rng.randint(1, 30)
                out.writerow([f"2024{c:03d}{s:04d}", f"学生{c}-{s}", days, days * rng.randint(5, 40),
                              days * 2, rng.randint(0, 3) if days else 0])
    return homework, online


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
        t0 = time.perf_counter()
        files = exports(Path(tmp), args.classes, args.students)
        written = time.perf_counter() - t0
        took = []
        for path in files:
            t0 = time.perf_counter()
            report = services.progress.import_file(path, actor=CLI)
            took.append(time.perf_counter() - t0)
            assert report.ok, report.refused or [str(e) for e in report.errors[:3]]
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        rows = sum(COURSES[c % 3][2] for c in range(args.classes)) * args.students
        print(f"progress: a 形考 export ({rows:,} rows, "
              f"written in {written:.0f} s) imported in {took[0]:.1f} s, a 网检 export "
              f"({args.classes * args.students:,} rows) in {took[1]:.1f} s, through Progress.import_file")
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
            pages = ["/", "/?p=week", "/?m=last", "/overview.xlsx", f"/c/{cid}", f"/c/{cid}?g=behind",
                     f"/c/{cid}/s/{sid}", "/n/141", "/questions", "/faq", "/calendar", "/calendar?view=month&m=2026-09",
                     "/imports", "/health"]
            print(f"{'page':36s} {'server ms':>10s} {'wall ms':>9s}")
            for path in pages:
                server, wall, status = await timed(client, path, args.repeat)
                print(f"{path:36s} {server:10.1f} {wall:9.1f}" + ("" if status == 200 else f"  (HTTP {status})"))
        start, end = START - timedelta(weeks=8), START + timedelta(days=29)
        names = [g.name for g in cfg.groups.classes]
        times = []
        for _ in range(args.repeat):
            with db.read() as s:
                conn = s.connection()
                t0 = time.perf_counter()
                params = {"s": start, "e": end, "t": True, "f": False, "groups": names}
                conn.execute(NOTICE_LIST, params).all()
                conn.execute(COUNTS, params).all()
                times.append((time.perf_counter() - t0) * 1000)
        print(f"{'baseline: raw notice counters, 8 wks':36s} {statistics.median(times):10.1f}")
        figures, state = [], []
        for _ in range(args.repeat):
            with db.read() as s:
                conn = s.connection()
                t0 = time.perf_counter()
                conn.execute(text("SELECT * FROM progressfigure")).all()
                figures.append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                conn.execute(text("SELECT * FROM progressstate WHERE class_name = :c"), {"c": "班007"}).all()
                state.append((time.perf_counter() - t0) * 1000)
        print(f"{'baseline: raw progressfigure, all':36s} {statistics.median(figures):10.1f}")
        print(f"{'baseline: raw progressstate, 1 class':36s} {statistics.median(state):10.1f}")
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
