"""Account health through a second channel: a real HTTP webhook receiver and a small real SMTP server on
localhost, driven by the bot's own alert paths (logout, sends failing for an hour, the watchdog)."""

import json
import socketserver
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from bot.config import AlertsConfig, SmtpConfig
from tests.conftest import CLASS1, START


class Webhook:
    """Collects JSON POSTs, as a 企业微信 group robot would receive them."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.posts.append(json.loads(body))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b'{"errcode":0}')

            def log_message(self, *args) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"


class Smtp:
    """Just enough SMTP to take one message per connection (no TLS, as a relay on localhost would)."""

    def __init__(self) -> None:
        self.mails: list[str] = []
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.wfile.write(b"220 localhost ready\r\n")
                data, in_data = [], False
                for raw in self.rfile:
                    line = raw.decode("utf-8", "replace").rstrip("\r\n")
                    if in_data:
                        if line == ".":
                            in_data = False
                            outer.mails.append("\n".join(data))
                            self.wfile.write(b"250 queued\r\n")
                        else:
                            data.append(line)
                        continue
                    verb = line.split(" ", 1)[0].upper()
                    if verb in ("EHLO", "HELO"):
                        self.wfile.write(b"250-localhost\r\n250 AUTH PLAIN\r\n")
                    elif verb == "AUTH":
                        self.wfile.write(b"235 ok\r\n")
                    elif verb == "DATA":
                        self.wfile.write(b"354 go on\r\n")
                        in_data = True
                    elif verb == "QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"250 ok\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.port = self.server.server_address[1]


@pytest.fixture
def channels(monkeypatch):
    hook, smtp = Webhook(), Smtp()
    monkeypatch.setenv("BANZHU_ALERT_HOOK", hook.url)
    monkeypatch.setenv("BANZHU_SMTP_USER", "bot@example.edu.cn")
    monkeypatch.setenv("BANZHU_SMTP_PASSWORD", "secret")
    yield hook, smtp
    hook.server.shutdown()
    smtp.server.shutdown()


def alerting(config, smtp_port):
    alerts = AlertsConfig(webhook_env="BANZHU_ALERT_HOOK",
                          smtp=SmtpConfig(host="127.0.0.1", port=smtp_port, ssl=False, user_env="BANZHU_SMTP_USER",
                                          password_env="BANZHU_SMTP_PASSWORD", sender="bot@example.edu.cn",
                                          to=["admin@example.edu.cn"]))
    return config.model_copy(update={"alerts": alerts})


async def test_a_logout_reaches_the_webhook_and_the_mailbox_once(config, sqlite_db, make_chat, channels):
    hook, smtp = channels
    chat = make_chat(alerting(config, smtp.port), START, db=sqlite_db)
    chat.add_room("2024秋行政管理1班", CLASS1)
    await chat.start()
    await chat.app.account_event("logout", "")
    await chat.app.account_event("logout", "")  # the same alert again within repeat_after: not sent twice
    assert len(hook.posts) == 1 and hook.posts[0]["msgtype"] == "text"
    assert "已退出登录" in hook.posts[0]["text"]["content"] and "示例开放大学" in hook.posts[0]["text"]["content"]
    assert len(smtp.mails) == 1 and "admin@example.edu.cn" in smtp.mails[0]
    await chat.app.account_event("scan", "https://login.example/qr/abc")
    assert "https://login.example/qr/abc" in hook.posts[-1]["text"]["content"]


async def test_sends_failing_for_an_hour_and_a_silent_connection_are_reported_and_reconnected(
        config, sqlite_db, make_chat, channels):
    hook, smtp = channels
    chat = make_chat(alerting(config, smtp.port), START, db=sqlite_db)
    chat.add_room("2024秋行政管理1班", CLASS1)
    await chat.start()
    chat.gateway.fail_next = 10_000  # WeChat takes nothing
    chat.services.outbox.enqueue(text="通知", room_id=chat.room("行管1班").room_id)
    assert await chat.advance("11m") == []
    await chat.app.check_health()  # the heartbeat's check: connected, a message waiting, nothing moved
    assert chat.gateway.reconnects == 1 and "没有收到也没有发出任何消息" in hook.posts[-1]["text"]["content"]
    assert await chat.advance("55m") == []
    await chat.app.check_health()
    assert "一直发不出消息" in hook.posts[-1]["text"]["content"] and "连接超时" in hook.posts[-1]["text"]["content"]
    posts = len(hook.posts)
    chat.gateway.fail_next = 0
    [sent] = await chat.advance("15m")  # the retry goes out …
    assert sent.text == "通知"
    await chat.app.check_health()  # … and nothing more is reported
    assert len(hook.posts) == posts and len(smtp.mails) == posts
    assert chat.app.courier.failing_since is None


async def test_without_a_channel_the_alert_is_only_logged(chat, caplog):
    await chat.app.account_event("logout", "")
    assert "ALERT (logout" in caplog.text and "no alert channel configured" in caplog.text


def test_the_default_repeat_window():
    assert AlertsConfig().repeat_after == timedelta(hours=6)
