"""/帮助: the commands the asker may use, built from the handlers' own declarations."""

from __future__ import annotations

from bot.people import Role
from bot.router import WHERE_NAMES, Context, Router, Where

router = Router("help")

GREETING = "你好，我是{bot}，{school}的班级助手。可以问我学生手册里的问题，或发送 /帮助 查看我能做什么。"


@router.command("帮助", aliases=("help", "菜单", "命令"), help="查看可用命令", example="/帮助")
async def show_help(ctx: Context, args: str) -> None:
    lines = [f"{ctx.app.config.gateway.bot_name}可用命令："]
    for c in ctx.app.dispatcher.all_commands():  # type: ignore[union-attr]
        if not c.roles & ctx.sender.role or c.name == "帮助":
            continue
        where = "" if c.rooms == Where.ANYWHERE else "（" + "/".join(
            v for k, v in WHERE_NAMES.items() if k & c.rooms) + "）"
        lines.append(f"· {c.example or '/' + c.name}  {c.help}{where}")
    if ctx.sender.role == Role.STUDENT:
        lines.append("· 直接提问，例如：“忘记密码怎么办？”")
        lines.append("· 看到通知回复“收到”即可。")
    ctx.reply("\n".join(lines), mention=False)


@router.message("greeting", rooms=Where.PRIVATE)
async def greet(ctx: Context) -> bool:
    """A private message nobody else took: introduce ourselves instead of staying silent."""
    if not ctx.text.strip():
        return True
    ctx.reply(GREETING.format(bot=ctx.app.config.gateway.bot_name, school=ctx.app.config.school))
    return True
