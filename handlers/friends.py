"""/好友申请: the friend requests no rule accepted, for the admins to accept or ignore."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.people import Role
from bot.router import Context, Router, UsageError, Where
from bot.texts import friends as texts

router = Router("friends")


@dataclass(frozen=True)
class FriendArgs:
    action: str  # list | accept | ignore
    numbers: list[int] | None  # None: all


def parse_friends(text: str, now: datetime) -> FriendArgs:
    words = text.strip()
    if not words or words in ("列表", "查看"):
        return FriendArgs("list", None)
    action = "accept" if re.match(r"^(接受|通过|同意|accept)", words) else \
        "ignore" if re.match(r"^(忽略|拒绝|ignore)", words) else None
    if action is None:
        raise UsageError(texts.USAGE)
    if action == "accept" and re.search(r"全部|所有|all", words):
        return FriendArgs(action, None)
    numbers = [int(n) for n in re.findall(r"\d+", words)]
    if not numbers:
        raise UsageError(texts.USAGE)
    return FriendArgs(action, numbers)


@router.command("好友申请", aliases=("friends", "好友"), roles=Role.ADMIN, rooms=Where.PRIVATE, parse=parse_friends,
                help="查看并通过等待处理的好友申请", usage="/好友申请 [接受 编号|接受 全部|忽略 编号]",
                example="/好友申请 接受 1,2")
def friend_requests(ctx: Context, args: FriendArgs) -> None:
    friends = ctx.friends
    if args.action == "list":
        rows = friends.pending()
        ctx.reply(texts.pending_list(rows, ctx.services.config.tz) if rows else texts.NONE_PENDING)
    elif args.action == "accept":
        done = friends.accept(args.numbers, ctx.sender)
        ctx.audit("accept friends", ",".join(str(r.id) for r in done))
        ctx.reply(texts.ACCEPTED.format(n=len(done), names="、".join(r.name for r in done)) if done
                  else texts.NOTHING_MATCHED)
    else:
        n = friends.ignore(args.numbers or [], ctx.sender)
        ctx.audit("ignore friends", ",".join(str(x) for x in args.numbers or []))
        ctx.reply(texts.IGNORED.format(n=n) if n else texts.NOTHING_MATCHED)
