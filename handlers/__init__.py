"""Chat features, one module per feature. The order here is the order message rules are tried."""

from handlers import (
           calendar,
           collect,
           console,
           digests,
           files,
           friends,
           help,
           members,
           notices,
           progress,
           questions,
)

ROUTERS = [members.router, notices.router, collect.router, calendar.router, digests.router, progress.router,
           files.router, friends.router, questions.router, console.router, help.router]

__all__ = ["ROUTERS"]
