"""督学 on the virtual clock: automatic chasing before each linked deadline (offsets, quiet hours, once per student,
item and offset across restarts), the monthly 数据通报 (ranked, ↑/↓, chart, workbook, skipped without data), the
网上学习之星 praise, /汇总 进度, and 腾讯会议 attendance lists."""

from datetime import datetime, timedelta

from openpyxl import load_workbook
from sqlmodel import select

from bot.audit import CLI
from bot.models import Delivery
from bot.simulation import Chat
from tests.conftest import CLASS1, new_chat
from tests.progress_files import (
    HOMEWORK,
    LIVE,
    NOV,
    ONLINE,
    TZ,
    add_roster,
    csv_file,
    homework,
    with_calendar,
    xlsx,
)

CLASS2 = [{"name": "王老师", "id": "wxid_wang", "role": "teacher"}, {"name": "小张", "id": "wxid_zs2", "alias": "张三-2024120001"},
          {"name": "孙七", "id": "wxid_sq"}]


def local(*a: int) -> datetime:
    return datetime(*a, tzinfo=TZ)


async def school(config, tmp_path, db, *, start: datetime = NOV, events: str | None = None, extra: str = "",
                 online: bool = True, **progress: object) -> Chat:
    cfg = with_calendar(config, tmp_path, extra, **({"events": events} if events is not None else {}))
    if progress:
        cfg = cfg.model_copy(update={"progress": cfg.progress.model_copy(update=progress)})
    chat = new_chat(cfg, start, db=db)
    chat.add_room("2024秋行政管理1班", CLASS1)
    chat.add_room("2024秋行政管理2班", CLASS2)
    chat.add_room("城区分校教学点负责人群", [{"name": "刘主任", "id": "wxid_liu"}])
    add_roster(chat.db)
    await chat.start()
    assert chat.services.progress.import_file(homework(tmp_path), actor=CLI).ok
    if online:
        assert chat.services.progress.import_file(csv_file(tmp_path / "网检.csv", ONLINE), actor=CLI).ok
    return chat


async def test_automatic_chase_before_the_deadline_after_quiet_hours_once(config, tmp_path, sqlite_db):
    chat = await school(config, tmp_path, sqlite_db)
    [hello] = await chat.say("张三", None, "你好")  # reachable privately from now on
    assert hello.text.startswith("你好")
    # 3 days before 8 Nov 23:59 is 5 Nov 23:59, inside quiet hours: 6 Nov 07:30.
    assert await chat.run_until(local(2026, 11, 6, 7, 29)) == []
    reminder, summary1, nudge, summary2 = await chat.run_until(local(2026, 11, 6, 8))
    assert reminder.to_name == "张三" and reminder.time == local(2026, 11, 6, 7, 30)
    assert "· 行政管理学 形考作业2，截止 11月8日（周日）23:59" in reminder.text
    assert summary1.to_name == "王老师" and summary1.text == (
        "【自动督学】行管1班｜行政管理学 形考作业2（截止 11月8日（周日）23:59）：已提醒未完成的 1 人（私聊 1，群里@ 0）；"
        "无法联系 1 人：王五。")
    assert nudge.room_topic == "2024秋行政管理2班" and nudge.mention_names == ("小张",)
    assert "形考" not in nudge.message.text and "张三" not in nudge.message.text
    assert summary2.to_name == "王老师" and "行管2班" in summary2.text
    assert await chat.restart() == []  # sent once, across a crash and restart
    [noted] = await chat.say("张三", None, "交了")
    assert noted.text.startswith("好的，已记下你说已完成")
    # 1 day before: 小张 again (a new offset); 张三 said he has done it, so he is left alone until the next import.
    summary1, nudge, summary2 = await chat.run_until(local(2026, 11, 8, 8))
    assert summary1.text.endswith("已提醒未完成的 0 人（私聊 0，群里@ 0）；无法联系 1 人：王五。")
    assert local(2026, 11, 8, 7, 30) <= nudge.time < local(2026, 11, 8, 7, 31) and nudge.mention_names == ("小张",)
    assert "已提醒未完成的 1 人（私聊 0，群里@ 1）" in summary2.text
    reminders = await chat.run_until(local(2026, 11, 9, 1))  # the calendar's own reminder, 1 h before, per class
    assert [s.room_topic for s in reminders] == ["2024秋行政管理1班", "2024秋行政管理2班"]
    assert all(local(2026, 11, 8, 22, 58) <= s.time <= local(2026, 11, 8, 22, 59) for s in reminders)
    assert all("形考作业2 将于" in s.text for s in reminders)


async def test_a_chase_missed_while_down_is_sent_once_late_and_the_earlier_one_skipped(config, tmp_path, sqlite_db):
    chat = await school(config, tmp_path, sqlite_db, start=local(2026, 11, 8, 9))
    sent = await chat.settle()
    assert [s.to_name or s.room_topic for s in sent] == ["2024秋行政管理1班", "王老师", "2024秋行政管理2班", "王老师"]
    assert [s.mention_names for s in sent if s.room_topic] == [("张三",), ("小张",)]  # the 1-day one only
    with chat.db.tx() as s:
        plan = {d.key.split(":")[-1]: (d.status, d.detail) for d in s.exec(
            select(Delivery).where(Delivery.kind == "chase-plan", Delivery.group_name == "行管1班"))}
    assert plan == {str(3 * 86400): ("skipped", "a later reminder is due"), str(86400): ("late", "")}


async def test_the_monthly_report_is_ranked_against_the_month_before(config, tmp_path, sqlite_db):
    chat = await school(config, tmp_path, sqlite_db, events="events: []\n")
    october = [["学号", "姓名", "形考作业1"], ["2024110001", "张三", "85"], ["2024110002", "李四", "90"],
               ["2024110003", "王五", "未提交"], ["2024110004", "赵六", "未提交"], ["2024120001", "张三", "80"],
               ["2024120002", "孙七", "未提交"]]
    report = chat.services.progress.import_file(xlsx(tmp_path / "十月.xlsx", october, title="行政管理学 截至2026-10-15"),
                                                actor=CLI)
    assert report.ok and report.parts[0].as_of.isoformat() == "2026-10-15"
    assert await chat.run_until(local(2026, 12, 1, 9, 29)) == []
    text, chart, workbook = await chat.run_until(local(2026, 12, 1, 10))
    assert text.room_topic == "城区分校教学点负责人群" and text.time == local(2026, 12, 1, 9, 30)
    assert text.text.splitlines()[:7] == [
        "【月度学习数据通报】11月1日—11月30日（全部教学点）",
        "—— 形考完成率（目标 92%）——",
        "教学点：1. 城区 67%（↑17%）✗",
        "班级：",
        "1. 行管2班 75%（↑25%）✗",
        "2. 行管1班 62%（↑12%）✗",
        "—— 网检（目标：上线 45%，生均在线天数 10） ——"]
    assert "1. 行管2班 上线 100%✓，生均在线 17.5 天✓" in text.text
    assert "—— 网上学习之星 ——\n城区：李四、孙七、张三" in text.text
    assert chart.message.file_path.endswith(".png") and workbook.message.file_path.endswith(".xlsx")
    wb = load_workbook(workbook.message.file_path)
    assert wb.sheetnames == ["教学点", "班级", "形考（课程）", "目标", "网上学习之星"]
    row = next(r for r in wb["班级"].iter_rows(min_row=2, values_only=True) if r[0] == "行管2班")
    assert row[2] == 0.75 and row[3] == 0.5
    assert await chat.run_until(local(2027, 1, 1, 10))  # December's report: the same data, now 持平


async def test_no_progress_data_no_monthly_report(config, tmp_path, sqlite_db):
    chat = new_chat(with_calendar(config, tmp_path, events="events: []\n"), NOV, db=sqlite_db)
    chat.add_room("城区分校教学点负责人群", [{"name": "刘主任", "id": "wxid_liu"}])
    await chat.start()
    assert await chat.run_until(local(2026, 12, 1, 10)) == []
    with chat.db.tx() as s:
        d = s.exec(select(Delivery).where(Delivery.kind == "progress-report")).one()
    assert (d.status, d.detail) == ("skipped", "no progress data")


async def test_stars_are_praised_by_name_in_their_class_groups_when_configured(config, tmp_path, sqlite_db):
    from bot.config import StarConfig

    chat = await school(config, tmp_path, sqlite_db, events="events: []\n", star=StarConfig(praise=True))
    sent = await chat.run_until(local(2026, 12, 1, 10))
    praise = {s.room_topic: s.text for s in sent if s.room_topic != "城区分校教学点负责人群"}
    assert praise == {"2024秋行政管理1班": "🌟 11月网上学习之星：李四、张三！坚持在线学习，值得大家学习，继续加油！",
                      "2024秋行政管理2班": "🌟 11月网上学习之星：孙七！坚持在线学习，值得大家学习，继续加油！"}
    assert len(sent) == 5  # and the report, its chart and workbook


async def test_report_on_demand(config, tmp_path, sqlite_db):
    chat = await school(config, tmp_path, sqlite_db, events="events: []\n")
    text, chart, workbook = await chat.say("刘主任", "教学点负责人群", "/汇总 进度")
    assert text.text.startswith("【本月学习数据（至今）】11月1日—11月2日（全部教学点）")
    assert chart.room_topic == workbook.room_topic == "城区分校教学点负责人群"
    pointer, text, chart, workbook = await chat.say("王老师", "行管1班", "/汇总进度")
    assert text.to_name == chart.to_name == workbook.to_name == "王老师" and text.text.startswith("【本月学习数据（至今）】")
    assert pointer.room_topic == "2024秋行政管理1班" and pointer.text.endswith("学习数据通报已私聊发给您。")
    [empty] = await chat.say("王老师", None, "/汇总 进度 上月")
    assert empty.text == "您负责的班级还没有学习进度数据（形考、网检、直播）。"


def attendance_rows() -> list[list[object]]:
    return [["会议主题：行政管理学 直播课"], ["会议开始时间：2026-11-10 19:30"],
            ["序号", "参会者昵称", "入会时间", "退会时间", "参会时长（分钟）"],
            [1, "周老师", "2026-11-10 19:20:00", "2026-11-10 21:00:00", 100],
            [2, "张三-2024110001", "2026-11-10 19:29:00", "2026-11-10 20:29:00", 60],
            [3, "李四", "2026-11-10 19:30:00", "2026-11-10 19:50:00", 20],
            [4, "王五（0003）", "2026-11-10 19:30:00", "2026-11-10 19:50:00", 20],
            [5, "王五（0003）", "2026-11-10 19:55:00", "2026-11-10 20:20:00", 25],
            [6, "小张", "2026-11-10 19:30:00", "2026-11-10 20:40:00", 70]]


async def test_a_meeting_attendance_list_counts_as_live_participation(config, tmp_path, sqlite_db, cli, capsys):
    chat = await school(config, tmp_path, sqlite_db, extra=LIVE, start=local(2026, 11, 11, 9))
    assert await chat.say("小张", "行管2班", "大家好") == []  # his 群昵称 binds him: his WeChat name then matches too
    path = xlsx(tmp_path / "参会成员.xlsx", attendance_rows())
    assert cli(chat, "progress", "import", str(path), "--event", "live-admin-2026-11-10") == 0
    out = capsys.readouterr().out
    assert ("直播（行政管理学 直播课 11月10日）：名单对应到学生 4 人，其中时长不足 30 分钟 1 人；计入 6 人（行管1班 4、行管2班 2），"
            "参加 3/6") in out
    assert "未对应到学生（老师、访客或没按群昵称入会）：周老师（第4行）" in out
    progress = chat.services.progress.class_progress("行管1班", local(2026, 11, 11))
    assert progress.live == (2, 4)
    [bad] = [cli(chat, "progress", "import", str(path), "--event", "live-nothing")]
    assert bad == 2 and "台历里没有直播“live-nothing”" in capsys.readouterr().err


async def test_an_attendance_list_sent_in_chat_is_matched_to_its_session_by_date_and_title(config, tmp_path,
                                                                                            sqlite_db):
    chat = await school(config, tmp_path, sqlite_db, extra=LIVE, start=local(2026, 11, 11, 9))
    rows = attendance_rows()[2:]  # no meeting details: the file name and the join times tell
    path = xlsx(tmp_path / "行政管理学 直播课.xlsx", rows)
    [check] = await chat.say("王老师", None, "", kind="file", file_path=str(path), file_name=path.name)
    assert "直播（行政管理学 直播课 11月10日）" in check.text and "回复“导入”" in check.text
    [done] = await chat.say("王老师", None, "导入")
    assert "导入完成" in done.text
    text, _chart, _workbook = await chat.say("刘主任", "教学点负责人群", "/汇总 进度")
    assert "—— 直播（11月，目标参与率 90%）——" in text.text  # two sessions so far this month, one list imported
    assert "1. 行管1班 安排 2 场（已导入 1 场），人均参与 0.5 场，参与率 50%✗" in text.text
    assert "2. 行管2班 安排 2 场（已导入 1 场），人均参与 0 场，参与率 0%✗" in text.text  # 小张 was not matched


async def test_homework_imports_link_each_assignment_to_its_calendar_deadline(config, tmp_path, sqlite_db):
    chat = await school(config, tmp_path, sqlite_db, online=False)
    p = chat.services.progress.class_progress("行管1班", NOV)
    assert [(i.label, i.deadline) for i in p.items] == [
        ("行政管理学 形考作业1", local(2026, 10, 11, 23, 59)), ("行政管理学 形考作业2", local(2026, 11, 8, 23, 59))]
    rows = [["学号", "姓名", "形考作业3"], *[[r[0], r[1], "未提交"] for r in HOMEWORK[1:]]]
    report = chat.services.progress.import_file(homework(tmp_path, rows, "作业3.xlsx"), actor=CLI)
    assert report.ok
    later = chat.services.progress.class_progress("行管1班", NOV)
    zhang = next(s for s in later.students if s.student.name == "张三")
    assert [b.label for b in zhang.behind] == ["行政管理学 形考作业2"]  # 形考作业3 is due on 29 November:
    assert [b.label for b in zhang.later] == ["行政管理学 形考作业3"]  # unfinished, not behind yet
    assert timedelta(days=28) > later.items[-1].deadline - NOV > timedelta(days=27)


async def test_two_sessions_on_one_day_the_file_name_tells_which(config, tmp_path, sqlite_db):
    policy = ('  - {id: live-policy, type: 直播, title: 公共政策概论 直播课, start: "2026-11-10 14:00", '
              'targets: {majors: [行政管理]}, remind: [开始时]}\n')
    chat = await school(config, tmp_path, sqlite_db, extra=LIVE + policy, start=local(2026, 11, 11, 9))
    rows = attendance_rows()[2:]
    plain = xlsx(tmp_path / "参会成员.xlsx", rows)
    [unsure] = await chat.say("王老师", None, "", kind="file", file_path=str(plain), file_name=plain.name)
    assert unsure.text.startswith("11月10日有几场直播（行政管理学 直播课、公共政策概论 直播课），看不出是哪一场。")
    named = xlsx(tmp_path / "公共政策概论 参会成员.xlsx", rows)
    [check] = await chat.say("王老师", None, "", kind="file", file_path=str(named), file_name=named.name)
    assert "直播（公共政策概论 直播课 11月10日）" in check.text
