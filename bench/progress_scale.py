"""Progress at city scale: importing a 50,000-row export, and building the city's 数据通报.

1. A long 形考 export of 50,000 rows (2,500 students x 20 assignments) is written as XLSX; openpyxl alone reads it
   (the baseline, in the same run), then `progress import` reads, checks and stores it. Aim: import <= 2x the read.
2. 200 classes x 200 students x 20 items (two monthly snapshots of 形考, one of 网检) are stored, and the monthly
   数据通报 (text, chart, workbook, stars) is built for the whole city. Aim: <= 3 s.

Time and peak Python memory are printed; nothing is asserted.

    python bench/progress_scale.py [--rows 50000] [--classes 200] [--students 200] [--items 20] [--pg URL]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from openpyxl import Workbook, load_workbook  # noqa: E402

from bot.audit import CLI  # noqa: E402
from bot.clock import VirtualClock  # noqa: E402
from bot.config import ClassGroup, Config, load_config  # noqa: E402
from bot.db import Database  # noqa: E402
from bot.models import Student  # noqa: E402
from bot.progress import store  # noqa: E402
from bot.progress.columns import Kind  # noqa: E402
from bot.progress.importer import NewValue  # noqa: E402
from bot.services import build_services  # noqa: E402

T = TypeVar("T")
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=TZ)


def city(classes: int, tmp: Path) -> Config:
    base = load_config(ROOT / "config.yaml")
    calendar = tmp / "calendar.yaml"
    calendar.write_text("events: []\n", encoding="utf-8")
    groups = [ClassGroup(name=f"班{c:03d}", topic=f"t{c}", point=f"教学点{c % 10}") for c in range(classes)]
    return base.model_copy(update={
        "teaching_points": [f"教学点{p}" for p in range(10)], "staff": [],
        "groups": base.groups.model_copy(update={"classes": groups, "coordinators": []}),
        "files": base.files.model_copy(update={"calendar": str(calendar), "exports": str(tmp / "exports")})})


def roster(db: Database, classes: int, students: int) -> None:
    rows = [{"student_no": f"2026{c:03d}{s:04d}", "name": f"学生{c}-{s}", "class_name": f"班{c:03d}",
             "point": f"教学点{c % 10}", "phone": "", "major": "", "grade": "", "contact_id": None}
            for c in range(classes) for s in range(students)]
    for i in range(0, len(rows), 20_000):
        db.insert_ignore(Student, rows[i:i + 20_000])


def export(path: Path, rows: int, items: int, rng: random.Random) -> None:
    """Long layout: 学号, 姓名, 班级, 课程名称, 形考任务, 完成情况, 成绩 — one row per student and assignment."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("形考")
    ws.append(["2026秋 形考完成情况（截至2026年11月30日）"])
    ws.append(["学号", "姓名", "班级", "课程名称", "形考任务", "完成情况", "成绩"])
    students = rows // items
    for i in range(students):
        c, s = divmod(i, 200)
        for k in range(items):
            done = rng.random() < 0.9
            ws.append([f"2026{c:03d}{s:04d}", f"学生{c}-{s}", f"班{c:03d}", f"课程{k // 4}", f"形考任务{k % 4 + 1}",
                       "已提交" if done else "未提交", rng.randint(60, 99) if done else None])
    wb.save(path)


def read_only(path: Path) -> int:
    wb = load_workbook(path, read_only=True, data_only=True)
    n = sum(1 for ws in wb.worksheets for _ in ws.iter_rows(values_only=True))
    wb.close()
    return n


def fill(db: Database, classes: int, students: int, items: int, rng: random.Random) -> int:
    """Two monthly 形考 snapshots and one 网检 snapshot, stored the way an import stores them."""
    total = 0
    for as_of, rate in ((date(2026, 10, 31), 0.8), (date(2026, 11, 30), 0.9)):
        values = [NewValue(f"2026{c:03d}{s:04d}", f"班{c:03d}", f"课程{k // 4}", f"形考任务{k % 4 + 1}",
                           done=rng.random() < rate) for c in range(classes) for s in range(students)
                  for k in range(items)]
        for i in range(0, len(values), 100_000):
            with db.tx() as session:
                store.store_values(session, values[i:i + 100_000], kind=Kind.HOMEWORK, as_of=as_of, import_id=1)
        total += len(values)
    online = [NewValue(f"2026{c:03d}{s:04d}", f"班{c:03d}", "", item, value=float(rng.randint(0, 30) * m))
              for c in range(classes) for s in range(students) for item, m in (("在线天数", 1), ("行为次数", 20))]
    with db.tx() as session:
        store.store_values(session, online, kind=Kind.ONLINE, as_of=date(2026, 11, 30), import_id=2)
    sizes = {f"班{c:03d}": students for c in range(classes)}
    points = {f"班{c:03d}": f"教学点{c % 10}" for c in range(classes)}
    names = list(sizes)
    with db.tx() as session:
        for kind, day in ((Kind.HOMEWORK, date(2026, 10, 31)), (Kind.HOMEWORK, date(2026, 11, 30)),
                          (Kind.ONLINE, date(2026, 11, 30))):
            for i in range(0, len(names), 50):
                store.recompute_figures(session, kind, names[i:i + 50], day, sizes, points)
    return total + len(online)


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    t0 = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - t0


def peak(fn: Callable[[], object]) -> float:
    """Peak Python memory (MiB) of a second run: tracemalloc slows Python down, so it never runs while timing."""
    tracemalloc.start()
    fn()
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top / 2**20


def run(name: str, url: str, args: argparse.Namespace, tmp: Path) -> None:
    rng = random.Random(7)
    cfg = city(args.classes, tmp)
    db = Database(url)
    try:
        services = build_services(cfg, db, VirtualClock(NOW))
        roster(db, args.classes, args.students)
        path = tmp / "export.xlsx"
        if not path.exists():
            export(path, args.rows, args.items, rng)
        rows, read_s = timed(lambda: read_only(path))
        report, import_s = timed(lambda: services.progress.import_file(path, actor=CLI))
        assert report.ok, report.refused or report.errors[:3]
        read_mb = peak(lambda: read_only(path))
        import_mb = peak(lambda: services.progress.import_file(path, actor=CLI))  # the same day again: replaces
        print(f"{name:10s}: import of {args.rows:,} rows ({path.stat().st_size / 2**20:.1f} MB XLSX): "
              f"{import_s:.2f} s, peak {import_mb:.0f} MiB; openpyxl alone reads it ({rows:,} rows) in {read_s:.2f} s, "
              f"peak {read_mb:.0f} MiB: x{import_s / read_s:.2f} (aim <= 2)")
        with db.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM progressvalue")
            conn.exec_driver_sql("DELETE FROM progressstate")
            conn.exec_driver_sql("DELETE FROM progressfigure")
        t0 = time.perf_counter()
        stored = fill(db, args.classes, args.students, args.items, rng)
        filled = time.perf_counter() - t0
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        classes = [g.name for g in cfg.groups.classes]
        def build() -> object:
            return services.progress.build_report(classes, "全市", date(2026, 11, 1), date(2026, 12, 1), chart=True,
                                                  workbook=True)

        built, cold_s = timed(build)  # the first in a process also imports matplotlib
        _, report_s = timed(build)
        report_mb = peak(build)
        stars = sum(len(v) for v in built.stars.values())  # type: ignore[attr-defined]
        print(f"{name:10s}: 数据通报 for {args.classes} classes x {args.students} students x {args.items} items "
              f"({stored:,} values stored in {filled:.0f} s): {report_s:.2f} s with chart and workbook "
              f"(first in the process {cold_s:.2f} s), peak {report_mb:.0f} MiB; {stars} stars (aim <= 3 s)")
    finally:
        db.close()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", type=int, default=50_000)
    p.add_argument("--classes", type=int, default=200)
    p.add_argument("--students", type=int, default=200)
    p.add_argument("--items", type=int, default=20)
    p.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-progress-") as tmp_name:
        tmp = Path(tmp_name)
        run("SQLite", f"sqlite:///{tmp}/progress.db", args, tmp)
        try:
            import psycopg

            schema = f"bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(args.pg, autocommit=True) as conn:
                conn.execute(f"CREATE SCHEMA {schema}")
            try:
                run("PostgreSQL", f"{args.pg}?options=-csearch_path%3D{schema}", args, tmp)
            finally:
                with psycopg.connect(args.pg, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA {schema} CASCADE")
        except Exception as exc:
            print(f"PostgreSQL: skipped ({exc})")


if __name__ == "__main__":
    main()
