"""Timed work, one module per kind. Each job is a name and two calls into a service: when it is next due, and
what to do then. APScheduler only wakes the engine; the delivery log decides what is sent."""

from schedules.collect import COLLECTIONS
from schedules.digests import DIGESTS
from schedules.friends import FRIEND_REQUESTS
from schedules.nudges import NUDGES
from schedules.progress import CHASE, PROGRESS_REPORT
from schedules.questions import FORWARD_QUESTIONS
from schedules.reminders import REMINDERS
from schedules.retention import RETENTION
from schedules.uploads import UPLOADS
from schedules.welcome import UNMATCHED, WELCOME

JOBS = [REMINDERS, NUDGES, FORWARD_QUESTIONS, DIGESTS, RETENTION, CHASE, PROGRESS_REPORT, UPLOADS, FRIEND_REQUESTS,
        WELCOME, UNMATCHED, COLLECTIONS]

__all__ = ["JOBS"]
