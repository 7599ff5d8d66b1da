"""Chat features, one module per feature. The order here is the order message rules are tried."""

from handlers import calendar, digests, help, members, notices, questions

ROUTERS = [members.router, notices.router, calendar.router, digests.router, questions.router, help.router]

__all__ = ["ROUTERS"]
