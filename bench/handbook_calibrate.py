"""Calibrating the handbook's decline rule (Params.min_fused, min_margin, strong_fused, strong_margin) on the
developed and tune sets only — never on the `unseen` ones, which stay the honest test.

Every message of those sets goes once through the very pipeline bench/handbook_eval.py and `python -m bot ask
--json` run (small talk, splitting, ranking each part), with the thresholds opened so that nothing is declined by
score: each part keeps its best section, that section's fused score, its lead over the runner-up and the topic words
the handbook does not know (and, for a message of several parts, the same for the whole message, which the pipeline
falls back on when every part is declined). Candidate thresholds are then replayed offline through the one decline
rule, Params.verdict, and scored by handbook_eval's own Score (right / wrong / declined per part). The chosen
candidate keeps wrong (over all parts) <= --limit on every tune set, and on as many developed sets as it can, with the
most right answers; ties go to the stricter candidate.

    python bench/handbook_calibrate.py [--shared ../shared/handbook] [--limit 0.03] [--check]

--check replays the thresholds before calibration, the shipped and the chosen ones through the real pipeline once more
and fails if the offline replay disagrees with it on any message.
"""

from __future__ import annotations

import argparse
import itertools
import math
import sys
import time
from dataclasses import dataclass, fields, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.handbook_eval import BENCH, Score, labels_of  # noqa: E402
from bot.handbook.embedder import Embedder  # noqa: E402
from bot.handbook.retriever import Match, Params  # noqa: E402
from bot.handbook.service import Handbook, IndexCache  # noqa: E402
from bot.yamlio import load_yaml  # noqa: E402

ROLES = ("developed", "tune")  # never "unseen"
GRID = {  # candidate values of each threshold; the shipped ones are added
    "min_fused": [round(4.0 + 0.25 * i, 2) for i in range(25)],  # 4.0 … 10.0
    "min_margin": [round(0.1 * i, 1) for i in range(31)],  # 0.0 … 3.0
    "strong_fused": [7.0, 7.5, 8.0, 8.5, 9.0, 10.0, math.inf],  # inf: an unknown word always vetoes
    "strong_margin": [1.0, 1.5, 2.0, 2.5, 3.0],
}
KEYS = tuple(GRID)
BEFORE = Params(min_fused=5.0, min_margin=0.5, strong_fused=7.5, strong_margin=1.5)  # before this calibration (#14)


def thresholds(p: Params, min_fused: float, min_margin: float, strong_fused: float, strong_margin: float) -> Params:
    return replace(p, min_fused=min_fused, min_margin=min_margin, strong_fused=strong_fused, strong_margin=strong_margin)


@dataclass
class Message:
    question: str
    labels: list[str | None]
    parts: list[Match]  # with the thresholds opened: each part's best section and what it was judged on
    whole: Match | None  # the whole message, for a message of several parts
    kind: str  # the pipeline's: answer | decline | small talk | ignore


@dataclass
class Set:
    name: str
    role: str
    messages: list[Message]


def load_sets(shared: Path, only: list[str] | None) -> list[tuple[dict, Path, Path]]:
    out = []
    for s in load_yaml(BENCH / "data" / "sets.yaml").data["sets"]:
        if s["role"] not in ROLES or (only and s["name"] not in only):
            continue
        hb = shared / "handbook.md" if s["handbook"] == "shared" else BENCH / s["handbook"]
        qpath = shared / s["queries"].split(":", 1)[1] if s["queries"].startswith("shared:") else BENCH / s["queries"]
        if not hb.exists() or not qpath.exists():
            print(f"{s['name']}: skipped ({hb if not hb.exists() else qpath} not found)")
            continue
        out.append((s, hb, qpath))
    return out


def record(indexes: IndexCache, s: dict, hb: Path, qpath: Path) -> Set:
    """One pass through the real pipeline with nothing declined by score."""
    handbook = Handbook(None, None, indexes, handbook=hb)
    retriever = handbook.retriever
    shipped, retriever.p = retriever.p, thresholds(retriever.p, -math.inf, -math.inf, -math.inf, -math.inf)
    try:
        messages = []
        for item in load_yaml(qpath).data:
            r = handbook.respond(item["q"], in_group=False)
            parts = [p.match for p in r.parts]
            whole = retriever.match(item["q"]) if len(parts) > 1 else None
            messages.append(Message(item["q"], labels_of(item), parts, whole, r.kind))
    finally:
        retriever.p = shipped
    return Set(s["name"], s["role"], messages)


def answer(m: Match, p: Params) -> str | None:
    """What the pipeline answers for one part recorded with the thresholds opened, under thresholds `p`."""
    if m.unit is None:  # declined whatever the thresholds (too short)
        return None
    return None if p.verdict(m.fused, m.margin, m.unknown) else m.unit.id


def replay(msg: Message, p: Params) -> list[str | None]:
    """Handbook.respond's decisions, offline: each part on its own; the whole message when every part declines."""
    if msg.kind not in ("answer", "decline"):
        return [None]
    got = [answer(m, p) for m in msg.parts]
    if len(got) > 1 and not any(got) and msg.whole is not None and (whole := answer(msg.whole, p)):
        got = [whole]
    return got or [None]


def score(data: Set, p: Params) -> Score:
    sc = Score()
    for msg in data.messages:
        sc.add(msg.question, msg.labels, replay(msg, p), 0.0)
    return sc


@dataclass
class Outcome:
    params: Params
    scores: dict[str, Score]

    def wrong(self, name: str) -> float:
        sc = self.scores[name]
        return sc.wrong / sc.parts

    def rank_key(self, sets: list[Set], limit: float) -> tuple:
        """Higher is better: every tune set within the limit (required), then as many developed sets within it as
        possible, then the most right answers over all sets, then the fewest wrong ones, then the stricter."""
        tune_ok = all(self.wrong(s.name) <= limit for s in sets if s.role == "tune")
        dev_ok = sum(self.wrong(s.name) <= limit for s in sets if s.role == "developed")
        right = sum(sc.right for sc in self.scores.values())
        wrong = sum(sc.wrong for sc in self.scores.values())
        p = self.params
        return (tune_ok, dev_ok, right, -wrong, p.min_fused, p.min_margin, p.strong_fused, p.strong_margin)


def candidates(shipped: Params) -> list[Params]:
    grid = {k: sorted(set(v) | {getattr(shipped, k), getattr(BEFORE, k)}) for k, v in GRID.items()}
    return [thresholds(shipped, *values) for values in itertools.product(*grid.values())]


def sweep(sets: list[Set], shipped: Params, limit: float) -> list[Outcome]:
    """Every candidate that keeps every tune set within the limit, best first. Cheap: a candidate is scored on the
    tune sets first, and on the developed sets only when it passes."""
    tune = [s for s in sets if s.role == "tune"]
    developed = [s for s in sets if s.role != "tune"]
    feasible = []
    for p in candidates(shipped):
        scores = {s.name: score(s, p) for s in tune}
        if all(sc.wrong <= limit * sc.parts for sc in scores.values()):
            feasible.append(Outcome(p, scores | {s.name: score(s, p) for s in developed}))
    feasible.sort(key=lambda o: o.rank_key(sets, limit), reverse=True)
    return feasible


def params_text(p: Params) -> str:
    return ", ".join(f"{k}={getattr(p, k)}" for k in KEYS)


def table(title: str, outcome: Outcome, sets: list[Set]) -> None:
    pct = lambda a, b: f"{a / b:.1%}" if b else "—"  # noqa: E731
    print(f"\n{title}: {params_text(outcome.params)}")
    print("| set | role | right (in scope) | wrong (all parts) | declined (in scope) | out of scope declined |")
    print("|---|---|---|---|---|---|")
    for s in sets:
        sc = outcome.scores[s.name]
        print(f"| {s.name} | {s.role} | {pct(sc.right, sc.in_scope)} ({sc.right}/{sc.in_scope}) | "
              f"{pct(sc.wrong, sc.parts)} ({sc.wrong}/{sc.parts}) | {pct(sc.declined, sc.in_scope)} | "
              f"{pct(sc.out_declined, sc.out_scope)} |")
    right = sum(sc.right for sc in outcome.scores.values())
    in_scope = sum(sc.in_scope for sc in outcome.scores.values())
    wrong = sum(sc.wrong for sc in outcome.scores.values())
    parts = sum(sc.parts for sc in outcome.scores.values())
    print(f"| all developed + tune | | {pct(right, in_scope)} ({right}/{in_scope}) | {pct(wrong, parts)} "
          f"({wrong}/{parts}) | | |")


def neighbours(chosen: Params, sets: list[Set]) -> None:
    """How sensitive the choice is: right answers and the worst tune set's wrong rate around it."""
    tune = [s for s in sets if s.role == "tune"]
    margins = [round(chosen.min_margin + d, 1) for d in (-0.4, -0.2, 0.0, 0.2, 0.4)]
    print(f"\naround the chosen (strong_fused={chosen.strong_fused}, strong_margin={chosen.strong_margin}): "
          "right answers over all sets / the worst tune set's wrong")
    print("| min_fused \\ min_margin | " + " | ".join(str(m) for m in margins) + " |")
    print("|---" * (len(margins) + 1) + "|")
    for f in (chosen.min_fused + d for d in (-0.5, -0.25, 0.0, 0.25, 0.5)):
        cells = []
        for m in margins:
            p = replace(chosen, min_fused=f, min_margin=m)
            right = sum(score(s, p).right for s in sets)
            worst = max(score(s, p).wrong / max(score(s, p).parts, 1) for s in tune)
            cells.append(f"{right} / {worst:.1%}")
        print(f"| {f} | " + " | ".join(cells) + " |")


def check(indexes: IndexCache, sets: list[Set], found: list[tuple[dict, Path, Path]], params: list[Params]) -> None:
    """The offline replay against the real pipeline, message by message."""
    for (s, hb, qpath), data in zip(found, sets, strict=True):
        handbook = Handbook(None, None, indexes, handbook=hb)
        retriever = handbook.retriever
        shipped = retriever.p
        try:
            for p in params:
                retriever.p = p
                for item, msg in zip(load_yaml(qpath).data, data.messages, strict=True):
                    r = handbook.respond(item["q"], in_group=False)
                    real = [x.match.id for x in r.parts] if r.kind in ("answer", "decline") else [None]
                    assert (real or [None]) == replay(msg, p), (s["name"], item["q"], real, replay(msg, p))
        finally:
            retriever.p = shipped
    print(f"\ncheck: the offline replay equals the real pipeline on every message ({len(params)} parameter sets)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=str(ROOT.parent / "shared" / "handbook"),
                    help="folder of the shared sample handbook and its dev questions")
    ap.add_argument("--only", action="append", help="calibrate on these sets only (developed or tune)")
    ap.add_argument("--limit", type=float, default=0.03, help="wrong answers over all parts allowed per set")
    ap.add_argument("--top", type=int, default=10, help="how many of the best candidates to list")
    ap.add_argument("--check", action="store_true", help="check the offline replay against the real pipeline")
    args = ap.parse_args()
    shipped = Params()
    indexes = IndexCache(Embedder())
    found = load_sets(Path(args.shared), args.only)
    t0 = time.perf_counter()
    sets = [record(indexes, *f) for f in found]
    n = sum(len(s.messages) for s in sets)
    print(f"recorded {n} messages of {len(sets)} sets ({', '.join(f'{s.name} [{s.role}]' for s in sets)}) "
          f"in {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    feasible = sweep(sets, shipped, args.limit)
    print(f"swept {len(candidates(shipped))} candidates in {time.perf_counter() - t0:.0f} s; "
          f"{len(feasible)} keep wrong <= {args.limit:.1%} on every tune set")
    names = [s.name for s in sets]
    print(f"\nbest {min(args.top, len(feasible))} (wrong % per set: {' / '.join(names)}):")
    for o in feasible[: args.top]:
        right = sum(sc.right for sc in o.scores.values())
        print(f"  {params_text(o.params)}: right {right}, wrong "
              + " / ".join(f"{o.wrong(x):.1%}" for x in names))
    table("before calibration", Outcome(BEFORE, {s.name: score(s, BEFORE) for s in sets}), sets)
    table("shipped (the Params defaults)", Outcome(shipped, {s.name: score(s, shipped) for s in sets}), sets)
    if feasible:
        best = feasible[0]
        table("chosen", best, sets)
        neighbours(best.params, sets)
        changed = {f.name: getattr(best.params, f.name) for f in fields(Params)
                   if getattr(best.params, f.name) != getattr(shipped, f.name)}
        print(f"\nchange in Params: {changed or 'none'}")
    else:
        print("\nno candidate keeps every tune set within the limit")
    if args.check:
        check(indexes, sets, found, [BEFORE, shipped] + ([feasible[0].params] if feasible else []))


if __name__ == "__main__":
    main()
