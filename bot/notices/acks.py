"""Is this message an acknowledgement (收到) of a notice? Pure functions; the rule is written down in the README.

Counts: 收到 / 已收到 / 收到了 / 好的 / 明白 / 知道了 / 已阅 / ok / 1 / 👌, alone or combined, with polite tails
(谢谢老师, emoji, punctuation), optionally with the sender's own name or 学号 ("张三 收到", "收到 张三"); `收到 #12` names a notice.
Does not count: negations (没收到, 收不到, 未收到), questions (收到了吗？), anything longer that says more.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.kernel.text import is_negation, is_question

_NUMBER = re.compile(r"[#＃]\s*(\d{1,6})")
_ACK_EMOJI = re.compile("[\U0001f44c\U0001f44d\u2705\u2714\U0001f197\u2611\U0001f64f]")  # 👌 👍 ✅ ✔ 🆗 ☑ 🙏

_CORE = r"(?:已?收到(?:了|啦|哦|喽|嘞|咯)?|收|好的?(?:呢|哦|嘞|滴|哒)?|好滴|好嘞|明白(?:了|啦)?|知道(?:了|啦|嘞)?|已阅|已读|已看|ok|okay|okk|嗯嗯?|1|👌)"
_TAIL = r"(?:谢谢|感谢|多谢|老师|辛苦了?|您|啦|了|哦|哈|的|呀|哒|嗯|哈哈|么么哒|好)"
_ACK = re.compile(rf"^(?:我|我也|已经)?(?:老师)?(?:{_CORE})+{_TAIL}*$", re.I)


@dataclass(frozen=True)
class AckMatch:
    number: int | None = None  # the notice number named with #N, if any


def _clean(text: str) -> tuple[str, bool]:
    """Drop emoji, punctuation and spaces; report whether an acknowledging emoji was among them."""
    had_emoji = bool(_ACK_EMOJI.search(text))
    kept = re.sub(r"[^\w\u4e00-\u9fff]", "", text)
    return kept.lower(), had_emoji


_COMMON = frozenset({"收到", "已收到", "收到了", "收到啦", "好的", "好", "明白", "知道了", "已阅", "ok", "OK", "1", "👌",
                     "收到，谢谢老师", "收到谢谢老师", "好的老师", "收到！", "收到。", "收到老师"})
_BARE = AckMatch()


def classify(text: str, own_names: tuple[str, ...] = ()) -> AckMatch | None:
    """An AckMatch when `text` acknowledges a notice, else None."""
    if text in _COMMON:  # most of a 200-person group's replies: skip the regexes
        return _BARE
    text = unicodedata.normalize("NFKC", text).strip()
    if not text or len(text) > 60:
        return None
    if is_negation(text):
        return None
    number = None
    m = _NUMBER.search(text)
    if m:
        number = int(m.group(1))
        text = (text[: m.start()] + " " + text[m.end():]).strip()
    if is_question(text):
        return None
    cleaned, had_emoji = _clean(text)
    cleaned = re.sub(r"^\d{6,13}", "", cleaned)  # a 学号 typed before the name
    for name in sorted((n for n in own_names if n), key=len, reverse=True):
        # "张三收到", "2024001张三 收到", "张三-2024001 收到": one's own name or 学号 before the ack.
        n = re.sub(r"[^\w\u4e00-\u9fff]", "", name).lower()
        if n and cleaned.startswith(n) and len(cleaned) > len(n):
            cleaned = cleaned[len(n):]
            break
        if n and cleaned.endswith(n) and len(cleaned) > len(n):  # "收到 张三"
            cleaned = cleaned[: -len(n)]
            break
    cleaned = re.sub(r"^\d{6,13}", "", cleaned)  # or after it
    if not cleaned:
        return AckMatch(number) if had_emoji else None
    if _ACK.match(cleaned):
        return AckMatch(number)
    return None


_SOLITAIRE_LINE = re.compile(r"^\s*(\d{1,3})[.、．)]\s*(.+?)\s*$")


def solitaire_names(text: str) -> list[str]:
    """The entries of a WeChat 接龙 list ("1. 张三 收到"), as the names typed (ack words removed)."""
    names = []
    for line in text.splitlines():
        m = _SOLITAIRE_LINE.match(line)
        if not m:
            continue
        entry = re.sub(r"(已?收到了?|好的|明白|ok)", "", m.group(2), flags=re.I).strip(" -—_，,。")
        if entry:
            names.append(entry)
    return names


def is_solitaire(text: str) -> bool:
    return text.lstrip().startswith(("#接龙", "＃接龙", "接龙"))
