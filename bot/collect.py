"""Collections (/收集): a notice answered by sending an image or a file, in the class group or privately.

A collection is a notice of kind "collection" (bot/notices/service.py publishes, counts, nudges and summarises it
like any other: /未确认, /统计, /催, the automatic nudges, the deadline summary and the digests need nothing
new). This service keeps the files: each student's latest file is saved as `学号_姓名.ext` (the roster's 学号 and
name; a student not bound to the roster as `微信名_短编号.ext`, the short id being six hex digits of a hash of the
contact id) in a folder of that collection under `files.collections`; a resubmission replaces it. The first file
is the student's acknowledgement (via "file"). `/导出 #N` zips the files with the notice's Excel status, named by
the roster as it is at export time (a student who binds later is exported as 学号_姓名).

Which collection a file answers: the student's open collections (in the group it was sent to, or privately in
every class group they are in and their roster class), oldest first; the first they have not answered yet, else
the latest (a resubmission). Limits: `collections.max_mb` (default `uploads.max_mb`) and `collections.types`.

Personal data: the files and their rows are deleted by `forget` and `collections.keep` after the collection
closes; export zips are deleted after EXPORT_KEEP.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlmodel import col, select

from bot import revisions
from bot.accounts import Accounts
from bot.clock import Clock
from bot.config import ClassGroup, Config
from bot.db import Database
from bot.gateways.base import Member
from bot.models import Ack, Notice, Submission
from bot.notices.service import COLLECTION, Notices
from bot.people import People
from bot.revisions import Cached, Watcher
from bot.roster import Roster, clean_name

log = logging.getLogger("banzhu.collect")

EXPORTS = "_exports"  # zips made by /导出, inside files.collections
EXPORT_KEEP = timedelta(days=2)  # a zip waits this long for the outbox (which gives up after a day), then goes
IMAGE_DEFAULT = ".jpg"  # an image sent without a name


@dataclass(frozen=True)
class Submitted:
    """What became of a file a student sent for a collection; the handler chooses the words."""

    outcome: str  # saved | replaced | too big | wrong type | lost
    notice: Notice
    file_name: str  # as it was sent
    size_mb: float = 0.0
    limit_mb: int = 0
    bound: bool = True  # named by the roster's 学号 and name
    others: list[Notice] = field(default_factory=list)  # other open collections this student has not answered
    privately: bool = False  # the bot can write to this student privately (the confirmation can go there)


@dataclass(frozen=True)
class Exported:
    path: Path
    files: int  # files in the zip
    done: int  # students who submitted (as /统计 counts)
    expected: int
    pruned: bool  # the files were deleted (after `collections.keep`, or by `forget`)


def safe(text: str) -> str:
    """A file or folder name that works on every system (no separators, no control or reserved characters)."""
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "", text).strip().strip(".")
    return re.sub(r"\s+", "", cleaned)[:60] or "未命名"


def short_id(contact_id: str) -> str:
    return hashlib.sha1(contact_id.encode()).hexdigest()[:6]


class Collections:
    def __init__(self, db: Database, clock: Clock, config: Config, people: People, roster: Roster,
                 notices: Notices, accounts: Accounts) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.people = people
        self.roster = roster
        self.notices = notices
        self.accounts = accounts
        # When files or zips are next due for deletion: kept until a collection gets its first file, an export is
        # made or files are deleted (here, or through the "collections" revision by another process).
        self._next_due = Cached(self._compute_next_due, Watcher(db, clock, "collections"))

    def _changed(self) -> None:
        self._next_due.invalidate()
        revisions.bump(self.db, "collections")
        self.db.on_rollback(self._next_due.invalidate)

    # -- where ---------------------------------------------------------------------------------------------------
    def root(self) -> Path:
        return self.config.path(self.config.files.collections)

    def folder(self, notice: Notice) -> Path:
        return self.root() / safe(f"{notice.id}-{notice.group_name}")

    @property
    def limit_mb(self) -> int:
        return self.config.collections.max_mb or self.config.uploads.max_mb

    @property
    def types(self) -> list[str]:
        return self.config.collections.types

    # -- receiving -----------------------------------------------------------------------------------------------
    def target(self, contact_id: str, group: ClassGroup | None, now: datetime) -> tuple[Notice | None, list[Notice]]:
        """The collection a file from this student answers, and the others still open to them."""
        if group is not None:
            groups = [group.name]
        else:
            groups = self.people.class_groups_of(contact_id)
            student = self.roster.student_of_contact(contact_id)
            if student and student.class_name not in groups:
                groups.append(student.class_name)
        open_ = sorted((n for g in groups for n in self.notices.open_to(g, contact_id, now, COLLECTION)),
                       key=lambda n: n.id or 0)
        pending = [n for n in open_ if not self.notices.has_acknowledged(n, contact_id)]
        chosen = pending[0] if pending else (open_[-1] if open_ else None)
        return chosen, [n for n in pending if n is not chosen]

    def submit(self, who: Member, group: ClassGroup | None, src: Path, file_name: str, *, image: bool,
               at: datetime, message_id: str) -> Submitted | None:
        """Save a student's file for their open collection and count it as their acknowledgement. None when no
        collection is open to them (the bot then says nothing: a file is not a question)."""
        notice, others = self.target(who.contact_id, group, at)
        if notice is None:
            return None
        privately = group is None or bool(self.accounts.reachable([who.contact_id]))
        suffix = Path(file_name).suffix.lower() or src.suffix.lower() or (IMAGE_DEFAULT if image else "")
        try:
            size = src.stat().st_size
        except OSError:
            return Submitted("lost", notice, file_name, privately=privately)
        if suffix not in self.types:
            return Submitted("wrong type", notice, file_name, privately=privately)
        if size > self.limit_mb * 1024 * 1024:
            return Submitted("too big", notice, file_name, size / 1024 / 1024, self.limit_mb, privately=privately)
        student = self.roster.student_of_contact(who.contact_id)
        room_id = notice.room_id or ""
        shown = self.roster.display_names(room_id, [who])[who.contact_id]
        base = f"{student.student_no}_{student.name}" if student else f"{clean_name(who.shown)}_{short_id(who.contact_id)}"
        folder = self.folder(notice)
        folder.mkdir(parents=True, exist_ok=True)
        dest = folder / (safe(base) + suffix)
        part = dest.with_name(dest.name + ".part")
        shutil.copyfile(src, part)
        self.db.on_rollback(lambda: part.unlink(missing_ok=True))
        with self.db.tx() as s:
            row = s.exec(select(Submission).where(Submission.notice_id == notice.id,
                                                  Submission.contact_id == who.contact_id)).first()
            replaced = row is not None
            if not replaced and s.exec(select(Submission.id).where(Submission.notice_id == notice.id)
                                       .limit(1)).first() is None:
                self._changed()  # the collection's first file: its deletion is now due some day
            old = Path(row.path) if row is not None else None
            if row is None:
                row = Submission(notice_id=notice.id or 0, contact_id=who.contact_id, path=str(dest), first_at=at,
                                 at=at, versions=0)
            row.student_no = student.student_no if student else ""
            row.name = student.name if student else clean_name(who.shown)
            row.path, row.original, row.size, row.at = str(dest), file_name, size, at
            row.versions += 1
            s.add(row)
            self.notices.credit([notice], who, shown, at=at, via="file", message_id=message_id, text=file_name)
        os.replace(part, dest)
        if old is not None and old != dest:
            old.unlink(missing_ok=True)
        log.info("collection %s: file from %s (%s)", notice.id, who.contact_id, "replaced" if replaced else "new")
        return Submitted("replaced" if replaced else "saved", notice, file_name, bound=student is not None,
                         others=others, privately=privately)

    # -- export --------------------------------------------------------------------------------------------------
    def export(self, notice: Notice) -> Exported:
        """A zip of the collection's files (one folder per class) and its Excel status, for the teacher."""
        notices = self.notices.children(notice.id or 0) if notice.is_fanout else [notice]
        ids = [n.id or 0 for n in notices]
        with self.db.read() as s:
            rows = list(s.exec(select(Submission).where(col(Submission.notice_id).in_(ids))
                               .order_by(col(Submission.notice_id), col(Submission.student_no))))
        current = self.roster.by_contact(r.contact_id for r in rows)
        group_of = {n.id: n.group_name for n in notices}
        names: dict[int, dict[str, str]] = {i: {} for i in ids}
        entries: list[tuple[Path, str]] = []
        for r in rows:
            path = Path(r.path)
            if not path.exists():
                continue
            st = current.get(r.contact_id)
            base = f"{st.student_no}_{st.name}" if st else (
                f"{r.student_no}_{r.name}" if r.student_no else f"{r.name}_{short_id(r.contact_id)}")
            named = safe(base) + path.suffix
            names[r.notice_id][r.contact_id] = named
            entries.append((path, f"{safe(group_of[r.notice_id])}/{named}"))
        out = self.root() / EXPORTS
        out.mkdir(parents=True, exist_ok=True)
        stamp = f"{self.clock.now().astimezone(self.config.tz):%Y%m%d-%H%M%S}"
        sheet = self.notices.workbook(notice, out / f"收集{notice.id}-{stamp}.xlsx", names)
        zipped = out / f"收集{notice.id}-{stamp}.zip"
        with zipfile.ZipFile(zipped, "w", zipfile.ZIP_DEFLATED) as z:
            z.write(sheet, f"收集{notice.id}提交情况.xlsx")
            for path, arcname in entries:
                z.write(path, arcname, compress_type=zipfile.ZIP_STORED)  # photos and PDFs are compressed already
        sheet.unlink(missing_ok=True)
        self._changed()  # the zip is due for deletion
        if notice.is_fanout:
            counts = self.notices.class_rows(notice)
            done, expected = sum(r.done for r in counts), sum(r.expected for r in counts)
        else:
            status = self.notices.status(notice)
            done, expected = status.done, len(status.expected)
        return Exported(zipped, len(entries), done, expected, not entries and self._acked_by_file(ids))

    def _acked_by_file(self, notice_ids: list[int]) -> bool:
        with self.db.read() as s:
            return s.exec(select(Ack.id).where(col(Ack.notice_id).in_(notice_ids), Ack.via == "file")
                          .limit(1)).first() is not None

    # -- privacy: forget and retention ---------------------------------------------------------------------------
    def forget(self, student_no: str, contact_id: str | None) -> int:
        """Delete a student's collected files and their rows (and every export zip of those collections)."""
        with self.db.tx() as s:
            match = Submission.student_no == student_no
            if contact_id:
                match = match | (Submission.contact_id == contact_id)
            rows = list(s.exec(select(Submission).where(match)))
            for r in rows:
                Path(r.path).unlink(missing_ok=True)
                s.delete(r)
        self._drop_exports({r.notice_id for r in rows})
        if rows:
            self._changed()
        return len(rows)

    def _drop_exports(self, notice_ids: Iterable[int]) -> None:
        """Delete the export zips of these collections and of the fan-outs they belong to."""
        ids = set(notice_ids)
        if not ids:
            return
        with self.db.read() as s:
            ids |= {p for p in s.exec(select(Notice.parent_id).where(col(Notice.id).in_(list(ids)))) if p}
        for i in ids:
            for f in (self.root() / EXPORTS).glob(f"收集{i}-*"):
                f.unlink(missing_ok=True)

    def _with_files(self) -> list[Notice]:
        with self.db.read() as s:
            kept = select(Submission.notice_id).distinct()
            return list(s.exec(select(Notice).where(col(Notice.id).in_(kept))))

    def next_due(self, now: datetime) -> datetime | None:
        """When the next collection's files are due for deletion, or the next export zip."""
        return self._next_due.get()

    def _compute_next_due(self) -> datetime | None:
        times = [self.notices.closes_at(n) + keep for n in self._with_files()
                 if (keep := self.config.collections.keep) is not None]
        times += [at + EXPORT_KEEP for at in self._zips().values()]
        return min(times) if times else None

    def _zips(self) -> dict[Path, datetime]:
        """Export zips by when they were made (from their names, so the virtual clock of tests applies)."""
        out = {}
        for f in (self.root() / EXPORTS).glob("收集*-*.zip"):
            m = re.search(r"-(\d{8}-\d{6})\.zip$", f.name)
            if m:
                out[f] = datetime.strptime(m.group(1), "%Y%m%d-%H%M%S").replace(tzinfo=self.config.tz)
        return out

    def prune(self, now: datetime) -> int:
        """Delete the files of collections closed more than `collections.keep` ago, and old export zips."""
        removed = 0
        keep = self.config.collections.keep
        if keep is not None:
            for n in self._with_files():
                if self.notices.closes_at(n) + keep > now:
                    continue
                with self.db.tx() as s:
                    for r in s.exec(select(Submission).where(Submission.notice_id == n.id)):
                        Path(r.path).unlink(missing_ok=True)
                        s.delete(r)
                        removed += 1
                shutil.rmtree(self.folder(n), ignore_errors=True)
                log.info("collection %s: files deleted (closed %s ago)", n.id, keep)
        for f, made in self._zips().items():
            if made + EXPORT_KEEP <= now:
                f.unlink(missing_ok=True)
        self._next_due.invalidate()
        return removed


__all__ = ["Collections", "Exported", "Submitted"]
