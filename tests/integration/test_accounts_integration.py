"""A city on three WeChat accounts: three real bot processes (`run --account`), three puppet services with mock
accounts, one PostgreSQL database. A coordinator's fan-out from account A's group reaches the classes B and C
serve, tracked as one notice; a second process for an account is refused; a killed process is replaced at once
(its lock dies with it) and sends what was queued for it meanwhile; nothing is lost or sent twice."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path

from tests.conftest import ROOT, drop_pg, make_pg_database, need_pg
from tests.integration.peers import TOKEN, Peer, Proc, free_port, need_peer

need_peer()

WORLDS = {
    "A": {"bot": {"id": "wxid_bot_a", "name": "班助"},
          "contacts": [{"id": "wxid_wang", "name": "王老师"}, {"id": "wxid_liu", "name": "刘主任"},
                       {"id": "wxid_s0", "name": "张三", "alias": "张三-2024110001"},
                       {"id": "wxid_s1", "name": "李四", "alias": "李四-2024110002"}],
          "rooms": [{"id": "ra1@chatroom", "topic": "2024秋行政管理1班", "members": ["wxid_wang", "wxid_s0", "wxid_s1"]},
                    {"id": "ra2@chatroom", "topic": "城区分校教学点负责人群", "members": ["wxid_liu", "wxid_wang"]}]},
    "B": {"bot": {"id": "wxid_bot_b", "name": "班助"},
          "contacts": [{"id": "wxid_li", "name": "李老师"}, {"id": "wxid_c0", "name": "钱一"},
                       {"id": "wxid_c1", "name": "孙二"}],
          "rooms": [{"id": "rb1@chatroom", "topic": "2025春会计学1班", "members": ["wxid_li", "wxid_c0", "wxid_c1"]}]},
    "C": {"bot": {"id": "wxid_bot_c", "name": "班助"},
          "contacts": [{"id": "wxid_zhao", "name": "赵老师"}, {"id": "wxid_l0", "name": "周三"}],
          "rooms": [{"id": "rc1@chatroom", "topic": "2025春法学1班", "members": ["wxid_zhao", "wxid_l0"]}]},
}
ACCOUNTS = """  accounts:
    - {name: A, token_env: TOKEN_A, endpoint_env: ENDPOINT_A, points: [城区], groups: [教学点负责人群]}
    - {name: B, token_env: TOKEN_B, endpoint_env: ENDPOINT_B, groups: [会计1班]}
    - {name: C, token_env: TOKEN_C, endpoint_env: ENDPOINT_C, groups: [法学1班]}
"""


def write_config(tmp: Path) -> Path:
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    for key in ("handbook", "faq", "roster"):
        text = text.replace(f"  {key}: data/", f"  {key}: {ROOT}/data/")
    (tmp / "calendar.yaml").write_text("events: []\n", encoding="utf-8")
    text = text.replace("  calendar: data/calendar.yaml", f"  calendar: {tmp}/calendar.yaml")
    text = text.replace("kind: console ", "kind: wechaty ").replace("  min_interval: 3s", "  min_interval: 0.5s")
    text = text.replace("  jitter: 2s", "  jitter: 0s").replace("retry_backoff: [5s, 30s, 2m, 10m]", "retry_backoff: [1s]")
    text = text.replace("    reconnect_min: 2s", "    reconnect_min: 1s").replace("    reconnect_max: 5m", "    reconnect_max: 3s")
    text = text.replace("  wechaty:\n", ACCOUNTS + "  wechaty:\n", 1)
    path = tmp / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


class City:
    def __init__(self, tmp: Path, db_url: str) -> None:
        self.tmp = tmp
        self.config = write_config(tmp)
        self.peers: dict[str, Peer] = {}
        self.env = {**os.environ, "DATABASE_URL": db_url, "PYTHONUNBUFFERED": "1"}
        for name, world in WORLDS.items():
            scenario = tmp / f"world-{name}.json"
            scenario.write_text(json.dumps(world, ensure_ascii=False), encoding="utf-8")
            peer = Peer(free_port(), scenario)
            self.peers[name] = peer
            self.env[f"TOKEN_{name}"] = TOKEN
            self.env[f"ENDPOINT_{name}"] = f"127.0.0.1:{peer.port}"
        self.bots: dict[str, Proc] = {}

    def start(self, name: str, wait: bool = True) -> Proc:
        bot = Proc([sys.executable, "-m", "bot", "-v", "--config", str(self.config), "run", "--account", name],
                   self.env, ROOT, stream="stderr")
        if wait:
            bot.wait_for(lambda line: "logged in to WeChat" in line, timeout=120)
            bot.wait_for(lambda line: "gateway connected" in line, timeout=60)
        self.bots[name] = bot
        return bot

    def say(self, account: str, who: str, room: str, text: str) -> None:
        self.peers[account].command(cmd="say", who=who, to=room, text=text)

    def sends(self, account: str) -> list[dict]:
        return self.peers[account].events("bot-say")

    def stop(self) -> None:
        for bot in self.bots.values():
            bot.stop()
        for peer in self.peers.values():
            peer.stop()


CURRENT: list[City] = []


def wait_until(pred, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.2)
    logs = []
    for city in CURRENT:
        for name, bot in city.bots.items():
            logs.append(f"--- bot {name} stderr:\n" + "\n".join(bot.err[-25:]))
        for name in city.peers:
            logs.append(f"--- peer {name} sends:\n" + "\n".join(e["text"][:80] for e in city.sends(name)))
    raise AssertionError("timed out\n" + "\n".join(logs))


def test_a_city_on_three_accounts_over_postgresql(tmp_path):
    need_pg()
    db = make_pg_database()
    url = str(db.engine.url.render_as_string(hide_password=False)).replace("postgresql+psycopg://", "postgresql://")
    city = City(tmp_path, url)
    CURRENT[:] = [city]
    try:
        for name in ("A", "B", "C"):
            city.start(name, wait=False)
        for bot in city.bots.values():
            bot.wait_for(lambda line: "logged in to WeChat" in line, timeout=120)
            bot.wait_for(lambda line: "gateway connected" in line, timeout=60)
        time.sleep(2.0)  # rooms synced

        # A second process for account A is refused: it would knock the first off WeChat.
        second = Proc([sys.executable, "-m", "bot", "--config", str(city.config), "run", "--account", "A"],
                      city.env, ROOT, stream="stderr")
        assert second.p.wait(timeout=90) == 3
        assert any("already running" in line for line in second.err + second.all)

        # The coordinator (account A's group) fans a notice out: the classes of B and C get it too.
        city.say("A", "wxid_liu", "ra2@chatroom", "/通知 全部班级 周五前完成学籍核对")
        wait_until(lambda: any("回复“确认”" in e["text"] for e in city.sends("A")))
        city.say("A", "wxid_liu", "ra2@chatroom", "确认")
        wait_until(lambda: any("【通知 #" in e["text"] for e in city.sends("B"))
                   and any("【通知 #" in e["text"] for e in city.sends("C"))
                   and any("【通知 #" in e["text"] and e["to"] == "ra1@chatroom" for e in city.sends("A"))
                   and any("已发送通知" in e["text"] for e in city.sends("A")), timeout=90)

        # Students acknowledge on their own account; the coordinator sees one notice across accounts.
        city.say("B", "wxid_c0", "rb1@chatroom", "收到")
        city.say("C", "wxid_l0", "rc1@chatroom", "收到")
        city.say("A", "wxid_s0", "ra1@chatroom", "收到")
        time.sleep(3.0)
        city.say("A", "wxid_liu", "ra2@chatroom", "/统计 #1")
        wait_until(lambda: any("（3个班级）" in e["text"] for e in city.sends("A")), timeout=60)
        stats = next(e["text"] for e in city.sends("A") if "（3个班级）" in e["text"])
        assert "会计1班：1/2" in stats and "法学1班：1/1" in stats and "行管1班：1/2" in stats, stats

        # Account B's process is killed. Its lock dies with it: a new process takes over at once, and what was
        # queued for B meanwhile (a second fan-out) is sent once.
        city.bots["B"].stop(signal.SIGKILL)
        city.say("A", "wxid_liu", "ra2@chatroom", "/通知 班级:会计1班,法学1班 下周一交照片")
        wait_until(lambda: sum("回复“确认”" in e["text"] for e in city.sends("A")) == 2)
        city.say("A", "wxid_liu", "ra2@chatroom", "确认")
        wait_until(lambda: any("下周一交照片" in e["text"] for e in city.sends("C")), timeout=60)
        assert not any("下周一交照片" in e["text"] for e in city.sends("B"))  # B is down
        city.start("B")
        wait_until(lambda: any("下周一交照片" in e["text"] for e in city.sends("B")), timeout=90)
        time.sleep(3.0)

        # Nothing sent twice anywhere.
        for name in ("A", "B", "C"):
            counts = Counter(e["text"] for e in city.sends(name) if "【通知 #" in e["text"])
            assert all(n == 1 for n in counts.values()), (name, counts)
        assert Counter(e["to"] for e in city.sends("B") if "【通知 #" in e["text"]) == {"rb1@chatroom": 2}
    finally:
        city.stop()
        drop_pg(db)
