"""Logins to the web console without passwords: /后台 sent privately gives a one-time link (minutes, used once,
bound to the sender's contact id); the link opens a session that lasts a working day. Rights are never stored in
the session: every request asks `People` who the contact is now, so a grant, a revoke or a config change applies
at once, and the scope is exactly the chat's (Person.classes).

Only hashes of link and session tokens are stored; the raw tokens exist in the message sent and in the cookie.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select

from bot.clock import Clock
from bot.config import Config
from bot.db import Database
from bot.models import WebKey, WebLink, WebSession
from bot.people import People, Person


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Login(enum.Enum):
    OK = "ok"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    NOT_STAFF = "not staff"  # the contact is no longer staff


@dataclass(frozen=True)
class LoggedIn:
    result: Login
    token: str = ""  # the session token for the cookie, when OK


@dataclass(frozen=True)
class Viewer:
    """Who is looking: the person (with the chat's scope) and the CSRF token their forms carry."""

    person: Person
    csrf: str
    expires_at: datetime


class WebAccess:
    def __init__(self, db: Database, clock: Clock, config: Config, people: People) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.people = people
        self._secret: bytes | None = None

    # -- links ---------------------------------------------------------------------------------------------------
    def issue_link(self, person: Person) -> str:
        """A one-time login URL for a staff member (the caller checked they are staff)."""
        token = secrets.token_urlsafe(24)
        now = self.clock.now()
        self.prune(now - timedelta(days=1))  # links and sessions over for a day are of no use to anyone
        with self.db.tx() as s:
            s.add(WebLink(token_hash=_hash(token), contact_id=person.contact_id, created_at=now,
                          expires_at=now + self.config.web.link_ttl))
        return f"{self.config.web.base_url}/login/{token}"

    def check_link(self, token: str) -> Login:
        """Whether a link would log in, without using it (the page with the button)."""
        now = self.clock.now()
        with self.db.read() as s:
            link = s.get(WebLink, _hash(token))
        return self._link_state(link, now)

    def _link_state(self, link: WebLink | None, now: datetime) -> Login:
        if link is None:
            return Login.UNKNOWN
        if link.used_at is not None:
            return Login.USED
        if now > link.expires_at:
            return Login.EXPIRED
        if not self.people.person(link.contact_id, "").is_staff:
            return Login.NOT_STAFF
        return Login.OK

    def redeem(self, token: str) -> LoggedIn:
        """Use a link once: a new session for its contact, or why not."""
        now = self.clock.now()
        with self.db.tx() as s:
            link = s.get(WebLink, _hash(token))
            state = self._link_state(link, now)
            if state != Login.OK or link is None:
                return LoggedIn(state)
            link.used_at = now
            s.add(link)
            session = secrets.token_urlsafe(32)
            s.add(WebSession(token_hash=_hash(session), contact_id=link.contact_id, csrf=secrets.token_urlsafe(24),
                             created_at=now, expires_at=now + self.config.web.session))
        return LoggedIn(Login.OK, session)

    # -- sessions ------------------------------------------------------------------------------------------------
    def viewer(self, session_token: str | None) -> Viewer | None:
        """The person behind a session cookie, with today's rights; None when absent, expired, ended or no longer
        staff."""
        if not session_token:
            return None
        now = self.clock.now()
        with self.db.read() as s:
            row = s.get(WebSession, _hash(session_token))
        if row is None or row.ended_at is not None or now > row.expires_at:
            return None
        person = self.people.person(row.contact_id, "")
        if not person.is_staff:
            return None
        return Viewer(person, row.csrf, row.expires_at)

    def logout(self, session_token: str) -> None:
        with self.db.tx() as s:
            row = s.get(WebSession, _hash(session_token))
            if row is not None and row.ended_at is None:
                row.ended_at = self.clock.now()
                s.add(row)

    def end_sessions(self, contact_ids: Iterable[str]) -> int:
        """End every open session and unused link of these contacts (a revoke); returns how many sessions."""
        ids = list(contact_ids)
        if not ids:
            return 0
        now = self.clock.now()
        with self.db.tx() as s:
            rows = list(s.exec(select(WebSession).where(col(WebSession.contact_id).in_(ids),
                                                        col(WebSession.ended_at).is_(None))))
            for row in rows:
                row.ended_at = now
                s.add(row)
            for link in s.exec(select(WebLink).where(col(WebLink.contact_id).in_(ids),
                                                     col(WebLink.used_at).is_(None))):
                link.used_at = now
                s.add(link)
        return len(rows)

    def open_sessions(self) -> int:
        now = self.clock.now()
        with self.db.read() as s:
            return len(s.exec(select(WebSession.token_hash).where(col(WebSession.ended_at).is_(None),
                                                                  WebSession.expires_at > now)).all())

    def prune(self, before: datetime) -> int:
        """Forget links and sessions that ended before `before`."""
        from sqlmodel import delete

        with self.db.tx() as s:
            a = s.exec(delete(WebLink).where(col(WebLink.expires_at) < before))
            b = s.exec(delete(WebSession).where(col(WebSession.expires_at) < before))
            return int(a.rowcount or 0) + int(b.rowcount or 0)

    # -- opaque ids ----------------------------------------------------------------------------------------------
    def opaque(self, kind: str, value: str) -> str:
        """A stable id for URLs that reveals nothing (a keyed hash): students are /s/<id>, never a 学号."""
        digest = hmac.new(self._key(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()
        return digest[:16]

    def _key(self) -> bytes:
        if self._secret is None:
            with self.db.tx() as s:  # two processes may race to make it: the first one's stays
                self.db.insert_ignore(WebKey, [{"id": 1, "secret": secrets.token_hex(32)}])
                row = s.get(WebKey, 1)
                assert row is not None
                secret = row.secret
            self._secret = secret.encode()
        return self._secret
