"""The roster, calendar and handbook imports as the chat's file registry sees them (bot/uploads.py): recognise a
file, run the service's own import, and word the result exactly as `python -m bot roster|calendar|handbook import`
prints it (bot/texts/cli.py holds those reports; the command line prints the same functions' text).

Who may import what follows the command line and the web console: the roster, the calendar and the handbook are
the whole school's, so only admins import them in chat (the command line, being the operator, has no scope; the
web console lets only admins import the roster and the calendar). Progress exports stay with every advisor for
their own classes (bot/progress/upload.py).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from bot.calendar.importers import SUFFIXES as CALENDAR_SUFFIXES
from bot.calendar.importers import timetable_fit
from bot.calendar.service import Calendar
from bot.config import Config
from bot.handbook.service import Handbook
from bot.kernel.tables import Sheet, TableError
from bot.people import Person, Role
from bot.roster import Roster, roster_fit
from bot.texts import cli as report
from bot.texts import files as texts
from bot.uploads import Fit, Imported

FITS = {"exact": Fit.EXACT, "columns": Fit.COLUMNS, None: Fit.NO}


class RosterUpload:
    name = "roster"
    title = texts.ROSTER_TITLE
    label = texts.ROSTER_LABEL
    suffixes: tuple[str, ...] = (".xlsx", ".xlsm", ".csv")
    roles = Role.ADMIN
    scoped = False

    def __init__(self, roster: Roster) -> None:
        self.roster = roster

    def recognises(self, path: Path, sheets: Sequence[Sheet], file_name: str) -> Fit:
        return FITS[roster_fit(list(sheets))]

    def run(self, path: Path, *, file_name: str, actor: Person, classes: Collection[str], dry_run: bool) -> Imported:
        try:
            r = self.roster.import_file(path, dry_run=dry_run)
        except TableError as exc:
            return Imported(str(exc), False)
        return Imported(report.roster_import(file_name, dry_run, r.added, r.updated, r.unchanged,
                                             [str(e) for e in r.errors], r.ok), r.ok)


class CalendarUpload:
    name = "calendar"
    title = texts.CALENDAR_TITLE
    label = texts.CALENDAR_LABEL
    suffixes: tuple[str, ...] = CALENDAR_SUFFIXES
    roles = Role.ADMIN
    scoped = False

    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar

    def recognises(self, path: Path, sheets: Sequence[Sheet], file_name: str) -> Fit:
        return FITS[timetable_fit(file_name, list(sheets))]

    def run(self, path: Path, *, file_name: str, actor: Person, classes: Collection[str], dry_run: bool) -> Imported:
        r = self.calendar.import_file(path, dry_run=dry_run)
        text = report.calendar_import(file_name, dry_run, r.added, r.changed, r.unchanged, r.errors)
        return Imported(text, bool(r.added or r.changed or r.unchanged))


class HandbookUpload:
    name = "handbook"
    title = texts.HANDBOOK_TITLE
    label = texts.HANDBOOK_LABEL
    suffixes: tuple[str, ...] = (".docx", ".pdf", ".md")
    roles = Role.ADMIN
    scoped = False

    def __init__(self, handbook: Handbook, config: Config) -> None:
        self.handbook = handbook
        self.config = config

    def recognises(self, path: Path, sheets: Sequence[Sheet], file_name: str) -> Fit:
        return Fit.EXACT if Path(file_name).suffix.lower() in self.suffixes else Fit.NO

    def run(self, path: Path, *, file_name: str, actor: Person, classes: Collection[str], dry_run: bool) -> Imported:
        r = self.handbook.import_file(path, dry_run=dry_run, file_name=file_name, shown=self.config.files.handbook)
        return Imported(report.handbook_import(r), r.ok)
