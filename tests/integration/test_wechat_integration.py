"""The real bot process, with `gateway: wechaty`, against a real puppet service (Node wechaty-puppet-service serving
wechaty-puppet-mock) on loopback. The bot's sends and their mention ids are asserted on the Node side; then the
server is stopped and restarted mid-conversation."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

from tests.conftest import ROOT
from tests.integration.peers import TOKEN, Peer, Proc, free_port, need_peer

need_peer()


def write_config(tmp_path: Path) -> Path:
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    for key in ("calendar", "handbook", "faq", "roster"):
        text = text.replace(f"  {key}: data/", f"  {key}: {ROOT}/data/")
    text = text.replace("kind: console ", "kind: wechaty ")
    text = text.replace("  min_interval: 3s", "  min_interval: 2.5s")
    text = text.replace("  jitter: 2s", "  jitter: 0s").replace("retry_backoff: [5s, 30s, 2m, 10m]", "retry_backoff: [1s, 1s]")
    text = text.replace("    reconnect_min: 2s", "    reconnect_min: 1s").replace("    reconnect_max: 5m", "    reconnect_max: 4s")
    (tmp_path / "calendar.yaml").write_text("events: []\n", encoding="utf-8")
    text = text.replace(f"  calendar: {ROOT}/data/calendar.yaml", f"  calendar: {tmp_path}/calendar.yaml")
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def start_bot(tmp_path: Path, port: int) -> Proc:
    env = {**os.environ, "WECHATY_PUPPET_SERVICE_TOKEN": TOKEN,
           "WECHATY_PUPPET_SERVICE_ENDPOINT": f"127.0.0.1:{port}",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}", "PYTHONUNBUFFERED": "1"}
    bot = Proc([sys.executable, "-m", "bot", "-v", "--config", str(write_config(tmp_path)), "run"], env, ROOT,
               stream="stderr")
    bot.wait_for(lambda line: "logged in to WeChat" in line, timeout=90)
    bot.wait_for(lambda line: "gateway connected" in line, timeout=30)
    return bot


def test_class_group_over_real_puppet_service_with_restart(tmp_path):
    port = free_port()
    peer = Peer(port)
    bot = None
    try:
        bot = start_bot(tmp_path, port)
        time.sleep(1.0)  # the room list is synced on login

        # A teacher publishes a notice: posted to the room, confirmation to the teacher privately.
        peer.send("teacher room /通知 周五前完成形考作业2")
        notice = peer.next_say()
        assert notice["to"] == "room1@chatroom" and "【通知 #1】" in notice["text"]
        private = peer.next_say()
        assert private["to"] == "wxid_wang" and "需确认 4 人" in private["text"]

        # Students acknowledge: silence in the group. A redelivery with a new id counts once.
        peer.send("s0 room 收到")
        peer.send("s1 dup 收到了，谢谢老师")
        peer.send("teacher room /统计")
        stats = peer.next_say()
        if "已确认 2/4" not in stats["text"]:
            (tmp_path / "bot.log").write_text("\n".join(bot.all), encoding="utf-8")
        assert "已确认 2/4" in stats["text"], (stats, f"bot log: {tmp_path / 'bot.log'}")

        # A handbook question: answered with its source, @-mentioning the asker by contact id.
        peer.send("s2 room 忘记密码怎么办？")
        answer = peer.next_say()
        assert answer["mentions"] == ["wxid_s2"] and "忘记密码" in answer["text"] and "§" in answer["text"]

        # Someone who renamed himself 王老师 gets no teacher rights.
        peer.send("impostor room /通知 明天停课")
        refusal = peer.next_say()
        assert refusal["mentions"] == ["wxid_fake"] and "只有" in refusal["text"]

        # An Excel export goes to the teacher privately, as a file.
        peer.send("teacher room /导出")
        export = json.loads(peer.wait_for(lambda line: '"bot-file"' in line))
        assert export["to"] == "wxid_wang" and export["name"].endswith(".xlsx")
        reply = peer.next_say()  # the room hears only where the file went
        assert reply["to"] == "room1@chatroom" and "私聊" in reply["text"]
        assert any(e["to"] == "wxid_wang" and "见附件" in e["text"] for e in peer.events("bot-say"))

        # Three replies queued at once; the server dies after the first is delivered.
        peer.send("teacher room /未确认")
        peer.send("teacher room /催")
        peer.send("teacher dm /帮助")
        first = peer.next_say()
        time.sleep(1.0)  # its confirmation reaches the bot; the next send is 2.5 s away (pacing)
        peer.stop(signal.SIGKILL)
        sent_before = [e["text"] for e in peer.events("bot-say")]
        time.sleep(2.0)

        peer = Peer(port)  # the same service comes back
        bot.wait_for(lambda line: "logged in to WeChat" in line, timeout=60)
        after = [peer.next_say(timeout=30) for _ in range(2)]
        texts_after = [e["text"] for e in after]
        expected = {"未确认 2/4 人", "提醒：通知 #1", "可用命令"}
        everything = sent_before[sent_before.index(first["text"]):] + texts_after
        for needle in expected:
            assert sum(needle in t for t in everything) == 1, (needle, everything)
        nudge = next(e for e in [first, *after] if "提醒：通知 #1" in e["text"])
        assert sorted(nudge["mentions"]) == ["wxid_fake", "wxid_s2"]

        # And the conversation goes on after the reconnect.
        peer.send("s2 room 收到")
        peer.send("teacher room /统计")
        assert "已确认 3/4" in peer.next_say()["text"]
        time.sleep(1.0)
        assert len(peer.events("bot-say")) == 3  # nothing else was sent twice after the restart
    finally:
        if bot is not None:
            bot.stop()
        peer.stop()
