"""Files sent for import that nobody confirmed are deleted after `uploads.keep`."""

from bot.jobs import Job

UPLOADS = Job("uploads", next_due=lambda s, now: s.uploads.next_due(now), tick=lambda s, now: s.uploads.prune(now))
