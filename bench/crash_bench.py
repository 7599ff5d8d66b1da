"""Crash-proofing, measured: the real bot process (`python -m bot run`, wechaty gateway) against the puppet service
(tests/peer), with a queue of calendar reminders, notices with a nudge and a deadline summary each, and students'
收到 arriving throughout, killed with SIGKILL at seeded random moments and restarted at once.

On the puppet side every expected message is counted: delivered 0, 1 or 2+ times, and of the second copies how
many were marked 可能重复 (the bot could not know whether WeChat had taken the first). Every 收到 the bot fetched
from the puppet service (it had received it) is looked up in the bot's journal.

Two scenarios:
  single  one account (SQLite by default), killed --kills times;
  city    three accounts over one database (PostgreSQL when reachable), only account B killed --city-kills
          times: A and C, running throughout, are the control measured in the same run (lateness, restarts).

    python bench/crash_bench.py [--scenario single|city|both] [--kills 100] [--city-kills 30] [--seed 1]
                                [--db sqlite|postgresql://…]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.texts.common import POSSIBLE_REPEAT, REPEATS_TO_ADMINS  # noqa: E402
from tests.integration.peers import PEER, TOKEN, Peer, Proc, free_port  # noqa: E402

TZ = ZoneInfo("Asia/Shanghai")
PG = "postgresql://postgres@127.0.0.1:5432/test"
CLASSES = {  # class -> (room id, WeChat topic, teacher id)
    "行管1班": ("r_xg1@chatroom", "2024秋行政管理1班", "wxid_wang"),
    "行管2班": ("r_xg2@chatroom", "2024秋行政管理2班", "wxid_wang"),
    "会计1班": ("r_kj1@chatroom", "2025春会计学1班", "wxid_li"),
    "法学1班": ("r_fx1@chatroom", "2025春法学1班", "wxid_zhao"),
}
STAFF = [("wxid_wang", "王老师"), ("wxid_li", "李老师"), ("wxid_zhao", "赵老师"), ("wxid_liu", "刘主任"),
         ("wxid_chen", "陈校长")]
STUDENTS = 12  # per class; the first half acknowledge, the rest never do (so every notice gets its nudge)
ADMIN_NOTE = REPEATS_TO_ADMINS.split("{n}")[0]


# -- the world ---------------------------------------------------------------------------------------------------
def world(classes: list[str], bot_id: str) -> dict:
    contacts = [{"id": i, "name": n} for i, n in STAFF]
    rooms = []
    for name in classes:
        room, topic, teacher = CLASSES[name]
        students = [f"wxid_{room[2:5]}_{k:02d}" for k in range(STUDENTS)]
        contacts += [{"id": s, "name": f"学生{s[-6:]}"} for s in students]
        rooms.append({"id": room, "topic": topic, "owner": teacher, "members": [teacher, *students]})
    return {"bot": {"id": bot_id, "name": "班助"}, "contacts": contacts, "rooms": rooms}


@dataclass
class Expected:
    """One message the bot must deliver once: where, a token only it carries, and when it is due."""
    kind: str  # reminder | notice | nudge | summary
    to: str
    token: str
    due: float  # epoch seconds
    account: str = "main"
    got: list[dict] = field(default_factory=list)


def local(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, TZ)


def write_calendar(path: Path, t0: float, window: float, events: int, rng: random.Random) -> list[Expected]:
    """`events` homework deadlines, one class each, whose one reminder (30 minutes before the deadline) falls at a
    minute spread over the window."""
    lines, out = ["events:"], []
    names = list(CLASSES)
    for i in range(events):
        due = t0 + 60 + (window - 60) * i / max(events - 1, 1)
        due = (int(due) // 60 + 1) * 60  # the calendar is read to the minute
        cls = names[i % len(names)]
        token = f"R{i:03d}"
        deadline = local(due + 1800)
        lines.append(f"  - {{id: crash-{i}, type: 作业, title: 形考作业{token}, deadline: \"{deadline:%Y-%m-%d %H:%M}\", "
                     f"remind: [30m], targets: {{classes: [{cls}]}}}}")
        out.append(Expected("reminder", CLASSES[cls][0], token, due))
    rng.shuffle(out)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def write_config(tmp: Path, calendar: Path, accounts: str | None) -> Path:
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    for key in ("handbook", "faq", "roster"):
        text = text.replace(f"  {key}: data/", f"  {key}: {ROOT}/data/")
    text = text.replace("  calendar: data/calendar.yaml", f"  calendar: {calendar}")
    text = text.replace("kind: console ", "kind: wechaty ").replace("  min_interval: 3s", "  min_interval: 0.3s")
    text = text.replace("  jitter: 2s", "  jitter: 0s").replace("retry_backoff: [5s, 30s, 2m, 10m]", "retry_backoff: [1s]")
    text = text.replace("    reconnect_min: 2s", "    reconnect_min: 1s").replace("    reconnect_max: 5m", "    reconnect_max: 3s")
    text = re.sub(r"quiet_hours:.*?\n(  .*\n)+", "quiet_hours: null\n", text)
    text = text.replace("nudge_before: [24h, 2h]", "nudge_before: [2m]").replace("max_nudges: 2", "max_nudges: 1")
    text = text.replace('daily: "20:00"', 'daily: "03:17"')  # no digest in the way
    if accounts:
        text = text.replace("  wechaty:\n", accounts + "  wechaty:\n", 1)
    path = tmp / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# -- the run -----------------------------------------------------------------------------------------------------
class Run:
    def __init__(self, tmp: Path, db_url: str, layout: dict[str, list[str]], seed: int) -> None:
        self.tmp, self.layout, self.rng = tmp, layout, random.Random(seed)
        self.env = {**os.environ, "DATABASE_URL": db_url, "PYTHONUNBUFFERED": "1"}
        self.peers: dict[str, Peer] = {}
        self.bots: dict[str, Proc] = {}
        self.account_of_room: dict[str, str] = {}
        self.account_of: dict[str, str] = {}
        for name, classes in layout.items():
            scenario = tmp / f"world-{name}.json"
            scenario.write_text(json.dumps(world(classes, f"wxid_bot_{name.lower()}"), ensure_ascii=False),
                                encoding="utf-8")
            peer = Peer(free_port(), scenario)
            self.peers[name] = peer
            self.env[f"TOKEN_{name}"] = TOKEN
            self.env[f"ENDPOINT_{name}"] = f"127.0.0.1:{peer.port}"
            for c in classes:
                self.account_of_room[CLASSES[c][0]] = name
                self.account_of[c] = name
        if len(layout) == 1:
            (name,) = layout
            self.env["WECHATY_PUPPET_SERVICE_TOKEN"] = TOKEN
            self.env["WECHATY_PUPPET_SERVICE_ENDPOINT"] = f"127.0.0.1:{self.peers[name].port}"
        self.restarts: Counter[str] = Counter()

    def start(self, config: Path, name: str, multi: bool) -> Proc:
        args = [sys.executable, "-m", "bot", "-v", "--config", str(config), "run"] + (["--account", name] if multi else [])
        self.bots[name] = Proc(args, self.env, ROOT, stream="stderr")
        self.restarts[name] += 1
        return self.bots[name]

    def say(self, cls: str, who: str, text: str) -> None:
        room = CLASSES[cls][0]
        self.peers[self.account_of_room[room]].command(cmd="say", who=who, to=room, text=text)

    def events(self, kind: str) -> list[tuple[str, dict]]:
        return [(name, e) for name, peer in self.peers.items() for e in peer.events(kind)]

    def stop(self) -> None:
        for bot in self.bots.values():
            bot.stop()
        for peer in self.peers.values():
            peer.stop()


def wait_until(pred, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.3)
    return False


def scenario(title: str, layout: dict[str, list[str]], db_url: str, kills: int, victims: list[str], seed: int,
             events: int, notices_per_class: int, accounts_yaml: str | None, keep: bool = False) -> None:
    multi = accounts_yaml is not None
    rng = random.Random(seed)
    tmp = Path(tempfile.mkdtemp(prefix="bench-crash-"))
    run = Run(tmp, db_url, layout, seed)
    cycle = 4.6  # seconds per kill, measured: uptime U(0.5, 8) and the restart
    window = max(240.0, kills * cycle + 60)
    t0 = time.time() + 45
    calendar = tmp / "calendar.yaml"
    expected = write_calendar(calendar, t0, window, events, rng)
    config = write_config(tmp, calendar, accounts_yaml)
    print(f"\n== {title}: {len(layout)} account(s), {kills} SIGKILLs of {', '.join(victims)}, seed {seed}, "
          f"database {db_url.split('://')[0]} ==", flush=True)
    try:
        for name in layout:
            run.start(config, name, multi)
        for bot in run.bots.values():
            bot.wait_for(lambda line: "gateway connected" in line, timeout=120)
        time.sleep(3.0)  # rooms synced

        # Teachers post notices with deadlines spread over the window: each brings a nudge two minutes before its
        # deadline and a summary to its author at the deadline.
        n = 0
        for cls, (room, _topic, teacher) in CLASSES.items():
            if cls not in run.account_of:
                continue
            for k in range(notices_per_class):
                token = f"N{n:03d}"
                deadline = (int(t0 + 240 + (window - 240) * (k + 0.5) / notices_per_class) // 60 + 1) * 60
                run.say(cls, teacher, f"/通知 截止 {local(deadline):%m月%d日%H:%M} 交材料{token}")
                account = run.account_of[cls]
                expected += [Expected("notice", room, token, time.time(), account),
                             Expected("nudge", room, token, deadline - 120, account),
                             Expected("summary", teacher, token, deadline, account)]
                n += 1
                time.sleep(0.2)
        for e in expected:
            if e.kind == "reminder":
                e.account = run.account_of_room[e.to]
        ok = wait_until(lambda: len([x for _, x in run.events("bot-say") if "【通知 #" in x["text"]]) >= n, 120)
        print(f"  {n} notices posted{'' if ok else ' (NOT ALL CONFIRMED)'}; {events} reminders due over "
              f"{window / 60:.1f} minutes; kills start", flush=True)

        # Students acknowledge throughout (the first half of each class), from a thread.
        stop_acks = threading.Event()

        def acks() -> None:
            ack_rng = random.Random(seed + 1)
            while not stop_acks.is_set():
                cls = ack_rng.choice(list(run.account_of))
                room = CLASSES[cls][0]
                who = f"wxid_{room[2:5]}_{ack_rng.randrange(STUDENTS // 2):02d}"
                run.say(cls, who, ack_rng.choice(["收到", "收到！", "收到了", "好的收到"]))
                stop_acks.wait(ack_rng.uniform(0.5, 2.5))

        acker = threading.Thread(target=acks, daemon=True)
        acker.start()

        killed_at: list[float] = []
        for _ in range(kills):
            victim = rng.choice(victims)
            time.sleep(rng.uniform(0.5, 8.0))
            run.bots[victim].stop(signal.SIGKILL)
            killed_at.append(time.time())
            run.start(config, victim, multi)
        print(f"  {kills} kills done in {(time.time() - t0 + 45) / 60:.1f} minutes; waiting for what is due",
              flush=True)
        last_due = max(e.due for e in expected)
        wait_until(lambda: time.time() > last_due + 20 and all(_count(run, e) for e in expected),
                   max(60.0, last_due - time.time() + 120))
        stop_acks.set()
        acker.join()
        wait_until(lambda: not _unprocessed(db_url), 60.0)  # the last 收到 said may still be on its way in
        report(run, expected, killed_at, db_url, victims)
    finally:
        run.stop()
        if keep:
            with (tmp / "events.jsonl").open("w", encoding="utf-8") as f:
                for name, peer in run.peers.items():
                    f.writelines(f"{name} {line}\n" for line in peer.all)
            with (tmp / "bots.log").open("w", encoding="utf-8") as f:
                f.writelines(f"{name}: {line}\n" for name, bot in run.bots.items() for line in bot.all)
            print(f"  kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def _matches(e: Expected, say: dict) -> bool:
    if say["to"] != e.to or e.token not in say["text"]:
        return False
    text = say["text"]
    if e.kind == "nudge":
        return "提醒：通知 #" in text
    if e.kind == "summary":
        return "已截止" in text
    if e.kind == "notice":
        return "【通知 #" in text and "已截止" not in text
    return "形考作业" in text


def _unprocessed(db_url: str) -> int:
    """Journal rows still waiting (read from the puppet service, not processed yet)."""
    from sqlmodel import col, func, select

    from bot.db import Database
    from bot.models import Inbound

    db = Database(db_url)
    try:
        with db.read() as s:
            return s.exec(select(func.count()).select_from(Inbound).where(
                col(Inbound.status).in_(("pending", "arrived")))).one()
    finally:
        db.close()


def _count(run: Run, e: Expected) -> int:
    e.got = [s for _, s in run.events("bot-say") if _matches(e, s)]
    return len(e.got)


def report(run: Run, expected: list[Expected], killed_at: list[float], db_url: str, victims: list[str]) -> None:
    for e in expected:
        _count(run, e)
    by_account: dict[str, list[Expected]] = defaultdict(list)
    for e in expected:
        by_account[e.account].append(e)
    total = Counter()
    for account, items in sorted(by_account.items()):
        tally: Counter[str] = Counter()
        late = []
        for e in items:
            copies = len(e.got)
            marked = sum(POSSIBLE_REPEAT in s["text"] for s in e.got)
            if copies == 0:
                tally["lost"] += 1
            elif copies == 1:
                tally["once, marked" if marked else "once"] += 1
            elif marked >= copies - 1:
                tally["twice, repeat marked"] += 1
            else:
                tally["twice, SILENT"] += 1
            if e.got and e.kind in ("reminder", "nudge", "summary"):
                late.append(max(0.0, e.got[0]["t"] / 1000 - e.due))
        total.update(tally)
        role = "killed" if account in victims else "control, never killed"
        restarts = run.restarts[account] - 1
        kinds = Counter(e.kind for e in items)
        spread = (f"lateness after due p50 {statistics.median(late):.1f} s, p95 {_p95(late):.1f} s, "
                  f"max {max(late):.1f} s" if late else "")
        print(f"  account {account} ({role}; {restarts} restarts): {len(items)} expected messages "
              f"({', '.join(f'{v} {k}s' for k, v in sorted(kinds.items()))}) -> "
              + ", ".join(f"{tally[k]} {k}" for k in ("once", "once, marked", "twice, repeat marked", "twice, SILENT",
                                                      "lost")) + f"; {spread}")
    admin_notes = [s for _, s in run.events("bot-say") if s["to"] == "wxid_chen" and ADMIN_NOTE in s["text"]]
    repeats_told = sum(int(m.group(1)) for s in admin_notes if (m := re.search(r"有 (\d+) 条", s["text"])))
    print(f"  all: {sum(total.values())} expected, {total['lost']} lost, {total['twice, SILENT']} sent twice "
          f"silently, {total['twice, repeat marked']} sent twice marked 可能重复, {total['once, marked']} sent once "
          f"marked (the first had not gone out); admins told of {repeats_told} uncertain message(s) in "
          f"{len(admin_notes)} note(s)")

    # Every 收到 the bot fetched from the puppet service must be in its journal, processed.
    read = {(e["id"]) for _, e in run.events("bot-read") if "收到" in (e.get("text") or "")}
    said = sum(1 for _, e in run.events("said") if "收到" in e["text"])
    from sqlmodel import col, select

    from bot.db import Database
    from bot.models import Inbound

    db = Database(db_url)
    with db.read() as s:
        rows = {r.message_id: r for r in s.exec(select(Inbound).where(col(Inbound.message_id).in_(list(read))))}
    db.close()
    journaled = [i for i in read if i in rows]
    processed = [i for i in journaled if rows[i].processed_at is not None]
    left = Counter(f"{rows[i].status} ({rows[i].account or 'main'})" for i in journaled if rows[i].processed_at is None)
    if left:
        print(f"  journaled, not processed when the run ended: {dict(left)}")
    print(f"  收到: {said} said, {len(read)} received by a bot process (fetched from the puppet service; the rest "
          f"arrived while it was down), {len(journaled)} of those journaled, {len(processed)} processed; "
          f"{len(read) - len(journaled)} lost between fetch and journal")
    print(f"  BENCH crash {'city' if len(by_account) > 1 else 'single'}: kills={len(killed_at)} "
          f"expected={sum(total.values())} lost={total['lost']} silent_twice={total['twice, SILENT']} "
          f"marked_twice={total['twice, repeat marked']} marked_once={total['once, marked']} "
          f"acks_lost={len(read) - len(journaled)}", flush=True)


def _p95(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(0.95 * (len(xs) - 1)))]


def pg_url(base: str) -> tuple[str, str] | None:
    try:
        import psycopg

        schema = f"crash_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(base, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        return f"{base}?options=-csearch_path%3D{schema}", schema
    except Exception as exc:
        print(f"PostgreSQL not reachable ({exc}); the city runs on one SQLite file")
        return None


def drop_schema(base: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


CITY_ACCOUNTS = """  accounts:
    - {name: A, token_env: TOKEN_A, endpoint_env: ENDPOINT_A, groups: [行管1班, 行管2班, 教学点负责人群]}
    - {name: B, token_env: TOKEN_B, endpoint_env: ENDPOINT_B, groups: [会计1班]}
    - {name: C, token_env: TOKEN_C, endpoint_env: ENDPOINT_C, groups: [法学1班]}
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--scenario", choices=["single", "city", "both"], default="both")
    p.add_argument("--kills", type=int, default=100)
    p.add_argument("--city-kills", type=int, default=30)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--keep", action="store_true", help="keep the run's folder (config, peer events, bot log)")
    p.add_argument("--db", default="sqlite", help="sqlite (a file) or a postgresql:// URL, for the single account")
    args = p.parse_args()
    if shutil.which("node") is None or not (PEER / "node_modules" / "wechaty-puppet-service").exists():
        sys.exit("the puppet service is not installed: run `make test` once (it runs npm ci in tests/peer)")
    if args.scenario in ("single", "both"):
        tmp = Path(tempfile.mkdtemp(prefix="bench-crash-db-"))
        schema = None
        url = f"sqlite:///{tmp}/banzhu.db"
        if args.db.startswith("postgresql"):
            made = pg_url(args.db)
            if made:
                url, schema = made
        scenario("single account", {"main": list(CLASSES)}, url, args.kills, ["main"], args.seed, events=60,
                 notices_per_class=4, accounts_yaml=None, keep=args.keep)
        if schema:
            drop_schema(args.db, schema)
        shutil.rmtree(tmp, ignore_errors=True)
    if args.scenario in ("city", "both"):
        made = pg_url(PG if not args.db.startswith("postgresql") else args.db)
        tmp = Path(tempfile.mkdtemp(prefix="bench-crash-db-"))
        url = made[0] if made else f"sqlite:///{tmp}/banzhu.db"
        layout = {"A": ["行管1班", "行管2班"], "B": ["会计1班"], "C": ["法学1班"]}
        scenario("city of three accounts", layout, url, args.city_kills, ["B"], args.seed + 100, events=48,
                 notices_per_class=3, accounts_yaml=CITY_ACCOUNTS, keep=args.keep)
        if made:
            drop_schema(PG if not args.db.startswith("postgresql") else args.db, made[1])
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
