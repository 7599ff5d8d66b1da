"""Digests: the figures (SQL, on generated data), the scheduled sends on the virtual clock, the formats."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from openpyxl import load_workbook
from sqlmodel import select

from bot.digests.figures import compute
from bot.models import Delivery, Question, Student
from bot.simulation import Chat
from tests.conftest import CLASS1, START

TZ = ZoneInfo("Asia/Shanghai")


def local(*a) -> datetime:
    return datetime(*a, tzinfo=TZ)


async def school(config, db) -> Chat:
    chat = Chat(config, START, db=db)
    chat.add_room("2024秋行政管理1班", CLASS1)
    chat.add_room("2025春会计学1班", [{"name": "李老师", "id": "wxid_li"}, {"name": "赵六", "id": "wxid_zl"},
                                   {"name": "钱七", "id": "wxid_qq"}])
    chat.add_room("城区分校教学点负责人群", [{"name": "刘主任", "id": "wxid_liu"}])
    await chat.start()
    return chat


async def scripted_week(chat: Chat) -> None:
    """Monday: two notices in 行管1班 (张三 acks both, 李四 one late), one in 会计1班 (赵六 acks)."""
    await chat.say("王老师", "行管1班", "/通知 截止 今天12:00 交照片")
    await chat.say("王老师", "行管1班", "/通知 第二条")
    await chat.say("张三", "行管1班", "收到")
    await chat.say("李老师", "会计1班", "/通知 会计通知")
    await chat.say("赵六", "会计1班", "收到")
    await chat.say("王五", "行管1班", "学校有宿舍吗？")
    await chat.run_until(local(2026, 9, 7, 13))
    await chat.say("李四", "行管1班", "收到 #1")


async def test_figures_on_a_scripted_week(pg_chat):
    chat = pg_chat
    chat.add_room("2025春会计学1班", [{"name": "李老师", "id": "wxid_li"}, {"name": "赵六", "id": "wxid_zl"},
                                   {"name": "钱七", "id": "wxid_qq"}])
    await chat.app.room_changed(chat.room("会计1班").info())  # as the gateway reports a room it joins
    await scripted_week(chat)
    with chat.app.db.tx() as s:
        s.add(Student(student_no="2024110009", name="孙八", class_name="行管1班", point="城区"))
    f = compute(chat.app, local(2026, 9, 7), local(2026, 9, 14))
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
    sent = await chat.run_until(local(2026, 9, 7, 21))
    [d] = [s for s in sent if "数据通报" in s.text]
    assert d.time == local(2026, 9, 7, 20) and d.room_topic == "城区分校教学点负责人群"
    assert "【今日数据通报】9月7日（全部教学点）" in d.text
    assert "通知 3 条，确认率 50%" in d.text and "逾期确认 1 人次" in d.text
    assert "行管1班：50%，通知 2；两条以上未确认 1 人：王五" in d.text and "未答问题 1 个" in d.text
    quiet = await chat.run_until(local(2026, 9, 8, 21))  # nothing happened on Tuesday: no daily digest
    assert not [s for s in quiet if "数据通报" in s.text]


async def test_weekly_digest_with_chart_and_change(config, sqlite_db, tmp_path):
    chat = await school(config, sqlite_db)
    await scripted_week(chat)
    await chat.run_until(local(2026, 9, 14, 8))
    await chat.say("王老师", "行管1班", "/通知 第二周")
    for name in ("张三", "李四", "王五"):
        await chat.say(name, "行管1班", "收到 #4")  # the new notice only
    sent = await chat.run_until(local(2026, 9, 21, 9))
    weekly = [s for s in sent if "本周数据通报" in s.text]
    assert [s.time for s in weekly] == [local(2026, 9, 14, 8, 30), local(2026, 9, 21, 8, 30)]
    assert "9月7日—9月13日" in weekly[0].text and "行管1班：50%，通知 2" in weekly[0].text
    assert "9月14日—9月20日" in weekly[1].text and "行管1班：100%（↑50%）" in weekly[1].text
    charts = [s for s in sent if s.message.file_path and s.message.file_path.endswith(".png")]
    assert len(charts) == 2 and charts[0].room_topic == "城区分校教学点负责人群"


async def test_monthly_digest_is_ranked_with_workbook(config, sqlite_db):
    chat = await school(config, sqlite_db)
    await scripted_week(chat)
    sent = await chat.run_until(local(2026, 10, 1, 10))
    [monthly] = [s for s in sent if "月度数据通报" in s.text]
    assert "9月1日—9月30日" in monthly.text and "班级排名" in monthly.text
    assert "—— 教学点排名 ——\n1. 城区：确认率 50%" in monthly.text
    assert "1. 行管1班：50%" in monthly.text and "2. 会计1班：50%" in monthly.text and "3. 法学1班：—" in monthly.text
    [xlsx] = [s for s in sent if s.message.file_path and s.message.file_path.endswith(".xlsx")]
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
    await chat.run_until(local(2026, 9, 7, 23))
    chat.gateway.connected = True
    sent = await chat.restart()  # 3 h late: within the catch-up window
    assert len([s for s in sent if "今日数据通报" in s.text]) == 1
    assert [s for s in await chat.restart() if "数据通报" in s.text] == []


async def test_on_demand_for_coordinators_and_advisors(config, sqlite_db):
    chat = await school(config, sqlite_db)
    await scripted_week(chat)
    sent = await chat.say("刘主任", "教学点负责人群", "/汇总 今天")
    assert sent[0].room_topic == "城区分校教学点负责人群" and "今日数据通报" in sent[0].text
    sent = await chat.say("王老师", "行管1班", "/汇总")
    in_room = [s for s in sent if s.room_topic]
    private = [s for s in sent if s.to_name == "王老师"]
    assert [s.text for s in in_room] == ["@王老师 汇总已私聊发给您。"]
    assert "行管1班、行管2班" in private[0].text and "会计1班" not in private[0].text
    [r] = await chat.say("张三", "行管1班", "/汇总")
    assert "只有" in r.text


def test_chart_uses_a_real_cjk_font(tmp_path):
    from matplotlib import font_manager

    from bot.digests.chart import cjk_font, rate_chart

    family = cjk_font()
    assert "CJK" in family
    found = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    assert found.endswith("NotoSansCJKsc-Regular.otf")
    out = rate_chart("确认率", ["行管1班", "会计1班"], [0.5, None], tmp_path / "c.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 5000


async def test_digest_command_line(config, sqlite_db, tmp_path, monkeypatch, capsys):
    from bot import __main__ as cli

    chat = await school(config, sqlite_db)
    await scripted_week(chat)
    monkeypatch.setattr(cli, "_app_offline", lambda config: chat.app)
    out = tmp_path / "report.xlsx"
    import bot.clock

    monkeypatch.setattr(bot.clock.RealClock, "now", lambda self: chat.clock.now())
    assert cli.main(["digest", "--period", "week", "--group", "城区", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "本周数据通报" in text and "（城区）" in text and "会计1班" not in text
    assert load_workbook(out).sheetnames == ["教学点", "班级", "落后学生"]
    assert cli.main(["digest", "--group", "火星"]) == 2


def test_migration_from_schema_1(database):
    """An old database (no delivery.group_name, notice.nudge_offsets, question.in_private, noticemember) is upgraded
    at start."""
    from sqlalchemy import inspect, text

    from bot.db import SCHEMA_VERSION, Database
    from bot.models import Meta, Notice, NoticeMember, Room, RoomMember

    with database.tx() as s:  # an old notice, posted before anyone kept who it was posted to
        s.add(Room(room_id="r1", topic="2024秋行政管理1班", group_name="行管1班", updated_at=START))
        s.add_all(RoomMember(room_id="r1", contact_id=c, alias="", active=c != "gone", joined_at=START)
                  for c in ("a", "b", "gone"))
        s.add(Notice(id=7, group_name="行管1班", room_id="r1", author_id="t", author_name="王老师", text="旧通知",
                     created_at=START))
    with database.engine.begin() as conn:
        conn.execute(text("DROP TABLE noticemember"))
        conn.execute(text("DROP INDEX ix_delivery_group_name"))
        conn.execute(text("ALTER TABLE delivery DROP COLUMN group_name"))
        conn.execute(text("ALTER TABLE notice DROP COLUMN nudge_offsets"))
        conn.execute(text("ALTER TABLE question DROP COLUMN in_private"))
        conn.execute(text("UPDATE meta SET value = '1' WHERE key = 'schema_version'"))
    again = Database(str(database.engine.url.render_as_string(hide_password=False)))
    assert "group_name" in {c["name"] for c in inspect(again.engine).get_columns("delivery")}
    assert "nudge_offsets" in {c["name"] for c in inspect(again.engine).get_columns("notice")}
    assert "in_private" in {c["name"] for c in inspect(again.engine).get_columns("question")}
    with again.tx() as s:
        assert s.get(Meta, "schema_version").value == str(SCHEMA_VERSION) == "5"
        assert sorted(s.exec(select(NoticeMember.contact_id).where(NoticeMember.notice_id == 7))) == ["a", "b"]
        s.add(Delivery(key="k", kind="reminder", group_name="行管1班", due_at=START, claimed_at=START))
    again.close()


async def test_questions_counted_in_digest_are_the_unanswered(pg_chat):
    await pg_chat.say("张三", "行管1班", "学校有宿舍吗？")
    await pg_chat.say("李四", "行管1班", "忘记密码怎么办？")
    with pg_chat.app.db.tx() as s:
        assert len(s.exec(select(Question)).all()) == 1
    f = compute(pg_chat.app, START - timedelta(days=1), START + timedelta(days=1))
    assert f.classes["行管1班"].questions == 1 and f.questions_top["行管1班"] == ["学校有宿舍吗？"]


async def test_a_private_question_is_counted_but_never_quoted(pg_chat):
    from bot.models import Student

    with pg_chat.app.db.tx() as s:
        s.add(Student(student_no="2024110001", name="张三", class_name="行管1班", point="城区", contact_id="wxid_zs"))
    await pg_chat.say("张三", None, "我怀孕了，学校有宿舍吗？")
    await pg_chat.say("李四", "行管1班", "学校食堂几点开门？")
    f = compute(pg_chat.app, START - timedelta(days=1), START + timedelta(days=1))
    assert f.classes["行管1班"].questions == 2 and f.questions_top["行管1班"] == ["学校食堂几点开门？"]


async def test_figures_count_who_saw_each_notice_as_统计_does(pg_chat):
    """A newcomer is not expected to acknowledge earlier notices; someone who left no longer counts."""
    chat = pg_chat
    await chat.say("王老师", "行管1班", "/通知 第一条")
    await chat.join("行管1班", {"name": "新同学", "id": "wxid_new"})
    await chat.say("王老师", "行管1班", "/通知 第二条")
    for name in ("张三", "新同学"):
        await chat.say(name, "行管1班", "收到")
    await chat.leave("行管1班", "王五")
    f = compute(chat.app, START - timedelta(days=1), START + timedelta(days=1))
    xg = f.classes["行管1班"]
    # 第一条: 张三 李四 (王五 left) -> 1 of 2; 第二条: 张三 李四 新同学 -> 2 of 3.
    assert (xg.expected, xg.acks) == (5, 3) and xg.rate == 3 / 5
    assert xg.behind == [("wxid_ls", 2)]
    [first] = await chat.say("王老师", "行管1班", "/统计 #1")
    [second] = await chat.say("王老师", "行管1班", "/统计 #2")
    assert "已确认 1/2" in first.text and "已确认 2/3" in second.text
