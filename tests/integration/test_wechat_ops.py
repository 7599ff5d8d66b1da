"""Everyday WeChat operations against the real puppet service (Node wechaty-puppet-service serving a mock account),
with the real bot process: friend requests, private messages to people who are not friends (a teacher's digest, a
student's reminder), a newcomer's welcome,
a spreadsheet sent privately and imported after 导入, a re-login that changes contact ids, a /收集 answered with
photos and exported as a zip, and a logout reported to a webhook receiver started here."""

from __future__ import annotations

import base64
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

from sqlmodel import select

from bot.db import Database
from bot.models import Student
from tests.conftest import ROOT
from tests.integration.peers import TOKEN, Peer, Proc, free_port, need_peer

need_peer()

WORLD = {
    "bot": {"id": "wxid_banzhu", "name": "班助"},
    "contacts": [{"id": "wxid_wang", "name": "王老师"}, {"id": "wxid_chen", "name": "陈校长"},
                 {"id": "wxid_li", "name": "李老师", "friend": False},
                 {"id": "wxid_s0", "name": "熊晓明", "alias": "熊晓明-2024201010001"},
                 {"id": "wxid_s1", "name": "马国强", "alias": "马国强-2024201010003"},
                 {"id": "wxid_s2", "name": "卢刚", "alias": "卢刚-2024201010004", "friend": False},
                 {"id": "wxid_c0", "name": "钱一"},
                 {"id": "wxid_new", "name": "吴晨曦", "alias": "吴晨曦-2024201010002"},
                 {"id": "wxid_stranger", "name": "路人甲"}],
    "rooms": [{"id": "room1@chatroom", "topic": "2024秋行政管理1班", "owner": "wxid_wang",
               "members": ["wxid_wang", "wxid_s0", "wxid_s1", "wxid_s2"]},
              {"id": "room2@chatroom", "topic": "2025春会计学1班", "owner": "wxid_li",
               "members": ["wxid_li", "wxid_c0"]}],
}


class Hook:
    def __init__(self) -> None:
        self.posts: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                outer.posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/robot"


def write_config(tmp: Path) -> Path:
    text = (ROOT / "config.yaml").read_text(encoding="utf-8")
    for key in ("handbook", "faq", "roster"):
        text = text.replace(f"  {key}: data/", f"  {key}: {ROOT}/data/")
    (tmp / "calendar.yaml").write_text("events: []\n", encoding="utf-8")
    text = text.replace("  calendar: data/calendar.yaml", f"  calendar: {tmp}/calendar.yaml")
    text = text.replace("kind: console ", "kind: wechaty ").replace("  min_interval: 3s", "  min_interval: 0.5s")
    text = text.replace("  jitter: 2s", "  jitter: 0s").replace("retry_backoff: [5s, 30s, 2m, 10m]", "retry_backoff: [1s]")
    text = text.replace("    reconnect_min: 2s", "    reconnect_min: 1s").replace("    reconnect_max: 5m", "    reconnect_max: 2s")
    text = text.replace("  merge: 3m ", "  merge: 2s ").replace('  unmatched_report: "08:30"', "  unmatched_report: null")
    text = text.replace('  report: "09:00"          # the admins', "  report: null          # the admins")
    text = text.replace("  # webhook_env: BANZHU_ALERT_WEBHOOK", "  webhook_env: BANZHU_ALERT_WEBHOOK")
    path = tmp / "config.yaml"
    path.write_text(text.replace("  exports: data/exports", f"  exports: {tmp}/exports"), encoding="utf-8")
    return path


def test_everyday_wechat_operations_on_the_real_puppet_service(tmp_path):
    world = tmp_path / "world.json"
    world.write_text(json.dumps(WORLD, ensure_ascii=False), encoding="utf-8")
    peer = Peer(free_port(), world)
    hook = Hook()
    db_path = tmp_path / "bot.db"
    env = {**os.environ, "WECHATY_PUPPET_SERVICE_TOKEN": TOKEN, "WECHATY_PUPPET_SERVICE_ENDPOINT":
           f"127.0.0.1:{peer.port}", "DATABASE_URL": f"sqlite:///{db_path}", "PYTHONUNBUFFERED": "1",
           "BANZHU_ALERT_WEBHOOK": hook.url}
    config = write_config(tmp_path)
    import subprocess

    # A school imports its roster before it goes live (the console try-out does this by itself).
    subprocess.run([sys.executable, "-m", "bot", "--config", str(config), "roster", "import",
                    str(ROOT / "data" / "roster.csv")], env=env, cwd=ROOT, check=True, capture_output=True)
    bot = Proc([sys.executable, "-m", "bot", "-v", "--config", str(config), "run"], env, ROOT, stream="stderr")

    taken: set[tuple] = set()

    def says(pred, timeout: float = 30.0) -> dict:
        """The first message the bot sent that matches and was not taken yet (in any order)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for e in peer.events("bot-say"):
                key = (e["t"], e["to"], e["text"])
                if key not in taken and pred(e):
                    taken.add(key)
                    return e
            time.sleep(0.2)
        log = tmp_path / "bot.log"
        log.write_text("\n".join(bot.all), encoding="utf-8")
        raise AssertionError(f"no such message (bot log: {log}); the bot sent:\n" + "\n".join(
            f"{e['to']}: {e['text'][:100]}" for e in peer.events("bot-say")))

    def cmd(**kw) -> None:
        peer.command(**kw)

    try:
        bot.wait_for(lambda line: "gateway connected" in line, timeout=120)
        time.sleep(2.0)  # rooms synced, roster imported
        check = says(lambda e: e["to"] == "wxid_chen" and "群绑定检查" in e["text"])
        assert "行管2班" in check["text"]  # this little world has two of the configured groups

        # 1. A class member's friend request is accepted at once, with one short welcome.
        cmd(cmd="friend", who="wxid_s0", hello="我是行管1班熊晓明")
        peer.wait_for(lambda line: '"friend-accepted"' in line and "wxid_s0" in line, 30)
        welcome = says(lambda e: e["to"] == "wxid_s0")
        assert "/帮助" in welcome["text"]
        # A stranger's waits for an admin.
        cmd(cmd="friend", who="wxid_stranger", hello="你好")
        bot.wait_for(lambda line: "friend request from wxid_stranger" in line, timeout=30)
        cmd(cmd="say", who="wxid_chen", to="dm", text="/好友申请")
        listed = says(lambda e: e["to"] == "wxid_chen" and "好友申请" in e["text"])
        assert "路人甲" in listed["text"] and "“你好”" in listed["text"]
        assert not peer.events("friend-accepted")[1:]

        # 2. A private message to someone who is not the account's friend: the admins get it, the asker is told.
        cmd(cmd="say", who="wxid_li", to="room2@chatroom", text="/汇总 本周")
        says(lambda e: e["to"] == "room2@chatroom" and "私聊" in e["text"])
        told = says(lambda e: e["to"] == "room2@chatroom" and "没能发给 李老师" in e["text"])
        assert "请先加班助为好友" in told["text"]
        relayed = says(lambda e: e["to"] == "wxid_chen" and "转给管理员" in e["text"])
        assert "李老师" in relayed["text"]
        assert not [e for e in peer.events("bot-say") if e["to"] == "wxid_li"]

        # 3. A newcomer: matched to the roster by 群昵称 at once, welcomed in the group.
        cmd(cmd="join", who="wxid_new", room="room1@chatroom")
        welcome = says(lambda e: e["to"] == "room1@chatroom" and "欢迎新同学" in e["text"])
        assert welcome["mentions"] == ["wxid_new"] and "/绑定" in welcome["text"]

        # 4. A teacher sends a platform export privately; the dry run's report, then 导入.
        export = ROOT / "data" / "progress" / "形考-行政管理学-2026-11-01.xlsx"
        cmd(cmd="file", who="wxid_wang", to="dm", name=export.name,
            base64=base64.b64encode(export.read_bytes()).decode())
        checked = says(lambda e: e["to"] == "wxid_wang" and "检查通过（未写入）" in e["text"], timeout=60)
        assert export.name in checked["text"] and "回复“导入”" in checked["text"]
        cmd(cmd="say", who="wxid_wang", to="dm", text="导入")
        says(lambda e: e["to"] == "wxid_wang" and f"{export.name}：导入完成" in e["text"], timeout=60)
        # … and chases who has not handed in 形考作业2: 吴晨曦, who has written to the bot, privately; 卢刚, not the
        #    account's friend, in the group with neutral words (no item, no figure).
        cmd(cmd="say", who="wxid_new", to="dm", text="/进度")
        says(lambda e: e["to"] == "wxid_new" and "【吴晨曦 学习进度】" in e["text"])
        cmd(cmd="say", who="wxid_wang", to="room1@chatroom", text="/督学 形考作业2")
        summary = says(lambda e: e["to"] == "wxid_wang" and "督学（形考作业2" in e["text"])
        assert "私聊 1 人" in summary["text"] and "群@ 1 人" in summary["text"], summary
        private = says(lambda e: e["to"] == "wxid_new" and "形考作业2" in e["text"], timeout=60)
        group = says(lambda e: e["to"] == "room1@chatroom" and e["mentions"] == ["wxid_s2"], timeout=60)
        assert "【学习提醒】" in group["text"] and "形考" not in group["text"] and not any(c.isdigit() for c in group["text"]), group
        assert "卢刚" not in private["text"]
        assert not [e for e in peer.events("bot-say") if e["to"] == "wxid_s2"]

        # 5. A notice, one acknowledgement; then the account logs in again and two students come back with new
        #    ids: they are re-linked (their acknowledgement follows them) and the advisor is told.
        cmd(cmd="say", who="wxid_wang", to="room1@chatroom", text="/通知 周五前上传照片")
        says(lambda e: e["to"] == "room1@chatroom" and "【通知 #1】" in e["text"])
        cmd(cmd="say", who="wxid_s1", to="room1@chatroom", text="收到")
        time.sleep(2.0)
        cmd(cmd="relogin", who=["wxid_s1", "wxid_s2"])
        relinked = [says(lambda e: e["to"] == "wxid_wang" and "换了新的微信标识" in e["text"], timeout=60)]
        relinked.append(says(lambda e: e["to"] == "wxid_wang" and "换了新的微信标识" in e["text"], timeout=30))
        assert {("马国强" in r["text"]) or ("卢刚" in r["text"]) for r in relinked} == {True}
        db = Database(f"sqlite:///{db_path}")
        with db.read() as s:
            bound = {st.name: st.contact_id for st in s.exec(select(Student).where(Student.class_name == "行管1班"))}
        db.close()
        assert bound["吴晨曦"] == "wxid_new"  # matched by 群昵称 when she joined
        cmd(cmd="say", who="wxid_wang", to="room1@chatroom", text="/统计")
        stats = says(lambda e: e["to"] == "room1@chatroom" and "已确认" in e["text"])
        assert "已确认 1/4" in stats["text"], stats  # s1's acknowledgement followed him to his new id

        # 6. A collection: two students send photos (one in the group, one privately); each is confirmed, counts as
        #    their acknowledgement, and /导出 sends the teacher a zip named by 学号_姓名 with the Excel status.
        cmd(cmd="say", who="wxid_wang", to="room1@chatroom", text="/收集 截止 周五18:00 毕业电子照片（白底）")
        says(lambda e: e["to"] == "room1@chatroom" and "【收集 #2】" in e["text"])
        photo = base64.b64encode(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40 + b"\xff\xd9").decode()
        cmd(cmd="file", who="wxid_s0", to="room1@chatroom", name="IMG_0001.jpg", base64=photo)
        says(lambda e: e["to"] == "wxid_s0" and "收集 #2" in e["text"] and "已记为提交" in e["text"], timeout=60)
        cmd(cmd="file", who="wxid_new", to="dm", name="证件照.jpg", base64=photo)
        says(lambda e: e["to"] == "wxid_new" and "收集 #2" in e["text"] and "已记为提交" in e["text"], timeout=60)
        cmd(cmd="say", who="wxid_wang", to="room1@chatroom", text="/导出 #2")
        sent = peer.wait_for(lambda line: '"bot-file"' in line and ".zip" in line, 60)
        zipped = json.loads(sent)
        assert zipped["to"] == "wxid_wang"
        says(lambda e: e["to"] == "wxid_wang" and "已提交 2/4" in e["text"])
        import io
        import zipfile
        with zipfile.ZipFile(io.BytesIO(base64.b64decode(zipped["base64"]))) as z:
            names = z.namelist()
            assert z.read(next(n for n in names if "2024201010001_熊晓明" in n)) == base64.b64decode(photo)
        assert any("2024201010002_吴晨曦.jpg" in n for n in names), names
        assert any(n.endswith(".xlsx") for n in names), names

        # 7. The account is logged out: the admins hear it on the webhook.
        cmd(cmd="logout")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not hook.posts:
            time.sleep(0.2)
        assert hook.posts and "已退出登录" in hook.posts[0]["text"]["content"]
    finally:
        bot.stop()
        peer.stop()
        hook.server.shutdown()
