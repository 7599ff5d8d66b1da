"""How the bot reads what people type. One normaliser (in two strengths), one question detector, one negation
detector, and mention handling. Pure functions, table-tested in tests/unit/test_text.py.

- `clean(text)` is message hygiene: what commands and notices are parsed from. It keeps the writer's punctuation
  and line breaks (a notice is posted as typed) and only folds what WeChat and phone keyboards vary: special
  spaces, the full-width `／` and `＃` that start commands, runs of spaces.
- `fold(text)` is the form for matching and comparing: NFKC (full width to half width), Traditional to Simplified,
  lower case, @-mentions, emoji and punctuation removed (a question mark is kept: it carries meaning).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import zhconv

_SPACES = {ord("\u2005"): " ", ord("\u00a0"): " ", ord("\u3000"): " ", ord("／"): "/", ord("＃"): "#"}
_MENTION = re.compile(r"@[^\s\u2005]{1,20}[\s\u2005]+|@[^\s\u2005]{1,20}$")
_NOT_WORD = re.compile(r"[^\w\u4e00-\u9fff?？]+")


def clean(text: str) -> str:
    """Trim, fold special spaces and the full-width slash and hash, collapse runs of spaces; keep line breaks."""
    text = text.translate(_SPACES).strip()
    return re.sub(r"[ \t]+", " ", text)


def fold(text: str) -> str:
    """The matching form: NFKC, Simplified, lower case, no @-mentions, emoji or punctuation (except '?')."""
    text = unicodedata.normalize("NFKC", text)
    text = zhconv.convert(text, "zh-hans")
    text = _MENTION.sub(" ", text)
    text = _NOT_WORD.sub(" ", text).lower().replace("？", "?")
    return re.sub(r"\s+", " ", text).strip()


def compact(text: str) -> str:
    """`fold` without spaces or question marks: for comparing short phrases (names, acknowledgements)."""
    return fold(text).replace(" ", "").replace("?", "")


def strip_mention(text: str, names: Iterable[str]) -> tuple[str, bool]:
    """Remove a leading @name (as typed in WeChat) and say whether it was there."""
    for name in names:
        for prefix in (f"@{name} ", f"@{name}"):
            if text.startswith(prefix):
                return text[len(prefix):].lstrip(), True
    return text, False


def addressee(text: str) -> str | None:
    """The name a message opens with an @ to (@王老师 …), if any."""
    m = re.match(r"\s*@([^\s\u2005]{1,20})", unicodedata.normalize("NFKC", text))
    return m.group(1) if m else None


# -- questions and negations -----------------------------------------------------------------------------------------
# A word list, not a parser: these are how students ask in a chat, with or without a question mark.
_QUESTION = re.compile(
    r"[?？]|吗|么$|嘛|呢$|啥|咋|什么|怎么|怎样|如何|哪|几|多少|多久|多长|能不能|可不可以|是不是|有没有|要不要|"
    r"会不会|行不行|能否|是否|为什么|为啥|谁|求助|求问|请问|想问|问一下|问下|请教|咨询一下|不知道怎么|可以.{0,4}吗")
# Negations that turn "收到" or a quote into its opposite. Polite formulas that merely contain 不 are not negations.
_NEGATION = re.compile(r"没|未|不(?!客气|用谢|错|好意思)|别|无法")


def is_question(text: str) -> bool:
    """Whether a message reads as a question (a question word or mark)."""
    return bool(_QUESTION.search(fold(text)))


def is_negation(text: str) -> bool:
    """Whether a message denies or refuses something (没收到, 收不到, 不去, 未完成)."""
    return bool(_NEGATION.search(fold(text)))


# -- small talk ------------------------------------------------------------------------------------------------------
_SMALL_TALK = re.compile(
    r"^(大家|各位|老师们?|同学们?|班助|亲们?)?"
    r"((早上|上午|中午|下午|晚上|新年|节日)?好|你好|您好|哈喽|嗨|hi|hello|(新年|节日)?快乐|早安|晚安|谢谢|多谢|感谢|谢啦|"
    r"(您|你们)?辛苦了?|好的谢谢|好的|好滴|哈+|呵+|嘿+|嗯+|哦+|噢+|啊+|666+|加油|棒|厉害|在吗|在不在|有人吗)"
    r"(老师|大家|班助|各位|同学们?|您|你|啦|了|呀|啊|哈|哦|呢|~)*$")


def is_small_talk(text: str) -> bool:
    """Greetings, thanks, laughter and emoji-only messages: never a question for the handbook."""
    clean_ = fold(text).replace(" ", "").strip("?")
    return not clean_ or bool(_SMALL_TALK.match(clean_))


_SPLIT = re.compile(r"[?？。！!；;\n]+|(?:还有|另外|顺便问一下|顺便问下|顺便)")


def split_questions(text: str, limit: int = 3) -> list[str]:
    """'学费多少？怎么交' -> ['学费多少', '怎么交']; short fragments stay attached to their neighbour."""
    parts = [p.strip(" ，,") for p in _SPLIT.split(text) if p and p.strip(" ，,")]
    merged: list[str] = []
    for p in parts:
        if merged and len(re.sub(r"\W", "", p)) < 3:
            merged[-1] += p
        else:
            merged.append(p)
    return merged[:limit] or [text]
