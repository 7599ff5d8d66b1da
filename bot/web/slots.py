"""Where features built elsewhere slot into the console, through small interfaces: learning progress (形考/网检/直播
against targets, the contact log) and pending friend requests. The console shows them when the Services carry an
object that fits (a `progress` or `friends` attribute), and leaves them out otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class Indicator:
    """One figure against its target: 形考 completion, 网检 login rate, online days, 直播 participation …"""

    name: str  # 形考, 网检上线率, 生均在线天数, 直播参与率 …
    value: float | None  # a fraction when unit is "%", else a plain number
    target: float | None = None
    unit: str = "%"  # "%" (value and target are fractions) or a unit word (天, 次)
    weight: int = 1  # students counted, for a teaching point's weighted mean

    @property
    def meets(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value >= self.target


@dataclass(frozen=True)
class ContactNote:
    """One line of the contact log (台账): who followed up with which student, when, how, and the result."""

    at: datetime
    student_no: str
    student: str
    by: str
    how: str
    result: str


@runtime_checkable
class ProgressSource(Protocol):
    """What the progress service (issue 13) offers the console."""

    def class_indicators(self, classes: list[str], now: datetime) -> dict[str, list[Indicator]]:
        """Per class: its indicators as of the latest import (classes without data may be left out)."""
        ...

    def student_indicators(self, student_no: str, now: datetime) -> list[Indicator]:
        ...

    def contact_log(self, class_name: str, student_no: str | None = None) -> list[ContactNote]:
        """The class's follow-ups (one student's, when given), newest first."""
        ...


@runtime_checkable
class ProgressImport(Protocol):
    """A progress service that imports platform exports (the console's Imports page offers it when present)."""

    def import_file(self, path: Any, *, dry_run: bool) -> Any:
        """Returns a report with `errors` (each str() names the row) and a readable `summary` (str())."""
        ...


@dataclass(frozen=True)
class FriendRequest:
    at: datetime
    name: str
    hello: str  # what the requester wrote


@runtime_checkable
class FriendSource(Protocol):
    """Pending friend requests (issue 15), for the health page."""

    def pending(self) -> list[FriendRequest]:
        ...


def progress_of(services: Any) -> ProgressSource | None:
    found = getattr(services, "progress", None)
    return found if isinstance(found, ProgressSource) else None


def friends_of(services: Any) -> FriendSource | None:
    found = getattr(services, "friends", None)
    return found if isinstance(found, FriendSource) else None
