"""The services of one bot, built in dependency order. Each takes only what it needs in its constructor, so its
signature says what it depends on; handlers and jobs reach them as typed attributes (`ctx.notices`)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.accounts import Accounts
from bot.alerts import Alerts
from bot.audit import Audit
from bot.calendar.service import Calendar
from bot.clock import Clock
from bot.collect import Collections
from bot.config import Config
from bot.confirmations import Confirmations
from bot.db import Database
from bot.digests.service import Digests
from bot.friends import Friends
from bot.handbook.service import Handbook, IndexCache
from bot.identity import Identity
from bot.importers import CalendarUpload, HandbookUpload, RosterUpload
from bot.inbox import Inbox
from bot.notices.service import Notices
from bot.outbox import Outbox
from bot.people import People
from bot.progress.service import Progress
from bot.progress.upload import ProgressUpload
from bot.questions import Questions
from bot.retention import Retention
from bot.roster import Roster
from bot.staff import Staff
from bot.status import Health
from bot.uploads import Uploads
from bot.weblogin import WebAccess
from bot.welcome import Welcomes


@dataclass(frozen=True)
class Services:
    config: Config
    clock: Clock
    db: Database
    accounts: Accounts
    outbox: Outbox
    inbox: Inbox
    audit: Audit
    people: People
    roster: Roster
    staff: Staff
    confirmations: Confirmations
    notices: Notices
    calendar: Calendar
    handbook: Handbook
    questions: Questions
    digests: Digests
    retention: Retention
    health: Health
    web: WebAccess  # logins to the web console (bot/web)
    friends: Friends
    alerts: Alerts
    welcome: Welcomes
    identity: Identity
    progress: Progress
    uploads: Uploads
    collections: Collections  # /收集: files students send for a notice

    def invalidate_caches(self) -> None:
        """After a rolled-back message: forget what the in-memory caches may have learnt from it."""
        for service in (self.people, self.roster, self.notices, self.questions):
            service.invalidate_caches()


def build_services(config: Config, db: Database, clock: Clock, indexes: IndexCache | None = None, *,
                   account: str = "") -> Services:
    """Every service over one database, wired by hand: the order is the dependency order. `account` is the
    WeChat account this process runs ("" when the city runs one)."""
    accounts = Accounts(db, config, clock, account)
    people = People(db, config, clock, account)
    outbox = Outbox(db, clock, config.outbox, accounts, people)
    roster = Roster(db, config, clock)
    handbook = Handbook(db, config, indexes or IndexCache(), bot_names=(config.gateway.bot_name,), clock=clock)
    calendar = Calendar(db, clock, config, people, outbox)
    inbox = Inbox(db, clock, account)
    audit = Audit(db, clock)
    notices = Notices(db, clock, config, people, roster, outbox)
    people.membership_listeners.append(notices.members_changed)
    questions = Questions(db, clock, config, people, roster, outbox, handbook)
    welcome = Welcomes(db, clock, config, people, roster, calendar, outbox)
    for follows in (notices, roster, questions, accounts, outbox, welcome):  # a person's records follow a new id
        people.identity_listeners.append(follows.relinked)
    web = WebAccess(db, clock, config, people)
    progress = Progress(db, clock, config, people, roster, calendar, outbox, accounts)
    uploads = Uploads(db, clock, config, [ProgressUpload(progress), RosterUpload(roster), CalendarUpload(calendar),
                                          HandbookUpload(handbook, config)])
    staff = Staff(db, clock, config, people, web)
    return Services(
        config=config, clock=clock, db=db, accounts=accounts, outbox=outbox, inbox=inbox, audit=audit,
        people=people, roster=roster, staff=staff,
        confirmations=Confirmations(db, clock),
        notices=notices,
        calendar=calendar,
        handbook=handbook,
        questions=questions,
        digests=Digests(db, clock, config, people, roster, calendar, outbox),
        retention=Retention(db, clock, config.retention, inbox, outbox, audit),
        health=Health(db, clock, config.gateway.kind, account),
        web=web,
        friends=Friends(db, clock, config, people, roster, staff, accounts, outbox),
        alerts=Alerts(db, clock, config, account),
        welcome=welcome,
        identity=Identity(db, clock, people, audit, outbox),
        progress=progress,
        uploads=uploads,
        collections=Collections(db, clock, config, people, roster, notices, accounts),
    )
