"""A little school for the progress tests: a roster, a calendar with linked deadlines, and export files written
the way platforms write them."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from bot.config import Config
from bot.models import Student

TZ = ZoneInfo("Asia/Shanghai")
NOV = datetime(2026, 11, 2, 8, 0, tzinfo=TZ)  # a Monday; 形考作业2 is due on Sunday 8 November 23:59

CALENDAR = """events:
  - {id: hw-admin-1, type: 作业, title: 行政管理学 形考作业1, deadline: "2026-10-11 23:59", targets: {majors: [行政管理]}, remind: [1h]}
  - {id: hw-admin-2, type: 作业, title: 行政管理学 形考作业2, deadline: "2026-11-08 23:59", targets: {majors: [行政管理]}, remind: [1h]}
  - {id: hw-admin-3, type: 作业, title: 行政管理学 形考作业3, deadline: "2026-11-29 23:59", targets: {majors: [行政管理]}, remind: [1h]}
"""
LIVE = """  - {id: live-admin, type: 直播, title: 行政管理学 直播课, start: "2026-11-03 19:30", weekly: true, until: "2026-11-24",
     targets: {majors: [行政管理]}, remind: [开始时]}
"""

# 行管1班: 张三, 李四 and 王五 are in the group (tests/conftest.py CLASS1); 赵六 is not. 行管2班 has another 张三.
STUDENTS = [
    ("2024110001", "张三", "行管1班", "13800000001"), ("2024110002", "李四", "行管1班", "13800000002"),
    ("2024110003", "王五", "行管1班", "13800000003"), ("2024110004", "赵六", "行管1班", "13800000004"),
    ("2024120001", "张三", "行管2班", "13800000011"), ("2024120002", "孙七", "行管2班", "13800000012"),
]


def with_calendar(config: Config, tmp_path: Path, extra: str = "", events: str = CALENDAR) -> Config:
    path = tmp_path / "progress-calendar.yaml"
    path.write_text(events + extra, encoding="utf-8")
    return config.model_copy(update={"files": config.files.model_copy(update={
        "calendar": str(path), "uploads": str(tmp_path / "uploads")})})


def add_roster(db: object) -> None:
    with db.tx() as s:  # type: ignore[attr-defined]
        for no, name, cls, phone in STUDENTS:
            s.add(Student(student_no=no, name=name, class_name=cls, point="城区", phone=phone, major="行政管理"))


def xlsx(path: Path, rows: list[list[object]], *, title: str | None = None, sheets: dict[str, list[list[object]]] | None
         = None) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "形考"
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(len(r) for r in rows))
    for r in rows:
        ws.append(r)
    for name, more in (sheets or {}).items():
        other = wb.create_sheet(name)
        for r in more:
            other.append(r)
    wb.save(path)
    return path


def csv_file(path: Path, rows: list[list[object]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        csv.writer(f).writerows(rows)
    return path


HOMEWORK = [["学号", "姓名", "形考作业1", "形考作业2"],
            ["2024110001", "张三", "85", "未提交"],
            ["2024110002", "李四", "90", "88"],
            ["2024110003", "王五", "未提交", "未提交"],
            ["2024110004", "赵六", "70", "76"],
            ["2024120001", "张三", "80", "未提交"],
            ["2024120002", "孙七", "75", "95"]]
HOMEWORK_TITLE = "2026秋 行政管理学 形考完成情况（截至2026年11月1日）"


def homework(tmp_path: Path, rows: list[list[object]] | None = None, name: str = "形考.xlsx") -> Path:
    return xlsx(tmp_path / name, rows or HOMEWORK, title=HOMEWORK_TITLE)


ONLINE = [["国开学习网 学习行为统计（统计日期：2026-11-01）"],
          ["学号", "学生姓名", "在线天数", "学习行为次数", "登录次数", "回帖数"],
          ["2024110001", "张三", "12", "300", "20", "2"],
          ["2024110002", "李四", "25", "800", "40", "5"],
          ["2024110003", "王五", "0", "0", "0", "0"],
          ["2024110004", "赵六", "4", "60", "6", "0"],
          ["2024120001", "张三", "15", "200", "18", "1"],
          ["2024120002", "孙七", "20", "500", "30", "0"]]
