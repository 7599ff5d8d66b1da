"""The question-answering service: answer from the handbook and Q&A, or hand the question to the advisor."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import select

from bot.handbook.retriever import Match, Retriever
from bot.handbook.source import Unit, load_faq, load_handbook
from bot.handbook.text import Lexicon, normalise, split_questions
from bot.models import FaqEntry, Question

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger("banzhu.qa")

REPEAT_WINDOW = timedelta(minutes=10)
PRIVATE = "私聊"  # the group of a private question from someone the roster does not place in a class
MAX_REPLY = 300


@dataclass
class Reply:
    text: str
    matches: list[Match]

    @property
    def answered(self) -> bool:
        return any(m.unit for m in self.matches)


def shorten(body: str, limit: int) -> str:
    """Cut at a sentence end within `limit` characters."""
    body = re.sub(r"\s+", "", body)
    if len(body) <= limit:
        return body
    cut = max(body.rfind(p, 0, limit) for p in "。；！")
    return body[: cut + 1] if cut > limit // 3 else body[: limit - 1] + "…"


def source_of(unit: Unit) -> str:
    return "——常见问答" if unit.source == "faq" else f"——《学生手册》§{unit.title}"


LEXICON = Path(__file__).resolve().parent.parent.parent / "data" / "qa_lexicon.yaml"
_CACHE: dict[tuple, Retriever] = {}
_LOCK = threading.Lock()


def cached_retriever(units: list[Unit], lexicon: Path = LEXICON) -> Retriever:
    """Building embeds every unit; identical unit sets (tests, restarts in one process) share one index."""
    key = (tuple((u.id, u.title, u.body) for u in units), str(lexicon))
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = Retriever(units, Lexicon.load(lexicon))
        return _CACHE[key]


def retriever_for(handbook: Path, faq: Path | None = None) -> Retriever:
    """The retriever of one handbook file (and a Q&A file): for `ask` and the bench."""
    units = list(load_handbook(handbook).units) + (load_faq(faq) if faq else [])
    return cached_retriever(units)


class Answers:
    def __init__(self, app: App) -> None:
        self.app = app
        self._retriever: Retriever | None = None
        self._recent: dict[tuple[str, str], tuple[datetime, str]] = {}  # (group, unit id) -> (when, asker name)

    # -- sources -------------------------------------------------------------------------------------------------
    def units(self) -> list[Unit]:
        cfg = self.app.config
        book = load_handbook(cfg.path(cfg.files.handbook))
        for w in book.warnings:
            log.warning(w)
        faq = load_faq(cfg.path(cfg.files.faq)) if cfg.files.faq else []
        with self.app.db.tx() as s:
            added = [Unit(f"faq-{e.id}", e.question, e.answer, "", "faq") for e in s.exec(select(FaqEntry))]
        return book.units + faq + added

    @property
    def retriever(self) -> Retriever:
        if self._retriever is None:
            self._retriever = cached_retriever(self.units())
        return self._retriever

    def reload(self) -> None:
        """Teachers' Q&A changes take effect at once."""
        self._retriever = None

    # -- answering -----------------------------------------------------------------------------------------------
    def source(self, unit: Unit) -> str:
        return source_of(unit)

    def answer(self, question: str) -> Reply:
        """Match each part of a message (two questions in one are answered both)."""
        parts = split_questions(question)
        matches = [self.retriever.match(p) for p in parts]
        if len(parts) > 1 and not any(m.unit for m in matches):
            matches = [self.retriever.match(question)]  # maybe the parts only make sense together
        answered = [m for m in matches if m.unit]
        seen: set[str] = set()
        chunks = []
        budget = MAX_REPLY // max(len(answered), 1)
        for m in answered:
            assert m.unit is not None
            if m.unit.id in seen:
                continue
            seen.add(m.unit.id)
            src = self.source(m.unit)
            chunks.append(shorten(m.unit.body, budget - len(src) - 2) + src)
        return Reply("\n".join(chunks), matches)

    def seen_recently(self, group: str, unit_id: str, now: datetime) -> tuple[datetime, str] | None:
        hit = self._recent.get((group, unit_id))
        return hit if hit and now - hit[0] <= REPEAT_WINDOW else None

    def remember(self, group: str, unit_id: str, now: datetime, asker: str) -> None:
        self._recent[(group, unit_id)] = (now, asker)

    # -- the unanswered ------------------------------------------------------------------------------------------
    def log_unanswered(self, group: str, contact_id: str, name: str, text: str, score: float, now: datetime,
                       in_private: bool = False) -> bool:
        """Record a question for the advisor; False when the same person asked the same thing just now."""
        key = normalise(text)
        with self.app.db.tx() as s:
            recent = s.exec(select(Question).where(Question.group_name == group, Question.contact_id == contact_id,
                                                   Question.at >= now - REPEAT_WINDOW)).all()
            if any(normalise(q.text) == key for q in recent):
                return False
            s.add(Question(group_name=group, contact_id=contact_id, name=name, text=text[:500], at=now, score=score,
                           in_private=in_private))
        return True

    def question(self, question_id: int) -> Question | None:
        with self.app.db.tx() as s:
            return s.get(Question, question_id)

    def mark_replied(self, question_id: int, staff_id: str) -> None:
        """A teacher answered it through the bot (/答复)."""
        with self.app.db.tx() as s:
            row = s.get(Question, question_id)
            if row is not None:
                row.answered_id = f"staff:{staff_id}"
                s.add(row)

    # -- teachers' Q&A -------------------------------------------------------------------------------------------
    def add_faq(self, question: str, answer: str, author: str, now: datetime) -> FaqEntry:
        with self.app.db.tx() as s:
            entry = FaqEntry(question=question, answer=answer, author_id=author, created_at=now)
            s.add(entry)
        self.reload()
        return entry

    def list_faq(self) -> tuple[list[Unit], list[FaqEntry]]:
        cfg = self.app.config
        fixed = load_faq(cfg.path(cfg.files.faq)) if cfg.files.faq else []
        with self.app.db.tx() as s:
            added = list(s.exec(select(FaqEntry).order_by(FaqEntry.id)))
        return fixed, added

    def delete_faq(self, entry_id: int) -> bool:
        with self.app.db.tx() as s:
            entry = s.get(FaqEntry, entry_id)
            if entry is None:
                return False
            s.delete(entry)
        self.reload()
        return True
