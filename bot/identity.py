"""Identity across a re-login. Contact ids can change when a puppet logs in again: a known member vanishes from
every room and a new id appears with the same WeChat name and 群昵称 in the same rooms. When that match is unique in
every shared room the person is re-linked — their acknowledgements, roster binding, questions, reachability and
queued messages follow them (each feature moves its own records through People.identity_listeners) — the change is
audited and the advisors of those classes are told. Staff are never re-linked automatically: they re-bind with a
code, because a mistaken match would hand someone else their rights."""

from __future__ import annotations

import logging

from bot.audit import Audit
from bot.clock import Clock
from bot.db import Database
from bot.outbox import Outbox
from bot.people import People, Person, Role
from bot.texts import people as texts

log = logging.getLogger("banzhu.identity")

SYSTEM = Person("system", "班助", Role.ADMIN)  # the actor of automatic changes in the audit log


class Identity:
    def __init__(self, db: Database, clock: Clock, people: People, audit: Audit, outbox: Outbox) -> None:
        self.db = db
        self.clock = clock
        self.people = people
        self.audit = audit
        self.outbox = outbox

    def relink_changed_ids(self) -> list[tuple[str, str]]:
        """Find and apply every unambiguous id change; returns the (old, new) pairs."""
        pairs = self.people.relink_candidates(self.clock.now())
        for old, new in pairs:
            with self.db.tx():
                name = self.people.name_of(new)
                rooms = self.people.relink(old, new)
                groups = sorted({g for r in rooms if (g := self.people.group_of_room_id(r))})
                self.audit.record(SYSTEM, "系统", "relink", f"{old} -> {new} ({name}; {', '.join(groups)})")
                log.warning("contact id changed after a re-login: %s -> %s (%s)", old, new, name)
                for group in groups:
                    advisor = self.people.advisor_of(group)
                    if advisor is not None:
                        self.outbox.enqueue(text=texts.RELINKED.format(name=name, group=group),
                                            contact_id=advisor.contact_id, dedupe_key=f"relink:{old}:{new}:{group}")
        return pairs
