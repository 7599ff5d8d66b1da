"""Excel files for staff: a notice's acknowledgement status."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from bot.models import Notice

if TYPE_CHECKING:
    from bot.app import App

VIA_ZH = {"reply": "回复", "quote": "引用通知", "number": "回复编号", "solitaire": "接龙"}
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def export_dir(app: App) -> Path:
    path = app.config.path(app.config.files.exports)
    path.mkdir(parents=True, exist_ok=True)
    return path


def style_header(ws) -> None:
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = HEADER_FILL
    ws.freeze_panes = "A2"


def notice_workbook(app: App, notice: Notice, out: Path | None = None) -> Path:
    """Write the status of one notice (name, 学号, acknowledged at, late, via) to an .xlsx file."""
    notices = [notice] if not notice.is_fanout else app.notices.children(notice.id or 0)
    wb = Workbook()
    ws = wb.active
    ws.title = f"通知{notice.id}"
    ws.append(["班级", "姓名", "学号", "状态", "确认时间", "逾期", "方式", "原话"])
    for n in notices:
        st = app.notices.status(n)
        roster = app.roster.by_contact(m.contact_id for m in st.expected)
        for m in st.expected:
            ack = st.acked.get(m.contact_id)
            student = roster.get(m.contact_id)
            when = app.local(ack.at).replace(tzinfo=None) if ack else None
            ws.append([n.group_name, st.names[m.contact_id], student.student_no if student else "",
                       "已确认" if ack else "未确认", when, ("是" if ack.late else "否") if ack else "",
                       VIA_ZH.get(ack.via, ack.via) if ack else "", ack.text if ack else ""])
        for s in st.not_in_group:
            ws.append([n.group_name, s.name, s.student_no, "未进群", None, "", "", ""])
    for row in ws.iter_rows(min_row=2, min_col=5, max_col=5):
        for cell in row:
            cell.number_format = "yyyy-mm-dd hh:mm"
    for col, width in zip("ABCDEFGH", (12, 12, 16, 10, 18, 6, 10, 30), strict=True):
        ws.column_dimensions[col].width = width
    style_header(ws)
    stamp = app.local(app.clock.now()).strftime("%Y%m%d-%H%M%S")
    path = out or export_dir(app) / f"notice-{notice.id}-{stamp}.xlsx"
    wb.save(path)
    return path
