"""Telling the admins that a WeChat account needs a person, through a channel that does not depend on that account:
a webhook (a 企业微信 group robot, or any URL that takes a JSON POST) and/or e-mail over SMTP. Secrets come from the
environment. Each alert goes out at most once per `alerts.repeat_after` per account and kind (the delivery log
decides, so several processes and restarts agree); a channel that fails is logged, never raised.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import ssl
import urllib.request
from datetime import datetime
from email.message import EmailMessage

from bot.clock import Clock
from bot.config import Config
from bot.db import Database
from bot.deliveries import claim
from bot.models import Delivery
from bot.texts import alerts as texts

log = logging.getLogger("banzhu.alerts")


class Alerts:
    def __init__(self, db: Database, clock: Clock, config: Config, account: str = "") -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.cfg = config.alerts
        self.account = account
        self.sent: list[str] = []  # what this process sent, newest last (for `status` and tests)

    @property
    def configured(self) -> bool:
        return bool(self.cfg.webhook_env or self.cfg.smtp)

    def account_needs_attention(self, kind: str, detail: str = "") -> bool:
        """Logged out, or a QR code to scan."""
        text = texts.LOGGED_OUT if kind == "logout" else texts.SCAN.format(url=detail) if kind == "scan" else kind
        return self.alert(kind, text)

    def sends_failing(self, since: datetime, error: str) -> bool:
        return self.alert("refused", texts.SENDS_FAILING.format(since=self._local(since), error=error[:200]))

    def watchdog(self, quiet_since: datetime, waiting: int) -> bool:
        return self.alert("silent", texts.SILENT.format(since=self._local(quiet_since), waiting=waiting))

    def alert(self, kind: str, text: str) -> bool:
        """Send `text` on every configured channel, unless this kind was alerted recently; True when sent."""
        now = self.clock.now()
        bucket = int(now.timestamp() // self.cfg.repeat_after.total_seconds())
        full = texts.header(self.config.school, self.account) + text
        log.error("ALERT (%s, account %r): %s", kind, self.account or "-", text)
        with self.db.tx() as s:
            if not claim(s, Delivery(key=f"alert:{self.account}:{kind}:{bucket}", kind="alert", due_at=now,
                                     claimed_at=now, detail=text[:200])):
                return False
        if not self.configured:
            log.warning("no alert channel configured (alerts.webhook_env / alerts.smtp): only this log has it")
            return False
        ok = False
        if self.cfg.webhook_env:
            ok |= self._webhook(full)
        if self.cfg.smtp:
            ok |= self._mail(full)
        self.sent.append(full)
        return ok

    def _webhook(self, text: str) -> bool:
        env = self.cfg.webhook_env or ""
        url = os.environ.get(env, "")
        if not url:
            log.error("alert webhook: the environment variable %s is empty", env)
            return False
        # The 企业微信 group robot's shape; other receivers read "text.content" or ignore the rest.
        body = json.dumps({"msgtype": "text", "text": {"content": text}}, ensure_ascii=False).encode()
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # the operator's own URL
                return 200 <= response.status < 300
        except Exception as exc:
            log.error("alert webhook failed: %s: %s", type(exc).__name__, exc)
            return False

    def _mail(self, text: str) -> bool:
        smtp = self.cfg.smtp
        assert smtp is not None
        msg = EmailMessage()
        msg["Subject"] = text.splitlines()[0][:80]
        msg["From"], msg["To"] = smtp.sender, ", ".join(smtp.to)
        msg.set_content(text)
        user = os.environ.get(smtp.user_env, "") if smtp.user_env else ""
        password = os.environ.get(smtp.password_env, "") if smtp.password_env else ""
        try:
            if smtp.ssl:
                server: smtplib.SMTP = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=15,
                                                        context=ssl.create_default_context())
            else:
                server = smtplib.SMTP(smtp.host, smtp.port, timeout=15)
                if server.has_extn("starttls"):
                    server.starttls(context=ssl.create_default_context())
            with server:
                if user:
                    server.login(user, password)
                server.send_message(msg)
            return True
        except Exception as exc:
            log.error("alert e-mail failed: %s: %s", type(exc).__name__, exc)
            return False

    def _local(self, when: datetime) -> str:
        return f"{when.astimezone(self.config.tz):%m-%d %H:%M}"
