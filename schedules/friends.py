"""The daily list of pending friend requests to the admins."""

from bot.jobs import Job

FRIEND_REQUESTS = Job("friend-requests", next_due=lambda s, now: s.friends.next_report_due(now),
                      tick=lambda s, now: s.friends.report(now))
