"""The console's ASGI app: `create_app(services)` -> a Starlette app with every page, the login and the static CSS."""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.services import Services
from bot.texts import web as texts
from bot.web.base import COOKIE, HERE, Console, console_of, plain
from bot.web.pages import calendar, classes, health, imports, overview, questions
from bot.weblogin import Login

log = logging.getLogger("banzhu.web")


async def login_page(request: Request) -> Response:
    """GET shows a button; only the POST uses the link, so a link preview or a prefetch cannot spend it."""
    console = console_of(request)
    web = console.services.web
    token = request.path_params["token"]
    if request.method == "GET":
        state = await run_in_threadpool(web.check_link, token)
        if state != Login.OK:
            return _refused(console, state)
        return plain(console, "login.html", 200, token=token)
    done = await run_in_threadpool(web.redeem, token)
    if done.result != Login.OK:
        return _refused(console, done.result)
    response = Response(status_code=303, headers={"Location": "/"})
    secure = console.services.config.web.base_url.startswith("https://")
    response.set_cookie(COOKIE, done.token, max_age=int(console.services.config.web.session.total_seconds()),
                        httponly=True, samesite="lax", secure=secure, path="/")
    return response


def _refused(console: Console, state: Login) -> Response:
    minutes = int(console.services.config.web.link_ttl.total_seconds() // 60)
    message = {Login.USED: texts.LOGIN_USED, Login.EXPIRED: texts.LOGIN_EXPIRED.format(minutes=minutes),
               Login.NOT_STAFF: texts.LOGIN_NOT_STAFF}.get(state, texts.LOGIN_UNKNOWN)
    return plain(console, "message.html", 403, title="无法登录", message=message)


async def logout(request: Request) -> Response:
    console = console_of(request)
    token = request.cookies.get(COOKIE)
    form = await request.form(max_files=0, max_fields=5)
    viewer = await run_in_threadpool(console.services.web.viewer, token)
    if token and viewer is not None and form.get("csrf") == viewer.csrf:
        await run_in_threadpool(console.services.web.logout, token)
    response = plain(console, "message.html", 200, title="已退出", message=texts.LOGGED_OUT)
    response.delete_cookie(COOKIE, path="/")
    return response


class SecurityHeaders:
    """No framing, no sniffing, no referrer to other sites (a URL never leaves the console), a strict content
    policy."""

    def __init__(self, app: ASGIApp) -> None:
        self.inner = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                headers += [(b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"same-origin"), (b"cache-control", b"no-store"),
                            (b"content-security-policy",
                             b"default-src 'self'; img-src 'self' data:; style-src 'self'; "
                             b"script-src 'self'; form-action 'self'; frame-ancestors 'none'")]
            await send(message)

        await self.inner(scope, receive, with_headers)


def create_app(services: Services) -> Starlette:
    """The console over these services: the chat's own, so the console and the chat never disagree."""
    console = Console(services)
    routes = [
        Route("/login/{token}", login_page, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        *overview.routes, *classes.routes, *questions.routes, *calendar.routes, *imports.routes, *health.routes,
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.console = console
    app.add_middleware(SecurityHeaders)
    return app


__all__ = ["create_app"]
