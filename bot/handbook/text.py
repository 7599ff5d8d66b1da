"""Student Chinese, cleaned for matching: Traditional to Simplified, full-width folded, @-prefixes and emoji gone,
colloquial words mapped to the handbook's, and the question split when a message asks two things."""

from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import jieba
import jieba.posseg as pseg
import zhconv

from bot.acks import classify
from bot.yamlio import load_yaml

jieba.setLogLevel(logging.WARNING)

_MENTION = re.compile(r"@[^\s\u2005]{1,20}[\s\u2005]+|@[^\s\u2005]{1,20}$")
_NOT_WORD = re.compile(r"[^\w\u4e00-\u9fff?？]+")
_QUESTION = re.compile(
    r"[?？]|吗|么$|呢$|怎么|怎样|如何|什么|啥|咋|哪|几[点天号年月次个门]|多少|多久|多长|能不能|可不可以|是不是|有没有|"
    r"要不要|会不会|行不行|能否|是否|为什么|为啥|谁|求助|求问|请问|想问|问一下|问下|请教|咨询一下|不知道怎么")
_CHITCHAT = re.compile(
    r"^(大家|各位|老师们?|同学们?|班助|亲们?)?"
    r"((早上|上午|中午|下午|晚上|新年|节日)?好|你好|您好|哈喽|嗨|hi|hello|(新年|节日)?快乐|早安|晚安|谢谢|多谢|感谢|谢啦|(您|你们)?辛苦了?|好的谢谢|"
    r"好的|好滴|哈+|呵+|嘿+|嗯+|哦+|噢+|啊+|666+|加油|棒|厉害|在吗|在不在|有人吗)"
    r"(老师|大家|班助|各位|同学们?|您|你|啦|了|呀|啊|哈|哦|呢|~)*$")
_SPLIT = re.compile(r"[?？。！!；;\n]+|(?:还有|另外|顺便问一下|顺便问下|顺便)")

STOPWORDS = frozenset(
    "的 了 吗 呢 啊 吧 呀 哦 嘛 么 是 我 你 他 她 我们 要 会 能 可以 在 有 和 与 或 还 都 也 就 又 再 被 把 给 让 到 去 "
    "来 上 下 里 这 那 这个 那个 哪 哪里 哪儿 怎么 怎么办 怎样 如何 什么 啥 咋 几 多少 多久 一个 一下 请 请问 问 想 "
    "老师 同学 您 能不能 可不可以 是不是 有没有 不 没 没有 得 地 着 过 个 时候 什么时候 怎么样 吗？ ？ ?".split())


def normalise(text: str) -> str:
    """Fold width, Traditional characters and case; drop @-prefixes, emoji and punctuation (keeping '?')."""
    text = unicodedata.normalize("NFKC", text)
    text = zhconv.convert(text, "zh-hans")
    text = _MENTION.sub(" ", text)
    text = _NOT_WORD.sub(" ", text).lower()
    return re.sub(r"\s+", " ", text).strip()


def addressee(text: str) -> str | None:
    """The name a message opens with an @ to (@王老师 …), if any."""
    m = re.match(r"\s*@([^\s\u2005]{1,20})", unicodedata.normalize("NFKC", text))
    return m.group(1) if m else None


def reads_as_question(text: str) -> bool:
    return bool(_QUESTION.search(normalise(text)))


def is_chitchat(text: str) -> bool:
    """Greetings, thanks, laughter, acknowledgements and emoji: never a handbook question."""
    clean = normalise(text).replace(" ", "").strip("?？")
    if not clean:
        return True
    return bool(_CHITCHAT.match(clean)) or classify(text) is not None


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


class Lexicon:
    """Colloquial-to-handbook synonyms and the everyday words that carry no topic (data/qa_lexicon.yaml)."""

    def __init__(self, synonyms: dict[str, str], generic: set[str]) -> None:
        self.synonyms = {normalise(k): v.split() for k, v in synonyms.items()}
        self.generic = generic
        for word in list(self.synonyms) + [w for ws in self.synonyms.values() for w in ws]:
            if len(word) >= 2:
                jieba.add_word(word, freq=20000)

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        data = load_yaml(path).data or {}
        return cls(dict(data.get("synonyms") or {}), set(data.get("generic") or []))

    def expand(self, text: str) -> list[str]:
        """Extra handbook words for the colloquial phrases in `text`."""
        extra: list[str] = []
        words = set(jieba.lcut(text))
        for key, more in self.synonyms.items():
            if (key in words) if len(key) == 1 else (key in text):
                extra.extend(more)
        return extra


def add_domain_words(words: list[str]) -> None:
    for w in words:
        if 2 <= len(w) <= 8:
            jieba.add_word(w, freq=20000)


@lru_cache(maxsize=4096)
def tokens(text: str) -> tuple[str, ...]:
    """Search-mode words of normalised text, without stopwords."""
    return tuple(w for w in jieba.lcut_for_search(text)
                 if w.strip() and w not in STOPWORDS and not re.fullmatch(r"[\W_]+", w))


@lru_cache(maxsize=4096)
def content_tokens(text: str) -> tuple[str, ...]:
    """Plain-mode words of normalised text, without stopwords (question words, particles, pronouns)."""
    return tuple(w for w in jieba.lcut(text) if w.strip() and w not in STOPWORDS)


def content_words(text: str) -> list[tuple[str, str]]:
    """(word, part of speech) for the words that could name a topic: nouns, names, English, idioms."""
    out = []
    for w, flag in pseg.lcut(text):
        if len(w) < 2 or w in STOPWORDS or re.fullmatch(r"[\d\W_]+", w):
            continue
        if flag[:1] in ("n", "v", "l", "i", "a") or flag in ("eng", "vn", "nz"):
            out.append((w, flag))
    return out
