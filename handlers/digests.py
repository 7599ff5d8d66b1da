"""/汇总: figures on demand — coordinators in their group, advisors privately for their own classes."""

from __future__ import annotations

from datetime import datetime

from bot.kernel.enums import Period
from bot.people import Role
from bot.router import Context, Router, Where
from bot.texts import digests as texts

router = Router("digests")

PERIODS = {"今天": Period.TODAY, "今日": Period.TODAY, "本周": Period.WEEK, "这周": Period.WEEK,
           "本月": Period.MONTH, "这个月": Period.MONTH}


def parse_period(text: str, now: datetime) -> Period:
    return next((v for k, v in PERIODS.items() if k in text), Period.WEEK)


@router.command("汇总", aliases=("digest", "统计汇总"), roles=Role.STAFF, parse=parse_period,
                help="确认率、落后学生、未答问题等汇总", usage="/汇总 [今天|本周|本月]", example="/汇总 本周")
def summary(ctx: Context, kind: Period) -> None:
    if not ctx.digests.on_demand(ctx.sender, ctx.coordinator_group, kind, ctx.room_id, ctx.now):
        ctx.reply(texts.NO_CLASSES)
    elif ctx.where != Where.COORDINATOR and ctx.where != Where.PRIVATE:
        ctx.reply(texts.SENT_PRIVATELY)
