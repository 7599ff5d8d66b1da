"""Students' questions in the chat: answered from the handbook, or logged and handed to the advisor (batched and
numbered), answered back through the bot with /答复. The rules live here; handlers and jobs only call them."""

from __future__ import annotations

import enum
import logging
import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, func, select

from bot import revisions
from bot.clock import Clock
from bot.config import ClassGroup, Config
from bot.db import Database
from bot.deliveries import claim
from bot.handbook.service import Handbook
from bot.kernel.text import fold
from bot.models import Delivery, Question
from bot.outbox import PRIORITY_BULK, Outbox
from bot.people import People, Person, Role
from bot.quiet import postpone
from bot.revisions import Cached, Watcher
from bot.roster import Roster
from bot.texts import questions as texts

log = logging.getLogger("banzhu.questions")

REPEAT_WINDOW = timedelta(minutes=10)
BATCH = timedelta(minutes=10)  # wait this long after the first question, to send several in one message
PRIVATE = "私聊"  # the group of a private question from someone the roster does not place in a class


class Outcome(enum.Enum):
    IGNORED = "ignored"  # not for the bot (chatter in a group, a staff member, a message to someone else)
    SMALL_TALK = "small talk"  # in private: the greeting answers it
    ANSWERED = "answered"
    REPEAT = "repeat"  # answered in this group minutes ago: point to it
    DECLINED = "declined"  # logged for the advisor; the student is told
    DECLINED_AGAIN = "declined again"  # the same person asked the same thing just now: say nothing more
    STAFF_MISS = "staff miss"  # a staff member asked privately and the handbook has nothing


@dataclass(frozen=True)
class Asked:
    outcome: Outcome
    text: str = ""  # the answer
    has_advisor: bool = True
    repeat_of: tuple[datetime, str] | None = None  # (when, who) for a repeat


class QuestionError(Exception):
    def __init__(self, reason: str, **detail: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Replied:
    question: Question
    where: str  # the class group, or "私聊中"
    text: str


class Questions:
    def __init__(self, db: Database, clock: Clock, config: Config, people: People, roster: Roster, outbox: Outbox,
                 handbook: Handbook) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.people = people
        self.roster = roster
        self.outbox = outbox
        self.handbook = handbook
        self._recent: dict[tuple[str, str], tuple[datetime, str]] = {}  # (group, unit id) -> (when, asker name)
        self._lock = threading.Lock()
        # When the next batch for the advisors is due: kept until a question is logged (here or, through the
        # "questions" revision, by another process) or forwarded.
        self._next_due = Cached(self._compute_next_forward_due, Watcher(db, clock, "questions"))

    def invalidate_caches(self) -> None:
        with self._lock:
            self._recent.clear()

    def relinked(self, old: str, new: str) -> None:
        """An asker's contact id changed (a re-login): the answer still reaches them."""
        with self.db.tx() as s:
            for q in s.exec(select(Question).where(Question.contact_id == old)).all():
                q.contact_id = new
                s.add(q)

    # -- asking --------------------------------------------------------------------------------------------------
    def ask(self, sender: Person, group: ClassGroup | None, text: str, *, at_bot: bool, at: datetime,
            in_private: bool) -> Asked:
        """A message that may be a question: answer it, point to an earlier answer, or log it for the advisor."""
        if not in_private and (group is None or not group.answer_questions):
            return Asked(Outcome.IGNORED)
        if sender.is_staff and not at_bot and not in_private:
            return Asked(Outcome.IGNORED)  # never answer staff in groups
        response = self.handbook.respond(text, in_group=not in_private, at_bot=at_bot)
        if response.kind == "ignore":
            return Asked(Outcome.IGNORED)
        if response.kind == "small talk":
            return Asked(Outcome.SMALL_TALK)
        where = group.name if group else PRIVATE
        if response.kind == "answer":
            unit_ids = [m.id for m in response.answered if m.id]
            earlier = [self._seen_recently(where, u, at) for u in unit_ids]
            if not in_private and all(earlier):
                return Asked(Outcome.REPEAT, repeat_of=earlier[0])
            with self._lock:
                for u in unit_ids:
                    self._recent[(where, u)] = (at, sender.name)
            return Asked(Outcome.ANSWERED, response.text)
        if in_private and sender.is_staff:
            return Asked(Outcome.STAFF_MISS)
        # Not confident: no guess. Log it for the advisor (batched) and the coordinators' digest.
        class_name = group.name if group else self._class_of(sender.contact_id)
        fresh = self._log(class_name or PRIVATE, sender, text, response.score, at, in_private=in_private)
        if not fresh:
            return Asked(Outcome.DECLINED_AGAIN)
        advisor = self.people.advisor_of(class_name) if class_name else None
        return Asked(Outcome.DECLINED, has_advisor=advisor is not None)

    def _seen_recently(self, group: str, unit_id: str, now: datetime) -> tuple[datetime, str] | None:
        hit = self._recent.get((group, unit_id))
        return hit if hit and now - hit[0] <= REPEAT_WINDOW else None

    def _class_of(self, contact_id: str) -> str | None:
        st = self.roster.student_of_contact(contact_id)
        return st.class_name if st else None

    def _log(self, group: str, sender: Person, text: str, score: float, now: datetime, *, in_private: bool) -> bool:
        """Record a question for the advisor; False when the same person asked the same thing just now."""
        key = fold(text)
        with self.db.tx() as s:
            recent = s.exec(select(Question).where(Question.group_name == group,
                                                   Question.contact_id == sender.contact_id,
                                                   Question.at >= now - REPEAT_WINDOW)).all()
            if any(fold(q.text) == key for q in recent):
                return False
            s.add(Question(group_name=group, contact_id=sender.contact_id, name=sender.name, text=text[:500], at=now,
                           score=score, in_private=in_private))
            revisions.bump(self.db, "questions")
        self._next_due.invalidate()
        self.db.on_rollback(self._next_due.invalidate)
        return True

    # -- answering back ------------------------------------------------------------------------------------------
    def get(self, question_id: int) -> Question | None:
        with self.db.tx() as s:
            return s.get(Question, question_id)

    def reply(self, staff: Person, question_id: int, answer: str, *, only_open: bool = False) -> Replied:
        """/答复 N: post the advisor's answer where the question was asked (privately if it was private).
        QuestionError('not found' | 'not yours' | 'no room' | 'answered' — the last with `only_open`, as the web
        console asks, so a form sent twice posts once)."""
        question = self.get(question_id)
        if question is None:
            raise QuestionError("not found", id=question_id)
        if question.group_name not in staff.classes and not staff.role & Role.ADMIN:
            raise QuestionError("not yours", group=question.group_name)
        if only_open and question.answered_id:
            raise QuestionError("answered", id=question_id)
        asked = question.text.strip()
        text = texts.REPLY_POSTED.format(name=texts.teacher_title(staff.name), question=asked[:40], answer=answer)
        if question.in_private:  # asked in private: never echoed in the group
            self.outbox.enqueue(text=text, contact_id=question.contact_id)
            where = "私聊中"
        else:
            room_id = self.people.room_of_group(question.group_name)
            if room_id is None:
                raise QuestionError("no room", group=question.group_name)
            self.outbox.enqueue(text=text, room_id=room_id, mentions=[question.contact_id])
            where = question.group_name
        with self.db.tx() as s:
            row = s.get(Question, question.id)
            if row is not None:
                row.answered_id = f"staff:{staff.contact_id}"
                s.add(row)
        return Replied(question, where, asked)

    def close(self, staff: Person, question_id: int) -> Question:
        """Mark a question handled without a reply through the bot (answered in the group, or not a question).
        QuestionError('not found' | 'not yours')."""
        question = self.get(question_id)
        if question is None or question.answered_id:
            raise QuestionError("not found", id=question_id)
        if question.group_name not in staff.classes and not staff.role & Role.ADMIN:
            raise QuestionError("not yours", group=question.group_name)
        with self.db.tx() as s:
            row = s.get(Question, question_id)
            if row is not None:
                row.answered_id = f"closed:{staff.contact_id}"
                s.add(row)
        return question

    # -- lists for staff (the web console) -----------------------------------------------------------------------
    def visible_to(self, staff: Person) -> set[str] | None:
        """The question groups a staff member may see and answer: their classes; admins also the private
        pseudo-group of askers the roster does not place (None: everything)."""
        return None if staff.role & Role.ADMIN else set(staff.classes)

    def unanswered(self, staff: Person, limit: int = 200) -> list[Question]:
        """The open queue in this person's scope, oldest first."""
        groups = self.visible_to(staff)
        with self.db.read() as s:
            q = select(Question).where(col(Question.answered_id).is_(None))
            if groups is not None:
                q = q.where(col(Question.group_name).in_(sorted(groups) or ["-"]))
            return list(s.exec(q.order_by(col(Question.at)).limit(limit)))

    def open_counts(self, classes: list[str]) -> dict[str, int]:
        """Unanswered questions per class (all of them, whenever asked)."""
        with self.db.read() as s:
            rows = s.exec(select(Question.group_name, func.count()).where(
                col(Question.answered_id).is_(None), col(Question.group_name).in_(classes or ["-"]))
                .group_by(col(Question.group_name))).all()
        return {g: int(n) for g, n in rows}

    def asked_by(self, contact_id: str, limit: int = 50) -> list[Question]:
        """A student's logged questions, newest first."""
        with self.db.read() as s:
            return list(s.exec(select(Question).where(Question.contact_id == contact_id)
                               .order_by(col(Question.at).desc()).limit(limit)))

    # -- forwarding to advisors ----------------------------------------------------------------------------------
    def next_forward_due(self) -> datetime | None:
        """When the oldest unforwarded question's batch is due (after quiet hours)."""
        return self._next_due.get()

    def _compute_next_forward_due(self) -> datetime | None:
        with self.db.read() as s:
            oldest = s.exec(select(func.min(Question.at)).where(Question.forwarded == False)).one()  # noqa: E712
        if oldest is None:
            return None
        return postpone(oldest + BATCH, self.config.quiet_hours, self.config.tz)

    def forward(self, now: datetime) -> int:
        """Send each class's unforwarded questions to its advisor (the admins when there is none) in one message,
        once (the delivery log decides). Returns how many messages were queued."""
        self._next_due.invalidate()
        with self.db.tx() as s:
            pending = list(s.exec(select(Question).where(Question.forwarded == False).order_by(col(Question.id))))  # noqa: E712
        by_group: dict[str, list[Question]] = defaultdict(list)
        for q in pending:
            by_group[q.group_name].append(q)
        queued = 0
        for group, questions in by_group.items():
            advisor = self.people.advisor_of(group) if group != PRIVATE else None
            recipients = [advisor] if advisor else self.people.admins()
            ids = [q.id for q in questions]
            with self.db.tx() as s:
                for row in s.exec(select(Question).where(col(Question.id).in_(ids))):
                    row.forwarded = True
                    s.add(row)
                if not recipients:
                    continue  # nobody bound yet: the digest still counts them
                key = f"questions:{group}:{ids[0]}-{ids[-1]}"
                if not claim(s, Delivery(key=key, kind="questions", due_at=now, claimed_at=now,
                                         detail=f"{len(ids)} questions")):
                    continue
                text = texts.forwarded(group, questions, has_advisor=advisor is not None, private=group == PRIVATE,
                                       tz=self.config.tz)
                for person in recipients:
                    self.outbox.enqueue(text=text, contact_id=person.contact_id, priority=PRIORITY_BULK,
                                        dedupe_key=f"{key}:{person.contact_id}")
                    queued += 1
        return queued
