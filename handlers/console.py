"""/后台: a staff member asks privately for a one-time link to the web console (bot/web)."""

from __future__ import annotations

from bot.people import Role
from bot.router import Context, Router, Where, no_args
from bot.texts import web as texts

router = Router("console")


@router.command("后台", aliases=("web", "console"), roles=Role.STAFF, rooms=Where.PRIVATE, parse=no_args,
                help="获取后台登录链接（10分钟内有效，只能用一次）", example="/后台")
def console_link(ctx: Context, _: None) -> None:
    url = ctx.web.issue_link(ctx.sender)
    minutes = int(ctx.config.web.link_ttl.total_seconds() // 60)
    hours = round(ctx.config.web.session.total_seconds() / 3600, 1)
    ctx.reply(texts.LINK.format(url=url, minutes=minutes, hours=f"{hours:g}"))
