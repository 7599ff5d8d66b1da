"""The progress importer as the chat's file registry sees it (bot/uploads.py): recognise an export, run it."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from bot.kernel.tables import Sheet
from bot.people import Person, Role
from bot.progress.service import Progress
from bot.texts import progress as texts
from bot.uploads import Fit, Imported


class ProgressUpload:
    name = "progress"
    title = texts.WHAT_IS_IMPORTED
    label = texts.WHAT_CAN_BE_IMPORTED
    suffixes: tuple[str, ...] = (".xlsx", ".xlsm", ".csv")
    roles = Role.STAFF  # every advisor imports for their own classes
    scoped = True

    def __init__(self, progress: Progress) -> None:
        self.progress = progress

    def recognises(self, path: Path, sheets: Sequence[Sheet], file_name: str) -> Fit:
        found = self.progress.recognises(path, sheets, file_name)
        return Fit.EXACT if found == "layout" else Fit.NAMED if found == "words" else Fit.NO

    def run(self, path: Path, *, file_name: str, actor: Person, classes: Collection[str], dry_run: bool) -> Imported:
        report = self.progress.import_file(path, actor=actor, classes=classes, dry_run=dry_run, file_name=file_name)
        return Imported(texts.import_report(report), report.ok)
