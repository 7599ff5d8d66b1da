"""Answer quality on labelled question sets against ../shared/handbook/handbook.md.

Prints, per set: in-scope answered with the right section / wrongly / declined; out-of-scope declined; p50/p95
latency; and the same figures for plain BM25 (jieba words, a decline threshold of its own) as the baseline.

The sets, by default: the shared queries-dev.yaml (what the ranking was developed on) and ours in bench/data:
`blind` (everyday questions written after the ranking was settled, never tuned on: the estimate for unseen ones),
`heldout` (dev-style, written before tuning; its misses were looked at later), `fresh` (detail questions, looked
at once), and `extra` and `train` (harder detail questions and near-topic chatter, tuned on).

    python bench/handbook_eval.py [--handbook PATH] [--queries PATH ...] [--show-errors]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.handbook.service import retriever_for  # noqa: E402
from bot.handbook.text import normalise, tokens  # noqa: E402
from bot.yamlio import load_yaml  # noqa: E402

SHARED = ROOT.parent / "shared" / "handbook"
OURS = ROOT / "bench" / "data"


def evaluate(predict, queries) -> dict:
    ins = [q for q in queries if q["id"]]
    outs = [q for q in queries if not q["id"]]
    right = wrong = declined = out_declined = 0
    errors = []
    lat = []
    for q in queries:
        t0 = time.perf_counter()
        got = predict(q["q"])
        lat.append((time.perf_counter() - t0) * 1000)
        if q["id"]:
            if got == q["id"]:
                right += 1
            elif got is None:
                declined += 1
                errors.append(("declined", q["q"], q["id"], got))
            else:
                wrong += 1
                errors.append(("WRONG", q["q"], q["id"], got))
        elif got is None:
            out_declined += 1
        else:
            errors.append(("ANSWERED-OOS", q["q"], None, got))
    return {"n": len(queries), "in": len(ins), "out": len(outs), "right": right, "wrong": wrong,
            "declined": declined, "out_declined": out_declined, "wrong_total": wrong + len(outs) - out_declined,
            "p50": float(np.percentile(lat, 50)), "p95": float(np.percentile(lat, 95)), "errors": errors}


def show(name: str, r: dict) -> None:
    print(f"{name}:")
    print(f"  in-scope  {r['in']:4d}: right {r['right']} ({r['right'] / r['in']:.1%}), wrong {r['wrong']}, "
          f"declined {r['declined']}")
    print(f"  out-scope {r['out']:4d}: declined {r['out_declined']} ({r['out_declined'] / max(r['out'], 1):.1%})")
    print(f"  answered wrongly overall: {r['wrong_total']} of {r['n']} ({r['wrong_total'] / r['n']:.1%})")
    print(f"  latency p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms")


def bm25_baseline(retriever):
    """Plain BM25 on jieba words, no lexicon, no dense signal; declines below a score picked for it."""
    def predict(q: str):
        scores = retriever._bm25(list(tokens(normalise(q))))
        best = int(np.argmax(scores))
        return retriever.units[best].id if scores[best] >= 6.0 else None
    return predict


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--handbook", default=str(SHARED / "handbook.md"))
    p.add_argument("--queries", action="append", help="a labelled set (repeatable); default: dev and ours")
    p.add_argument("--show-errors", action="store_true")
    args = p.parse_args()
    sets = args.queries or [str(SHARED / "queries-dev.yaml"), *map(str, sorted(OURS.glob("queries-shared-*.yaml")))]
    t0 = time.perf_counter()
    retriever = retriever_for(Path(args.handbook))
    print(f"index built in {time.perf_counter() - t0:.2f} s ({len(retriever.units)} sections)")
    retriever.match("预热")  # load the model before timing
    for path in sets:
        queries = load_yaml(path).data
        ours = evaluate(lambda q: retriever.match(q).id, queries)
        base = evaluate(bm25_baseline(retriever), queries)
        print(f"\n### {Path(path).name}")
        show("班助 (dense + BM25 + lexicon)", ours)
        show("baseline: plain BM25", base)
        print(f"right answers vs baseline: {ours['right']} vs {base['right']} "
              f"(x{ours['right'] / max(base['right'], 1):.2f}); wrong: {ours['wrong_total']} vs {base['wrong_total']}")
        if args.show_errors:
            for e in ours["errors"]:
                print("  ", e)
    print("\ntargets: in-scope right >= 90%, wrong overall <= 3%, out-of-scope declined >= 85%, p95 <= 20 ms")


if __name__ == "__main__":
    main()
