"""The digest as an Excel workbook: one sheet per level (教学点, 班级, 落后学生), frozen headers, percentages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from bot.digests.figures import Figures
from bot.exports import HEADER_FILL


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list[Any]], pct_cols: tuple[int, ...] = ()) -> None:
    """A streamed sheet (a city's digest lists tens of thousands of students behind): bold shaded frozen header,
    percentages formatted, sensible widths."""
    ws = wb.create_sheet(title)
    for i, h in enumerate(header, 1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, len(h) * 2 + 4)
    ws.freeze_panes = "A2"
    cells = []
    for h in header:
        cell = WriteOnlyCell(ws, value=h)
        cell.font, cell.fill = Font(bold=True), HEADER_FILL
        cells.append(cell)
    ws.append(cells)
    pct = {c - 1 for c in pct_cols}
    for r in rows:
        if pct:
            row: list[Any] = []
            for i, v in enumerate(r):
                if i in pct and v is not None:
                    cell = WriteOnlyCell(ws, value=v)
                    cell.number_format = "0.0%"
                    row.append(cell)
                else:
                    row.append(v)
            ws.append(row)
        else:
            ws.append(r)


def digest_workbook(now: Figures, before: Figures | None, names: dict[str, str], out: Path) -> Path:
    wb = Workbook(write_only=True)
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
