"""/汇总: figures on demand — coordinators in their group, advisors privately for their own classes."""

from __future__ import annotations

from bot.config import CoordinatorGroup
from bot.people import Role
from bot.router import Context, Router, Where

router = Router("digests")

PERIODS = {"今天": "today", "今日": "today", "本周": "week", "这周": "week", "本月": "month", "这个月": "month"}


@router.command("汇总", aliases=("digest", "统计汇总"), roles=Role.STAFF, help="确认率、落后学生、未答问题等汇总",
                example="/汇总 本周")
async def summary(ctx: Context, args: str) -> None:
    kind = next((v for k, v in PERIODS.items() if k in args), "week")
    now = ctx.app.clock.now()
    digests = ctx.app.digests
    if isinstance(ctx.group, CoordinatorGroup):
        classes = [c for c in digests.classes_of(ctx.group) if c in ctx.sender.classes]
        scope = "全部教学点" if ctx.group.points == "all" else "、".join(ctx.group.points)
        digest = digests.build(kind, classes, scope, now)
        digests.send(digest, room_id=ctx.room_id, now=now)
        return
    # In a class group or privately: the sender's own classes, always privately (students never see it).
    classes = sorted(ctx.sender.classes)
    if not classes:
        ctx.reply("您还没有负责的班级。")
        return
    digest = digests.build(kind, classes, "、".join(classes[:4]) + ("等" if len(classes) > 4 else ""), now)
    digests.send(digest, contact_id=ctx.sender.contact_id, now=now)
    if ctx.where != Where.PRIVATE:
        ctx.reply("汇总已私聊发给您。")
