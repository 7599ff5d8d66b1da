"""Handbook answers on every labelled set, through the very pipeline `python -m bot ask --json` runs (the chat's
private-message pipeline: small talk, splitting, ranking each part, declining).

Per set: in-scope parts answered with the right section / a wrong one / declined; out-of-scope parts declined;
wrong answers over all parts (the hard line is 3%); the first-part id (what `ask --json` prints as "id") right;
p50/p95 latency per message after start-up; and the same figures for plain BM25 on the same words as the
baseline measured in the same run. Sets and their roles are in bench/data/sets.yaml; `unseen` sets never show
their errors.

    python bench/handbook_eval.py [--shared ../shared/handbook] [--only NAME ...] [--show-errors]
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.handbook.embedder import Embedder  # noqa: E402
from bot.handbook.service import Handbook, IndexCache  # noqa: E402
from bot.kernel.text import fold  # noqa: E402
from bot.yamlio import load_yaml  # noqa: E402

BENCH = ROOT / "bench"


@dataclass
class Score:
    parts: int = 0
    in_scope: int = 0
    right: int = 0
    wrong_in: int = 0
    declined: int = 0
    out_scope: int = 0
    out_declined: int = 0
    first_right: int = 0
    messages: int = 0
    latency: list[float] = field(default_factory=list)
    errors: list[tuple[str, str, object, object]] = field(default_factory=list)

    @property
    def wrong(self) -> int:
        return self.wrong_in + self.out_scope - self.out_declined

    def add(self, question: str, labels: list[str | None], got: list[str | None], ms: float) -> None:
        self.messages += 1
        self.latency.append(ms)
        if got[:1] == labels[:1]:
            self.first_right += 1
        for i, label in enumerate(labels):
            answer = got[i] if i < len(got) else None
            self.parts += 1
            if label is None:
                self.out_scope += 1
                if answer is None:
                    self.out_declined += 1
                else:
                    self.errors.append(("ANSWERED-OOS", question, label, answer))
            else:
                self.in_scope += 1
                if answer == label:
                    self.right += 1
                elif answer is None:
                    self.declined += 1
                    self.errors.append(("declined", question, label, answer))
                else:
                    self.wrong_in += 1
                    self.errors.append(("WRONG", question, label, answer))

    def line(self) -> str:
        pct = lambda a, b: f"{a / b:.1%}" if b else "—"  # noqa: E731
        return (f"right {pct(self.right, self.in_scope)} ({self.right}/{self.in_scope}), "
                f"wrong {pct(self.wrong, self.parts)} ({self.wrong}/{self.parts}), "
                f"out-of-scope declined {pct(self.out_declined, self.out_scope)} ({self.out_declined}/{self.out_scope}), "
                f"first id {pct(self.first_right, self.messages)}, "
                f"p50 {np.percentile(self.latency, 50):.1f} ms, p95 {np.percentile(self.latency, 95):.1f} ms")


def labels_of(item: dict) -> list[str | None]:
    value = item["id"]
    return list(value) if isinstance(value, list) else [value]


def run_ours(handbook: Handbook, queries: list[dict]) -> Score:
    score = Score()
    for item in queries:
        t0 = time.perf_counter()
        r = handbook.respond(item["q"], in_group=False)
        ms = (time.perf_counter() - t0) * 1000
        got: list[str | None] = [p.match.id for p in r.parts] if r.kind in ("answer", "decline") else [None]
        score.add(item["q"], labels_of(item), got or [None], ms)
    return score


def run_bm25(handbook: Handbook, queries: list[dict]) -> Score:
    """Plain BM25 on the index's jieba words: no lexicon, no dense signal, no splitting; a fixed threshold."""
    retriever = handbook.retriever
    score = Score()
    for item in queries:
        t0 = time.perf_counter()
        scores = retriever._bm25(list(retriever.words.tokens(fold(item["q"]))))
        best = int(np.argmax(scores))
        got = retriever.units[best].id if scores[best] >= 6.0 else None
        score.add(item["q"], labels_of(item), [got], (time.perf_counter() - t0) * 1000)
    return score


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--shared", default=str(ROOT.parent / "shared" / "handbook"),
                   help="folder of the shared sample handbook and its dev questions")
    p.add_argument("--only", action="append", help="run only these sets (by name)")
    p.add_argument("--show-errors", action="store_true", help="print the errors of developed and tune sets")
    args = p.parse_args()
    shared = Path(args.shared)
    sets = load_yaml(BENCH / "data" / "sets.yaml").data["sets"]
    indexes = IndexCache(Embedder())
    summary = []
    for s in sets:
        if args.only and s["name"] not in args.only:
            continue
        hb = shared / "handbook.md" if s["handbook"] == "shared" else BENCH / s["handbook"]
        qpath = shared / s["queries"].split(":", 1)[1] if s["queries"].startswith("shared:") else BENCH / s["queries"]
        if not hb.exists() or not qpath.exists():
            print(f"\n### {s['name']}: skipped ({hb if not hb.exists() else qpath} not found)")
            continue
        t0 = time.perf_counter()
        handbook = Handbook(None, None, indexes, handbook=hb)
        n_units = len(handbook.retriever.units)
        handbook.respond("预热一下", in_group=False)
        built = time.perf_counter() - t0
        queries = load_yaml(qpath).data
        ours, base = run_ours(handbook, queries), run_bm25(handbook, queries)
        print(f"\n### {s['name']} [{s['role']}] — {len(queries)} messages on {hb.name} ({n_units} sections, "
              f"index {built:.1f} s); by {s['author']}")
        print(f"  班助:      {ours.line()}")
        print(f"  plain BM25: {base.line()}")
        summary.append((s["name"], s["role"], ours))
        if args.show_errors and s["role"] != "unseen":
            for e in ours.errors:
                print("   ", e)
    print("\n| set | role | right (in scope) | wrong (all) | out of scope declined | p95 |")
    print("|---|---|---|---|---|---|")
    for name, role, sc in summary:
        pct = lambda a, b: f"{a / b:.1%}" if b else "—"  # noqa: E731
        print(f"| {name} | {role} | {pct(sc.right, sc.in_scope)} | {pct(sc.wrong, sc.parts)} | "
              f"{pct(sc.out_declined, sc.out_scope)} | {np.percentile(sc.latency, 95):.0f} ms |")
    print("\ntargets (#14): wrong <= 3% everywhere, right >= 90%, out of scope declined >= 85%, p95 <= 50 ms")


if __name__ == "__main__":
    main()
