"""总览: per teaching point and class — acknowledgement rate (↑/↓ against the period before), unanswered questions,
reminders sent — ranked, with a weekly trend; and the learning-progress indicators against their targets (✓/✗,
↑/↓ against the month before) exactly as the 数据通报 computes them (Progress.compare); as Excel too."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from markupsafe import Markup
from starlette.responses import Response
from starlette.routing import Route

from bot.digests.figures import ClassFigures, Figures, NoticeFigures
from bot.digests.service import period
from bot.kernel.enums import Period
from bot.progress import report
from bot.progress.report import Indicator
from bot.texts import progress as progress_texts
from bot.texts import web as texts
from bot.web.base import Req, page
from bot.web.chart import legend, trend_svg

PERIODS = texts.PERIODS
MONTHS = texts.PROGRESS_MONTHS
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
    cid: str = ""  # the class's opaque id (empty for a teaching point)
    rank: int = 0
    classes: list[Row] = field(default_factory=list)


@dataclass
class ProgressRow:
    name: str
    indicators: list[Indicator]
    cid: str = ""  # a class's opaque id
    rank: int = 0  # by 形考 completion, as the 数据通报 ranks (0: no figure)
    classes: list[ProgressRow] = field(default_factory=list)

    def value(self, key: str) -> float | None:
        return next((i.value for i in self.indicators if i.key == key), None)


@dataclass
class ProgressTable:
    """The learning-progress indicators of one month (so far) against the month before."""

    key: str  # this | last
    label: str
    start: date
    last_day: date
    columns: list[str]  # indicator keys, in order
    points: list[ProgressRow]
    total: ProgressRow
    has_data: bool


@dataclass
class Overview:
    label: str
    key: str
    start: datetime
    end: datetime
    points: list[Row]
    total: Row
    trend_labels: list[str]
    trend: list[tuple[str, list[float | None]]]


def window(key: str, now_local: datetime) -> tuple[datetime, datetime]:
    if key == "week":
        return period(Period.WEEK, now_local)
    if key == "month":
        return period(Period.MONTH, now_local)
    days = 90 if key == "90d" else 30
    return now_local - timedelta(days=days), now_local


def _class_row(c: ClassFigures, before: ClassFigures | None, open_q: int, cid: str) -> Row:
    return Row(c.name, c.point, c.rate, before.rate if before else None, c.notices, c.expected, c.acks, c.late,
               open_q, c.reminders.get("sent", 0), c.reminders.get("late", 0), c.reminders.get("skipped", 0),
               c.not_in_group, cid)


def _sum(name: str, point: str, rows: list[Row], before: Figures, names: list[str]) -> Row:
    prev_expected = sum(before.classes[n].expected for n in names if n in before.classes)
    prev_acks = sum(before.classes[n].acks for n in names if n in before.classes)
    expected = sum(r.expected for r in rows)
    acks = sum(r.acks for r in rows)
    out = Row(name, point, acks / expected if expected else None, prev_acks / prev_expected if prev_expected else None,
              sum(r.notices for r in rows), expected, acks, sum(r.late for r in rows), sum(r.questions for r in rows),
              sum(r.sent for r in rows), sum(r.late_sent for r in rows), sum(r.skipped for r in rows),
              sum(r.not_in_group for r in rows))
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
    web = services.web
    by_point: dict[str, list[Row]] = {}
    for name in classes:
        c = figures.classes[name]
        by_point.setdefault(c.point, []).append(
            _class_row(c, before.classes.get(name), open_q.get(name, 0), web.opaque("class", name)))
    points = [_sum(p, p, _ranked(rows), before, [r.name for r in rows]) for p, rows in by_point.items()]
    for p in points:
        p.classes = by_point[p.name]
    _ranked(points)
    every = [r for p in points for r in p.classes]
    total = _sum(texts.TOTAL, "", every, before, classes)
    labels, trend = _trend(req, classes, points, weeks, notices)
    return Overview(PERIODS[key], key, start, end, points, total, labels, trend)


def progress_table(req: Req, key: str) -> ProgressTable:
    """The viewer's classes' indicators for this month so far (or last month), from the figures the 数据通报 reads:
    teaching points and their classes ranked by 形考 completion, then those without a figure."""
    services = req.services
    classes = [c.name for c in services.config.groups.classes if c.name in req.person.classes]
    start, end = services.progress.month_bounds(texts.PROGRESS_MONTH_WORDS[key], req.now)
    figures = services.progress.compare(classes, start, end)
    now, before, targets = figures.now, figures.before, figures.targets
    web = services.web

    def rows(items: dict[str, report.Figures], prev: dict[str, report.Figures], cids: bool) -> list[ProgressRow]:
        order = report.ranked(list(items.values()), lambda f: f.homework.rate)
        order += sorted((f for f in items.values() if f not in order), key=lambda f: f.name)
        out = [ProgressRow(f.name, report.indicators(f, prev.get(f.name), targets),
                           web.opaque("class", f.name) if cids else "") for f in order]
        for i, r in enumerate(out, 1):
            r.rank = i if r.value("homework") is not None else 0
        return out

    points = rows(now.points(), before.points(), False)
    by_point: dict[str, dict[str, report.Figures]] = {}
    for f in now.classes.values():
        by_point.setdefault(f.point, {})[f.name] = f
    for p in points:
        p.classes = rows(by_point.get(p.name, {}), before.classes, True)
    total = ProgressRow(texts.TOTAL, report.indicators(now.total(texts.TOTAL), before.total(texts.TOTAL), targets))
    return ProgressTable(key, MONTHS[key], start, figures.last_day, [i.key for i in total.indicators], points, total,
                         now.has_data or before.has_data)


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
    month = _month(req)
    chart = Markup(trend_svg(data.trend_labels, data.trend)) if any(
        v is not None for _, vs in data.trend for v in vs) else None
    return req.render("overview.html", data=data, periods=PERIODS, chart=chart, legend=legend(data.trend),
                      progress=progress_table(req, month), months=MONTHS, names=progress_texts.INDICATORS)


def _month(req: Req) -> str:
    key = req.query("m", "this")
    return key if key in MONTHS else "this"


@page()
def workbook(req: Req) -> Response:
    from bot.exports import fill_sheet

    key = req.query("p", "month")
    key = key if key in PERIODS else "month"
    data = build(req, key)
    progress = progress_table(req, _month(req))
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    columns = progress.columns if progress.has_data else []
    head = [*texts.OVERVIEW_HEAD, *(f"{progress_texts.INDICATORS[k]}（{progress.label}）" for k in columns)]
    values = {r.name: r for p in progress.points for r in (p, *p.classes)}

    def line(r: Row) -> list[object]:
        found = values.get(r.name)
        return [r.rank, r.name, r.point, r.rate, r.before, r.notices, r.expected, r.acks, r.late, r.questions,
                r.sent, r.late_sent, r.skipped, r.not_in_group, *((found.value(k) if found else None) for k in columns)]

    rates = (4, 5, *(len(texts.OVERVIEW_HEAD) + 1 + i for i, ind in enumerate(progress.total.indicators)
                     if ind.percent and ind.key in columns))
    fill_sheet(wb.create_sheet(texts.OVERVIEW_SHEETS[0]), [head, *(line(p) for p in data.points)], percent_columns=rates,
               widths=(6, 14, 10, 10, 10))
    fill_sheet(wb.create_sheet(texts.OVERVIEW_SHEETS[1]), [head, *(line(c) for p in data.points for c in p.classes)],
               percent_columns=rates, widths=(6, 14, 10, 10, 10))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "overview.xlsx"
        wb.save(path)
        body = path.read_bytes()
    name = f"overview-{data.start:%Y%m%d}-{data.end:%Y%m%d}.xlsx"
    return Response(body, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


routes = [Route("/", show), Route("/overview.xlsx", workbook)]
