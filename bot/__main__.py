"""Command line: `python -m bot <command>`. Run `python -m bot --help` for the list."""

from __future__ import annotations

import argparse
import asyncio
import csv
import logging
import signal
import sys
from datetime import datetime, timedelta
from pathlib import Path

from bot.config import Config, ConfigError, load_config
from bot.yamlio import YamlError


def _config(args: argparse.Namespace) -> Config:
    return load_config(args.config)


def _app_offline(config: Config):
    """An App for command-line work on the database (no chat connection)."""
    from bot.app import build_app
    from bot.clock import RealClock
    from bot.gateways.fake import FakeGateway

    clock = RealClock()
    gateway = FakeGateway(clock, config.gateway.bot_name)
    gateway.connected = False  # nothing is sent from the command line; queued messages wait for the bot
    return build_app(config, gateway, clock)


def _files_ok(config: Config) -> bool:
    """Check the files config.yaml names; print every problem to stderr."""
    from bot.checks import check_files

    problems = check_files(config)
    for p in problems:
        print(p, file=sys.stderr)
    return not problems


# -- commands ---------------------------------------------------------------------------------------------------------
def cmd_check(args: argparse.Namespace) -> int:
    config = _config(args)
    if not _files_ok(config):
        return 2
    print(f"{args.config}: OK — {len(config.groups.classes)} class groups, "
          f"{len(config.groups.coordinators)} coordinator groups, {len(config.staff)} staff, "
          f"teaching points {', '.join(config.teaching_points)}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    config = _config(args)
    if not _files_ok(config):
        return 2
    kind = args.gateway or config.gateway.kind
    return asyncio.run(_run(config, kind))


async def _run(config: Config, kind: str) -> int:
    from bot.app import build_app
    from bot.clock import RealClock
    from bot.runtime import Runner

    clock = RealClock()
    if kind == "wechaty":
        from bot.gateways.wechaty import WechatyGateway

        gateway = WechatyGateway.from_config(config, clock)
    else:
        from bot.gateways.console import ConsoleGateway
        from bot.world import default_rooms

        # A local try-out should answer quickly; WeChat pacing applies to the wechaty gateway.
        config = config.model_copy(update={"outbox": config.outbox.model_copy(
            update={"min_interval": timedelta(milliseconds=300), "jitter": timedelta(milliseconds=300)})})
        seed_app = _app_offline(config)
        _ensure_roster(seed_app)
        rooms = default_rooms(config, seed_app.roster.students_of_all())
        seed_app.db.close()
        gateway = ConsoleGateway(clock, config.gateway.bot_name, rooms, tz=config.tz)
    app = build_app(config, gateway, clock)
    runner = Runner(app)
    if kind != "wechaty":
        gateway.on_quit = lambda: runner.stop(drain=True)  # type: ignore[attr-defined]
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, runner.stop)
        except NotImplementedError:  # pragma: no cover
            pass
    await runner.run()
    return 0


def _ensure_roster(app) -> None:
    """First start on an empty database: load the configured roster so the demo groups have students."""
    cfg = app.config
    if app.roster.count() == 0 and cfg.files.roster and cfg.path(cfg.files.roster).exists():
        report = app.roster.import_file(cfg.path(cfg.files.roster))
        if not report.ok:
            for e in report.errors:
                print(f"{cfg.files.roster}: {e}", file=sys.stderr)


def cmd_simulate(args: argparse.Namespace) -> int:
    config = _config(args)
    from bot.simulate import run_script

    failures = asyncio.run(run_script(args.script, config, sys.stdout, as_json=args.json, db_url=args.db))
    for f in failures:
        print(f"{args.script}, line {f.line}: {f.message}", file=sys.stderr)
    return 1 if failures else 0


def cmd_roster(args: argparse.Namespace) -> int:
    config = _config(args)
    app = _app_offline(config)
    if args.action == "import":
        path = Path(args.file)
        if not path.exists():
            print(f"{path}: file not found", file=sys.stderr)
            return 2

        def progress(done: int, total: int) -> None:
            width = 30
            filled = int(width * done / total) if total else width
            sys.stderr.write(f"\r导入中 [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
            if done == total:
                sys.stderr.write("\n")

        try:
            report = app.roster.import_file(path, dry_run=args.dry_run, progress=progress)
        except ValueError as exc:
            print(str(exc), file=sys.stderr)
            return 2
        for e in report.errors:
            print(f"{path}: {e}", file=sys.stderr)
        if not report.ok:
            print(f"{path}: 有错误，未导入任何数据（共 {len(report.errors)} 处）。", file=sys.stderr)
            return 2
        verb = "检查通过（未写入）" if args.dry_run else "导入完成"
        print(f"{verb}：新增 {report.added}，更新 {report.updated}，未变 {report.unchanged}。")
        return 0
    rows = app.roster.export_rows()
    out = Path(args.out)
    if out.suffix.lower() == ".xlsx":
        from openpyxl import Workbook

        from bot.exports import style_header

        wb = Workbook()
        ws = wb.active
        ws.title = "花名册"
        for r in rows:
            ws.append(r)
        style_header(ws)
        wb.save(out)
    else:
        with out.open("w", newline="", encoding="utf-8-sig") as f:
            csv.writer(f).writerows(rows)
    print(f"已导出 {len(rows) - 1} 名学生到 {out}")
    return 0


def cmd_grant(args: argparse.Namespace) -> int:
    config = _config(args)
    from bot.durations import parse_duration

    app = _app_offline(config)
    classes = [c for c in (args.classes or "").replace("，", ",").split(",") if c]
    points = [p for p in (args.points or "").replace("，", ",").split(",") if p]
    known_classes = {c.name for c in config.groups.classes}
    bad = [c for c in classes if c not in known_classes] + [p for p in points if p not in config.teaching_points]
    if bad:
        print(f"unknown class or teaching point: {', '.join(bad)}", file=sys.stderr)
        return 2
    if args.role == "teacher" and not classes:
        print("a teacher needs --classes", file=sys.stderr)
        return 2
    if args.role == "coordinator" and not points:
        print("a coordinator needs --points", file=sys.stderr)
        return 2
    code = app.staff.grant(args.name, args.role, classes, points, parse_duration(args.ttl))
    app.audit(_cli_person(), "命令行", "grant", f"{args.name} as {args.role} {classes or points}")
    expires = code.expires_at.astimezone(config.tz)
    print(f"授权码：{code.code}\n请{args.name}在 {expires:%m-%d %H:%M} 前私聊机器人发送这个授权码（只能用一次）。")
    return 0


def _cli_person():
    from bot.people import Person, Role

    return Person("cli", "命令行", Role.ADMIN)


def cmd_revoke(args: argparse.Namespace) -> int:
    app = _app_offline(_config(args))
    n = app.staff.revoke(args.name)
    app.audit(_cli_person(), "命令行", "revoke", args.name, "ok" if n else "not found")
    print(f"已撤销 {args.name} 的 {n} 个绑定。" if n else f"没有找到 {args.name} 的绑定。")
    return 0 if n else 1


def cmd_staff(args: argparse.Namespace) -> int:
    app = _app_offline(_config(args))
    for row in app.staff.list():
        scope = ",".join(row.classes or row.points) or "all"
        print(f"{row.name}\t{row.role}\t{scope}\t{row.source}\t{row.contact_id}")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from bot.models import AuditLog

    config = _config(args)
    app = _app_offline(config)
    with app.db.tx() as s:
        q = select(AuditLog).order_by(AuditLog.id)
        if args.since:
            since = datetime.fromisoformat(args.since)
            since = since if since.tzinfo else since.replace(tzinfo=config.tz)
            q = q.where(AuditLog.at >= since)
        rows = s.exec(q).all()
    for r in rows:
        print(f"{r.at.astimezone(config.tz):%Y-%m-%d %H:%M:%S}\t{r.actor_name}({r.actor_id})\t{r.where}\t"
              f"{r.action}\t{r.detail}\t{r.result}")
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    app = _app_offline(_config(args))
    ok = app.roster.forget(args.student_no)
    app.audit(_cli_person(), "命令行", "forget", "student", "ok" if ok else "not found")
    print("已删除该学生的花名册数据。" if ok else "没有这个学号。")
    return 0 if ok else 1


def cmd_export(args: argparse.Namespace) -> int:
    from bot.exports import notice_workbook

    app = _app_offline(_config(args))
    notice = app.notices.get(args.number)
    if notice is None:
        print(f"no notice #{args.number}", file=sys.stderr)
        return 2
    path = notice_workbook(app, notice, Path(args.out))
    print(f"已导出通知 #{notice.id} 到 {path}")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    import json

    from bot.handbook.service import MAX_REPLY, retriever_for, shorten, source_of
    from bot.handbook.source import HandbookError
    decline = "（手册中没有找到可靠的答案，建议转交导学教师）"

    try:
        if args.handbook:
            retriever = retriever_for(Path(args.handbook))  # exactly that handbook, no curated Q&A
        else:
            config = _config(args)
            faq = config.path(config.files.faq) if config.files.faq else None
            retriever = retriever_for(config.path(config.files.handbook), faq)
    except HandbookError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    def one(question: str) -> dict:
        m = retriever.match(question)
        if m.unit is None:
            return {"id": None, "score": round(m.score, 4), "answer": decline}
        src = source_of(m.unit)
        return {"id": m.unit.id, "score": round(m.score, 4),
                "answer": shorten(m.unit.body, MAX_REPLY - len(src)) + src}

    if args.question:
        question = " ".join(args.question)
        result = one(question)
        print(json.dumps(result, ensure_ascii=False) if args.json else result["answer"])
        if args.explain:
            m = retriever.match(question)
            print(f"decision: {'answer ' + m.id if m.id else 'decline (' + m.reason + ')'}; "
                  f"needs score >= {retriever.p.min_fused} and lead >= {retriever.p.min_margin}", file=sys.stderr)
            order, fused = retriever.rank(question)
            for i in order[:3]:
                u = retriever.units[i]
                print(f"  {fused[i]:6.2f}  {u.id}  {u.title}", file=sys.stderr)
        return 0
    if not args.json:
        print("usage: python -m bot ask \"问题\"  (or --json with one question per line on stdin)", file=sys.stderr)
        return 2
    for line in sys.stdin:
        line = line.rstrip("\n")
        print(json.dumps(one(line), ensure_ascii=False), flush=True)
    return 0


def cmd_handbook(args: argparse.Namespace) -> int:
    if args.action == "misses":
        return _handbook_misses(args)
    from bot.handbook.source import HandbookError, import_file, parse_markdown

    src = Path(args.file)
    try:
        text = import_file(src)
        book = parse_markdown(text, str(src))
    except (HandbookError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for w in book.warnings:
        print(f"warning: {w}", file=sys.stderr)
    out = Path(args.out)
    out.write_text(text, encoding="utf-8")
    print(f"已导入 {len(book.units)} 个问答小节到 {out}")
    return 0


def _handbook_misses(args: argparse.Namespace) -> int:
    from bot.durations import parse_duration
    from bot.handbook.misses import misses, misses_workbook

    config = _config(args)
    app = _app_offline(config)
    rows = misses(app, app.clock.now() - parse_duration(args.since))
    for m in rows:
        now = f"现在回答 §{m.now_answers}" if m.now_answers else f"仍不回答（{m.reason}；最接近 §{m.nearest}）"
        print(f"{m.at.astimezone(config.tz):%m-%d %H:%M}\t{m.group}\t{m.text}\t{now}")
    fixed = sum(1 for m in rows if m.now_answers)
    print(f"共 {len(rows)} 个未答问题，其中 {fixed} 个现在能回答。")
    if args.out:
        print(f"已导出到 {misses_workbook(rows, config.tz, Path(args.out))}")
    return 0


def cmd_calendar(args: argparse.Namespace) -> int:
    from bot.calendar.importers import read_any

    config = _config(args)
    path = Path(args.file)
    if not path.exists():
        print(f"{path}: file not found", file=sys.stderr)
        return 2
    result = read_any(path, config)
    for e in result.errors:
        print(f"{path}: {e}", file=sys.stderr)
    if result.errors and not result.events:
        return 2
    app = _app_offline(config)
    added, changed, same = app.calendar.store_imported(result.events, path.name, args.dry_run)
    verb = "检查（未写入）" if args.dry_run else "导入完成"
    print(f"{verb}：新增 {added}，修改 {changed}，未变 {same}，有问题的行 {len(result.errors)}。")
    return 1 if result.errors else 0


def cmd_reload(args: argparse.Namespace) -> int:
    from bot.calendar.service import bump_version

    config = _config(args)
    if not _files_ok(config):
        print("not reloaded: fix the files first", file=sys.stderr)
        return 2
    bump_version(_app_offline(config))
    print("已通知运行中的机器人重新加载台历（30秒内生效）。")
    return 0


def cmd_digest(args: argparse.Namespace) -> int:
    import shutil

    from bot.clock import RealClock

    config = _config(args)
    app = _app_offline(config)
    kinds = {"day": "today", "today": "today", "week": "week", "month": "month", "last-week": "weekly",
             "last-month": "monthly"}
    kind = kinds[args.period]
    classes = [c.name for c in config.groups.classes]
    scope = "全部教学点"
    if args.group:
        group = config.group_by_name(args.group)
        if group is not None and hasattr(group, "points"):
            classes, scope = app.digests.classes_of(group), group.name  # type: ignore[arg-type]
        elif group is not None:
            classes, scope = [group.name], group.name
        elif args.group in config.teaching_points:
            classes = [c.name for c in config.groups.classes if c.point == args.group]
            scope = args.group
        else:
            print(f"unknown group or teaching point: {args.group}", file=sys.stderr)
            return 2
    digest = app.digests.build(kind, classes, scope, RealClock().now(), chart=bool(args.chart),
                               workbook=bool(args.out))
    print(digest.text)
    if args.out and digest.workbook:
        shutil.copyfile(digest.workbook, args.out)
        print(f"\n已写入 {args.out}")
    if args.chart:
        if digest.chart:
            shutil.copyfile(digest.chart, args.chart)
            print(f"已写入 {args.chart}")
        else:
            print("（这段时间没有通知，未生成图表）")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from bot.status import read_status

    config = _config(args)
    app = _app_offline(config)
    print(read_status(app))
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot", description="班助 — WeChat class-group assistant")
    p.add_argument("--config", default="config.yaml", help="path to config.yaml (default: ./config.yaml)")
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("run", help="start the bot (console gateway unless config says wechaty)")
    s.add_argument("--gateway", choices=["console", "wechaty"])
    s.set_defaults(func=cmd_run)
    sub.add_parser("check", help="validate config.yaml and the files it names").set_defaults(func=cmd_check)

    s = sub.add_parser("simulate", help="run a scripted chat on a virtual clock")
    s.add_argument("script")
    s.add_argument("--json", action="store_true", help="one JSON object per message")
    s.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    s.set_defaults(func=cmd_simulate)

    s = sub.add_parser("roster", help="import or export the class roster")
    rs = s.add_subparsers(dest="action", required=True)
    r = rs.add_parser("import")
    r.add_argument("file")
    r.add_argument("--dry-run", action="store_true")
    r = rs.add_parser("export")
    r.add_argument("--out", required=True)
    s.set_defaults(func=cmd_roster)

    s = sub.add_parser("grant", help="one-time code that binds a staff member by WeChat contact id")
    s.add_argument("role", choices=["teacher", "coordinator", "admin"])
    s.add_argument("--name", required=True)
    s.add_argument("--classes")
    s.add_argument("--points")
    s.add_argument("--ttl", default="24h")
    s.set_defaults(func=cmd_grant)
    s = sub.add_parser("revoke", help="remove a staff member's rights")
    s.add_argument("--name", required=True)
    s.set_defaults(func=cmd_revoke)
    s = sub.add_parser("staff", help="list staff bindings")
    s.add_argument("action", choices=["list"])
    s.set_defaults(func=cmd_staff)
    s = sub.add_parser("audit", help="print the audit log")
    s.add_argument("--since", help="e.g. 2026-09-01 or 2026-09-01T08:00")
    s.set_defaults(func=cmd_audit)
    s = sub.add_parser("forget", help="delete a student's roster data")
    s.add_argument("student_no")
    s.set_defaults(func=cmd_forget)
    s = sub.add_parser("export", help="export a notice's status to Excel")
    s.add_argument("what", choices=["notice"])
    s.add_argument("number", type=int)
    s.add_argument("--out", required=True)
    s.set_defaults(func=cmd_export)
    sub.add_parser("status", help="connection state and pending messages").set_defaults(func=cmd_status)
    s = sub.add_parser("calendar", help="import a live timetable (CSV/XLSX) or an ICS file")
    cs = s.add_subparsers(dest="action", required=True)
    c = cs.add_parser("import")
    c.add_argument("file")
    c.add_argument("--dry-run", action="store_true")
    s.set_defaults(func=cmd_calendar)
    sub.add_parser("reload", help="make the running bot re-read the calendar").set_defaults(func=cmd_reload)
    s = sub.add_parser("digest", help="figures for coordinators: text, Excel (--out) and a chart (--chart)")
    s.add_argument("--period", choices=["day", "today", "week", "month", "last-week", "last-month"], default="week")
    s.add_argument("--group", help="a coordinator group, a class or a teaching point (default: everything)")
    s.add_argument("--out", help="write the Excel workbook here")
    s.add_argument("--chart", help="write the PNG chart here")
    s.set_defaults(func=cmd_digest)
    s = sub.add_parser("ask", help="answer a question from the handbook")
    s.add_argument("question", nargs="*")
    s.add_argument("--json", action="store_true", help='print {"id", "score", "answer"}; no question: read stdin')
    s.add_argument("--handbook", help="a handbook .md to answer from (instead of the configured one and its Q&A)")
    s.add_argument("--explain", action="store_true", help="also print why, and the three best-ranked sections")
    s.set_defaults(func=cmd_ask)
    s = sub.add_parser("handbook", help="import a .docx/.pdf/.md handbook; list the questions it could not answer")
    hs = s.add_subparsers(dest="action", required=True)
    h = hs.add_parser("import")
    h.add_argument("file")
    h.add_argument("--out", default="data/handbook.md")
    h = hs.add_parser("misses", help="declined questions, and what the bot would answer now")
    h.add_argument("--since", default="30d", help="how far back (default 30d)")
    h.add_argument("--out", help="also write them to this Excel file")
    s.set_defaults(func=cmd_handbook)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for noisy in ("jieba", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return args.func(args)
    except (ConfigError, YamlError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
