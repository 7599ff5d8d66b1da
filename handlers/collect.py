"""Collections: the images and files students send for a /收集 (the command itself is a kind of notice:
handlers/notices.py)."""

from __future__ import annotations

from pathlib import Path

from bot.router import Context, Router, Where
from bot.texts import collect as texts

router = Router("collect")


@router.message("collection-file", rooms=Where.CLASS | Where.PRIVATE)
def receive_file(ctx: Context) -> bool:
    """A student's image or file: saved for their open collection, with one short confirmation (privately when
    the bot can write to them). No collection open: nothing at all — a file is not a question."""
    msg = ctx.msg
    if msg.kind not in ("image", "file") or ctx.sender.is_staff:
        return False  # staff files go to the importers (handlers/files.py)
    if not msg.file_path:
        return True
    name = msg.file_name or Path(msg.file_path).name
    got = ctx.collections.submit(msg.sender, ctx.class_group, Path(msg.file_path), name, image=msg.kind == "image",
                                 at=msg.time, message_id=msg.message_id)
    if got is None:
        return True
    n = got.notice
    match got.outcome:
        case "saved" | "replaced":
            text = texts.saved(n, replaced=got.outcome == "replaced", bound=got.bound, others=got.others)
        case "too big":
            text = texts.too_big(n, name, got.size_mb, got.limit_mb)
        case "wrong type":
            text = texts.wrong_type(n, name, ctx.collections.types)
        case _:
            text = texts.LOST.format(name=name)
    if got.privately:
        ctx.tell(ctx.sender.contact_id, text)
    else:
        ctx.reply(text)
    return True
