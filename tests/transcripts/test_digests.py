"""Digests: the figures (SQL, on generated data), the scheduled sends on the virtual clock, the formats."""

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlmodel import select

from bot.models import Question, Student
from bot.simulation import Chat
from tests.conftest import CLASS1, START, new_chat

TZ = ZoneInfo("Asia/Shanghai")


def local(*a) -> datetime:
    return datetime(*a, tzinfo=TZ)


async def school(config, db) -> Chat:
    chat = new_chat(config, START, db=db)
    chat.add_room("2024秋行政管理1班", CLASS1)
    chat.add_room("2025春会计学1班", [{"name": "李老师", "id": "wxid_li"}, {"name": "赵六", "id": "wxid_zl"},
                                   {"name": "钱七", "id": "wxid_qq"}])
    chat.add_room("城区分校教学点负责人群", [{"name": "刘主任", "id": "wxid_liu"}])
    await chat.start()
    return chat


async def scripted_week(chat: Chat) -> None:
    """Monday: two notices in 行管1班 (张三 acks both, 李四 one late), one in 会计1班 (赵六 acks)."""
    for who, where, text in (("王老师", "行管1班", "/通知 截止 今天12:00 交照片"), ("王老师", "行管1班", "/通知 第二条"),
                             ("李老师", "会计1班", "/通知 会计通知")):
        notice, private = await chat.say(who, where, text)
        assert "【通知 #" in notice.text and private.to_name == who
    assert await chat.say("张三", "行管1班", "收到") == []
    assert await chat.say("赵六", "会计1班", "收到") == []
    [declined] = await chat.say("王五", "行管1班", "学校有宿舍吗？")
    assert "转告导学教师" in declined.text
    forwarded, nudge, summary = await chat.run_until(local(2026, 9, 7, 13))
    assert forwarded.to_name == "王老师" and "宿舍" in forwarded.text
    assert "提醒：通知 #1" in nudge.text and "【通知 #1 已截止】" in summary.text
    assert await chat.say("李四", "行管1班", "收到 #1") == []


async def test_figures_on_a_scripted_week(pg_chat):
    chat = pg_chat
    chat.add_room("2025春会计学1班", [{"name": "李老师", "id": "wxid_li"}, {"name": "赵六", "id": "wxid_zl"},
                                   {"name": "钱七", "id": "wxid_qq"}])
    await chat.app.room_changed(chat.room("会计1班").info())  # as the gateway reports a room it joins
    await scripted_week(chat)
    with chat.db.tx() as s:
        s.add(Student(student_no="2024110009", name="孙八", class_name="行管1班", point="城区"))
    f = chat.services.digests.figures(local(2026, 9, 7), local(2026, 9, 14), [c.name for c in chat.config.groups.classes])
    xg, kj = f.classes["行管1班"], f.classes["会计1班"]
    assert (xg.notices, xg.members, xg.acks, xg.late) == (2, 3, 3, 1)
    assert xg.rate == 3 / 6 and kj.rate == 1 / 2
    assert xg.behind == [("wxid_ww", 2)]
    assert xg.questions == 1 and xg.not_in_group == 1
    assert f.classes["法学1班"].rate is None
    points = {p.name: p for p in f.points()}
    assert points["城区"].rate == 3 / 6 and points["清苑"].rate == 1 / 2
    assert f.rate == 4 / 8


async def test_daily_digest_fires_at_its_virtual_time(config, sqlite_db):
    chat = await school(config, sqlite_db)
    await scripted_week(chat)
    [d] = await chat.run_until(local(2026, 9, 7, 21))
    assert d.time == local(2026, 9, 7, 20) and d.room_topic == "城区分校教学点负责人群"
    assert "【今日数据通报】9月7日（全部教学点）" in d.text
    assert "通知 3 条，确认率 50%" in d.text and "逾期确认 1 人次" in d.text
    assert "行管1班：50%，通知 2；两条以上未确认 1 人：王五" in d.text and "未答问题 1 个" in d.text
    assert await chat.run_until(local(2026, 9, 8, 21)) == []  # nothing happened on Tuesday: no daily digest


async def test_weekly_digest_with_chart_and_change(config, sqlite_db, tmp_path):
    chat = await school(config, sqlite_db)
    await scripted_week(chat)
    [daily] = await chat.run_until(local(2026, 9, 14, 8))
    assert "今日数据通报" in daily.text
    notice, _private = await chat.say("王老师", "行管1班", "/通知 第二周")
    assert "【通知 #4】" in notice.text
    for name in ("张三", "李四", "王五"):
        assert await chat.say(name, "行管1班", "收到 #4") == []  # the new notice only
    sent = await chat.run_until(local(2026, 9, 21, 9))
    weekly = [s for s in sent if "本周数据通报" in s.text]
    dailies = [s for s in sent if "今日数据通报" in s.text]
    charts = [s for s in sent if s.message.file_path and s.message.file_path.endswith(".png")]
    assert len(weekly) + len(dailies) + len(charts) == len(sent) and len(dailies) == 1  # 14 Sep had a notice
    assert [s.time for s in weekly] == [local(2026, 9, 14, 8, 30), local(2026, 9, 21, 8, 30)]
    assert "9月7日—9月13日" in weekly[0].text and "行管1班：50%，通知 2" in weekly[0].text
    assert "9月14日—9月20日" in weekly[1].text and "行管1班：100%（↑50%）" in weekly[1].text
    assert len(charts) == 2 and charts[0].room_topic == "城区分校教学点负责人群"


async def test_monthly_digest_is_ranked_with_workbook(config, sqlite_db):
    chat = await school(config, sqlite_db)
    await scripted_week(chat)
    sent = await chat.run_until(local(2026, 10, 1, 10))
    [daily, weekly, chart, monthly, chart2, xlsx] = sent
    assert "今日数据通报" in daily.text and "本周数据通报" in weekly.text and chart.message.file_path.endswith(".png")
    assert chart2.message.file_path.endswith(".png") and "月度数据通报" in monthly.text
    assert "9月1日—9月30日" in monthly.text and "班级排名" in monthly.text
    assert "—— 教学点排名 ——\n1. 城区：确认率 50%" in monthly.text
    assert "1. 行管1班：50%" in monthly.text and "2. 会计1班：50%" in monthly.text and "3. 法学1班：—" in monthly.text
    assert xlsx.message.file_path.endswith(".xlsx")
    wb = load_workbook(xlsx.message.file_path)
    assert wb.sheetnames == ["教学点", "班级", "落后学生"]
    ws = wb["班级"]
    assert ws.freeze_panes == "A2" and ws["E1"].value == "确认率"
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == "行管1班")
    assert row[4].value == 0.5 and row[4].number_format == "0.0%"
    assert [c.value for c in wb["落后学生"][2]] == ["行管1班", "王五", 2]


async def test_missed_digest_is_caught_up_once_or_skipped(config, sqlite_db):
    chat = await school(config, sqlite_db)
    await scripted_week(chat)
    chat.gateway.connected = False
    chat.app.jobs = [j for j in chat.app.jobs if j.name != "digests"]  # the bot is down at 20:00
    assert await chat.run_until(local(2026, 9, 7, 23)) == []
    chat.gateway.connected = True
    [late] = await chat.restart()  # 3 h late: within the catch-up window
    assert "今日数据通报" in late.text
    assert await chat.restart() == []


async def test_on_demand_for_coordinators_and_advisors(config, sqlite_db):
    chat = await school(config, sqlite_db)
    await scripted_week(chat)
    digest, chart = await chat.say("刘主任", "教学点负责人群", "/汇总 今天")
    assert digest.room_topic == "城区分校教学点负责人群" and "今日数据通报" in digest.text
    assert chart.room_topic == digest.room_topic and chart.message.file_path.endswith(".png")
    told, private, chart = await chat.say("王老师", "行管1班", "/汇总")
    assert told.text == "@王老师 汇总已私聊发给您。" and told.room_topic
    assert private.to_name == chart.to_name == "王老师"
    assert "行管1班、行管2班" in private.text and "会计1班" not in private.text
    [r] = await chat.say("张三", "行管1班", "/汇总")
    assert "只有" in r.text


def test_chart_uses_a_real_cjk_font(tmp_path):
    from matplotlib import font_manager

    from bot.digests.chart import cjk_font, rate_chart

    family = cjk_font()
    assert "CJK" in family
    found = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    # The bundled file, or the same family from the system's fonts-noto-cjk when it is installed (CI installs it
    # for the browser tests' screenshots): either way a real CJK font, not matplotlib's DejaVu fallback.
    assert "NotoSansCJK" in Path(str(found)).name, found
    out = rate_chart("确认率", ["行管1班", "会计1班"], [0.5, None], tmp_path / "c.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 5000


async def test_digest_command_line(config, sqlite_db, tmp_path, cli, capsys):
    chat = await school(config, sqlite_db)
    await scripted_week(chat)
    out = tmp_path / "report.xlsx"
    assert cli(chat, "digest", "--period", "week", "--group", "城区", "--out", str(out)) == 0
    text = capsys.readouterr().out
    assert "本周数据通报" in text and "（城区）" in text and "会计1班" not in text
    assert load_workbook(out).sheetnames == ["教学点", "班级", "落后学生"]
    assert cli(chat, "digest", "--group", "火星") == 2
    assert "unknown group or teaching point: 火星" in capsys.readouterr().err


def figures(chat):
    return chat.services.digests.figures(START - timedelta(days=1), START + timedelta(days=1),
                                         [c.name for c in chat.config.groups.classes])


async def test_questions_counted_in_digest_are_the_unanswered(pg_chat):
    [declined] = await pg_chat.say("张三", "行管1班", "学校有宿舍吗？")
    [answered] = await pg_chat.say("李四", "行管1班", "忘记密码怎么办？")
    assert "转告" in declined.text and "——《学生手册》" in answered.text
    with pg_chat.db.tx() as s:
        assert len(s.exec(select(Question)).all()) == 1
    f = figures(pg_chat)
    assert f.classes["行管1班"].questions == 1 and f.questions_top["行管1班"] == ["学校有宿舍吗？"]


async def test_a_private_question_is_counted_but_never_quoted(pg_chat):
    from bot.models import Student

    with pg_chat.db.tx() as s:
        s.add(Student(student_no="2024110001", name="张三", class_name="行管1班", point="城区", contact_id="wxid_zs"))
    [a] = await pg_chat.say("张三", None, "我怀孕了，学校有宿舍吗？")
    [b] = await pg_chat.say("李四", "行管1班", "学校食堂几点开门？")
    assert "转告" in a.text and "转告" in b.text
    f = figures(pg_chat)
    assert f.classes["行管1班"].questions == 2 and f.questions_top["行管1班"] == ["学校食堂几点开门？"]


async def test_figures_count_who_saw_each_notice_as_统计_does(pg_chat):
    """A newcomer is not expected to acknowledge earlier notices; someone who left no longer counts."""
    chat = pg_chat
    assert len(await chat.say("王老师", "行管1班", "/通知 第一条")) == 2
    await chat.join("行管1班", {"name": "新同学", "id": "wxid_new"})
    assert len(await chat.say("王老师", "行管1班", "/通知 第二条")) == 2
    for name in ("张三", "新同学"):
        assert await chat.say(name, "行管1班", "收到") == []
    await chat.leave("行管1班", "王五")
    f = figures(chat)
    xg = f.classes["行管1班"]
    # 第一条: 张三 李四 (王五 left) -> 1 of 2; 第二条: 张三 李四 新同学 -> 2 of 3.
    assert (xg.expected, xg.acks) == (5, 3) and xg.rate == 3 / 5
    assert xg.behind == [("wxid_ls", 2)]
    [first] = await chat.say("王老师", "行管1班", "/统计 #1")
    [second] = await chat.say("王老师", "行管1班", "/统计 #2")
    assert "已确认 1/2" in first.text and "已确认 2/3" in second.text


async def test_a_reminder_counts_as_sent_when_wechat_took_it(config, sqlite_db, tmp_path):
    """Queued is not sent: while the account is offline, the digest says 待发; once WeChat takes it, 按时."""
    cal = tmp_path / "cal.yaml"
    cal.write_text("events:\n  - {type: 其他, title: 交照片, time: '2026-09-07 12:00', targets: {classes: [行管1班]},"
                   " remind: [2h]}\n", encoding="utf-8")
    cfg = config.model_copy(update={"files": config.files.model_copy(update={"calendar": str(cal)})})
    chat = new_chat(cfg, START, db=sqlite_db)
    chat.add_room("2024秋行政管理1班", CLASS1)
    await chat.start()
    chat.gateway.connected = False
    assert await chat.run_until(local(2026, 9, 7, 10, 5)) == []
    f = figures(chat)
    assert f.reminders("queued") == 1 and f.reminders("sent") == 0
    chat.gateway.connected = True
    [reminder] = await chat.settle()
    assert "交照片" in reminder.text
    f = figures(chat)
    assert f.reminders("sent") == 1 and f.reminders("queued") == 0
