"""Start-up checks of the files config.yaml names: the bot refuses to start rather than half-run."""

from __future__ import annotations

from bot.config import Config
from bot.roster import parse_roster, read_table


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
            except ValueError as exc:
                errors, _students = [], []
                problems.append(str(exc))
            problems += [f"{config.files.roster}: {e}" for e in errors if e.fatal]
    problems += _check_answers(config)
    for loader in _LOADERS:
        problems += loader(config)
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


_LOADERS: list = []  # feature modules add file checks here (calendar, handbook) via register_check


def register_check(fn) -> None:
    if fn not in _LOADERS:
        _LOADERS.append(fn)
