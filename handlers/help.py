"""/帮助: the commands the asker may use, with usage, built from the handlers' own declarations."""

from __future__ import annotations

from bot.router import Context, Router, Where, no_args
from bot.texts import help as texts

router = Router("help")


@router.command("帮助", aliases=("help", "菜单", "命令"), parse=no_args, help="查看可用命令", example="/帮助",
                audited=False)
def show_help(ctx: Context, _: None) -> None:
    ctx.reply(texts.help_text(ctx.config.gateway.bot_name, ctx.sender.role, ctx.commands), mention=False)


@router.message("greeting", rooms=Where.PRIVATE)
def greet(ctx: Context) -> bool:
    """A private message nobody else took: introduce ourselves instead of staying silent."""
    if not ctx.text.strip():
        return True
    ctx.reply(texts.GREETING.format(bot=ctx.config.gateway.bot_name, school=ctx.config.school))
    return True
