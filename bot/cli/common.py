"""What every command-line tool shares: the config, the services over the configured database (offline: nothing
is sent from the command line; queued messages wait for the running bot), the clock, and output helpers."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.clock import Clock, RealClock
from bot.config import Config, load_config
from bot.db import Database
from bot.services import Services, build_services


class Env:
    """The config and services a command works with; tests inject a clock and a database."""

    clock_factory: Callable[[], Clock] = RealClock
    database_factory: Callable[[str], Database] = Database
    config_factory: Callable[[str], Config] = load_config

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self._config: Config | None = None
        self._services: Services | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = Env.config_factory(self.args.config)
        return self._config

    @property
    def services(self) -> Services:
        if self._services is None:
            db = Env.database_factory(self.config.effective_database_url())
            self._services = build_services(self.config, db, Env.clock_factory())
        return self._services

    @property
    def now(self) -> datetime:
        return self.services.clock.now()

    def close(self) -> None:
        if self._services is not None:
            self._services.db.close()


def out(text: str) -> None:
    print(text)


def err(text: str) -> None:
    print(text, file=sys.stderr)


def files_ok(config: Config) -> bool:
    """Check the files config.yaml names; print every problem to stderr."""
    from bot.checks import check_files

    problems = check_files(config)
    for p in problems:
        err(p)
    return not problems


def split_list(value: str | None) -> list[str]:
    return [x for x in (value or "").replace("，", ",").split(",") if x]


def subcommand(sub: Any, name: str, func: Callable[[Env], int], help: str) -> argparse.ArgumentParser:
    p = sub.add_parser(name, help=help, description=help)
    p.set_defaults(func=func)
    return p
