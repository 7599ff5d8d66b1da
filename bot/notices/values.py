"""What the notice service returns: plain values, so texts and handlers depend on them and not on the service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.gateways.base import Member
from bot.models import Ack, Notice, Student


@dataclass
class Status:
    notice: Notice
    expected: list[Member]
    acked: dict[str, Ack]
    names: dict[str, str]
    not_in_group: list[Student]

    @property
    def missing(self) -> list[Member]:
        return [m for m in self.expected if m.contact_id not in self.acked]

    @property
    def missing_names(self) -> list[str]:
        return [self.names[m.contact_id] for m in self.missing]

    @property
    def late(self) -> int:
        return sum(1 for a in self.acked.values() if a.late)

    @property
    def done(self) -> int:
        return sum(1 for m in self.expected if m.contact_id in self.acked)

    @property
    def rate(self) -> float:
        return self.done / len(self.expected) if self.expected else 1.0


@dataclass(frozen=True)
class ClassRow:
    """One class of a fan-out: acknowledged out of expected."""

    group: str
    done: int
    expected: int


@dataclass(frozen=True)
class Published:
    notice: Notice
    expected: int
    nudges: list[datetime]  # local times of the automatic nudges


@dataclass(frozen=True)
class FannedOut:
    parent: Notice
    children: list[Notice]
    unbound: list[str]  # classes whose WeChat room is not known: nothing sent there


class NoticeError(Exception):
    """Why a notice command cannot be done; `reason` picks the words in bot/texts/notices.py."""

    def __init__(self, reason: str, **detail: object) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail
