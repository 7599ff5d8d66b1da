"""Generate the sample platform exports in data/progress/ from the sample roster (data/roster.csv).

Each kind of file 班助 imports, in the shapes real exports come in: wide (a column per assignment) and long (a row
per student and course), XLSX with a title merged over the first row and several sheets, a course band merged over
its assignment columns, CSV in UTF-8 with BOM and in GBK, and a 腾讯会议 attendance list. Deterministic (seeded):

    python bench/make_progress_samples.py [--out data/progress]
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

ROOT = Path(__file__).resolve().parent.parent


def roster() -> list[dict[str, str]]:
    with (ROOT / "data/roster.csv").open(encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def of(students: list[dict[str, str]], *classes: str) -> list[dict[str, str]]:
    return [s for s in students if s["班级"] in classes]


def title(ws, text: str, width: int, row: int = 1) -> None:
    ws.cell(row, 1, text).font = Font(bold=True, size=13)
    ws.cell(row, 1).alignment = Alignment(horizontal="center")
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=width)


def homework_wide(students: list[dict[str, str]], out: Path, rng: random.Random) -> None:
    """行政管理学 形考: one sheet per class, a merged title, one column per assignment (形考作业3 not open yet)."""
    wb = Workbook()
    wb.remove(wb.active)
    header = ["序号", "学号", "姓名", "班级", "形考作业1", "形考作业2", "形考作业3", "备注"]
    for cls in ("行管1班", "行管2班"):
        ws = wb.create_sheet(cls)
        title(ws, f"2026秋 行政管理学 形考完成情况（{cls}，截至2026年11月1日）", len(header))
        ws.append(header)
        for i, s in enumerate(of(students, cls), 1):
            weak = i % 7 == 3
            hw1 = rng.randint(62, 98) if not weak or rng.random() < 0.5 else "未提交"
            hw2 = rng.randint(60, 96) if rng.random() < (0.45 if weak else 0.85) else "未提交"
            if cls == "行管1班" and i in (2, 4):  # two of the demo's students (data/demo-progress.yaml) are behind
                hw2 = "未提交"
            ws.append([i, s["学号"], s["姓名"], cls, hw1, hw2, None, ""])
    ws = wb.create_sheet("说明")
    ws.append(["本表由国开学习网导出，分数为形考作业得分，“未提交”表示尚未提交。"])
    wb.save(out)


def homework_long(students: list[dict[str, str]], out: Path, rng: random.Random) -> None:
    """公共政策概论 形考: a row per student and task, CSV in UTF-8 with BOM (as Excel saves 'CSV UTF-8')."""
    with out.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(["学号", "学生姓名", "课程名称", "形考任务", "完成情况", "成绩"])
        for s in of(students, "行管1班", "行管2班"):
            for task in (1, 2):
                done = rng.random() < (0.9 if task == 1 else 0.7)
                w.writerow([s["学号"], s["姓名"], "公共政策概论", f"形考任务{task}", "已提交" if done else "未提交",
                            rng.randint(65, 95) if done else ""])


def homework_band(students: list[dict[str, str]], out: Path, rng: random.Random) -> None:
    """会计1班: two courses side by side, each course's name merged over its assignment columns."""
    wb = Workbook()
    ws = wb.active
    ws.title = "形考"
    title(ws, "会计1班 形考完成情况 统计日期：2026-11-01", 7)
    ws.append(["", "", "基础会计", "", "", "经济法学", ""])
    ws.merge_cells("C2:E2")
    ws.merge_cells("F2:G2")
    ws.append(["学号", "姓名", "形考任务1", "形考任务2", "形考任务3", "形考作业1", "形考作业2"])
    for s in of(students, "会计1班"):
        row = [s["学号"], s["姓名"]]
        for p in (0.95, 0.75, 0.0, 0.9, 0.0):
            row.append(("√" if rng.random() < p else "×") if p else "×")
        ws.append(row)
    wb.save(out)


def online_gbk(students: list[dict[str, str]], out: Path, rng: random.Random) -> None:
    """网检 (学习行为统计) for every class, CSV in GBK with a title line, as exported on a Chinese Windows PC."""
    with out.open("w", newline="", encoding="gbk") as f:
        w = csv.writer(f)
        w.writerow(["国开学习网 学习行为统计（统计日期：2026-11-01）"])
        w.writerow(["学号", "学生姓名", "所在班级", "在线天数", "学习行为次数", "登录次数", "最近登录时间", "回帖数"])
        for s in students:
            idle = rng.random() < 0.08
            days = 0 if idle else rng.randint(3, 26)
            w.writerow([s["学号"], s["姓名"], s["班级"], days, 0 if idle else days * rng.randint(8, 30),
                        0 if idle else days + rng.randint(0, 10), "" if idle else f"2026-10-{rng.randint(20, 31)} 20:15",
                        0 if idle or rng.random() < 0.5 else rng.randint(1, 6)])


def attendance(students: list[dict[str, str]], out: Path, rng: random.Random) -> None:
    """A 腾讯会议 participant list for 行政管理学 直播课 on 10 November (meeting details above the table)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "参会成员明细"
    ws.append(["会议主题：行政管理学 直播课"])
    ws.append(["会议开始时间：2026-11-10 19:30"])
    ws.append(["会议号：512 384 907"])
    ws.append(["序号", "参会者昵称", "入会时间", "退会时间", "参会时长（分钟）", "身份"])
    rows = [("周老师", "19:20:05", "21:05:40", 105, "主持人")]
    for i, s in enumerate(of(students, "行管1班", "行管2班")):
        if rng.random() < 0.12:
            continue  # absent
        nick = f"{s['姓名']}-{s['学号']}" if i % 3 else s["姓名"]
        minutes = rng.randint(10, 25) if i % 11 == 5 else rng.randint(55, 95)
        if i % 13 == 4:  # dropped out and came back: two rows
            rows.append((nick, "19:28:00", "19:50:00", 22, "参会者"))
            rows.append((nick, "19:55:10", "21:00:00", 65, "参会者"))
            continue
        rows.append((nick, "19:29:00", f"{19 + (29 + minutes) // 60}:{(29 + minutes) % 60:02d}:00", minutes, "参会者"))
    rows.append(("iPhone用户", "19:40:00", "19:45:00", 5, "参会者"))
    for i, (nick, a, b, m, role) in enumerate(rows, 1):
        ws.append([i, nick, f"2026-11-10 {a}", f"2026-11-10 {b}", m, role])
    wb.save(out)


def live_stats(students: list[dict[str, str]], out: Path, rng: random.Random) -> None:
    """The platform's own live statistics, a row per student and course (long), UTF-8 CSV."""
    with out.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["学号", "姓名", "课程名称", "直播场次", "参与场次", "观看时长"])
        for s in of(students, "会计1班", "法学1班"):
            for course in ("基础会计", "经济法学") if s["班级"] == "会计1班" else ("宪法学", "经济法学"):
                planned = 4
                w.writerow([s["学号"], s["姓名"], course, planned, rng.choice([4, 4, 4, 3, 3, 2, 0]),
                            f"{rng.randint(60, 300)}分钟"])


def selection(students: list[dict[str, str]], out: Path, rng: random.Random) -> None:
    """Who has registered their courses (选课) — UTF-8 CSV with a title line."""
    with out.open("w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(["2026秋季学期选课情况（截至2026-09-15）"])
        w.writerow(["学号", "姓名", "班级", "选课状态"])
        for s in students:
            w.writerow([s["学号"], s["姓名"], s["班级"], "已选课" if rng.random() < 0.9 else "未选课"])


def registration(students: list[dict[str, str]], out: Path, rng: random.Random) -> None:
    """Who has registered for the exams (报考), with failed courses to retake."""
    wb = Workbook()
    ws = wb.active
    ws.title = "报考情况"
    title(ws, "2026秋期末考试报考情况（截至2026-11-05）", 5)
    ws.append(["学号", "姓名", "班级", "报考状态", "不及格课程"])
    for s in students:
        failed = "管理学基础" if rng.random() < 0.06 else ""
        ok = rng.random() < (0.6 if failed else 0.92)
        ws.append([s["学号"], s["姓名"], s["班级"], "已报考" if ok else "未报考", failed])
    wb.save(out)


def warnings(students: list[dict[str, str]], out: Path, rng: random.Random) -> None:
    """The school's warning list (预警名单)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "预警名单"
    title(ws, "学业预警名单（2026-11-01）", 4)
    ws.append(["学号", "姓名", "班级", "预警原因"])
    for s in rng.sample(students, 6):
        ws.append([s["学号"], s["姓名"], s["班级"], rng.choice(["连续四周未登录", "形考作业多次未提交", "上学期两门课程不及格"])])
    wb.save(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default=str(ROOT / "data/progress"))
    args = p.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    students = roster()
    makers = [
        (homework_wide, "形考-行政管理学-2026-11-01.xlsx"),
        (homework_long, "形考-公共政策概论-长表.csv"),
        (homework_band, "形考-会计1班-两门课.xlsx"),
        (online_gbk, "网检-学习行为统计-GBK.csv"),
        (attendance, "腾讯会议-行政管理学直播课-2026-11-10.xlsx"),
        (live_stats, "直播-平台统计-会计法学.csv"),
        (selection, "选课-2026秋.csv"),
        (registration, "报考-2026秋.xlsx"),
        (warnings, "预警名单-2026-11-01.xlsx"),
    ]
    for i, (make, name) in enumerate(makers):
        make(students, out / name, random.Random(100 + i))
        print(out / name)


if __name__ == "__main__":
    main()
