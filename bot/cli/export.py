"""`export notice N --out x.xlsx`: a notice's acknowledgement status as Excel."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.cli.common import Env, err, out, subcommand
from bot.texts import cli as texts


def register(sub: Any) -> None:
    s = subcommand(sub, "export", cmd_export, "export a notice's status to Excel")
    s.add_argument("what", choices=["notice"])
    s.add_argument("number", type=int)
    s.add_argument("--out", required=True)


def cmd_export(env: Env) -> int:
    notices = env.services.notices
    notice = notices.get(env.args.number)
    if notice is None:
        err(f"no notice #{env.args.number}")
        return 2
    path = notices.workbook(notice, Path(env.args.out))
    out(texts.NOTICE_EXPORTED.format(n=notice.id, path=path))
    return 0
