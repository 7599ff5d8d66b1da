"""健康 (admins): is the bot running and connected, what waits to be sent, is WeChat throttling us, when the last
message went out, what could not be sent, and the friend requests waiting for an admin (Friends.pending, as
/好友申请 lists them)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from bot import status
from bot.courier import throttle_note
from bot.people import Role
from bot.web.base import Req, page


@page(Role.ADMIN)
def show(req: Req) -> Response:
    services = req.services
    now = req.now
    report = status.read(services.db, now)
    rooms = {room_id: group for group, room_id in services.people.bound_rooms().items()}
    failures = services.outbox.recent_failures(20)
    friends = services.friends.pending()
    return req.render("health.html", report=report, pending=services.outbox.pending_count(),
                      backlog=services.inbox.backlog(), throttle=throttle_note(services.db, now),
                      last=services.outbox.last_sent(), failures=failures, rooms=rooms, friends=friends,
                      sessions=services.web.open_sessions(), gateway=services.config.gateway.kind)


routes = [Route("/health", show)]
