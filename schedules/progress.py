"""Learning progress: automatic chasing before each linked deadline, and the monthly 数据通报."""

from bot.jobs import Job

CHASE = Job("progress-chase", next_due=lambda s, now: s.progress.chase_next_due(now),
            tick=lambda s, now: s.progress.chase_run_due(now))

PROGRESS_REPORT = Job("progress-report", next_due=lambda s, now: s.progress.report_next_due(now),
                      tick=lambda s, now: s.progress.report_run_due(now))
