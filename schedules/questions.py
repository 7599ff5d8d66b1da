"""Unanswered questions go to the class advisor privately, batched: one message per class every little while."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import col, func, select

from bot.deliveries import claim
from bot.handbook.service import PRIVATE
from bot.models import Delivery, Question
from bot.outbox import PRIORITY_BULK
from bot.quiet import postpone
from bot.texts import questions as texts

if TYPE_CHECKING:
    from bot.app import App

BATCH = timedelta(minutes=10)  # wait this long after the first question, to send several in one message


class ForwardQuestionsJob:
    name = "forward-questions"

    @staticmethod
    def next_due(app: App, now: datetime) -> datetime | None:
        with app.db.tx() as s:
            oldest = s.exec(select(func.min(Question.at)).where(Question.forwarded == False)).one()  # noqa: E712
        if oldest is None:
            return None
        return postpone(oldest + BATCH, app.config.quiet_hours, app.tz)

    @staticmethod
    async def tick(app: App, now: datetime) -> None:
        with app.db.tx() as s:
            pending = list(s.exec(select(Question).where(Question.forwarded == False).order_by(Question.id)))  # noqa: E712
        by_group: dict[str, list[Question]] = defaultdict(list)
        for q in pending:
            by_group[q.group_name].append(q)
        for group, questions in by_group.items():
            advisor = app.people.advisor_of(group)
            # No advisor (not bound yet, or a private question from someone the roster does not know): the admins.
            recipients = [advisor] if advisor else app.people.admins()
            ids = [q.id for q in questions]
            with app.db.tx() as s:
                for row in s.exec(select(Question).where(col(Question.id).in_(ids))):
                    row.forwarded = True
                    s.add(row)
                if not recipients:
                    continue  # nobody bound yet: the digest still counts them
                key = f"questions:{group}:{ids[0]}-{ids[-1]}"
                if not claim(s, Delivery(key=key, kind="questions", due_at=now, claimed_at=now,
                                         detail=f"{len(ids)} questions")):
                    continue
                head = (texts.FORWARD_HEAD if advisor else texts.FORWARD_HEAD_UNKNOWN if group == PRIVATE
                        else texts.FORWARD_HEAD_NO_ADVISOR)
                lines = [head.format(group=group, n=len(questions))]
                for q in questions[:20]:
                    where = "，私聊" if q.in_private else ""
                    lines.append(f"#{q.id} {q.name}（{app.local(q.at):%m-%d %H:%M}{where}）：{q.text[:80]}")
                lines.append(texts.FORWARD_FOOT)
                for person in recipients:
                    app.outbox.enqueue(text="\n".join(lines), contact_id=person.contact_id, priority=PRIORITY_BULK,
                                       dedupe_key=f"{key}:{person.contact_id}", session=s)
