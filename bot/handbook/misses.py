"""Questions the bot declined, replayed against today's handbook, Q&A and lexicon: what to add next.

`python -m bot handbook misses` lists them (and writes Excel with --out). Each row says what the bot would answer
now, so after a teacher adds a Q&A or an operator extends data/qa_lexicon.yaml the list shows what it fixed.
No names or contact ids: the list is for improving answers, not for looking at people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook
from sqlmodel import select

from bot.exports import style_header
from bot.models import Question

if TYPE_CHECKING:
    from bot.app import App


@dataclass(frozen=True)
class Miss:
    at: datetime
    group: str
    text: str
    now_answers: str | None  # the unit id the bot would answer with today, or None
    nearest: str  # the best-ranked unit, answered or not
    reason: str  # why it still declines ("" when it answers now)


def misses(app: App, since: datetime) -> list[Miss]:
    retriever = app.answers.retriever
    with app.db.tx() as s:
        rows = s.exec(select(Question).where(Question.at >= since).order_by(Question.at)).all()
    out = []
    for q in rows:
        match = retriever.match(q.text)
        order, _ = retriever.rank(q.text)
        out.append(Miss(q.at, q.group_name, q.text, match.id, retriever.units[order[0]].id, match.reason))
    return out


def misses_workbook(rows: list[Miss], tz, out: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "未答问题"
    header = ["时间", "班级群", "问题", "现在的回答", "最接近的小节", "仍不回答的原因"]
    ws.append(header)
    for m in rows:
        ws.append([m.at.astimezone(tz).replace(tzinfo=None), m.group, m.text, m.now_answers or "", m.nearest,
                   m.reason])
    for (cell,) in ws.iter_rows(min_row=2, min_col=1, max_col=1):
        cell.number_format = "yyyy-mm-dd hh:mm"
    for letter, width in zip("ABCDEF", (18, 16, 40, 22, 22, 30), strict=True):
        ws.column_dimensions[letter].width = width
    style_header(ws)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)
    return out
