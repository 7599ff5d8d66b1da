"""Files staff send the bot privately: kept, checked by the importer that recognises them (a dry run with the
command line's report), and imported after “导入” (progress exports for the sender's classes only; the roster, the
calendar and the handbook by admins)."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from bot.people import Role
from bot.router import Context, Router, UsageError, Where
from bot.texts import uploads as texts
from bot.uploads import Outcome

router = Router("files")


@router.message("file-import", rooms=Where.PRIVATE)
def receive_file(ctx: Context) -> bool:
    msg = ctx.msg
    if msg.kind != "file" or not msg.file_path or not ctx.sender.is_staff:
        return False  # students' files and images are not imports
    name = msg.file_name or Path(msg.file_path).name
    got = ctx.uploads.receive(ctx.sender, Path(msg.file_path), name, ctx.now)
    ctx.audit("file", f"{name} -> {got.importer or '-'}", got.outcome.value)
    if got.outcome == Outcome.CHECKED:
        ctx.services.confirmations.ask(ctx.room_id, ctx.sender.contact_id, f"/导入 {got.token}")
        ctx.reply(f"{got.text}\n{texts.CONFIRM if got.scoped else texts.CONFIRM_ALL}")
    else:
        ctx.reply(got.text)
    return True


def parse_token(text: str, now: datetime) -> str:
    m = re.search(r"[0-9A-Fa-f]{6}", text)
    if not m:
        raise UsageError(texts.TOKEN_USAGE)
    return m.group().upper()


def _preview(ctx: Context, token: str) -> str | None:
    """A typed /导入 shows the dry run again and asks for 确认 (a reply “导入” to the file is that 确认)."""
    got = ctx.uploads.preview(ctx.sender, token)
    return got.text if got.outcome == Outcome.CHECKED else None


@router.command("导入", aliases=("import",), roles=Role.STAFF, rooms=Where.PRIVATE, parse=parse_token, confirm=_preview,
                help="导入刚发给我的文件（先发文件，我检查后回复“导入”即可）", usage="/导入 编号",
                example="先私聊发来 形考.xlsx，再回复“导入”")
def import_file(ctx: Context, token: str) -> None:
    got = ctx.uploads.run(ctx.sender, token)
    ctx.reply(got.text)


@router.message("nothing-to-import", rooms=Where.PRIVATE)
def nothing_to_import(ctx: Context) -> bool:
    """A staff member's “导入” with no file waiting (its 确认 would have been taken before the rules)."""
    if not ctx.sender.is_staff or ctx.text.strip("。！!. ") not in ("导入", "确认导入"):
        return False
    ctx.reply(texts.NOTHING_WAITING)
    return True
