"""Word cutting for one handbook index: a private jieba tokenizer (the handbook's own terms and the lexicon's
phrases added to it, never to jieba's global dictionary), the stopwords, and the slang lexicon."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import jieba
import jieba.posseg

from bot.kernel.text import fold
from bot.yamlio import load_yaml

jieba.setLogLevel(logging.WARNING)

STOPWORDS = frozenset(
    "的 了 吗 呢 啊 吧 呀 哦 嘛 么 是 我 你 他 她 我们 要 会 能 可以 在 有 和 与 或 还 都 也 就 又 再 被 把 给 让 到 去 "
    "来 上 下 里 这 那 这个 那个 哪 哪里 哪儿 怎么 怎么办 怎样 如何 什么 啥 咋 几 多少 多久 一个 一下 请 请问 问 想 "
    "老师 同学 您 能不能 可不可以 是不是 有没有 不 没 没有 得 地 着 过 个 时候 什么时候 怎么样 吗？ ？ ?".split())


class Lexicon:
    """Colloquial-to-handbook synonyms and the everyday words that carry no topic (data/qa_lexicon.yaml)."""

    def __init__(self, synonyms: dict[str, str], generic: set[str]) -> None:
        self.synonyms = {fold(k): v.split() for k, v in synonyms.items()}
        self.generic = generic

    @classmethod
    def load(cls, path: Path) -> Lexicon:
        data = load_yaml(path).data or {}
        return cls(dict(data.get("synonyms") or {}), set(data.get("generic") or []))

    @classmethod
    def empty(cls) -> Lexicon:
        return cls({}, set())

    def with_extra(self, extra: dict[str, str]) -> Lexicon:
        """This lexicon plus teachers' 问法 lines (which win over the file's)."""
        merged = Lexicon({}, self.generic)
        merged.synonyms = {**self.synonyms, **{fold(k): v.split() for k, v in extra.items()}}
        return merged

    def phrases(self) -> list[str]:
        return list(self.synonyms) + [w for ws in self.synonyms.values() for w in ws]


class Words:
    """A jieba tokenizer of its own, with memoised cuts (the same question is cut several times per answer)."""

    def __init__(self, extra_words: Iterable[str] = ()) -> None:
        self._jieba = jieba.Tokenizer()
        self._pos = jieba.posseg.POSTokenizer(self._jieba)
        self._lock = threading.RLock()
        self._cache: dict[tuple[str, str], tuple] = {}
        self.add(extra_words)

    def add(self, words: Iterable[str]) -> None:
        with self._lock:
            for w in words:
                if 2 <= len(w) <= 8:
                    self._jieba.add_word(w, freq=20000)
            self._cache.clear()

    def _memo(self, kind: str, text: str, make: Callable[[str], Iterable[Any]]) -> tuple[Any, ...]:
        key = (kind, text)
        found = self._cache.get(key)
        if found is None:
            with self._lock:
                found = tuple(make(text))
            if len(self._cache) > 20000:
                self._cache.clear()
            self._cache[key] = found
        return found

    def cut(self, text: str) -> tuple[str, ...]:
        return self._memo("cut", text, self._jieba.lcut)

    def cut_exact(self, text: str) -> list[str]:
        """Dictionary words only (no guessing of unknown words): for collecting a handbook's own terms."""
        with self._lock:
            return self._jieba.lcut(text, HMM=False)

    def tokens(self, text: str) -> tuple[str, ...]:
        """Search-mode words of folded text, without stopwords."""
        return self._memo("tokens", text, lambda t: [
            w for w in self._jieba.lcut_for_search(t)
            if w.strip() and w not in STOPWORDS and not re.fullmatch(r"[\W_]+", w)])

    def content_tokens(self, text: str) -> tuple[str, ...]:
        """Plain-mode words of folded text, without stopwords (question words, particles, pronouns)."""
        return self._memo("content", text, lambda t: [w for w in self._jieba.lcut(t) if w.strip() and w not in STOPWORDS])

    def content_words(self, text: str) -> list[tuple[str, str]]:
        """(word, part of speech) for the words that could name a topic: nouns, names, English, idioms."""
        def make(t: str) -> list[tuple[str, str]]:
            out = []
            for pair in self._pos.lcut(t):
                w, flag = pair.word, pair.flag
                if len(w) < 2 or w in STOPWORDS or re.fullmatch(r"[\d\W_]+", w):
                    continue
                if flag[:1] in ("n", "v", "l", "i", "a") or flag in ("eng", "vn", "nz"):
                    out.append((w, flag))
            return out
        return list(self._memo("pos", text, make))

    def expand(self, lexicon: Lexicon, text: str) -> list[str]:
        """Extra handbook words for the colloquial phrases in `text`."""
        extra: list[str] = []
        words = set(self.cut(text))
        for key, more in lexicon.synonyms.items():
            if (key in words) if len(key) == 1 else (key in text):
                extra.extend(more)
        return extra

    def content_bigrams(self, text: str) -> list[str]:
        """Character bigrams inside the content words of folded text, plus number-and-unit tokens (8年, 60分)."""
        out = re.findall(r"\d+(?:\.\d+)?[年月周天分元岁次门个位%]", text)
        for chunk in re.findall(r"[\u4e00-\u9fff]+|[a-z0-9]+", " ".join(self.content_tokens(text))):
            if chunk.isascii():
                out.append(chunk)
            else:
                out.extend(chunk[i:i + 2] for i in range(len(chunk) - 1))
        return out
