"""Start-up checks of the files config.yaml names: the bot refuses to start rather than half-run."""

from __future__ import annotations

from bot.config import Config
from bot.kernel.tables import TableError, read_table
from bot.roster import parse_roster


def check_files(config: Config) -> list[str]:
    """Readable problems ("file: what is wrong"), empty when everything loads."""
    problems: list[str] = []
    for key in ("calendar", "handbook", "faq"):
        rel = getattr(config.files, key)
        if rel and not config.path(rel).exists():
            problems.append(f"config.yaml, files.{key}: file not found: {rel}")
    if config.files.roster:
        path = config.path(config.files.roster)
        if not path.exists():
            problems.append(f"config.yaml, files.roster: file not found: {config.files.roster}")
        else:
            try:
                _students, errors = parse_roster(read_table(path), {c.name for c in config.groups.classes})
            except TableError as exc:
                errors, _students = [], []
                problems.append(str(exc))
            problems += [f"{config.files.roster}: {e}" for e in errors if e.fatal]
    problems += _check_answers(config)
    problems += _check_calendar(config)
    return problems


def _check_answers(config: Config) -> list[str]:
    from bot.handbook.source import HandbookError, load_faq, load_handbook
    from bot.yamlio import YamlError

    out = []
    if config.path(config.files.handbook).exists():
        try:
            load_handbook(config.path(config.files.handbook))
        except HandbookError as exc:
            out.append(str(exc))
    if config.files.faq and config.path(config.files.faq).exists():
        try:
            load_faq(config.path(config.files.faq))
        except YamlError as exc:
            out.append(str(exc))
    return out


def _check_calendar(config: Config) -> list[str]:
    from bot.calendar.events import load_calendar
    from bot.yamlio import YamlError

    path = config.path(config.files.calendar)
    if not path.exists():
        return []
    try:
        load_calendar(path, config.tz, config.groups.classes, config.teaching_points)
    except YamlError as exc:
        return [str(exc)]
    return []

