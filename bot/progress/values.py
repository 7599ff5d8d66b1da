"""What the progress service hands back: import reports, chase results, history entries, follow-up outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.models import ProgressContact, Student
from bot.progress.importer import Part, RowError
from bot.progress.reader import Problem
from bot.progress.status import Behind


@dataclass
class ImportReport:
    """The outcome of reading (and, unless a dry run, storing) one file: the same text in chat and on the
    command line."""

    file_name: str
    dry_run: bool
    refused: str = ""  # one sentence: the file cannot be read, or its layout is not understood
    parts: list[Part] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    out_of_scope: int = 0
    empty_sheets: list[str] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)  # sheets not understood, beside sheets that were
    previous: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> done, total before this import
    contradicted: list[tuple[str, str]] = field(default_factory=list)  # (name, item): said 交了, still not done
    confirmed: int = 0  # 交了 that this import confirms
    phone: int = 0  # students put on the 需要电话联系 list by this import
    import_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refused and not self.errors and bool(self.parts) and any(p.values for p in self.parts)


@dataclass(frozen=True)
class Reminded:
    student: Student
    items: list[Behind]
    how: str  # private | group | none (no way to reach them) | claimed (said 交了) | today (reminded already)


@dataclass
class ChaseResult:
    reminded: list[Reminded] = field(default_factory=list)
    classes: list[str] = field(default_factory=list)
    held_until: datetime | None = None  # asked during quiet hours: the reminders go out when they end

    def count(self, how: str) -> int:
        return sum(1 for r in self.reminded if r.how == how)

    def names(self, how: str) -> list[str]:
        return [r.student.name for r in self.reminded if r.how == how]


@dataclass(frozen=True)
class ReplyOutcome:
    kind: str  # done | promise
    items: list[str]
    deadline: datetime | None = None


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    kind: str  # import | reminder | follow-up | reply
    text: str


@dataclass(frozen=True)
class PhoneEntry:
    student: Student
    items: list[str]
    reminders: int


@dataclass(frozen=True)
class FollowUp:
    entry: ProgressContact
    student: Student
    problem: str


@dataclass
class ProgressReport:
    text: str
    chart: Path | None = None
    workbook: Path | None = None
    empty: bool = False  # no progress data for these classes: a scheduled report is not sent
    stars: dict[str, list[Student]] = field(default_factory=dict)  # teaching point -> its stars
