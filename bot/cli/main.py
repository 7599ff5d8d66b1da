"""`python -m bot`: the parser of every command group, and main(). `python -m bot --help` lists them."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.cli import (
    ask,
    audit,
    calendar,
    check,
    digest,
    export,
    handbook,
    progress,
    roster,
    run,
    simulate,
    staff,
    status,
    web,
)
from bot.cli.common import Env, err
from bot.config import ConfigError
from bot.yamlio import YamlError

GROUPS = [run, check, simulate, ask, handbook, calendar, roster, progress, staff, audit, export, digest, status, web]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description="班助 — WeChat class-group assistant")
    p.add_argument("--config", default="config.yaml", help="path to config.yaml (default: ./config.yaml)")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("jieba", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    env = Env(args)
    try:
        return int(args.func(env))
    except (ConfigError, YamlError) as exc:
        err(f"error: {exc}")
        return 2
    finally:
        env.close()


__all__ = ["main", "parser"]
