"""The handbook service: what a student's message gets from the handbook and the Q&A — the one pipeline behind the
chat and `python -m bot ask` (small talk, splitting, ranking each part, declining)."""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import col, select

from bot import revisions
from bot.clock import Clock
from bot.config import Config
from bot.db import Database
from bot.handbook.embedder import Embedder
from bot.handbook.retriever import Match, Retriever
from bot.handbook.source import (
    HandbookError,
    HandbookImport,
    Unit,
    import_file,
    load_faq,
    load_handbook,
    parse_markdown,
)
from bot.handbook.words import Lexicon
from bot.kernel.text import addressee, fold, is_question, is_small_talk, split_questions
from bot.models import FaqEntry, Phrasing
from bot.notices.acks import classify
from bot.texts import questions as texts

log = logging.getLogger("banzhu.qa")

MAX_REPLY = 300
LEXICON = Path(__file__).resolve().parent.parent.parent / "data" / "qa_lexicon.yaml"


def shorten(body: str, limit: int) -> str:
    """Cut at a sentence end within `limit` characters."""
    body = re.sub(r"\s+", "", body)
    if len(body) <= limit:
        return body
    cut = max(body.rfind(p, 0, limit) for p in "。；！")
    return body[: cut + 1] if cut > limit // 3 else body[: limit - 1] + "…"


def source_of(unit: Unit) -> str:
    return texts.SOURCE_FAQ if unit.source == "faq" else texts.SOURCE_HANDBOOK.format(title=unit.title)


@dataclass(frozen=True)
class Part:
    question: str
    match: Match
    answer: str = ""  # this part's answer on its own (for `ask --json` parts)


@dataclass(frozen=True)
class Response:
    """What the handbook makes of one message."""

    kind: str  # ignore (not for the bot) | small talk | answer | decline
    parts: list[Part] = field(default_factory=list)
    text: str = ""  # the answer, for kind == "answer"
    reason: str = ""

    @property
    def answered(self) -> list[Match]:
        return [p.match for p in self.parts if p.match.unit is not None]

    @property
    def score(self) -> float:
        return max((p.match.score for p in self.parts), default=0.0)


class IndexCache:
    """Built indexes by their units and lexicon: building embeds every unit, and identical sets (tests, `ask` over
    many questions) should share one. Owned by whoever builds Handbook services; not a module global."""

    def __init__(self, embedder: Embedder | None = None) -> None:
        self.embedder = embedder or Embedder()
        self._built: dict[tuple, Retriever] = {}
        self._lock = threading.Lock()

    def get(self, units: list[Unit], lexicon_path: Path | None, extra: dict[str, str] | None = None) -> Retriever:
        """The index of these units with this lexicon (plus teachers' 问法 lines `extra`)."""
        key = (tuple((u.id, u.title, u.body) for u in units), str(lexicon_path), tuple(sorted((extra or {}).items())))
        with self._lock:
            found = self._built.get(key)
            if found is None:
                lexicon = Lexicon.load(lexicon_path) if lexicon_path else Lexicon.empty()
                if extra:
                    lexicon = lexicon.with_extra(extra)
                found = self._built[key] = Retriever(units, lexicon, self.embedder)
            return found


class Handbook:
    def __init__(self, db: Database | None, config: Config | None, indexes: IndexCache, *,
                 handbook: Path | None = None, faq: Path | None = None, lexicon: Path | None = LEXICON,
                 bot_names: tuple[str, ...] = ("班助",), clock: Clock | None = None) -> None:
        """Answers from `handbook` (default: the configured one) plus the Q&A file and teachers' Q&A. With a clock,
        Q&A and 问法 changes made by another process (the web console) are noticed within seconds."""
        self.db = db
        self.config = config
        self.indexes = indexes
        self.lexicon = lexicon
        self.bot_names = bot_names
        self._handbook = handbook or (config.path(config.files.handbook) if config else None)
        if faq is None and handbook is None and config and config.files.faq:
            faq = config.path(config.files.faq)
        self._faq = faq
        self._retriever: Retriever | None = None
        self._lock = threading.Lock()
        self._changes = revisions.Watcher(db, clock, "faq") if db is not None and clock is not None else None

    # -- sources -------------------------------------------------------------------------------------------------
    def units(self) -> list[Unit]:
        if self._handbook is None:
            raise ValueError("no handbook configured")
        book = load_handbook(self._handbook)
        for w in book.warnings:
            log.warning(w)
        faq = load_faq(self._faq) if self._faq else []
        added: list[Unit] = []
        if self.db is not None:
            with self.db.read() as s:
                added = [Unit(f"faq-{e.id}", e.question, e.answer, "", "faq") for e in s.exec(select(FaqEntry))]
        return book.units + faq + added

    # -- imports ---------------------------------------------------------------------------------------------------
    def import_file(self, src: Path, *, dry_run: bool, out: Path | None = None, shown: str = "",
                    file_name: str | None = None) -> HandbookImport:
        """A .docx/.pdf/.md handbook turned into the Markdown the bot answers from, checked, and (unless a dry run)
        written to `out` — by default the configured handbook, which the bot (and every other process) then
        reloads. The previous file is kept beside it as .bak. `shown` is how the report names where it wrote."""
        name = file_name or src.name
        try:
            text = import_file(src)
            book = parse_markdown(text, name)
        except HandbookError as exc:
            return HandbookImport(name, dry_run, False, exc.reason or "unreadable", exc.title)
        except Exception as exc:  # a damaged .docx/.pdf: the libraries raise many kinds of errors
            log.info("handbook import: %s unreadable (%s: %s)", name, type(exc).__name__, exc)
            return HandbookImport(name, dry_run, False, "unreadable")
        target = out or self._handbook
        if target is None:
            raise ValueError("no handbook configured")
        written = shown or (self.config.files.handbook if self.config and out is None else str(target))
        if not dry_run:
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                target.with_name(target.name + ".bak").write_bytes(target.read_bytes())
            target.write_text(text, encoding="utf-8")
            if self._handbook is not None and target.resolve() == self._handbook.resolve():
                self.reload()
        return HandbookImport(name, dry_run, True, chapters=book.chapters, sections=len(book.units),
                              generated=book.generated, empty=tuple(book.empty), written=written)

    def phrasings(self) -> dict[str, str]:
        """Teachers' 问法 lines: word -> the handbook's words."""
        if self.db is None:
            return {}
        with self.db.read() as s:
            return {p.word: p.means for p in s.exec(select(Phrasing))}

    @property
    def retriever(self) -> Retriever:
        if self._changes is not None and self._changes.changed() and self._retriever is not None:
            self.reload(tell=False)
        with self._lock:
            if self._retriever is None:
                self._retriever = self.indexes.get(self.units(), self.lexicon, self.phrasings())
            return self._retriever

    def reload(self, *, tell: bool = True) -> None:
        """Teachers' Q&A changes take effect at once (here, and within seconds in other processes)."""
        with self._lock:
            self._retriever = None
        if tell and self.db is not None:
            revisions.bump(self.db, "faq")

    # -- the pipeline --------------------------------------------------------------------------------------------
    def respond(self, text: str, *, in_group: bool, at_bot: bool = False) -> Response:
        """What to do with a student's message: in a group only questions (or @bot) are for us; in private
        anything that is not small talk. Each question of a message is ranked on its own."""
        if is_small_talk(text) or classify(text) is not None:
            return Response("ignore" if in_group else "small talk", reason="small talk")
        to = addressee(text)
        if to and to not in self.bot_names:
            return Response("ignore", reason=f"addressed to {to}")
        if in_group and not (at_bot or is_question(text)):
            return Response("ignore", reason="not a question")
        if len(fold(text).replace(" ", "")) < 2:
            return Response("decline", [Part(text, Match(None, 0.0, "too short"))], reason="too short")
        retriever = self.retriever
        questions = [q for q in split_questions(text) if not is_small_talk(q)] or [text]
        parts = [Part(q, retriever.match(q)) for q in questions]
        if len(parts) > 1 and not any(p.match.unit for p in parts):
            whole = retriever.match(text)  # maybe the parts only make sense together
            if whole.unit is not None:
                parts = [Part(text, whole)]
        parts = [Part(p.question, p.match, self.compose([p.match])) if p.match.unit else p for p in parts]
        answered = [p.match for p in parts if p.match.unit]
        if not answered:
            return Response("decline", parts, reason=parts[0].match.reason)
        return Response("answer", parts, self.compose(answered))

    def compose(self, matches: list[Match]) -> str:
        seen: set[str] = set()
        chunks = []
        budget = MAX_REPLY // max(len(matches), 1)
        for m in matches:
            assert m.unit is not None
            if m.unit.id in seen:
                continue
            seen.add(m.unit.id)
            src = source_of(m.unit)
            chunks.append(shorten(m.unit.body, budget - len(src) - 2) + src)
        return "\n".join(chunks)

    def explain(self, text: str, top: int = 3) -> list[tuple[float, Unit]]:
        """The best-ranked units for `text`, with their fused scores (for `ask --explain`)."""
        order, fused = self.retriever.rank(text)
        return [(float(fused[i]), self.retriever.units[i]) for i in order[:top]]

    # -- teachers' Q&A -------------------------------------------------------------------------------------------
    def add_faq(self, question: str, answer: str, author: str, now: datetime) -> FaqEntry:
        assert self.db is not None
        with self.db.tx() as s:
            entry = FaqEntry(question=question, answer=answer, author_id=author, created_at=now)
            s.add(entry)
        self.reload()
        return entry

    def list_faq(self) -> tuple[list[Unit], list[FaqEntry]]:
        assert self.db is not None
        fixed = load_faq(self._faq) if self._faq else []
        with self.db.read() as s:
            added = list(s.exec(select(FaqEntry).order_by(col(FaqEntry.id))))
        return fixed, added

    def delete_faq(self, entry_id: int) -> bool:
        assert self.db is not None
        with self.db.tx() as s:
            entry = s.get(FaqEntry, entry_id)
            if entry is None:
                return False
            s.delete(entry)
        self.reload()
        return True

    def get_faq(self, entry_id: int) -> FaqEntry | None:
        assert self.db is not None
        with self.db.read() as s:
            return s.get(FaqEntry, entry_id)

    def update_faq(self, entry_id: int, question: str, answer: str) -> FaqEntry | None:
        """Change a teacher's Q&A pair (the file's pairs are changed in the file); None when it is gone."""
        assert self.db is not None
        with self.db.tx() as s:
            entry = s.get(FaqEntry, entry_id)
            if entry is None:
                return None
            entry.question, entry.answer = question, answer
            s.add(entry)
        self.reload()
        return entry

    # -- teachers' 问法 lines -------------------------------------------------------------------------------------
    def add_phrasing(self, word: str, means: str, author: str, now: datetime) -> Phrasing:
        """How students say it -> how the handbook says it (replaces an earlier line for the same word)."""
        assert self.db is not None
        with self.db.tx() as s:
            row = s.get(Phrasing, word) or Phrasing(word=word, means=means, author_id=author, created_at=now)
            row.means, row.author_id, row.created_at = means, author, now
            s.add(row)
        self.reload()
        return row

    def list_phrasings(self) -> list[Phrasing]:
        assert self.db is not None
        with self.db.read() as s:
            return list(s.exec(select(Phrasing).order_by(col(Phrasing.created_at))))

    def delete_phrasing(self, word: str) -> bool:
        assert self.db is not None
        with self.db.tx() as s:
            row = s.get(Phrasing, word)
            if row is None:
                return False
            s.delete(row)
        self.reload()
        return True
