"""What every page shares: who is looking (the session cookie, rights from People on every request), CSRF on every
form, the request size limit, rendering, and running the page's work in a worker thread (the event loop only
parses HTTP; database work never runs on it, as in the bot)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from bot.kernel.aliases import clean_name
from bot.people import ROLE_NAMES, Person, Role
from bot.services import Services
from bot.texts import web as texts
from bot.web import format as fmt
from bot.weblogin import Viewer

log = logging.getLogger("banzhu.web")

COOKIE = "bz_session"
HERE = Path(__file__).resolve().parent
PLACE = "后台"  # where, in the audit log


class Refused(Exception):
    """Stop a page with a status and a message (404 hides what exists outside the viewer's scope)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Console:
    """The app's state: the services, templates, and short-lived per-session notes."""

    services: Services
    env: Environment = field(init=False)
    uploads: dict[str, Any] = field(default_factory=dict)  # token -> an upload waiting for 确认导入
    upload_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="banzhu-uploads-")))
    lock: threading.Lock = field(default_factory=threading.Lock)
    _flash: dict[str, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(),
                               trim_blocks=True, lstrip_blocks=True)
        self.env.filters.update(pct=fmt.pct, delta=fmt.delta, local=self.local_text, short=fmt.short,
                                indicator=fmt.indicator, change=fmt.change, target=fmt.target, figure=fmt.figure,
                                name=clean_name)
        self.env.globals.update(role_names=ROLE_NAMES, Role=Role)

    def local(self, when: datetime) -> datetime:
        return when.astimezone(self.services.config.tz)

    def local_text(self, when: datetime | None, pattern: str = "%m-%d %H:%M") -> str:
        """Local time; %a is the Chinese weekday (周一 …), whatever the server's locale."""
        if not when:
            return ""
        local = self.local(when)
        return local.strftime(pattern.replace("%a", "周" + "一二三四五六日"[local.weekday()]))

    def flash(self, key: str, text: str) -> None:
        with self.lock:
            self._flash.setdefault(key, []).append(text)
            if len(self._flash) > 1000:  # sessions that never came back
                self._flash.pop(next(iter(self._flash)))

    def take_flash(self, key: str) -> list[str]:
        with self.lock:
            return self._flash.pop(key, [])


@dataclass
class Req:
    """One request to a page, after the checks: who, what they sent, and the services."""

    request: Request
    console: Console
    viewer: Viewer
    form: FormData | None = None

    @property
    def services(self) -> Services:
        return self.console.services

    @property
    def person(self) -> Person:
        return self.viewer.person

    @property
    def now(self) -> datetime:
        return self.services.clock.now()

    @property
    def session_key(self) -> str:
        return hashlib.sha256((self.request.cookies.get(COOKIE) or "").encode()).hexdigest()[:24]

    def param(self, name: str) -> str:
        return str(self.request.path_params.get(name, ""))

    def query(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default)

    def field(self, name: str, default: str = "") -> str:
        value = self.form.get(name) if self.form is not None else None
        return value.strip() if isinstance(value, str) else default

    def fields(self, name: str) -> list[str]:
        if self.form is None:
            return []
        return [v.strip() for v in self.form.getlist(name) if isinstance(v, str) and v.strip()]

    def flash(self, text: str) -> None:
        self.console.flash(self.session_key, text)

    def audit(self, action: str, detail: str = "", result: str = "ok") -> None:
        self.services.audit.record(self.person, PLACE, action, detail, result)

    def render(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        page = self.console.env.get_template(template).render(
            viewer=self.viewer, person=self.person, csrf=self.viewer.csrf, path=self.request.url.path,
            flashes=self.console.take_flash(self.session_key), school=self.services.config.school,
            is_admin=bool(self.person.role & Role.ADMIN), **context)
        return HTMLResponse(page, status_code=status)

    def redirect(self, to: str) -> RedirectResponse:
        return RedirectResponse(to, status_code=303)


Page = Callable[[Req], Response]


def plain(console: Console, template: str, status: int, **context: Any) -> HTMLResponse:
    """A page for someone not logged in (login, errors)."""
    html = console.env.get_template(template).render(school=console.services.config.school, viewer=None,
                                                     person=None, flashes=[], path="", is_admin=False,
                                                     **context)
    return HTMLResponse(html, status_code=status)


def console_of(request: Request) -> Console:
    console: Console = request.app.state.console
    return console


def same_origin(request: Request, base_url: str) -> bool:
    """A form post must come from the console itself (the configured address or the host it was reached at)."""
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True  # old browsers send neither; the CSRF token still has to match
    got = urlsplit(origin)
    allowed = {urlsplit(base_url).netloc, request.headers.get("host", "")}
    return got.netloc in allowed


async def read_form(request: Request, limit_bytes: int) -> FormData:
    """The posted form, refusing (413) before reading anything larger than the limit."""
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise Refused(411, texts.TOO_LARGE.format(mb=limit_bytes // 2**20))
    if int(length) > limit_bytes + 64 * 1024:  # the file plus the form's own fields and boundaries
        raise Refused(413, texts.TOO_LARGE.format(mb=limit_bytes // 2**20))
    return await request.form(max_files=2, max_fields=200)


def page(roles: Role = Role.STAFF) -> Callable[[Page], Callable[[Request], Awaitable[Response]]]:
    """A page for logged-in staff with one of `roles`. POSTs must carry the session's CSRF token. The page itself
    runs in a worker thread."""

    def deco(fn: Page) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            console = console_of(request)
            services = console.services
            started = time.perf_counter()
            try:
                viewer = await run_in_threadpool(services.web.viewer, request.cookies.get(COOKIE))
                if viewer is None:
                    return plain(console, "message.html", 401, title="请先登录", message=texts.NEED_LOGIN)
                form = None
                if request.method == "POST":
                    if not same_origin(request, services.config.web.base_url):
                        raise Refused(403, texts.BAD_ORIGIN)
                    form = await read_form(request, services.config.web.max_upload_mb * 2**20)
                    token = form.get("csrf")
                    if not isinstance(token, str) or not hmac.compare_digest(token, viewer.csrf):
                        raise Refused(403, texts.CSRF)
                if not viewer.person.role & roles:
                    allowed = "或".join(v for k, v in ROLE_NAMES.items() if k & roles)
                    raise Refused(403, texts.FORBIDDEN.format(role=allowed))
                req = Req(request, console, viewer, form)
                try:
                    response = await run_in_threadpool(fn, req)
                finally:
                    if form is not None:
                        await form.close()
            except Refused as exc:
                response = plain(console, "message.html", exc.status, title="无法打开", message=exc.message)
            except HTTPException:
                raise
            except Exception:
                log.exception("page %s failed", request.url.path if "/login/" not in request.url.path else "/login")
                response = plain(console, "message.html", 500, title="出错了", message=texts.SERVER_ERROR)
            response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
            return response

        endpoint.__name__ = fn.__name__
        endpoint.__doc__ = fn.__doc__
        return endpoint

    return deco


def not_found() -> Refused:
    return Refused(404, texts.NOT_FOUND)
