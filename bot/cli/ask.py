"""`ask`: the chat's answer to a question — the very pipeline a student in private gets (splitting, small talk,
declining), from the configured handbook and Q&A or from one handbook file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bot.cli.common import Env, err, out, subcommand
from bot.handbook.service import Handbook, IndexCache, Response
from bot.handbook.source import HandbookError
from bot.texts import cli as texts

DECLINE = texts.ASK_DECLINE


def register(sub: Any) -> None:
    s = subcommand(sub, "ask", cmd_ask, "answer a question as the bot would in a private chat")
    s.add_argument("question", nargs="*")
    s.add_argument("--json", action="store_true",
                   help='print {"id", "score", "answer"} (and "parts" for several questions); no question: stdin')
    s.add_argument("--handbook", help="a handbook .md to answer from (instead of the configured one and its Q&A)")
    s.add_argument("--explain", action="store_true", help="also print why, and the three best-ranked sections")


def as_json(r: Response) -> dict[str, Any]:
    """One object per message: the first part's id and score; every part in "parts" when there are several."""
    parts = [{"id": p.match.id, "score": round(p.match.score, 4),
              "answer": p.answer or DECLINE} for p in r.parts]
    if not parts:
        return {"id": None, "score": 0.0, "answer": DECLINE}
    first = parts[0]
    obj: dict[str, Any] = {"id": first["id"], "score": first["score"],
                           "answer": r.text if r.kind == "answer" else DECLINE}
    if len(parts) > 1:
        obj["parts"] = parts
    return obj


def cmd_ask(env: Env) -> int:
    args = env.args
    try:
        if args.handbook:  # exactly that handbook, no curated Q&A, no database
            handbook = Handbook(None, None, IndexCache(), handbook=Path(args.handbook))
        else:
            config = env.config
            handbook = Handbook(env.services.db, config, IndexCache(), bot_names=(config.gateway.bot_name,))
        handbook.retriever  # noqa: B018  (load now: a broken handbook is one error, not one per line)
    except HandbookError as exc:
        err(f"error: {exc}")
        return 2
    if args.question:
        question = " ".join(args.question)
        r = handbook.respond(question, in_group=False)
        out(json.dumps(as_json(r), ensure_ascii=False) if args.json else (r.text if r.kind == "answer" else DECLINE))
        if args.explain:
            p = handbook.retriever.p
            decision = f"answer {', '.join(m.id or '' for m in r.answered)}" if r.kind == "answer" \
                else f"{r.kind} ({r.reason})"
            err(f"decision: {decision}; needs score >= {p.min_fused} and lead >= {p.min_margin}")
            for fused, unit in handbook.explain(question):
                err(f"  {fused:6.2f}  {unit.id}  {unit.title}")
        return 0
    if not args.json:
        err('usage: python -m bot ask "问题"  (or --json with one question per line on stdin)')
        return 2
    for line in sys.stdin:
        r = handbook.respond(line.rstrip("\n"), in_group=False)
        print(json.dumps(as_json(r), ensure_ascii=False), flush=True)
    return 0
