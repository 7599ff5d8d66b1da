"""Files staff send the bot privately, and the importers that take them.

A file is kept (within the size and type limits) and shown to every registered importer that takes its type; the
one that recognises it best runs as a dry run: the sender gets exactly the report the command line prints, and
confirms with “导入” (the pending `/导入 <token>` is kept by bot/confirmations.py). Recognition is never a guess
between two importers: each says how well the file fits it (its own file type or exactly its columns, its columns
among others, or only words in the file name or title), the best fit wins, and a tie is refused. Who may import
what is the importer's `roles` (the command line's and the web console's rules); a scoped importer imports for the
sender's classes only. A file nobody recognises gets one sentence listing what the sender can import. Uploaded
files are deleted once imported, or after `uploads.keep`.

An importer is anything with a `name`, a `label` (what it imports, for that sentence), the file `suffixes` it
takes, the `roles` that may use it, whether it is `scoped` to the sender's classes, `recognises(path, sheets,
file_name) -> Fit` and `run(path, file_name=, actor=, classes=, dry_run=)`; they are registered in
bot/services.py (progress, roster, calendar and handbook: bot/progress/upload.py and bot/importers.py).
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

from bot import revisions
from bot.clock import Clock
from bot.config import Config
from bot.db import Database
from bot.kernel.tables import Sheet, TableError, read_sheets
from bot.models import Upload
from bot.people import Person, Role
from bot.revisions import Cached, Watcher
from bot.texts import files as file_texts
from bot.texts import uploads as texts

log = logging.getLogger("banzhu.uploads")

TABLES = (".xlsx", ".xlsm", ".csv")  # read as sheets before any importer looks at them


class Fit(enum.IntEnum):
    """How well a file fits an importer; the best fit among the importers takes it, and a tie takes nothing."""

    NO = 0
    NAMED = 1  # only words in its name or title say so (its layout will be refused with a reason)
    COLUMNS = 2  # the importer's required columns, among others it does not know
    EXACT = 3  # the importer's own file type, or its columns and nothing it cannot place


@dataclass(frozen=True)
class Imported:
    text: str  # the report, word for word what the command line prints
    ok: bool  # a dry run that can be imported, or an import that was stored


class Importer(Protocol):
    name: str
    title: str  # what it imports, in a word: 花名册
    label: str  # the same with what it takes, for the sentence listing what can be imported
    suffixes: tuple[str, ...]
    roles: Role  # who may import this kind of file in chat
    scoped: bool  # imports for the sender's classes only

    def recognises(self, path: Path, sheets: Sequence[Sheet], file_name: str) -> Fit: ...

    def run(self, path: Path, *, file_name: str, actor: Person, classes: Collection[str],
            dry_run: bool) -> Imported: ...


class Outcome(enum.Enum):
    CHECKED = "checked"  # a dry run passed: waiting for 导入
    REFUSED = "refused"  # the dry run found problems (the report says which)
    UNREADABLE = "unreadable"  # too big, wrong type, password, corrupt
    UNKNOWN = "unknown"  # no importer recognises it, or two recognise it equally
    NOT_ALLOWED = "not allowed"  # recognised, but the sender may not import that kind of file
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
    scoped: bool = True  # the import covers the sender's classes only


class Uploads:
    def __init__(self, db: Database, clock: Clock, config: Config, importers: Sequence[Importer]) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.importers = list(importers)
        # When the oldest unconfirmed file is due for deletion: kept until an upload is kept, imported or deleted
        # (here, or in another process: the web console takes uploads too).
        self._due = Cached(self._compute_next_due, Watcher(db, clock, "uploads"))

    def _changed(self) -> None:
        revisions.bump(self.db, "uploads")
        self._due.invalidate()
        self.db.on_rollback(self._due.invalidate)

    def usable(self, sender: Person) -> list[Importer]:
        """The importers this sender may use."""
        return [i for i in self.importers if i.roles & sender.role]

    def labels(self, sender: Person) -> str:
        return "；".join(i.label for i in self.usable(sender)) or texts.NOTHING_REGISTERED

    def _types(self, sender: Person) -> str:
        suffixes = dict.fromkeys(x for i in self.usable(sender) for x in i.suffixes if x != ".xlsm")
        return "、".join(suffixes) or texts.NOTHING_REGISTERED

    def folder(self) -> Path:
        path = self.config.path(self.config.files.uploads)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def _importer(self, name: str) -> Importer | None:
        return next((i for i in self.importers if i.name == name), None)

    def _pick(self, kept: Path, sheets: Sequence[Sheet], file_name: str, suffix: str) -> list[Importer]:
        """The importers that fit the file best (none when nothing fits)."""
        fits = [(i.recognises(kept, sheets, file_name), i) for i in self.importers if suffix in i.suffixes]
        best = max((f for f, _ in fits), default=Fit.NO)
        return [i for f, i in fits if f == best] if best > Fit.NO else []

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
        if not any(suffix in i.suffixes for i in self.importers):
            return Received(Outcome.UNREADABLE, texts.WRONG_TYPE.format(name=file_name, types=self._types(sender),
                                                                        what=self.labels(sender)))
        if size > limit * 1024 * 1024:
            return Received(Outcome.UNREADABLE, file_texts.TOO_BIG.format(name=file_name, size=size / 1024 / 1024,
                                                                          limit=limit))
        token = self._token()
        kept = self.folder() / token / (Path(file_name.replace("\\", "/")).name or f"upload{suffix}")
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, kept)
        sheets: list[Sheet] = []
        if suffix in TABLES:
            try:
                sheets = read_sheets(kept, max_bytes=limit * 1024 * 1024)
            except TableError as exc:
                _remove(kept)
                return Received(Outcome.UNREADABLE, str(exc))
        picked = self._pick(kept, sheets, file_name, suffix)
        if len(picked) != 1:
            _remove(kept)
            if picked:
                log.info("uploads: %s fits %s equally; refused", file_name, [i.name for i in picked])
                return Received(Outcome.UNKNOWN, texts.AMBIGUOUS.format(
                    name=file_name, kinds="还是".join(i.title for i in picked)))
            return Received(Outcome.UNKNOWN, texts.UNKNOWN.format(name=file_name, what=self.labels(sender)))
        importer = picked[0]
        if not importer.roles & sender.role:
            _remove(kept)
            return Received(Outcome.NOT_ALLOWED, texts.NOT_ALLOWED.format(name=file_name,
                                                                          kind=importer.title),
                            importer=importer.name)
        done = importer.run(kept, file_name=file_name, actor=sender, classes=sender.classes, dry_run=True)
        if not done.ok:
            _remove(kept)
            return Received(Outcome.REFUSED, done.text, importer=importer.name, scoped=importer.scoped)
        with self.db.tx() as s:
            s.add(Upload(token=token, contact_id=sender.contact_id, file_name=file_name, path=str(kept), size=size,
                         importer=importer.name, received_at=now))
            self._changed()
        self.db.on_rollback(lambda: _remove(kept))
        return Received(Outcome.CHECKED, done.text, token, importer.name, importer.scoped)

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
        importer = self._allowed(sender, row)
        if isinstance(importer, Received):
            return importer
        done = importer.run(Path(row.path), file_name=row.file_name, actor=sender, classes=sender.classes,
                            dry_run=True)
        return Received(Outcome.CHECKED if done.ok else Outcome.REFUSED, done.text, row.token, importer.name,
                        importer.scoped)

    def run(self, sender: Person, token: str) -> Received:
        """Import a checked file for the sender's classes; the file is deleted afterwards."""
        row, problem = self._pending(sender, token)
        if row is None:
            assert problem is not None
            return problem
        importer = self._allowed(sender, row)
        if isinstance(importer, Received):
            return importer
        done = importer.run(Path(row.path), file_name=row.file_name, actor=sender, classes=sender.classes,
                            dry_run=False)
        if not done.ok:
            return Received(Outcome.REFUSED, done.text, row.token, importer.name, importer.scoped)
        with self.db.tx() as s:
            stored = s.get(Upload, row.token)
            if stored is not None:
                stored.status = "imported"
                s.add(stored)
                self._changed()
        _remove(Path(row.path))  # imported: the data is in the database, the file is not needed
        return Received(Outcome.IMPORTED, done.text, row.token, importer.name, importer.scoped)

    def _allowed(self, sender: Person, row: Upload) -> Importer | Received:
        """The importer of a kept file, if the sender (still) may use it."""
        importer = self._importer(row.importer)
        if importer is None:
            return Received(Outcome.EXPIRED, texts.EXPIRED.format(name=row.file_name))
        if not importer.roles & sender.role:
            return Received(Outcome.NOT_ALLOWED, texts.NOT_ALLOWED.format(name=row.file_name,
                                                                          kind=importer.title))
        return importer

    # -- housekeeping ----------------------------------------------------------------------------------------------
    def next_due(self, now: datetime) -> datetime | None:
        return self._due.get()

    def _compute_next_due(self) -> datetime | None:
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
                self._changed()
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
