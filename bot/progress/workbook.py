"""The 数据通报 as an Excel workbook: 教学点, 班级, 形考（课程）, 直播, 网检 and 学习之星 sheets, like the digests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook

from bot.exports import fill_sheet
from bot.models import Student
from bot.progress.report import Comparison, Figures


def _rows(items: list[Figures], prev: dict[str, Figures]) -> list[list[Any]]:
    out = []
    for f in sorted(items, key=lambda f: (f.point, -(f.homework.rate or -1), f.name)):
        p = prev.get(f.name)
        o = f.online
        out.append([f.name, f.point if f.point != f.name else "", f.homework.rate,
                    p.homework.rate if p else None, f.live_planned or None, f.live_average, f.live.rate,
                    p.live.rate if p else None, o.login_rate, p.online.login_rate if p else None, o.avg_days,
                    o.avg_actions, o.forum_rate])
    return out


HEADER = ["名称", "教学点", "形考完成率", "上月形考完成率", "安排的直播课程数", "参与的直播课程数（人均）", "直播参与率",
          "上月直播参与率", "上线学生比例", "上月上线比例", "生均在线天数", "生均在线行为次数", "论坛回帖率"]


def report_workbook(figures: Comparison, stars: dict[str, list[Student]], out: Path) -> Path:
    now, before, t = figures.now, figures.before, figures.targets
    wb = Workbook()
    wb.remove(wb.active)
    pct = (3, 4, 7, 8, 9, 10, 13)
    widths = (14, 10, 12, 14, 16, 20, 12, 14, 12, 12, 12, 16, 12)
    fill_sheet(wb.create_sheet("教学点"), [HEADER, *_rows(list(now.points().values()), before.points())],
               widths=widths, percent_columns=pct)
    fill_sheet(wb.create_sheet("班级"), [HEADER, *_rows(list(now.classes.values()), before.classes)],
               widths=widths, percent_columns=pct)
    courses: list[list[Any]] = [["班级", "教学点", "课程", "已完成", "应完成", "完成率"]]
    for f in sorted(now.classes.values(), key=lambda f: (f.point, f.name)):
        for c, r in sorted(f.courses.items()):
            courses.append([f.name, f.point, c, r.done, r.total, r.rate])
    fill_sheet(wb.create_sheet("形考（课程）"), courses, widths=(14, 10, 20, 10, 10, 10), percent_columns=(6,))
    targets: list[list[Any]] = [["指标", "目标（截至月底）"], ["形考完成率", t.homework], ["直播参与率", t.live],
                                ["上线学生比例", t.login_rate], ["生均在线天数", t.online_days],
                                ["生均在线行为次数", t.actions], ["论坛回帖率", t.forum_rate]]
    fill_sheet(wb.create_sheet("目标"), targets, widths=(18, 16))
    star_rows: list[list[Any]] = [["教学点", "名次", "姓名", "班级"]]
    for point, students in stars.items():
        star_rows += [[point, i, st.name, st.class_name] for i, st in enumerate(students, 1)]
    fill_sheet(wb.create_sheet("网上学习之星"), star_rows, widths=(12, 8, 12, 14))
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
