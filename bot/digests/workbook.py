"""The digest as an Excel workbook: one sheet per level (教学点, 班级, 落后学生), frozen headers, percentages."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from bot.digests.figures import Figures
from bot.exports import style_header


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list], pct_cols: tuple[int, ...] = ()) -> None:
    ws = wb.create_sheet(title)
    ws.append(header)
    for r in rows:
        ws.append(r)
    for col in pct_cols:
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.number_format = "0.0%"
    for i, h in enumerate(header, 1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = max(10, len(h) * 2 + 4)
    style_header(ws)


def digest_workbook(now: Figures, before: Figures | None, names: dict[str, str], out: Path) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    prev_points = {p.name: p for p in before.points()} if before else {}
    prev_classes = before.classes if before else {}
    _sheet(wb, "教学点", ["教学点", "班级数", "通知数", "确认率", "上期确认率", "逾期确认", "未答问题", "未进群"],
           [[p.name, len(p.classes), p.total("notices"), p.rate,
             prev_points[p.name].rate if p.name in prev_points else None, p.total("late"), p.total("questions"),
             p.total("not_in_group")] for p in sorted(now.points(), key=lambda p: -(p.rate or 0))],
           pct_cols=(4, 5))
    _sheet(wb, "班级", ["班级", "教学点", "通知数", "应确认人数", "确认率", "上期确认率", "逾期确认",
                       "两条以上未确认", "提醒按时", "提醒补发", "提醒跳过", "未答问题", "未进群"],
           [[c.name, c.point, c.notices, c.members, c.rate,
             prev_classes[c.name].rate if c.name in prev_classes else None, c.late, len(c.behind),
             c.reminders.get("sent", 0), c.reminders.get("late", 0), c.reminders.get("skipped", 0), c.questions,
             c.not_in_group] for c in sorted(now.classes.values(), key=lambda c: (c.point, -(c.rate or 0)))],
           pct_cols=(5, 6))
    _sheet(wb, "落后学生", ["班级", "姓名", "未确认通知数"],
           [[c.name, names.get(cid, cid), missing] for c in now.classes.values() for cid, missing in c.behind])
    wb.save(out)
    return out
