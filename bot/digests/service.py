"""Building and sending digests: which period, which classes, which formats, and to whom."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import col, select

from bot.calendar.events import Event
from bot.config import CoordinatorGroup
from bot.deliveries import claim
from bot.digests.figures import Figures, compute
from bot.models import Contact, Delivery
from bot.outbox import PRIORITY_BULK
from bot.roster import clean_name
from bot.texts import digests as texts

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger("banzhu.digests")

SCHEDULED = ("daily", "weekly", "monthly")


@dataclass
class Digest:
    text: str
    chart: Path | None = None
    workbook: Path | None = None
    quiet: bool = False  # no notices and no questions in the period: a scheduled digest is not sent


def period(kind: str, now_local: datetime) -> tuple[datetime, datetime]:
    """[start, end) in local time. Scheduled weekly/monthly digests cover the finished week/month before."""
    day = now_local.replace(hour=0, minute=0, second=0, microsecond=0)
    monday = day - timedelta(days=day.weekday())
    first = day.replace(day=1)
    if kind in ("daily", "today"):
        return day, now_local
    if kind == "week":
        return monday, now_local
    if kind == "month":
        return first, now_local
    if kind == "weekly":
        return monday - timedelta(days=7), monday
    if kind == "monthly":
        prev = (first - timedelta(days=1)).replace(day=1)
        return prev, first
    raise ValueError(f"unknown digest period {kind!r}")


def scheduled_times(app: App, kind: str, around: datetime) -> tuple[datetime | None, datetime | None]:
    """(the latest scheduled time <= around, the next one > around) for a digest kind, or Nones if it is off."""
    cfg = app.config.digests
    tz = app.config.tz
    at: time | None = getattr(cfg, kind)
    if at is None:
        return None, None
    local = around.astimezone(tz)
    candidates = []
    for back in range(0, 62):
        d = (local - timedelta(days=back)).date()
        if kind == "weekly" and d.isoweekday() != cfg.weekly_day:
            continue
        if kind == "monthly" and d.day != cfg.monthly_day:
            continue
        candidates.append(datetime.combine(d, at, tzinfo=tz))
        if len(candidates) >= 2:
            break
    prev = next((c for c in candidates if c <= local), None)
    nxt = None
    for ahead in range(0, 62):
        d = (local + timedelta(days=ahead)).date()
        if kind == "weekly" and d.isoweekday() != cfg.weekly_day:
            continue
        if kind == "monthly" and d.day != cfg.monthly_day:
            continue
        c = datetime.combine(d, at, tzinfo=tz)
        if c > local:
            nxt = c
            break
    return prev, nxt


class Digests:
    def __init__(self, app: App) -> None:
        self.app = app

    def classes_of(self, group: CoordinatorGroup) -> list[str]:
        return [c.name for c in self.app.config.groups.classes if group.points == "all" or c.point in group.points]

    def names(self, figures: Figures) -> dict[str, str]:
        ids = [cid for c in figures.classes.values() for cid, _ in c.behind]
        bound = self.app.roster.bound_names()
        out = {cid: bound[cid] for cid in ids if cid in bound}
        rest = [cid for cid in ids if cid not in out]
        if rest:
            with self.app.db.tx() as s:
                for c in s.exec(select(Contact).where(col(Contact.contact_id).in_(rest))):
                    out[c.contact_id] = clean_name(c.name)
        return out

    def upcoming(self, classes: list[str], now: datetime, days: int = 7) -> list[tuple[Event, list[str]]]:
        found: dict[str, tuple[Event, list[str]]] = {}
        for name in classes:
            for ev in self.app.calendar.upcoming(name, now, now + timedelta(days=days)):
                found.setdefault(ev.id, (ev, []))[1].append(name)
        return sorted(found.values(), key=lambda x: x[0].when)

    def build(self, kind: str, classes: list[str], scope: str, now: datetime, *, chart: bool = True,
              workbook: bool = False) -> Digest:
        tz = self.app.config.tz
        start, end = period(kind, now.astimezone(tz))
        figures = compute(self.app, start, end, classes)
        before = compute(self.app, start - (end - start), start, classes, detail=False)
        names = self.names(figures)
        text = texts.digest(kind, scope, figures, before, names, self.upcoming(classes, now), tz,
                            ranked=kind in ("monthly", "month"))
        out = Digest(text, quiet=not (figures.total("notices") or figures.total("questions")))
        stamp = f"{kind}-{start:%Y%m%d}-{abs(hash(scope)) % 10000:04d}"
        folder = self.app.config.path(self.app.config.files.exports)
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
             key: str | None = None, now: datetime) -> bool:
        """Queue text, chart and workbook; with a key, claim it in the delivery log first (once only)."""
        with self.app.db.tx() as s:
            if key and not claim(s, Delivery(key=key, kind="digest", due_at=now, claimed_at=now)):
                return False
            common = {"room_id": room_id, "contact_id": contact_id, "priority": PRIORITY_BULK, "session": s}
            self.app.outbox.enqueue(text=digest.text, dedupe_key=key, **common)
            for i, path in enumerate(p for p in (digest.chart, digest.workbook) if p):
                self.app.outbox.enqueue(file_path=str(path), dedupe_key=f"{key}:file{i}" if key else None, **common)
        return True

    def delivered(self, key: str) -> bool:
        with self.app.db.tx() as s:
            return s.get(Delivery, key) is not None

    def scheduled_keys(self, kind: str, when: datetime) -> list[tuple[str, CoordinatorGroup]]:
        stamp = when.astimezone(self.app.config.tz).strftime("%Y%m%d")
        return [(f"digest:{kind}:{stamp}:{g.name}", g) for g in self.app.config.groups.coordinators]

    def run_scheduled(self, kind: str, when: datetime, now: datetime) -> int:
        """Send one scheduled digest to every coordinator group that has not had it; returns how many."""
        sent = 0
        for key, group in self.scheduled_keys(kind, when):
            if self.delivered(key):
                continue
            room_id = self.app.people.room_of_group(group.name)
            if room_id is None:
                log.warning("digest %s not sent: the room of %s has not been found", key, group.name)
                with self.app.db.tx() as s:
                    s.add(Delivery(key=key, kind="digest", due_at=when, claimed_at=now, status="skipped",
                                   detail="room not found"))
                continue
            scope = "全部教学点" if group.points == "all" else "、".join(group.points)
            digest = self.build(kind, self.classes_of(group), scope, now, chart=kind != "daily",
                                workbook=kind == "monthly")
            if digest.quiet:
                with self.app.db.tx() as s:  # nothing happened: no message, but remember the decision
                    s.add(Delivery(key=key, kind="digest", due_at=when, claimed_at=now, status="skipped",
                                   detail="nothing to report"))
                continue
            sent += self.send(digest, room_id=room_id, key=key, now=now)
        return sent
