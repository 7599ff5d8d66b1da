"""A kind of timed work, declared as two plain calls into services: when it is next due, and what to do then.
The engine asks; APScheduler only wakes the engine; the database's delivery log decides what is sent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.services import Services


@dataclass(frozen=True)
class Job:
    name: str
    next_due: Callable[[Services, datetime], datetime | None]
    tick: Callable[[Services, datetime], object]
