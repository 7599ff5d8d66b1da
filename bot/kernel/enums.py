"""Names that were bare strings in several places: digest periods, event types, send and delivery statuses."""

from __future__ import annotations

import enum


class Period(enum.StrEnum):
    """A digest's period. The first three run until now; the scheduled ones cover the finished period before."""

    TODAY = "today"
    WEEK = "week"
    MONTH = "month"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"

    @property
    def scheduled(self) -> bool:
        return self in (Period.DAILY, Period.WEEKLY, Period.MONTHLY)

    @property
    def monthly_like(self) -> bool:
        return self in (Period.MONTH, Period.MONTHLY)


SCHEDULED_PERIODS = (Period.DAILY, Period.WEEKLY, Period.MONTHLY)


class EventType(enum.StrEnum):
    """Kinds of calendar events (工作台历)."""

    SELECTION = "选课"
    REGISTRATION = "报考"
    LIVE = "直播"
    HOMEWORK = "作业"
    EXAM = "考试"
    OTHER = "其他"

    @property
    def has_deadline(self) -> bool:
        """Work that is due by a deadline, rather than happening at a start time."""
        return self in (EventType.SELECTION, EventType.REGISTRATION, EventType.HOMEWORK)


class SendStatus(enum.StrEnum):
    """An outbox message's state."""

    PENDING = "pending"
    SENDING = "sending"  # handed to WeChat; not yet confirmed
    UNCERTAIN = "uncertain"  # a crash hit while sending: WeChat may or may not have taken it
    SENT = "sent"
    FAILED = "failed"  # given up: permanent refusal, or retries exhausted


class DeliveryStatus(enum.StrEnum):
    """How a timed send (reminder, nudge, digest …) was decided in the delivery log."""

    SENT = "sent"
    LATE = "late"  # 补发: came due while the bot was down
    SKIPPED = "skipped"
