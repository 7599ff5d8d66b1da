"""总览: per teaching point and class — acknowledgement rate (↑/↓ against the period before), unanswered questions,
reminders sent, progress indicators when a progress source exists — ranked, with a weekly trend; as Excel too."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from markupsafe import Markup
from starlette.responses import Response
from starlette.routing import Route

from bot.digests.figures import ClassFigures, Figures, NoticeFigures
from bot.digests.service import period
from bot.kernel.enums import Period
from bot.texts import web as texts
from bot.web.base import Req, page
from bot.web.chart import legend, trend_svg
from bot.web.slots import Indicator

PERIODS = texts.PERIODS
TREND_WEEKS = 8


@dataclass
class Row:
    name: str
    point: str
    rate: float | None
    before: float | None
    notices: int = 0
    expected: int = 0
    acks: int = 0
    late: int = 0
    questions: int = 0  # unanswered now
    sent: int = 0
    late_sent: int = 0
    skipped: int = 0
    not_in_group: int = 0
    indicators: list[Indicator] = field(default_factory=list)
    cid: str = ""  # the class's opaque id (empty for a teaching point)
    rank: int = 0
    classes: list[Row] = field(default_factory=list)


@dataclass
class Overview:
    label: str
    key: str
    start: datetime
    end: datetime
    points: list[Row]
    total: Row
    indicator_names: list[str]
    trend_labels: list[str]
    trend: list[tuple[str, list[float | None]]]


def window(key: str, now_local: datetime) -> tuple[datetime, datetime]:
    if key == "week":
        return period(Period.WEEK, now_local)
    if key == "month":
        return period(Period.MONTH, now_local)
    days = 90 if key == "90d" else 30
    return now_local - timedelta(days=days), now_local


def _class_row(c: ClassFigures, before: ClassFigures | None, open_q: int, ind: list[Indicator], cid: str) -> Row:
    return Row(c.name, c.point, c.rate, before.rate if before else None, c.notices, c.expected, c.acks, c.late,
               open_q, c.reminders.get("sent", 0), c.reminders.get("late", 0), c.reminders.get("skipped", 0),
               c.not_in_group, ind, cid)


def _sum(name: str, point: str, rows: list[Row], before: Figures, names: list[str]) -> Row:
    prev_expected = sum(before.classes[n].expected for n in names if n in before.classes)
    prev_acks = sum(before.classes[n].acks for n in names if n in before.classes)
    expected = sum(r.expected for r in rows)
    acks = sum(r.acks for r in rows)
    out = Row(name, point, acks / expected if expected else None, prev_acks / prev_expected if prev_expected else None,
              sum(r.notices for r in rows), expected, acks, sum(r.late for r in rows), sum(r.questions for r in rows),
              sum(r.sent for r in rows), sum(r.late_sent for r in rows), sum(r.skipped for r in rows),
              sum(r.not_in_group for r in rows), _mean_indicators(rows))
    return out


def _mean_indicators(rows: list[Row]) -> list[Indicator]:
    """A teaching point's indicators: each class's value weighted by its students."""
    by: dict[str, list[Indicator]] = {}
    for r in rows:
        for ind in r.indicators:
            by.setdefault(ind.name, []).append(ind)
    out = []
    for name, inds in by.items():
        valued = [i for i in inds if i.value is not None]
        weight = sum(i.weight for i in valued)
        value = sum((i.value or 0) * i.weight for i in valued) / weight if weight else None
        targets = {i.target for i in inds}
        out.append(Indicator(name, value, targets.pop() if len(targets) == 1 else None, inds[0].unit, weight))
    return out


def _ranked(rows: list[Row]) -> list[Row]:
    rows.sort(key=lambda r: (r.rate is None, -(r.rate or 0), r.name))
    for i, r in enumerate(rows, 1):
        r.rank = i
    return rows


def build(req: Req, key: str) -> Overview:
    services = req.services
    config = services.config
    tz = config.tz
    now = req.now
    now_local = now.astimezone(tz)
    classes = [c.name for c in config.groups.classes if c.name in req.person.classes]
    start, end = window(key, now_local)
    monday = (now_local - timedelta(days=now_local.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    weeks = [monday - timedelta(days=7 * k) for k in range(TREND_WEEKS - 1, -1, -1)]
    figures, before, notices = services.digests.dashboard(start, end, classes, weeks[0])
    open_q = services.questions.open_counts(classes)
    progress = req.console.progress.class_indicators(classes, now) if req.console.progress else {}
    web = services.web
    by_point: dict[str, list[Row]] = {}
    for name in classes:
        c = figures.classes[name]
        by_point.setdefault(c.point, []).append(
            _class_row(c, before.classes.get(name), open_q.get(name, 0), progress.get(name, []),
                       web.opaque("class", name)))
    points = [_sum(p, p, _ranked(rows), before, [r.name for r in rows]) for p, rows in by_point.items()]
    for p in points:
        p.classes = by_point[p.name]
    _ranked(points)
    every = [r for p in points for r in p.classes]
    total = _sum(texts.TOTAL, "", every, before, classes)
    names: list[str] = []
    for r in every:
        names += [i.name for i in r.indicators if i.name not in names]
    labels, trend = _trend(req, classes, points, weeks, notices)
    return Overview(PERIODS[key], key, start, end, points, total, names, labels, trend)


def _trend(req: Req, classes: list[str], points: list[Row], weeks: list[datetime],
           rows: list[NoticeFigures]) -> tuple[list[str], list]:
    """Weekly acknowledgement rates for the last weeks: per teaching point, or per class for a few classes."""
    tz = weeks[0].tzinfo
    point_of = {c.name: c.point for c in req.services.config.groups.classes}
    if len(points) > 1:
        key_of = point_of
        names = [p.name for p in points]
    elif len(classes) <= 6:
        key_of = {c: c for c in classes}
        names = sorted(classes)
    else:
        key_of = dict.fromkeys(classes, texts.TOTAL)
        names = [texts.TOTAL]
    sums = {(n, i): [0, 0] for n in names for i in range(len(weeks))}
    for r in rows:
        local = r.created_at.astimezone(tz)
        i = max(k for k, w in enumerate(weeks) if local >= w) if local >= weeks[0] else 0
        cell = sums[(key_of[r.group], i)]
        cell[0] += r.acks
        cell[1] += r.expected
    series = [(n, [sums[(n, i)][0] / sums[(n, i)][1] if sums[(n, i)][1] else None for i in range(len(weeks))])
              for n in names]
    return [f"{w:%m-%d}" for w in weeks], series


@page()
def show(req: Req) -> Response:
    key = req.query("p", "month")
    key = key if key in PERIODS else "month"
    data = build(req, key)
    chart = Markup(trend_svg(data.trend_labels, data.trend)) if any(
        v is not None for _, vs in data.trend for v in vs) else None
    return req.render("overview.html", data=data, periods=PERIODS, chart=chart, legend=legend(data.trend),
                      has_progress=req.console.progress is not None)


@page()
def workbook(req: Req) -> Response:
    from bot.exports import fill_sheet

    key = req.query("p", "month")
    key = key if key in PERIODS else "month"
    data = build(req, key)
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    head = [*texts.OVERVIEW_HEAD, *data.indicator_names]

    def line(r: Row) -> list[object]:
        inds = {i.name: i.value for i in r.indicators}
        return [r.rank, r.name, r.point, r.rate, r.before, r.notices, r.expected, r.acks, r.late, r.questions,
                r.sent, r.late_sent, r.skipped, r.not_in_group, *(inds.get(n) for n in data.indicator_names)]

    fill_sheet(wb.create_sheet(texts.OVERVIEW_SHEETS[0]), [head, *(line(p) for p in data.points)], percent_columns=(4, 5),
               widths=(6, 14, 10, 10, 10))
    fill_sheet(wb.create_sheet(texts.OVERVIEW_SHEETS[1]), [head, *(line(c) for p in data.points for c in p.classes)],
               percent_columns=(4, 5), widths=(6, 14, 10, 10, 10))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "overview.xlsx"
        wb.save(path)
        body = path.read_bytes()
    name = f"overview-{data.start:%Y%m%d}-{data.end:%Y%m%d}.xlsx"
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


routes = [Route("/", show), Route("/overview.xlsx", workbook)]
