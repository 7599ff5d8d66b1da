"""Work calendar -> reminders: the file, the pure planner, chat commands, exactly-once delivery, imports."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.calendar.events import Event, Offset, Targets, load_calendar
from bot.calendar.planner import batches, due_items
from bot.config import QuietHours
from bot.models import Delivery, ImportedEvent, OutboxItem
from bot.simulation import Chat
from bot.yamlio import YamlError
from tests.conftest import CLASS1, ROOT, START, new_chat

TZ = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


def write_calendar(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "calendar.yaml"
    p.write_text("events:\n" + body, encoding="utf-8")
    return p


def cal_config(config, path: Path):
    return config.model_copy(update={"files": config.files.model_copy(update={"calendar": str(path)})})


async def cal_chat(config, db, tmp_path, body: str, start=START) -> Chat:
    chat = new_chat(cal_config(config, write_calendar(tmp_path, body)), start, db=db)
    chat.add_room("2024秋行政管理1班", CLASS1)
    chat.add_room("2025春会计学1班", [{"name": "李老师", "id": "wxid_li"}, {"name": "赵六", "id": "wxid_zl"}])
    await chat.start()
    return chat


def reminders(sent):
    """What was sent, all of which must be reminders (an unexpected other message fails the test)."""
    assert all(s.text.startswith("【班助提醒】") for s in sent), [s.text for s in sent]
    return list(sent)


def hhmm(s) -> str:
    return s.time.astimezone(TZ).strftime("%m-%d %H:%M")


# -- the file ---------------------------------------------------------------------------------------------------------
def test_sample_calendar_has_a_realistic_term(config):
    events = load_calendar(ROOT / "data/calendar.yaml", TZ, config.groups.classes, config.teaching_points)
    assert len(events) >= 30
    assert {e.type for e in events} == {"选课", "报考", "直播", "作业", "考试", "其他"}
    assert any(e.weekly_until for e in events)


@pytest.mark.parametrize(("body", "key", "needle"), [
    ("  - {type: 作业, title: 形考1}\n", "events[0]", "needs time"),
    ("  - {type: 作文, title: x, time: '2026-09-09 10:00'}\n", "events[0].type", "type must be one of"),
    ("  - {type: 作业, title: x, deadline: '明天'}\n", "events[0].deadline", "not a date"),
    ("  - {type: 作业, title: x, deadline: '2026-09-09 10:00', targets: {classes: [火星班]}}\n",
     "events[0].targets.classes", "unknown class"),
    ("  - {type: 作业, title: x, deadline: '2026-09-09 10:00', colour: red}\n", "events[0].colour", "unknown key"),
    ("  - {id: a, type: 作业, title: x, deadline: '2026-09-09 10:00'}\n"
     "  - {id: a, type: 作业, title: y, deadline: '2026-09-10 10:00'}\n", "events[1]", "duplicate event id"),
    ("  - {type: 直播, title: x, start: '2026-09-09 19:30', weekly: true}\n", "events[0].weekly", "until"),
])
def test_calendar_errors_name_file_event_and_line(tmp_path, config, body, key, needle):
    path = write_calendar(tmp_path, body)
    with pytest.raises(YamlError) as exc:
        load_calendar(path, TZ, config.groups.classes, config.teaching_points)
    err = exc.value
    assert err.file == str(path) and err.key == key and needle in err.message and err.line >= 2


# -- the planner ------------------------------------------------------------------------------------------------------
def plan(config, events, start, end, quiet=None):
    return due_items(events, config.groups.classes, start, end, quiet, TZ)


def test_default_offsets_per_type(config):
    hw = Event("hw", "作业", "形考2", deadline=local(2026, 10, 15, 23, 59), targets=Targets(classes=("行管1班",)))
    live = Event("lv", "直播", "直播", start=local(2026, 10, 15, 19, 30), targets=Targets(classes=("行管1班",)))
    sel = Event("sl", "选课", "选课", start=local(2026, 10, 1, 8, 0), deadline=local(2026, 10, 15, 18, 0),
                targets=Targets(classes=("行管1班",)))
    items = plan(config, [hw, live, sel], local(2026, 9, 1), local(2026, 11, 1))
    by = {e: [d.planned.astimezone(TZ).strftime("%m-%d %H:%M") for d in items if d.event.id == e]
          for e in ("hw", "lv", "sl")}
    assert by["hw"] == ["10-08 23:59", "10-12 23:59", "10-14 23:59", "10-15 20:59"]
    assert by["lv"] == ["10-14 19:30", "10-15 19:00"]
    assert by["sl"] == ["10-01 08:00", "10-12 18:00", "10-14 18:00"]


def test_targets_by_point_major_grade(config):
    ev = Event("x", "其他", "x", start=local(2026, 10, 1, 10), targets=Targets(majors=("行政管理",)))
    groups = {d.group for d in plan(config, [ev], local(2026, 9, 1), local(2026, 11, 1))}
    assert groups == {"行管1班", "行管2班"}
    ev = Event("y", "其他", "y", start=local(2026, 10, 1, 10), targets=Targets(points=("清苑",), grades=("2025春",)))
    assert {d.group for d in plan(config, [ev], local(2026, 9, 1), local(2026, 11, 1))} == {"会计1班", "法学1班"}


def test_weekly_recurrence(config):
    ev = Event("w", "直播", "直播", start=local(2026, 9, 8, 19, 30), weekly_until=local(2026, 9, 29).date(),
               targets=Targets(classes=("行管1班",)), offsets=(Offset("start", timedelta(minutes=30)),))
    items = plan(config, [ev], local(2026, 9, 1), local(2026, 12, 1))
    assert [d.due.astimezone(TZ).strftime("%m-%d %H:%M") for d in items] == [
        "09-08 19:00", "09-15 19:00", "09-22 19:00", "09-29 19:00"]
    assert len({d.key for d in items}) == 4


def test_quiet_hours_postpone_unless_after_the_event(config):
    quiet = QuietHours(start="22:00", end="07:30")
    late = Event("a", "作业", "x", deadline=local(2026, 10, 2, 23, 30), targets=Targets(classes=("行管1班",)),
                 offsets=(Offset("deadline", timedelta(hours=24)),))
    early = Event("b", "直播", "y", start=local(2026, 10, 2, 7, 0), targets=Targets(classes=("行管1班",)),
                  offsets=(Offset("start", timedelta(minutes=30)),))
    items = {d.event.id: d for d in plan(config, [late, early], local(2026, 9, 1), local(2026, 11, 1), quiet)}
    assert items["a"].due == local(2026, 10, 2, 7, 30)  # 10-01 23:30 is quiet: postponed to 07:30
    assert items["b"].due == local(2026, 10, 2, 6, 30)  # postponing to 07:30 would be after a 07:00 class


def test_fan_out_is_released_early_enough_for_pacing(config):
    classes = [config.groups.classes[0].model_copy(update={"name": f"班{i}", "topic": f"t{i}"}) for i in range(100)]
    ev = Event("e", "作业", "x", deadline=local(2026, 10, 2, 20), offsets=(Offset("deadline", timedelta(hours=1)),))
    items = due_items([ev], classes, local(2026, 9, 1), local(2026, 11, 1), None, TZ)
    gap = timedelta(seconds=6)
    out = batches(items, gap, None, TZ)
    assert len(out) == 100 and max(b.release for b in out) == local(2026, 10, 2, 19)
    assert min(b.release for b in out) == local(2026, 10, 2, 19) - 99 * gap


def test_morning_fan_out_never_releases_inside_quiet_hours(config):
    from bot.quiet import in_quiet

    quiet = QuietHours(start="22:00", end="07:30")
    classes = [config.groups.classes[0].model_copy(update={"name": f"班{i}", "topic": f"t{i}"}) for i in range(400)]
    ev = Event("e", "直播", "早课", start=local(2026, 10, 2, 8, 30), offsets=(Offset("start", timedelta(minutes=30)),))
    items = due_items([ev], classes, local(2026, 9, 1), local(2026, 11, 1), quiet, TZ)
    out = batches(items, timedelta(seconds=6), quiet, TZ)
    assert all(not in_quiet(b.release.astimezone(TZ), quiet) for b in out)
    assert all(b.release <= b.due for b in out)
    evening = [b for b in out if b.release < local(2026, 10, 2)]
    assert evening and max(b.release for b in evening) < local(2026, 10, 1, 22)  # the rest went out before 22:00


def test_reminders_for_one_group_due_together_are_merged(config):
    a = Event("a", "作业", "作业A", deadline=local(2026, 10, 2, 20), targets=Targets(classes=("行管1班",)),
              offsets=(Offset("deadline", timedelta(hours=3)),))
    b = Event("b", "直播", "直播B", start=local(2026, 10, 2, 17, 30), targets=Targets(classes=("行管1班",)),
              offsets=(Offset("start", timedelta(minutes=25)),))
    out = batches(plan(config, [a, b], local(2026, 9, 1), local(2026, 11, 1)), timedelta(seconds=5), None, TZ)
    assert len(out) == 1 and len(out[0].items) == 2


# -- in chat ----------------------------------------------------------------------------------------------------------
async def test_remind_command_natural_forms_and_cancel(config, sqlite_db, tmp_path):
    chat = await cal_chat(config, sqlite_db, tmp_path, "  []\n".replace("  []\n", ""))
    [r] = await chat.say("王老师", "行管1班", "/提醒 11月30日18:00 形考作业3截止")
    assert "已设置提醒 #1：形考作业3截止" in r.text and "11月30日（周一）18:00" in r.text
    assert "11月23日（周一）18:00" in r.text and "11月30日（周一）15:00" in r.text  # 7d ... 3h before
    [r] = await chat.say("王老师", "行管1班", "/提醒 周五晚上8点 行政管理学直播")
    assert "9月11日（周五）20:00" in r.text and "9月11日（周五）19:30" in r.text
    [r] = await chat.say("王老师", "行管1班", "/提醒 下周三 提交照片")
    assert "9月16日（周三）" in r.text
    [r] = await chat.say("王老师", "行管1班", "/提醒 30号 交表")
    assert "9月30日" in r.text
    [r] = await chat.say("王老师", "行管1班", "/取消提醒 2")
    assert "已取消提醒 #2" in r.text
    sent = await chat.run_until(local(2026, 9, 12))
    assert not [s for s in reminders(sent) if "直播" in s.text]
    [r] = await chat.say("王老师", "行管1班", "/提醒 去年1月1日 过去的事")
    assert "用法" in r.text or "过去" in r.text
    [r] = await chat.say("张三", "行管1班", "/提醒 明天 交作业")
    assert "只有" in r.text


async def test_remind_with_an_impossible_date_or_time_says_so_and_sets_nothing(config, sqlite_db, tmp_path):
    chat = await cal_chat(config, sqlite_db, tmp_path, "")
    [r] = await chat.say("王老师", "行管1班", "/提醒 明天25:99 交表")  # was set for 20:00
    assert r.text.endswith("没有25:99这个时间，请检查。提醒没有设置。")
    [r] = await chat.say("王老师", "行管1班", "/提醒 2月30日 交表")
    assert "2月没有30日" in r.text and "已设置" not in r.text
    [r] = await chat.say("王老师", "行管1班", "/提醒 30号 交表")  # the first reminder that is set is #1
    assert "已设置提醒 #1" in r.text


async def test_agenda_lists_this_and_next_week(config, sqlite_db, tmp_path):
    body = ("  - {type: 作业, title: 本周作业, deadline: '2026-09-10 23:59', targets: {classes: [行管1班]}}\n"
            "  - {type: 直播, title: 下周直播, start: '2026-09-15 19:30'}\n"
            "  - {type: 作业, title: 别班作业, deadline: '2026-09-10 23:59', targets: {classes: [会计1班]}}\n")
    chat = await cal_chat(config, sqlite_db, tmp_path, body)
    [r] = await chat.say("张三", "行管1班", "/日程")
    assert "本周作业" in r.text and "下周直播" not in r.text and "别班作业" not in r.text
    [r] = await chat.say("张三", "行管1班", "/日程 下周")
    assert "下周直播" in r.text and "本周作业" not in r.text


# -- the engine -------------------------------------------------------------------------------------------------------
HW = ("  - {id: hw2, type: 作业, title: 形考作业2, deadline: '2026-09-12 23:59', targets: {classes: [行管1班]},"
      " remind: [3d, 1d, 3h]}\n")


async def test_reminders_fire_once_at_their_times(config, sqlite_db, tmp_path):
    chat = await cal_chat(config, sqlite_db, tmp_path, HW)
    sent = reminders(await chat.run_until(local(2026, 9, 14)))
    assert [hhmm(s) for s in sent] == ["09-10 07:30", "09-12 07:30", "09-12 20:59"]  # 23:59 is quiet: 07:30
    assert all(s.room_topic == "2024秋行政管理1班" for s in sent)
    assert "形考作业2 将于 9月12日（周六）23:59 截止" in sent[0].text
    assert reminders(await chat.run_until(local(2026, 9, 20))) == []


async def test_restart_between_claim_and_send_sends_once(config, sqlite_db, tmp_path):
    chat = await cal_chat(config, sqlite_db, tmp_path, HW)
    chat.gateway.connected = False  # the claim and the queued message are written; the send never happens
    await chat.run_until(local(2026, 9, 10, 8))
    with chat.db.tx() as s:
        assert len(s.exec(select(Delivery).where(Delivery.kind == "reminder")).all()) == 1
        assert s.exec(select(OutboxItem).where(OutboxItem.status == "pending")).all()
    chat.gateway.connected = True
    sent = reminders(await chat.restart())
    assert len(sent) == 1
    rest = reminders(await chat.run_until(local(2026, 9, 14)))
    assert len(rest) == 2 and all("补发" not in s.text for s in rest)


async def test_missed_while_down_goes_out_once_marked_late(config, sqlite_db, tmp_path):
    chat = await cal_chat(config, sqlite_db, tmp_path, HW)
    await chat.run_until(local(2026, 9, 9, 8))  # the bot has seen the calendar
    chat.services.calendar.deliver_due = lambda now: 0  # the process is down: nothing is claimed
    chat.clock.set(local(2026, 9, 12, 9))  # down through the 3d and the 1d reminders
    sent = reminders(await chat.restart())
    assert len(sent) == 1 and "（补发）" in sent[0].text  # only the latest missed one, once
    with chat.db.tx() as s:
        statuses = sorted(d.status for d in s.exec(select(Delivery).where(Delivery.kind == "reminder")))
    assert statuses == ["late", "skipped"]
    rest = reminders(await chat.run_until(local(2026, 9, 14)))
    assert [hhmm(s) for s in rest] == ["09-12 20:59"]


async def test_missed_reminder_for_a_past_event_is_skipped_and_logged(config, sqlite_db, tmp_path):
    chat = await cal_chat(config, sqlite_db, tmp_path, HW)
    await chat.run_until(local(2026, 9, 9, 8))
    chat.services.calendar.deliver_due = lambda now: 0
    chat.clock.set(local(2026, 9, 13, 9))  # after the deadline
    assert reminders(await chat.restart()) == []
    with chat.db.tx() as s:
        rows = s.exec(select(Delivery).where(Delivery.kind == "reminder")).all()
    assert rows and all(r.status == "skipped" for r in rows)


async def test_calendar_edit_while_running_replans_without_duplicates(config, sqlite_db, tmp_path):
    chat = await cal_chat(config, sqlite_db, tmp_path, HW)
    first = reminders(await chat.run_until(local(2026, 9, 10, 9)))
    assert len(first) == 1
    path = Path(chat.config.files.calendar)
    path.write_text("events:\n" + HW + "  - {id: live1, type: 直播, title: 新增直播, start: '2026-09-11 19:30',"
                    " targets: {classes: [行管1班]}}\n", encoding="utf-8")
    import os
    os.utime(path, (1, 1))  # a new mtime even within the same second
    rest = reminders(await chat.run_until(local(2026, 9, 14)))
    texts = [s.text for s in rest]
    assert sum("形考作业2" in t for t in texts) == 2  # the 1d and 3h ones, not the 3d one again
    assert sum("新增直播" in t for t in texts) == 2


async def test_reload_command_makes_the_running_bot_replan(config, sqlite_db, tmp_path, cli):
    chat = await cal_chat(config, sqlite_db, tmp_path, HW)
    reminders(await chat.run_until(local(2026, 9, 9, 8)))
    with chat.db.tx() as s:
        from bot.models import ChatReminder
        s.add(ChatReminder(group_name="行管1班", type="直播", title="外部写入的直播", at=local(2026, 9, 10, 19),
                           author_id="x", created_at=chat.clock.now()))
    assert cli(chat, "reload") == 0
    sent = reminders(await chat.run_until(local(2026, 9, 11)))
    assert any("外部写入的直播" in s.text for s in sent)


async def test_server_clock_in_utc(config, sqlite_db, tmp_path):
    """The virtual clock runs in UTC; calendar and quiet hours are in Asia/Shanghai."""
    body = ("  - {type: 直播, title: 早课, start: '2026-09-08 08:00', targets: {classes: [行管1班]},"
            " remind: [开始前30m]}\n")
    chat = await cal_chat(config, sqlite_db, tmp_path, body, start=datetime(2026, 9, 7, 0, 0, tzinfo=UTC))
    [s] = reminders(await chat.run_until(datetime(2026, 9, 9, tzinfo=UTC)))
    assert s.time == datetime(2026, 9, 7, 23, 30, tzinfo=UTC)  # 07:30 Shanghai: just after quiet hours
    assert "9月8日（周二）08:00" in s.text


async def test_merged_message_for_close_reminders(config, sqlite_db, tmp_path):
    body = ("  - {type: 作业, title: 作业A, deadline: '2026-09-08 20:00', targets: {classes: [行管1班]}, remind: [3h]}\n"
            "  - {type: 直播, title: 直播B, start: '2026-09-08 17:30', targets: {classes: [行管1班]}, remind: [25m]}\n")
    chat = await cal_chat(config, sqlite_db, tmp_path, body)
    [s] = reminders(await chat.run_until(local(2026, 9, 9)))
    assert "作业A" in s.text and "直播B" in s.text


# -- imports ----------------------------------------------------------------------------------------------------------
async def test_live_timetable_csv_import_with_row_errors(config, sqlite_db, tmp_path, cli, capsys):
    chat = await cal_chat(config, sqlite_db, tmp_path, "")
    csv = tmp_path / "live.csv"
    csv.write_text("课程名称, 直播时间 ,主讲教师,直播链接,专业\n"
                   "行政管理学,2026-09-15 19:30,周老师,https://x/1,行政管理\n"
                   "基础会计,2026/09/16 19:30,钱老师,https://x/2,会计学\n"
                   ",2026-09-17 19:30,无名,https://x/3,\n"
                   "宪法学,下周三晚上,吴老师,https://x/4,法学\n"
                   "天文学,2026-09-18 19:30,某老师,https://x/5,天文\n", encoding="utf-8")
    assert cli(chat, "calendar", "import", str(csv), "--dry-run") == 1
    out = capsys.readouterr().out  # one report: the good rows would be imported, the bad ones are listed
    assert "第4行：缺少课程名称" in out and "第5行：直播时间看不懂" in out and "第6行：不认识的专业" in out
    assert out.startswith("live.csv：检查（未写入）：新增 2")
    with chat.db.tx() as s:  # the dry run wrote nothing
        assert s.exec(select(ImportedEvent)).all() == []
    assert cli(chat, "calendar", "import", str(csv)) == 1
    assert "新增 2" in capsys.readouterr().out
    csv.write_text("课程名称,直播时间,主讲教师,直播链接\n行政管理学,2026-09-15 19:30,周老师,https://x/NEW\n",
                   encoding="utf-8")
    assert cli(chat, "calendar", "import", str(csv)) == 0
    assert "修改 1" in capsys.readouterr().out
    chat.services.calendar.reload()
    sent = reminders(await chat.run_until(local(2026, 9, 16)))
    assert any("https://x/NEW" in s.text for s in sent)


async def test_xlsx_and_ics_import(config, sqlite_db, tmp_path, cli, capsys):
    from icalendar import Calendar as ICal
    from icalendar import Event as IEvent
    from openpyxl import Workbook

    chat = await cal_chat(config, sqlite_db, tmp_path, "")
    wb = Workbook()
    wb.active.append(["课程", "时间", "主讲", "链接"])
    wb.active.append(["公共政策概论", "2026-09-17 19:30", "孙老师", "https://x/p"])
    xlsx = tmp_path / "live.xlsx"
    wb.save(xlsx)
    assert cli(chat, "calendar", "import", str(xlsx)) == 0
    cal = ICal()
    ev = IEvent()
    ev.add("summary", "期末考试报考开始")
    ev.add("dtstart", datetime(2026, 10, 26, 8, 0, tzinfo=TZ))
    ev.add("uid", "exam-2026@example")
    cal.add_component(ev)
    ics = tmp_path / "x.ics"
    ics.write_bytes(cal.to_ical())
    assert cli(chat, "calendar", "import", str(ics)) == 0
    titles = {e.title: e for e in chat.services.calendar.events()}
    assert titles["公共政策概论"].type == "直播" and titles["期末考试报考开始"].type == "报考"
