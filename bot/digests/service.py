"""Digests: which period, which classes, which formats, to whom, and when the scheduled ones are due."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from dateutil import rrule

from bot.calendar.events import Event
from bot.calendar.service import Calendar
from bot.clock import Clock
from bot.config import ClassGroup, Config, CoordinatorGroup
from bot.db import Database
from bot.deliveries import claim
from bot.digests.figures import BEHIND_AT, ClassFigures, Figures, NoticeFigures, compute, per_notice
from bot.kernel.aliases import clean_name
from bot.kernel.enums import SCHEDULED_PERIODS, DeliveryStatus, Period
from bot.models import Delivery
from bot.outbox import PRIORITY_BULK, Fallback, Outbox
from bot.people import People, Person
from bot.roster import Roster
from bot.texts import digests as texts

log = logging.getLogger("banzhu.digests")


@dataclass
class Digest:
    text: str
    chart: Path | None = None
    workbook: Path | None = None
    quiet: bool = False  # no notices and no questions in the period: a scheduled digest is not sent


def period(kind: Period, now_local: datetime) -> tuple[datetime, datetime]:
    """[start, end) in local time. Scheduled weekly/monthly digests cover the finished week/month before."""
    day = now_local.replace(hour=0, minute=0, second=0, microsecond=0)
    monday = day - timedelta(days=day.weekday())
    first = day.replace(day=1)
    match kind:
        case Period.DAILY | Period.TODAY:
            return day, now_local
        case Period.WEEK:
            return monday, now_local
        case Period.MONTH:
            return first, now_local
        case Period.WEEKLY:
            return monday - timedelta(days=7), monday
        case Period.MONTHLY:
            return (first - timedelta(days=1)).replace(day=1), first
    raise ValueError(f"unknown digest period {kind!r}")


class Digests:
    def __init__(self, db: Database, clock: Clock, config: Config, people: People, roster: Roster,
                 calendar: Calendar, outbox: Outbox) -> None:
        self.db = db
        self.clock = clock
        self.config = config
        self.people = people
        self.roster = roster
        self.calendar = calendar
        self.outbox = outbox
        self._due: tuple[datetime, datetime | None] | None = None  # (asked at, next due) while that is ahead
    # -- scope ---------------------------------------------------------------------------------------------------
    def classes_of(self, group: CoordinatorGroup) -> list[str]:
        return [c.name for c in self.config.groups.classes if group.points == "all" or c.point in group.points]

    def scope_for(self, sender: Person, group: CoordinatorGroup | None) -> tuple[list[str], str]:
        """/汇总: in a coordinator group its classes (within the sender's), elsewhere the sender's own classes."""
        if group is not None:
            classes = [c for c in self.classes_of(group) if c in sender.classes]
            return classes, "全部教学点" if group.points == "all" else "、".join(group.points)
        classes = sorted(sender.classes)
        return classes, "、".join(classes[:4]) + ("等" if len(classes) > 4 else "")

    def scope_named(self, name: str | None) -> tuple[list[str], str]:
        """`digest --group`: a coordinator group, a class or a teaching point (everything when None); ValueError
        for an unknown name."""
        cfg = self.config
        if name is None:
            return [c.name for c in cfg.groups.classes], "全部教学点"
        group = cfg.group_by_name(name)
        if isinstance(group, CoordinatorGroup):
            return self.classes_of(group), group.name
        if isinstance(group, ClassGroup):
            return [group.name], group.name
        if name in cfg.teaching_points:
            return [c.name for c in cfg.groups.classes if c.point == name], name
        raise ValueError(f"unknown group or teaching point: {name}")

    # -- building ------------------------------------------------------------------------------------------------
    def figures(self, start: datetime, end: datetime, classes: list[str], detail: bool = True,
                behind: bool = True, behind_at: int = BEHIND_AT, acks: bool = True) -> Figures:
        """Figures per class; `behind_at` is how many unacknowledged notices make a student "behind" (the web
        console's class page lists everyone with one or more)."""
        wanted = set(classes)
        groups = [c for c in self.config.groups.classes if c.name in wanted]
        return compute(self.db, groups, self.people.not_members(), start, end, detail, behind, behind_at, acks)

    def dashboard(self, start: datetime, end: datetime, classes: list[str],
                  since: datetime) -> tuple[Figures, Figures, list[NoticeFigures]]:
        """The web console's overview: figures for [start, end) (without the students behind), the same for the
        period before, and each notice since `since` (the trend) — with one pass over the acknowledgements, the
        costliest part: the per-notice figures are summed per class, counted exactly as `figures` counts."""
        before_start = start - (end - start)
        rows = self.per_notice(min(since, before_start), end, classes)
        now = self.figures(start, end, classes, detail=True, behind=False, acks=False)
        before = Figures(before_start, start, {n: ClassFigures(c.name, c.point) for n, c in now.classes.items()}, {})
        for r in rows:
            target = now if start <= r.created_at < end else before if before_start <= r.created_at < start else None
            c = target.classes.get(r.group) if target else None
            if c is not None:
                c.notices += 1
                c.expected += r.expected
                c.acks += r.acks
                c.late += r.late
        return now, before, [r for r in rows if r.created_at >= since]

    def per_notice(self, start: datetime, end: datetime, classes: list[str]) -> list[NoticeFigures]:
        """Each notice's acknowledgement figures (the web console's trend and a class's notice list)."""
        wanted = set(classes)
        groups = [c for c in self.config.groups.classes if c.name in wanted]
        return per_notice(self.db, groups, self.people.not_members(), start, end)

    def names(self, figures: Figures) -> dict[str, str]:
        """The students behind by the roster's name where bound, else their WeChat name (as the group sees it)."""
        bound = self.roster.bound_names()
        out: dict[str, str] = {}
        for c in figures.classes.values():
            for cid, _ in c.behind:
                name = bound.get(cid) or clean_name(figures.names.get(cid, ""))
                if name:
                    out[cid] = name
        return out

    def upcoming(self, classes: list[str], now: datetime, days: int = 7) -> list[tuple[Event, list[str]]]:
        found: dict[str, tuple[Event, list[str]]] = {}
        for name in classes:
            for ev in self.calendar.upcoming(name, now, now + timedelta(days=days)):
                found.setdefault(ev.id, (ev, []))[1].append(name)
        return sorted(found.values(), key=lambda x: x[0].when)

    def build(self, kind: Period, classes: list[str], scope: str, now: datetime, *, chart: bool = True,
              workbook: bool = False) -> Digest:
        """Text (and optionally a chart and a workbook) for `kind` over `classes`; read-only, safe off the loop."""
        tz = self.config.tz
        start, end = period(kind, now.astimezone(tz))
        figures = self.figures(start, end, classes)
        before = self.figures(start - (end - start), start, classes, detail=False)
        names = self.names(figures)
        text = texts.digest(kind, scope, figures, before, names, self.upcoming(classes, now), tz,
                            ranked=kind.monthly_like)
        out = Digest(text, quiet=not (figures.total("notices") or figures.total("questions")))
        stamp = f"{kind}-{start:%Y%m%d}-{hashlib.sha1(scope.encode()).hexdigest()[:6]}"
        folder = self.config.path(self.config.files.exports)
        folder.mkdir(parents=True, exist_ok=True)
        if chart and figures.total("notices"):
            from bot.digests.chart import rate_chart

            points = figures.points()
            if len(points) > 1 and len(figures.classes) > 12:
                labels, rates = [p.name for p in points], [p.rate for p in points]
            else:
                items = sorted(figures.classes.values(), key=lambda c: c.name)
                labels, rates = [c.name for c in items], [c.rate for c in items]
            title = f"{texts.KIND_TITLE.get(kind, '')}确认率 {texts.period(start, end)}"
            out.chart = rate_chart(title, labels, rates, folder / f"digest-{stamp}.png")
        if workbook:
            from bot.digests.workbook import digest_workbook

            out.workbook = digest_workbook(figures, before, names, folder / f"digest-{stamp}.xlsx")
        return out

    # -- sending -------------------------------------------------------------------------------------------------
    def send(self, digest: Digest, *, room_id: str | None = None, contact_id: str | None = None,
             key: str | None = None, now: datetime, fallback: Fallback | None = None) -> bool:
        """Queue text, chart and workbook; with a key, claim it in the delivery log first (once only)."""
        with self.db.tx() as s:
            if key and not claim(s, Delivery(key=key, kind="digest", due_at=now, claimed_at=now)):
                return False
            self.outbox.enqueue(text=digest.text, dedupe_key=key, room_id=room_id, contact_id=contact_id,
                                priority=PRIORITY_BULK, fallback=fallback)
            for i, path in enumerate(p for p in (digest.chart, digest.workbook) if p):
                self.outbox.enqueue(file_path=str(path), dedupe_key=f"{key}:file{i}" if key else None,
                                    room_id=room_id, contact_id=contact_id, priority=PRIORITY_BULK,
                                    fallback=fallback)
        return True

    def on_demand(self, sender: Person, group: CoordinatorGroup | None, kind: Period, room_id: str | None,
                  now: datetime) -> bool:
        """/汇总: build and send. In a coordinator group it goes to the group; otherwise privately to the sender
        (students never see it). False when the sender has no classes."""
        classes, scope = self.scope_for(sender, group)
        if group is None and not classes:
            return False
        digest = self.build(kind, classes, scope, now)
        if group is not None:
            self.send(digest, room_id=room_id, now=now)
        else:  # privately; if WeChat cannot deliver it (not a friend), the admins get it and the asker is told
            self.send(digest, contact_id=sender.contact_id, now=now,
                      fallback=Fallback(to_admins=True, tell_room=room_id))
        return True

    # -- the schedule --------------------------------------------------------------------------------------------
    def _rule(self, kind: Period, around: datetime) -> rrule.rrule | None:
        cfg = self.config.digests
        at: time | None = {Period.DAILY: cfg.daily, Period.WEEKLY: cfg.weekly, Period.MONTHLY: cfg.monthly}[kind]
        if at is None:
            return None
        tz = self.config.tz
        start = datetime.combine(around.astimezone(tz).date() - timedelta(days=70), at, tzinfo=tz)
        if kind == Period.DAILY:
            return rrule.rrule(rrule.DAILY, dtstart=start)
        if kind == Period.WEEKLY:
            return rrule.rrule(rrule.WEEKLY, byweekday=cfg.weekly_day - 1, dtstart=start)
        return rrule.rrule(rrule.MONTHLY, bymonthday=cfg.monthly_day, dtstart=start)

    def scheduled_times(self, kind: Period, around: datetime) -> tuple[datetime | None, datetime | None]:
        """(the latest scheduled time <= around, the next one > around), or Nones when that digest is off."""
        rule = self._rule(kind, around)
        if rule is None:
            return None, None
        local = around.astimezone(self.config.tz)
        return rule.before(local, inc=True), rule.after(local)

    def scheduled_keys(self, kind: Period, when: datetime) -> list[tuple[str, CoordinatorGroup]]:
        stamp = when.astimezone(self.config.tz).strftime("%Y%m%d")
        return [(f"digest:{kind}:{stamp}:{g.name}", g) for g in self.config.groups.coordinators]

    def delivered(self, key: str) -> bool:
        with self.db.tx() as s:
            return s.get(Delivery, key) is not None

    def _pending(self, kind: Period, now: datetime) -> datetime | None:
        """The scheduled time this digest kind is due at: a recent one not yet delivered, else the next."""
        prev, nxt = self.scheduled_times(kind, now)
        if prev is not None and now - prev <= self.config.digests.catch_up and not all(
                self.delivered(k) for k, _ in self.scheduled_keys(kind, prev)):
            return prev
        return nxt

    def next_due(self, now: datetime) -> datetime | None:
        if not self.config.groups.coordinators:
            return None
        cached = self._due
        if cached is not None and cached[0] <= now and cached[1] is not None and now < cached[1]:
            return cached[1]  # nothing changes what is due next until that time comes
        times = [t for kind in SCHEDULED_PERIODS if (t := self._pending(kind, now))]
        due = min(times) if times else None
        self._due = (now, due)
        return due

    def run_due(self, now: datetime) -> int:
        """Send every scheduled digest due by now (once each; a missed one late within digests.catch_up)."""
        self._due = None
        sent = 0
        for kind in SCHEDULED_PERIODS:
            due = self._pending(kind, now)
            if due is not None and due <= now:
                sent += self.run_scheduled(kind, due, now)
        return sent

    def run_scheduled(self, kind: Period, when: datetime, now: datetime) -> int:
        """Send one scheduled digest to every coordinator group that has not had it; returns how many."""
        sent = 0
        for key, group in self.scheduled_keys(kind, when):
            if self.delivered(key):
                continue
            room_id = self.people.room_of_group(group.name)
            if room_id is None:
                log.warning("digest %s not sent: the room of %s has not been found", key, group.name)
                self._skip(key, when, now, "room not found")
                continue
            scope = "全部教学点" if group.points == "all" else "、".join(group.points)
            digest = self.build(kind, self.classes_of(group), scope, now, chart=kind != Period.DAILY,
                                workbook=kind == Period.MONTHLY)
            if digest.quiet:
                self._skip(key, when, now, "nothing to report")  # no message, but remember the decision
                continue
            sent += self.send(digest, room_id=room_id, key=key, now=now)
        return sent

    def _skip(self, key: str, when: datetime, now: datetime, why: str) -> None:
        with self.db.tx() as s:
            claim(s, Delivery(key=key, kind="digest", due_at=when, claimed_at=now, status=DeliveryStatus.SKIPPED,
                              detail=why))
