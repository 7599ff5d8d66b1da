"""导入: upload a roster or a calendar timetable (CSV/XLSX/ICS) — the command line's dry-run report first, then
确认导入 — or a learning-progress export, which goes to the very importer registry a file sent in chat goes to
(bot/uploads.py): the same check, the same report word for word, for the sender's classes only, and 确认导入 runs
the same import as “导入” in chat. Files are checked for size and type before anything reads them; a roster or
calendar file is kept only until confirmed (30 minutes at most) and bound to the session that sent it, a progress
file as long as one sent in chat (`uploads.keep`) and bound to its sender."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from starlette.datastructures import UploadFile
from starlette.responses import Response
from starlette.routing import Route

from bot.kernel.tables import TableError
from bot.people import Role
from bot.progress.upload import ProgressUpload
from bot.texts import cli as cli_texts
from bot.texts import web as texts
from bot.uploads import Outcome
from bot.web.base import Refused, Req, not_found, page

KEEP = timedelta(minutes=30)


@dataclass(frozen=True)
class Kind:
    key: str
    title: str
    suffixes: tuple[str, ...]
    roles: Role
    hint: str


KINDS = {
    "roster": Kind("roster", texts.IMPORT_KINDS["roster"][0], (".csv", ".xlsx"), Role.ADMIN,
                   texts.IMPORT_KINDS["roster"][1]),
    "calendar": Kind("calendar", texts.IMPORT_KINDS["calendar"][0], (".csv", ".xlsx", ".ics"), Role.ADMIN,
                     texts.IMPORT_KINDS["calendar"][1]),
    "progress": Kind("progress", texts.IMPORT_KINDS["progress"][0], ProgressUpload.suffixes, Role.STAFF,  # as files sent in chat
                     texts.IMPORT_KINDS["progress"][1]),
}


@dataclass
class Upload:
    token: str
    session: str
    kind: str
    path: Path
    name: str
    at: datetime


@dataclass
class Report:
    ok: bool  # may be imported
    errors: list[str]
    summary: str
    text: str = ""  # a progress file: the chat's report, word for word


def kinds_for(req: Req) -> list[Kind]:
    return [k for k in KINDS.values() if req.person.role & k.roles]


def _kind(req: Req) -> Kind:
    kind = KINDS.get(req.param("kind"))
    if kind is None or kind not in kinds_for(req):
        raise not_found()
    return kind


def _expire(req: Req) -> None:
    """Forget uploads nobody confirmed in time."""
    now = req.now
    with req.console.lock:
        stale = [up for up in req.console.uploads.values() if now - up.at > KEEP]
        for up in stale:
            req.console.uploads.pop(up.token, None)
    for up in stale:
        up.path.unlink(missing_ok=True)


def check(req: Req, kind: Kind, path: Path, *, dry_run: bool) -> Report:
    """Run the owning service's import (dry or real) and word its report as the command line does."""
    services = req.services
    if kind.key == "roster":
        try:
            r = services.roster.import_file(path, dry_run=dry_run)
        except TableError as exc:
            return Report(False, [str(exc)], texts.UNREADABLE.format(error=exc))
        errors = [str(e) for e in r.errors]
        if not r.ok:
            return Report(False, errors, cli_texts.roster_refused(len(r.errors)))
        return Report(True, errors, cli_texts.roster_report(dry_run, r.added, r.updated, r.unchanged))
    if kind.key == "calendar":
        c = services.calendar.import_file(path, dry_run=dry_run)
        usable = bool(c.added or c.changed or c.unchanged)
        return Report(usable, list(c.errors), cli_texts.calendar_report(dry_run, c.added, c.changed, c.unchanged,
                                                                        len(c.errors)))
    raise ValueError(kind.key)  # progress files go through the chat's importer registry (upload_progress)


@page()
def index(req: Req) -> Response:
    return req.render("imports.html", kinds=kinds_for(req), max_mb=req.services.config.web.max_upload_mb)


@page()
def upload(req: Req) -> Response:
    kind = _kind(req)
    file = req.form.get("file") if req.form is not None else None
    if not isinstance(file, UploadFile) or not file.filename:
        raise Refused(400, texts.NO_FILE)
    name = Path(file.filename).name
    suffix = Path(name).suffix.lower()
    if suffix not in kind.suffixes:
        raise Refused(415, texts.WRONG_TYPE.format(name=name, allowed="、".join(kind.suffixes)))
    limit = req.services.config.web.max_upload_mb * 2**20
    _expire(req)
    token = secrets.token_urlsafe(16)
    path = req.console.upload_dir / f"{token}{suffix}"
    size = 0
    with path.open("wb") as out:
        while chunk := file.file.read(1 << 16):
            size += len(chunk)
            if size > limit:
                out.close()
                path.unlink(missing_ok=True)
                raise Refused(413, texts.TOO_LARGE.format(mb=limit // 2**20))
            out.write(chunk)
    if kind.key == "progress":
        return upload_progress(req, kind, path, name)
    report = check(req, kind, path, dry_run=True)
    if report.ok:
        with req.console.lock:
            req.console.uploads[token] = Upload(token, req.session_key, kind.key, path, name, req.now)
    else:
        path.unlink(missing_ok=True)
    req.audit(f"{kind.key} import --dry-run", name)
    return req.render("import_report.html", kind=kind, report=report, name=name, token=token if report.ok else "",
                      dry_run=True)


def upload_progress(req: Req, kind: Kind, path: Path, name: str) -> Response:
    """A platform export, exactly as if the viewer had sent it to the bot privately: kept by the chat's upload
    registry, checked as a dry run for the viewer's classes, waiting for 确认导入 (or “导入” in chat)."""
    try:
        got = req.services.uploads.receive(req.person, path, name, req.now)
    finally:
        path.unlink(missing_ok=True)  # the registry keeps its own copy
    req.audit("file", f"{name} -> {got.importer or '-'}", got.outcome.value)
    ok = got.outcome == Outcome.CHECKED
    report = Report(ok, [], "", got.text)
    return req.render("import_report.html", kind=kind, report=report, name=name, token=got.token if ok else "",
                      dry_run=True)


def confirm_progress(req: Req, kind: Kind) -> Response:
    """确认导入: the registry's import, as “导入” in chat (for the sender's classes only, the file deleted after)."""
    token = req.field("token")
    got = req.services.uploads.run(req.person, token)
    req.audit("/导入", token, got.outcome.value)
    gone = got.outcome in (Outcome.NOT_FOUND, Outcome.DONE_BEFORE, Outcome.EXPIRED)
    report = Report(got.outcome == Outcome.IMPORTED, [], "", got.text)
    return req.render("import_report.html", 410 if gone else 200, kind=kind, report=report, name="", token="",
                      dry_run=False)


@page()
def confirm(req: Req) -> Response:
    kind = _kind(req)
    if kind.key == "progress":
        return confirm_progress(req, kind)
    _expire(req)
    with req.console.lock:
        up = req.console.uploads.get(req.field("token"))
        if up is None or up.session != req.session_key or up.kind != kind.key:
            raise Refused(410, texts.UPLOAD_GONE)
        req.console.uploads.pop(up.token, None)
    try:
        report = check(req, kind, up.path, dry_run=False)
    finally:
        up.path.unlink(missing_ok=True)
    req.audit(f"{kind.key} import", f"{up.name}: {report.summary}"[:200], "ok" if report.ok else "refused")
    return req.render("import_report.html", kind=kind, report=report, name=up.name, token="", dry_run=False)


routes = [Route("/imports", index), Route("/imports/{kind}", upload, methods=["POST"]),
          Route("/imports/{kind}/confirm", confirm, methods=["POST"])]
