"""Files staff send the bot privately, and the importers that take them.

A file is kept (within the size and type limits), shown to every registered importer, and the first that
recognises it runs as a dry run: the sender gets exactly the report the command line prints, and confirms with
“导入” (the pending `/导入 <token>` is kept by bot/confirmations.py). The import then runs for the sender's classes
only. A file nobody recognises gets one sentence listing what can be imported. Uploaded files are deleted once
imported, or after `uploads.keep`.

An importer is anything with a `name`, a `label` (what it imports, for that sentence), `recognises(path, sheets,
file_name)` and `run(path, file_name=, actor=, classes=, dry_run=)`; the progress importer is registered in
bot/services.py, and roster, calendar and handbook importers plug in the same way.
"""

from __future__ import annotations

import enum
import logging
import secrets
import shutil
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlmodel import col, select

from bot.clock import Clock
from bot.config import Config
from bot.db import Database
from bot.kernel.tables import Sheet, TableError, read_sheets
from bot.models import Upload
from bot.people import Person
from bot.texts import files as file_texts
from bot.texts import uploads as texts

log = logging.getLogger("banzhu.uploads")

SUFFIXES = (".xlsx", ".xlsm", ".csv")


@dataclass(frozen=True)
class Imported:
    text: str  # the report, word for word what the command line prints
    ok: bool  # a dry run that can be imported, or an import that was stored


class Importer(Protocol):
    name: str
    label: str

    def recognises(self, path: Path, sheets: Sequence[Sheet], file_name: str) -> bool: ...

    def run(self, path: Path, *, file_name: str, actor: Person, classes: Collection[str],
            dry_run: bool) -> Imported: ...


class Outcome(enum.Enum):
    CHECKED = "checked"  # a dry run passed: waiting for 导入
    REFUSED = "refused"  # the dry run found problems (the report says which)
    UNREADABLE = "unreadable"  # too big, wrong type, password, corrupt
    UNKNOWN = "unknown"  # no importer recognises it
    IMPORTED = "imported"
    NOT_FOUND = "not found"
    DONE_BEFORE = "done before"
    EXPIRED = "expired"


@dataclass(frozen=True)
class Received:
    outcome: Outcome
    text: str
    token: str = ""
    importer: str = ""


class Uploads:
    def __init__(self, db: Database, clock: Clock, config: Config, importers: Sequence[Importer]) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.importers = list(importers)

    @property
    def labels(self) -> str:
        return "、".join(i.label for i in self.importers) or texts.NOTHING_REGISTERED

    def folder(self) -> Path:
        path = self.config.path(self.config.files.uploads)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _importer(self, name: str) -> Importer | None:
        return next((i for i in self.importers if i.name == name), None)

    # -- receiving -------------------------------------------------------------------------------------------------
    def receive(self, sender: Person, path: Path, file_name: str, now: datetime) -> Received:
        """Keep a file a staff member sent, find its importer and run it as a dry run."""
        limit = self.config.uploads.max_mb
        suffix = Path(file_name).suffix.lower() or path.suffix.lower()
        try:
            size = path.stat().st_size
        except OSError:
            return Received(Outcome.UNREADABLE, texts.LOST.format(name=file_name))
        if suffix == ".xls":
            return Received(Outcome.UNREADABLE, file_texts.OLD_XLS.format(name=file_name))
        if suffix not in SUFFIXES:
            return Received(Outcome.UNREADABLE, texts.WRONG_TYPE.format(name=file_name, what=self.labels))
        if size > limit * 1024 * 1024:
            return Received(Outcome.UNREADABLE, file_texts.TOO_BIG.format(name=file_name, size=size / 1024 / 1024,
                                                                          limit=limit))
        token = self._token()
        kept = self.folder() / token / (Path(file_name.replace("\\", "/")).name or f"upload{suffix}")
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, kept)
        try:
            sheets = read_sheets(kept, max_bytes=limit * 1024 * 1024)
        except TableError as exc:
            _remove(kept)
            return Received(Outcome.UNREADABLE, str(exc))
        importer = next((i for i in self.importers if i.recognises(kept, sheets, file_name)), None)
        if importer is None:
            _remove(kept)
            return Received(Outcome.UNKNOWN, texts.UNKNOWN.format(name=file_name, what=self.labels))
        done = importer.run(kept, file_name=file_name, actor=sender, classes=sender.classes, dry_run=True)
        if not done.ok:
            _remove(kept)
            return Received(Outcome.REFUSED, done.text, importer=importer.name)
        with self.db.tx() as s:
            s.add(Upload(token=token, contact_id=sender.contact_id, file_name=file_name, path=str(kept), size=size,
                         importer=importer.name, received_at=now))
        self.db.on_rollback(lambda: _remove(kept))
        return Received(Outcome.CHECKED, done.text, token, importer.name)

    def _token(self) -> str:
        with self.db.tx() as s:
            while True:
                token = secrets.token_hex(3).upper()
                if s.get(Upload, token) is None:
                    return token

    # -- importing -------------------------------------------------------------------------------------------------
    def _pending(self, sender: Person, token: str) -> tuple[Upload | None, Received | None]:
        with self.db.tx() as s:
            row = s.get(Upload, token.upper())
        if row is None or row.contact_id != sender.contact_id:
            return None, Received(Outcome.NOT_FOUND, texts.NOT_FOUND.format(token=token))
        if row.status == "imported":
            return None, Received(Outcome.DONE_BEFORE, texts.DONE_BEFORE.format(name=row.file_name))
        if row.status != "pending" or not Path(row.path).exists():
            return None, Received(Outcome.EXPIRED, texts.EXPIRED.format(name=row.file_name))
        return row, None

    def preview(self, sender: Person, token: str) -> Received:
        """The dry-run report again (a typed /导入 asks for 确认 first)."""
        row, problem = self._pending(sender, token)
        if row is None:
            assert problem is not None
            return problem
        importer = self._importer(row.importer)
        if importer is None:
            return Received(Outcome.EXPIRED, texts.EXPIRED.format(name=row.file_name))
        done = importer.run(Path(row.path), file_name=row.file_name, actor=sender, classes=sender.classes,
                            dry_run=True)
        return Received(Outcome.CHECKED if done.ok else Outcome.REFUSED, done.text, row.token, importer.name)

    def run(self, sender: Person, token: str) -> Received:
        """Import a checked file for the sender's classes; the file is deleted afterwards."""
        row, problem = self._pending(sender, token)
        if row is None:
            assert problem is not None
            return problem
        importer = self._importer(row.importer)
        if importer is None:
            return Received(Outcome.EXPIRED, texts.EXPIRED.format(name=row.file_name))
        done = importer.run(Path(row.path), file_name=row.file_name, actor=sender, classes=sender.classes,
                            dry_run=False)
        if not done.ok:
            return Received(Outcome.REFUSED, done.text, row.token, importer.name)
        with self.db.tx() as s:
            stored = s.get(Upload, row.token)
            if stored is not None:
                stored.status = "imported"
                s.add(stored)
        _remove(Path(row.path))  # imported: the data is in the database, the file is not needed
        return Received(Outcome.IMPORTED, done.text, row.token, importer.name)

    # -- housekeeping ----------------------------------------------------------------------------------------------
    def next_due(self, now: datetime) -> datetime | None:
        with self.db.read() as s:
            oldest = s.exec(select(Upload.received_at).where(Upload.status == "pending")
                            .order_by(col(Upload.received_at)).limit(1)).first()
        return oldest + self.config.uploads.keep if oldest else None

    def prune(self, now: datetime) -> int:
        """Delete the files of uploads nobody confirmed within `uploads.keep`."""
        removed = 0
        with self.db.tx() as s:
            for row in s.exec(select(Upload).where(Upload.status == "pending",
                                                   Upload.received_at <= now - self.config.uploads.keep)):
                _remove(Path(row.path))
                row.status = "expired"
                s.add(row)
                removed += 1
        if removed:
            log.info("uploads: %d unconfirmed files deleted", removed)
        return removed


def _remove(path: Path) -> None:
    """Delete a kept file and its token folder."""
    path.unlink(missing_ok=True)
    try:
        path.parent.rmdir()
    except OSError:
        pass
