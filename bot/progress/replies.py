"""What a student means when answering a private reminder: “交了” (done), “明天交” (a promise), or something else
(a question goes to the handbook answers). Pure (tables in tests/unit/test_progress_replies.py)."""

from __future__ import annotations

import re
from datetime import datetime

from bot.kernel.dates import DateError, find_when
from bot.kernel.text import compact, is_negation, is_question

_TAIL = r"(?:了|啦|咯|哦|噢|哈|呀|啊|呢|的|滴|嗯|好的|谢谢老师|谢谢|老师|辛苦了|辛苦|～|~)*"
_VERB = r"(?:提交|上交|交|做|写|完成|弄|搞|补交|补)"
_DONE = re.compile(rf"^(?:我|老师)?(?:已经|已|都|刚刚|刚|早就|早)?{_VERB}(?:好|完|过|上|掉)?{_TAIL}$")
_DONE_PLAIN = re.compile(rf"^(?:我|老师)?(?:已经|已|都)(?:提交|交|完成|做完|交上){_TAIL}$")
_SOON = re.compile(rf"(?:马上|一会儿?|等会儿?|待会儿?|稍后|晚点|晚些|尽快|今天|今晚|明天|后天|周末|这两天|过两天|回头)(?:就|再|会)?{_VERB}")


def classify(text: str, now: datetime) -> str | None:
    """'done', 'promise' or None for a reply to a reminder."""
    if is_question(text):
        return None
    folded = compact(text)
    if not folded:
        return None
    if _SOON.search(folded):
        return "promise"
    try:
        when = find_when(text, now)
    except DateError:
        when = None
    if when is not None and re.search(_VERB, when.rest):
        return "promise"
    if is_negation(text):
        return None
    if _DONE.match(folded) or _DONE_PLAIN.match(folded):
        return "done"
    return None
