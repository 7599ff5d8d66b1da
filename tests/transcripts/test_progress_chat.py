"""督学 in chat: /进度 (counts in the group, names privately), /督学 (privately where the bot can reach the student,
else one neutral @-message), students' replies, /跟进 and /台账, coordinators, /帮助 — and the privacy rule."""

import re
from datetime import timedelta

from sqlmodel import select

from bot.audit import CLI
from bot.models import AuditLog, ProgressContact
from bot.simulation import Chat, Replies
from bot.texts import progress as texts
from tests.conftest import CLASS1, new_chat
from tests.progress_files import HOMEWORK, NOV, ONLINE, add_roster, csv_file, homework, with_calendar

CLASS2 = [{"name": "王老师", "id": "wxid_wang", "role": "teacher"}, {"name": "小张", "id": "wxid_zs2", "alias": "张三-2024120001"},
          {"name": "孙七", "id": "wxid_sq"}]
NAMES = ("张三", "李四", "王五", "赵六", "孙七")


async def school(config, tmp_path, db) -> Chat:
    """Two classes with data imported: in 行管1班 张三 has not done 形考作业2; 王五 has done neither assignment and
    never logged in (at risk); 李四 and 赵六 are on track."""
    chat = new_chat(with_calendar(config, tmp_path), NOV, db=db)
    chat.add_room("2024秋行政管理1班", CLASS1)
    chat.add_room("2024秋行政管理2班", CLASS2)
    chat.add_room("城区分校教学点负责人群", [{"name": "刘主任", "id": "wxid_liu"}, {"name": "王老师", "id": "wxid_wang"}])
    add_roster(chat.db)
    await chat.start()
    progress = chat.services.progress
    for path in (homework(tmp_path), csv_file(tmp_path / "网检.csv", ONLINE)):
        assert progress.import_file(path, actor=CLI).ok
    return chat


def group_texts(replies: Replies) -> list[str]:
    return [s.text for s in replies if s.room_topic]


def assert_private_enough(replies: Replies) -> None:
    """No figure and no name of a student in any group message: only counts, rates and neutral @-mentions."""
    for s in replies:
        if not s.room_topic:
            continue
        body = s.message.text
        assert not any(name in body for name in NAMES), body
        assert not re.search(r"\d{6,}", body), body  # no 学号, no phone number
        assert "要求" not in body and "已提醒" not in body, body  # no one's own figure


async def test_progress_in_the_class_group_says_counts_and_tells_the_advisor_who(config, tmp_path, sqlite_db):
    chat = await school(config, tmp_path, sqlite_db)
    sent = await chat.say("王老师", "行管1班", "/进度")
    assert_private_enough(sent)
    group, private = sent
    assert group.room_topic == "2024秋行政管理1班" and not group.message.mentions
    assert group.text == ("【学习进度】行管1班（数据截至 11月1日）\n"
                          "行政管理学 形考作业1：已完成 3/4（截止 10月11日（周日）23:59）\n"
                          "行政管理学 形考作业2：已完成 2/4（截止 11月8日（周日）23:59）\n"
                          "网检：已上线 3/4，生均在线 10.2 天\n"
                          "名单和每位同学的情况已私聊发给老师。")
    assert private.to_name == "王老师"
    assert private.text == ("【行管1班 学习进度明细】数据截至 11月1日\n"
                            "正常 2 人，落后 1 人，需重点关注 1 人。\n"
                            "需重点关注：\n"
                            "· 王五：行政管理学 形考作业1（截止 10月11日）、行政管理学 形考作业2（截止 11月8日）、未登录学习网\n"
                            "落后：\n"
                            "· 张三：行政管理学 形考作业2（截止 11月8日）\n"
                            "逐个提醒：/督学 全部　记录电话联系：/跟进 姓名 情况")


async def test_progress_of_one_assignment_and_of_one_student(config, tmp_path, sqlite_db):
    chat = await school(config, tmp_path, sqlite_db)
    group, private = await chat.say("王老师", "行管1班", "/进度 看一下形考作业2的情况")
    assert group.text.splitlines()[1:] == ["行政管理学 形考作业2：已完成 2/4（截止 11月8日（周日）23:59）",
                                          "名单和每位同学的情况已私聊发给老师。"]
    assert "· 张三：行政管理学 形考作业2" in private.text and "（形考作业2）" in private.text
    detail, pointer = await chat.say("王老师", "行管1班", "/进度 王五")
    assert pointer.room_topic and pointer.text.endswith(texts.DETAIL_SENT) and "王五" not in pointer.text
    assert detail.to_name == "王老师" and detail.text.startswith("【王五 学习进度】行管1班 · 学号 2024110003\n状态：需重点关注")
    assert "手机：13800000003" in detail.text and "网检：在线天数 0" in detail.text
    [unknown] = await chat.say("王老师", "行管1班", "/进度 高等数学")
    assert "没有“高等数学”" in unknown.text


async def test_an_ambiguous_name_gets_a_choice(config, tmp_path, sqlite_db):
    chat = await school(config, tmp_path, sqlite_db)
    [choice] = await chat.say("王老师", None, "/进度 张三")
    assert choice.text == ("有 2 位“张三”，请用学号指定：\n/进度 2024110001　（行管1班）\n/进度 2024120001　（行管2班）")
    [one] = await chat.say("王老师", None, "/进度 2024120001")
    assert one.text.startswith("【张三 学习进度】行管2班 · 学号 2024120001")


async def test_students_see_only_their_own_progress_and_only_privately(config, tmp_path, sqlite_db):
    chat = await school(config, tmp_path, sqlite_db)
    [pointer] = await chat.say("张三", "行管1班", "/进度")
    assert pointer.text.endswith(texts.STUDENT_IN_GROUP)
    [unbound] = await chat.say("王五", None, "/进度")
    assert unbound.text == texts.STUDENT_UNBOUND
    [own] = await chat.say("张三", None, "/进度")  # bound by 群昵称 when he spoke in the group
    assert own.text.startswith("【张三 学习进度】行管1班\n状态：落后（1 项）") and "学号" not in own.text
    assert "· 行政管理学 形考作业2 未完成，截止 11月8日（周日）23:59" in own.text and "王五" not in own.text


async def test_chase_privately_where_possible_else_one_neutral_group_message(config, tmp_path, sqlite_db):
    chat = await school(config, tmp_path, sqlite_db)
    assert (await chat.say("李四", None, "你好"))  # 李四 has talked to the bot: reachable (and not behind)
    sent = await chat.say("王老师", "行管1班", "/督学 形考作业2")
    assert_private_enough(sent)
    summary, done, nudge = sent
    assert done.text.endswith(texts.CHASE_IN_GROUP)
    assert nudge.room_topic == "2024秋行政管理1班" and nudge.mention_names == ("张三",)
    assert nudge.message.text == texts.CHASE_GROUP  # neutral: no item, no figure
    assert summary.to_name == "王老师" and summary.text.startswith(
        "督学（形考作业2，行管1班）：已提醒 1 人，其中私聊 0 人，在班级群@ 1 人。")
    assert "无法联系 1 人（未进群或微信未对应到学号）：王五" in summary.text
    # 张三 writes to the bot privately: from now on he is reminded privately, with what and by when.
    [own] = await chat.say("张三", None, "/进度")
    assert own.text.startswith("【张三 学习进度】")
    again, done = await chat.say("王老师", "行管1班", "/督学 形考作业2")  # the same day: not twice
    assert again.to_name == "王老师" and "今天已提醒过、这次跳过 1 人：张三" in again.text
    assert done.text.endswith(texts.CHASE_IN_GROUP)
    await chat.run_until(NOV + timedelta(days=1, hours=1))
    summary, done, reminder = await chat.say("王老师", "行管1班", "/督学 形考作业2")
    assert "私聊 1 人" in summary.text and done.room_topic
    assert reminder.to_name == "张三" and reminder.text == (
        "【学习提醒】张三同学，你好！以下学习任务还需要完成：\n"
        "· 行政管理学 形考作业2，截止 11月8日（周日）23:59\n"
        "完成后回复“交了”；如果有困难，可以直接问我或联系导学教师。")


async def test_chase_everything_from_private_chat_for_several_classes_asks_first(config, tmp_path, sqlite_db):
    chat = await school(config, tmp_path, sqlite_db)
    [ask] = await chat.say("王老师", None, "/督学 全部")
    assert ask.text.startswith("将提醒 2 个班共 3 位同学（全部）") and "回复“确认”" in ask.text
    sent = await chat.say("王老师", None, "确认")
    assert_private_enough(sent)
    by_room = {s.room_topic: s for s in sent if s.room_topic}
    assert by_room["2024秋行政管理1班"].mention_names == ("张三",)
    assert by_room["2024秋行政管理2班"].mention_names == ("小张",)
    [summary] = [s for s in sent if not s.room_topic]
    assert "已提醒 2 人" in summary.text and "王五" in summary.text


async def test_replies_to_a_private_reminder(config, tmp_path, sqlite_db, indexes):
    chat = await school(config, tmp_path, sqlite_db)
    [hello] = await chat.say("张三", None, "你好")
    assert hello.text.startswith("你好，我是班助")
    summary, reminder = [s for s in await chat.say("王老师", None, "/督学 行管1班 形考作业2") if s.to_name != "王老师"
                         or s.text.startswith("督学")]
    assert reminder.to_name == "张三" and summary.to_name == "王老师"
    [promise] = await chat.say("张三", None, "明天交")
    assert promise.text == "好的，请记得在 11月8日（周日）23:59 前完成：行政管理学 形考作业2。完成后回复“交了”。"
    [answer] = await chat.say("张三", None, "形考作业怎么提交？")  # a question: the handbook answers it
    assert "——《学生手册》" in answer.text
    [noted] = await chat.say("张三", None, "交了")
    assert noted.text == "好的，已记下你说已完成：行政管理学 形考作业2。下次导入平台数据时会核对，谢谢！"
    # The next export still shows it not submitted: the importer is told.
    rows = [list(r) for r in HOMEWORK]
    report = chat.services.progress.import_file(homework(tmp_path, rows, "形考-11-03.xlsx"), actor=CLI,
                                                as_of=NOV.date() + timedelta(days=1))
    assert report.contradicted == [("张三", "行政管理学 形考作业2")]
    assert "说已交、但本次数据仍显示未完成：张三（行政管理学 形考作业2）" in texts.import_report(report)
    with chat.db.tx() as s:
        kinds = [(c.kind, c.method, c.result) for c in s.exec(select(ProgressContact).order_by(ProgressContact.id))]
    assert kinds == [("reminder", "私聊提醒", ""), ("reply", "学生回复", "明天交"), ("reply", "学生回复", "交了")]


async def test_follow_ups_and_the_ledger(config, tmp_path, sqlite_db):
    chat = await school(config, tmp_path, sqlite_db)
    [choice] = await chat.say("王老师", None, "/跟进 张三 电话联系，答应周五前补交")
    assert choice.text == ("有 2 位“张三”，请用学号指定：\n"
                           "/跟进 2024110001 电话联系，答应周五前补交　（行管1班）\n"
                           "/跟进 2024120001 电话联系，答应周五前补交　（行管2班）")
    [done] = await chat.say("王老师", None, "/跟进 2024110001 电话联系，答应周五前补交")
    assert done.text == ("已记入台账：张三（行管1班）\n问题：行政管理学 形考作业2 未完成\n方式：电话\n"
                         "结果：电话联系，答应周五前补交")
    [glued] = await chat.say("王老师", None, "/跟进王五微信留言未回")
    assert glued.text.startswith("已记入台账：王五（行管1班）") and "方式：微信" in glued.text
    [nobody] = await chat.say("王老师", None, "/跟进 钱八 电话")
    assert nobody.text == "您负责的班级里没有“钱八”，请核对姓名，或用学号。"
    [place] = await chat.say("王老师", "行管1班", "/跟进 王五 电话")
    assert "请在私聊里使用" in place.text
    [history] = await chat.say("王老师", None, "/台账 2024110001")
    lines = history.text.splitlines()
    assert lines[0] == "【张三 台账】行管1班 · 学号 2024110001 · 手机 13800000001"
    assert lines[1].endswith("导入 形考：完成 1/2，未完成 行政管理学 形考作业2")
    assert lines[-1].endswith("王老师 电话：电话联系，答应周五前补交")
    intro, *files = await chat.say("王老师", None, "/台账")
    assert intro.text.startswith("目前没有需要电话联系的同学。") and "台账 Excel（1 个班）" in intro.text
    caption, xlsx = files
    assert caption.text == "行管1班台账（2 条记录）" and xlsx.message.file_path.endswith(".xlsx")
    from openpyxl import load_workbook

    ws = load_workbook(xlsx.message.file_path).active
    assert [c.value for c in ws[1]] == ["学号", "姓名", "问题", "联系时间", "方式", "结果"]
    assert [c.value for c in ws[2]][:3] == ["2024110001", "张三", "行政管理学 形考作业2 未完成"]
    with chat.db.tx() as s:
        audit = [(a.action, a.detail) for a in s.exec(select(AuditLog).where(AuditLog.action.in_(("/跟进", "/台账"))))]
    assert audit[0][0] == "/跟进" and audit[0][1].endswith("2024110001") and "电话" not in audit[0][1]


async def test_still_behind_after_two_reminders_the_advisor_gets_the_phone_list(config, tmp_path, sqlite_db):
    chat = await school(config, tmp_path, sqlite_db)
    for day in range(2):
        await chat.run_until(NOV + timedelta(days=day, hours=1))
        sent = await chat.say("王老师", "行管1班", "/督学 形考作业2")
        assert len(sent) == 3  # the summary, the reply in the group, the @-message
    report = chat.services.progress.import_file(homework(tmp_path, name="形考-11-04.xlsx"), actor=CLI,
                                                as_of=NOV.date() + timedelta(days=2))
    assert report.phone == 1 and "“需要电话联系”" in texts.import_report(report)
    [phone] = await chat.settle()
    assert phone.to_name == "王老师" and phone.text == (
        "【需要电话联系】行管1班：以下同学已提醒多次，平台数据仍显示未完成：\n"
        "· 张三 13800000001：行政管理学 形考作业2（已提醒 2 次）\n"
        "联系后发 /跟进 姓名 电话联系，结果…… 记入台账。")
    again = chat.services.progress.import_file(homework(tmp_path, name="形考-11-05.xlsx"), actor=CLI,
                                               as_of=NOV.date() + timedelta(days=3))
    assert again.phone == 0 and await chat.settle() == []  # once per student and item
    listed, caption, xlsx = await chat.say("王老师", None, "/台账")
    assert "· 张三 13800000001：行政管理学 形考作业2（已提醒 2 次）" in listed.text
    assert caption.text == "行管1班台账（2 条记录）" and xlsx.message.file_path


async def test_coordinators_see_counts_per_class(config, tmp_path, sqlite_db):
    chat = await school(config, tmp_path, sqlite_db)
    sent = await chat.say("刘主任", "教学点负责人群", "/进度")
    assert_private_enough(sent)
    [counts] = sent
    assert counts.text.splitlines()[1:] == [
        "城区（2个班，6人）：形考 67%，上线 5/6，落后 2、重点关注 1",
        "· 行管1班（4人）：形考 62%，上线 3/4，落后 1、重点关注 1",
        "· 行管2班（2人）：形考 75%，上线 2/2，落后 1、重点关注 0",
        "清苑：暂无数据", "· 会计1班：暂无数据", "· 法学1班：暂无数据"]
    [one] = await chat.say("刘主任", "教学点负责人群", "/进度 行管1班")
    assert one.text.startswith("【学习进度】行管1班（数据截至 11月1日）") and "私聊" not in one.text


async def test_help_lists_the_progress_commands_with_examples(config, tmp_path, sqlite_db):
    chat = await school(config, tmp_path, sqlite_db)
    [staff] = await chat.say("王老师", None, "/帮助")
    for usage, example in (("/进度 [课程 | 作业 | 学生姓名]", "/进度 形考作业2"), ("/督学 [形考作业2", "/督学 网检"),
                           ("/跟进 姓名或学号 联系情况", "/跟进 张三 电话联系，答应周五前补交"), ("/台账 [姓名或学号]", "/台账 张三"),
                           ("/汇总 进度 [本月|上月]", "/汇总 进度 上月"), ("/导入 编号", "再回复“导入”")):
        assert usage in staff.text and example in staff.text, usage
    [student] = await chat.say("张三", "行管1班", "/帮助")
    assert "/进度" in student.text and "/督学" not in student.text and "/跟进" not in student.text


async def test_a_warning_list_puts_students_at_risk_and_a_newer_list_replaces_it(config, tmp_path, sqlite_db):
    from tests.progress_files import xlsx

    chat = await school(config, tmp_path, sqlite_db)
    progress = chat.services.progress
    first = xlsx(tmp_path / "预警名单.xlsx", [["学号", "姓名", "预警原因"], ["2024110002", "李四", "连续四周未登录"]],
                 title="学业预警名单（2026-11-01）")
    assert progress.import_file(first, actor=CLI).ok
    _group, private = await chat.say("王老师", "行管1班", "/进度")
    assert "· 李四（预警：连续四周未登录）：—" in private.text and "需重点关注 2 人" in private.text
    later = xlsx(tmp_path / "预警名单2.xlsx", [["学号", "姓名", "预警原因"], ["2024110003", "王五", "形考多次未提交"]],
                 title="学业预警名单（2026-11-02）")
    assert progress.import_file(later, actor=CLI).ok
    _group, private = await chat.say("王老师", "行管1班", "/进度")
    assert "李四" not in private.text and "· 王五（预警：形考多次未提交）" in private.text


async def test_course_selection_lists_are_linked_to_the_selection_deadline(config, tmp_path, sqlite_db):
    chat = new_chat(with_calendar(config, tmp_path, '  - {id: select, type: 选课, title: 2026秋季学期选课, '
                                                    'start: "2026-11-01 08:00", deadline: "2026-11-06 18:00"}\n'),
                    NOV, db=sqlite_db)
    chat.add_room("2024秋行政管理1班", CLASS1)
    add_roster(chat.db)
    await chat.start()
    path = csv_file(tmp_path / "选课.csv", [["2026秋季学期选课情况（截至2026-11-02）"], ["学号", "姓名", "选课状态"],
                                            ["2024110001", "张三", "未选课"], ["2024110002", "李四", "已选课"]])
    report = chat.services.progress.import_file(path, actor=CLI)
    assert "选课（截至 2026-11-02，取自表格标题）：2 人（行管1班 2），已选课 1/2" in texts.import_report(report)
    group, private = await chat.say("王老师", "行管1班", "/进度 选课")
    assert "选课：已选课 1/2（截止 11月6日（周五）18:00）" in group.text
    assert "· 张三：选课（截止 11月6日）" in private.text


async def test_a_chase_asked_for_at_night_reaches_students_when_quiet_hours_end(config, tmp_path, sqlite_db):
    chat = await school(config, tmp_path, sqlite_db)
    await chat.run_until(NOV.replace(hour=23))
    summary, done = await chat.say("王老师", "行管1班", "/督学 形考作业2")
    assert "现在是休息时间，提醒将在 07:30 发出。" in summary.text and done.text.endswith(texts.CHASE_IN_GROUP)
    [nudge] = await chat.run_until(NOV.replace(day=3, hour=8))
    assert nudge.mention_names == ("张三",) and nudge.time.astimezone(NOV.tzinfo).strftime("%H:%M") == "07:30"


async def test_a_private_reminder_wechat_refuses_becomes_the_neutral_group_reminder(config, tmp_path, sqlite_db):
    chat = await school(config, tmp_path, sqlite_db)
    [own] = await chat.say("张三", None, "/进度")  # 张三 wrote privately: reachable
    assert own.text.startswith("【张三 学习进度】")
    chat.not_friends("张三")  # … and then removed the bot from his friends
    summary, done, nudge = await chat.say("王老师", "行管1班", "/督学 形考作业2")
    assert "私聊 1 人" in summary.text and done.text.endswith(texts.CHASE_IN_GROUP)
    assert nudge.room_topic == "2024秋行政管理1班" and nudge.mention_names == ("张三",)
    assert nudge.message.text == texts.CHASE_GROUP  # the same neutral words: no item, no figure
    assert chat.services.accounts.refusal("wxid_zs", "") != ""
