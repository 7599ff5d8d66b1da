"""Time-driven work, one module per kind. Each job says when it is next due and what to do then."""

from schedules.digests import DigestJob
from schedules.nudges import NudgeJob
from schedules.questions import ForwardQuestionsJob
from schedules.reminders import ReminderJob

JOBS = [ReminderJob, NudgeJob, ForwardQuestionsJob, DigestJob]

__all__ = ["JOBS"]
