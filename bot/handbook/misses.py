"""Questions the bot declined, replayed against today's handbook, Q&A and lexicon: what to add next.

`python -m bot handbook misses` lists them (and writes Excel with --out). Each row says what the bot would answer
now, so after a teacher adds a Q&A or an operator extends data/qa_lexicon.yaml the list shows what it fixed.
No names or contact ids: the list is for improving answers, not for looking at people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.db import Database
from bot.exports import write_sheet
from bot.handbook.service import Handbook
from bot.models import Question


@dataclass(frozen=True)
class Miss:
    at: datetime
    group: str
    text: str
    now_answers: str | None  # the unit id the bot would answer with today, or None
    nearest: str  # the best-ranked unit, answered or not
    reason: str  # why it still declines ("" when it answers now)


def misses(handbook: Handbook, db: Database, since: datetime) -> list[Miss]:
    retriever = handbook.retriever
    with db.read() as s:
        rows = s.exec(select(Question).where(Question.at >= since).order_by(col(Question.at))).all()
    out = []
    for q in rows:
        match = retriever.match(q.text)
        order, _ = retriever.rank(q.text)
        out.append(Miss(q.at, q.group_name, q.text, match.id, retriever.units[order[0]].id, match.reason))
    return out


def misses_workbook(rows: list[Miss], tz: ZoneInfo, out: Path) -> Path:
    header = ["时间", "班级群", "问题", "现在的回答", "最接近的小节", "仍不回答的原因"]
    table = [header] + [[m.at.astimezone(tz).replace(tzinfo=None), m.group, m.text, m.now_answers or "", m.nearest,
                         m.reason] for m in rows]
    return write_sheet(out, "未答问题", table, widths=(18, 16, 40, 22, 22, 30), date_columns=(1,))
