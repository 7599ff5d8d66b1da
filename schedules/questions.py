"""Unanswered questions go to the class advisor privately, batched: one message per class every little while."""

from bot.jobs import Job

FORWARD_QUESTIONS = Job("forward-questions", next_due=lambda s, now: s.questions.next_forward_due(),
                        tick=lambda s, now: s.questions.forward(now))
