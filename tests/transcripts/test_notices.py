"""Notices end to end through the scripted chat: publish, acknowledge, status, nudges, fan-out, export."""

from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bot.models import Ack, Delivery, Notice
from tests.conftest import CLASS1, START, new_chat
from tests.unit.test_acks import ACKS, NOT_ACKS


async def publish(chat, text="/通知 周五前完成形考作业2"):
    """A teacher's notice: exactly the notice in the group and the private note to the teacher."""
    sent = await chat.say("王老师", "行管1班", text)
    notice, private = sent
    assert "【通知 #" in notice.text and notice.room_topic and private.to_name == "王老师"
    return int(notice.text.split("#", 1)[1].split("】", 1)[0]), sent


def nudges_in(sent):
    """The automatic nudges among what the bot sent."""
    return [s for s in sent if s.text.startswith("@") and "提醒：通知 #" in s.text]


async def stat(chat, n=None) -> str:
    [reply] = await chat.say("王老师", "行管1班", f"/统计 #{n}" if n else "/统计")
    await chat.advance("1s")
    return reply.text


async def test_publish_posts_numbered_notice_and_tells_the_teacher(chat):
    n, sent = await publish(chat)
    notice, private = sent
    assert notice.room_topic == "2024秋行政管理1班" and f"【通知 #{n}】" in notice.text
    assert "周五前完成形考作业2" in notice.text and "9月11日（周五）23:59 前回复“收到”" in notice.text
    assert private.to_name == "王老师" and "需确认 3 人" in private.text


async def test_multiline_notice_keeps_its_lines(chat):
    _, sent = await publish(chat, "/通知 本周安排：\n1. 周三直播\n2. 周五交作业")
    assert "本周安排：\n1. 周三直播\n2. 周五交作业" in sent[0].text


async def test_explicit_deadline_and_no_ack_options(chat):
    _, sent = await publish(chat, "/通知 截止 明天18:00 上传电子照片")
    assert "9月8日（周二）18:00 前回复" in sent[0].text and "上传电子照片" in sent[0].text
    assert "截止" not in sent[0].text.split("\n")[1]
    notice, private = await chat.say("王老师", "行管1班", "/通知 无需确认 本周六教学点不开放")
    assert "回复“收到”" not in notice.text and "无需确认" in private.text


async def test_empty_notice_gets_usage(chat):
    [reply] = await chat.say("王老师", "行管1班", "/通知")
    assert "例如" in reply.text


@pytest.mark.parametrize("text", ["/通知 截止 2月30日 交表", "/通知 2月30日前交表", "/通知 截止 明天25:99 交表"])
async def test_impossible_deadline_is_reported_and_nothing_published(chat, text):
    [reply] = await chat.say("王老师", "行管1班", text)  # only the teacher hears about it
    assert "请检查" in reply.text and "通知没有发出" in reply.text and "【通知" not in reply.text
    n, _ = await publish(chat, "/通知 第一条")  # nothing was numbered
    assert n == 1


async def test_coordinator_impossible_deadline_asks_nothing(config, sqlite_db):
    chat = await coordinator_chat(config, sqlite_db)
    [reply] = await chat.say("刘主任", "教学点负责人群", "/通知 全部班级 截止 11月31日 交表")
    assert reply.text.endswith("11月没有31日，请检查日期。通知没有发出，请改正后重新发送。")
    assert await chat.say("刘主任", "教学点负责人群", "确认") == []
    with chat.db.tx() as s:
        assert s.exec(select(Notice)).all() == []


async def test_an_over_long_notice_is_refused_with_the_limit_and_nothing_is_posted(chat):
    """A 20,000-character notice used to be cut silently and posted in four parts, the first only a header."""
    [reply] = await chat.say("王老师", "行管1班", "/通知 " + "请按时完成形考作业。" * 2000)
    assert "通知太长了（20000字）" in reply.text and "最多" in reply.text and reply.message.mentions == ("wxid_wang",)
    limit = chat.services.notices.max_body()
    n, (notice, _) = await publish(chat, "/通知 " + "甲" * limit)  # the longest allowed fits one message
    assert n == 1 and len(notice.text) <= chat.config.outbox.max_chars and "（1/" not in notice.text


@pytest.mark.parametrize("text", ACKS)
async def test_every_ack_form_is_credited(chat, text):
    await publish(chat)
    text = text.replace("#12", "#1").replace("＃12", "＃1")
    assert await chat.say("张三", "行管1班", text) == []
    assert "已确认 1/3" in await stat(chat)


@pytest.mark.parametrize("text", [t for t in NOT_ACKS if t.strip() and t != "😂"])
async def test_non_acks_are_not_credited(chat, text):
    await publish(chat)
    replies = await chat.say("张三", "行管1班", text)
    assert len(replies) <= 1  # a question gets at most an answer or the hand-off to the advisor
    assert all(r.message.mentions == ("wxid_zs",) for r in replies)
    assert "已确认 0/3" in await stat(chat)


async def test_staff_and_bot_messages_do_not_count(chat):
    await publish(chat)
    await chat.say("王老师", "行管1班", "收到")
    assert "已确认 0/3" in await stat(chat)


async def test_bare_ack_credits_every_open_notice_not_yet_acknowledged(chat):
    await publish(chat, "/通知 第一条")
    await publish(chat, "/通知 第二条")
    await chat.say("张三", "行管1班", "收到")
    assert "已确认 1/3" in await stat(chat, 1) and "已确认 1/3" in await stat(chat, 2)


async def test_numbered_ack_credits_that_notice_only(chat):
    await publish(chat, "/通知 第一条")
    await publish(chat, "/通知 第二条")
    await chat.say("张三", "行管1班", "收到 #1")
    assert "已确认 1/3" in await stat(chat, 1) and "已确认 0/3" in await stat(chat, 2)


async def test_quote_credits_the_quoted_notice_only(chat):
    await publish(chat, "/通知 第一条")
    await publish(chat, "/通知 第二条")
    await chat.say("李四", "行管1班", "好", quote="【通知 #1】\n第一条")
    await chat.say("王五", "行管1班", "", quote="【通知 #2】\n第二条")
    assert "已确认 1/3" in await stat(chat, 1) and "已确认 1/3" in await stat(chat, 2)
    [handoff] = await chat.say("张三", "行管1班", "这个在哪里交？", quote="【通知 #1】\n第一条")
    assert "转告导学教师" in handoff.text and "已确认 1/3" in await stat(chat, 1)


async def test_solitaire_credits_sender_and_listed_names(chat):
    await publish(chat)
    text = "#接龙\n周五前完成形考作业2\n\n1. 张三 收到\n2. 李四 收到\n3. 不认识的人"
    assert await chat.say("张三", "行管1班", text, kind="solitaire") == []
    with chat.db.tx() as s:
        acks = s.exec(select(Ack).order_by(Ack.id)).all()
    assert [(a.contact_id, a.via) for a in acks] == [("wxid_zs", "solitaire"), ("wxid_ls", "solitaire")]


async def test_each_ack_is_recorded_once_with_time_and_message(chat):
    await publish(chat)
    said_at = chat.clock.now()
    await chat.say("张三", "行管1班", "收到", message_id="m-first")
    await chat.advance("1m")
    await chat.say("张三", "行管1班", "收到了")
    with chat.db.tx() as s:
        [ack] = s.exec(select(Ack)).all()
    assert ack.message_id == "m-first" and ack.text == "收到" and ack.at == said_at and not ack.late


async def test_ack_after_deadline_is_late(chat):
    await publish(chat, "/通知 截止 今天18:00 交表")
    nudge, summary = await chat.run_until(START.replace(hour=19))
    assert "提醒：通知 #1" in nudge.text and "【通知 #1 已截止】" in summary.text
    assert await chat.say("张三", "行管1班", "收到") == []
    assert "其中逾期 1 人" in await stat(chat)


async def test_unacked_lists_names_and_not_in_group(chat):
    from bot.models import Student

    with chat.db.tx() as s:
        s.add(Student(student_no="2024110001", name="张三", class_name="行管1班", point="城区"))
        s.add(Student(student_no="2024110009", name="赵六", class_name="行管1班", point="城区"))
    await publish(chat)
    await chat.say("张三", "行管1班", "收到")
    [reply] = await chat.say("王老师", "行管1班", "/未确认")
    assert "未确认 2/3 人" in reply.text and "李四" in reply.text and "王五" in reply.text
    assert "张三" not in reply.text.split("未进群")[0]
    assert "未进群 1 人：赵六" in reply.text
    assert "2024110" not in reply.text  # no 学号 in group messages


async def test_nudge_command_mentions_everyone_missing_split_by_limit(config, sqlite_db):
    chat = new_chat(config, START, db=sqlite_db)
    members = CLASS1 + [{"name": f"学生{i}", "id": f"wxid_x{i}"} for i in range(40)]
    chat.add_room("2024秋行政管理1班", members)
    await publish(chat)
    await chat.say("张三", "行管1班", "收到")
    sent = await chat.say("王老师", "行管1班", "/催")
    mentioned = [m for s in sent for m in s.message.mentions]
    assert len(mentioned) == 42 and "wxid_zs" not in mentioned and "wxid_wang" not in mentioned
    assert all(len(s.message.mentions) <= config.outbox.max_mentions for s in sent)


async def test_expected_are_those_who_saw_the_notice_and_are_still_there(chat):
    """WeChat shows a newcomer nothing from before they joined; someone who left cannot answer."""
    await publish(chat)
    await chat.join("行管1班", {"name": "新同学", "id": "wxid_new"})
    assert "已确认 0/3" in await stat(chat)
    [nudge] = await chat.say("王老师", "行管1班", "/催")
    assert "wxid_new" not in nudge.message.mentions and len(nudge.message.mentions) == 3
    await chat.leave("行管1班", "王五")
    assert "已确认 0/2" in await stat(chat)
    await publish(chat, "/通知 下周一交照片")  # a new notice: the newcomer is expected
    assert "已确认 0/3" in await stat(chat, 2)


async def test_automatic_nudges_respect_limits_and_quiet_hours(chat):
    await publish(chat)  # deadline Fri 23:59; 24h before is Thu 23:59 (quiet) -> Fri 07:30; 2h before Fri 21:59
    *nudges, summary = await chat.run_until(START + timedelta(days=5))
    local = [s.time.astimezone(START.tzinfo).strftime("%m-%d %H:%M") for s in nudges]
    assert local == ["09-11 07:30", "09-11 21:59"] and nudges == nudges_in(nudges)
    assert summary.to_name == "王老师" and "已截止" in summary.text and "已确认 0/3" in summary.text
    assert "李四" in summary.text


async def test_nobody_missing_means_no_nudge(chat):
    await publish(chat)
    for name in ("张三", "李四", "王五"):
        await chat.say(name, "行管1班", "收到")
    [summary] = await chat.run_until(START + timedelta(days=5))  # only the closing summary, no nudge
    assert summary.to_name == "王老师" and "已确认 3/3" in summary.text


async def test_restart_mid_notice_loses_nothing_and_never_nudges_twice(chat):
    await publish(chat)
    await chat.say("张三", "行管1班", "收到")
    [first] = await chat.run_until(START.replace(day=11, hour=8))  # the 07:30 nudge went out
    assert nudges_in([first]) == [first]
    assert await chat.restart() == []
    assert await chat.say("李四", "行管1班", "收到") == []
    nudge, summary = await chat.run_until(START + timedelta(days=6))
    assert nudges_in([nudge]) == [nudge] and nudge.message.mentions == ("wxid_ww",)
    assert "已截止" in summary.text
    assert "已确认 2/3" in await stat(chat)
    with chat.db.tx() as s:
        keys = [d.key for d in s.exec(select(Delivery).where(Delivery.kind != "digest").order_by(Delivery.key))]
    assert keys == ["nudge:1:0", "nudge:1:1", "summary:1"]


async def test_nudges_missed_while_down_are_sent_once_late(chat):
    await publish(chat)
    chat.gateway.connected = False  # the bot was offline through the first nudge
    await chat.run_until(START.replace(day=11, hour=21, minute=0))
    chat.gateway.connected = True
    [nudge] = await chat.restart()
    assert nudges_in([nudge]) == [nudge]


async def test_export_sends_excel_privately(chat):
    await publish(chat)
    await chat.say("张三", "行管1班", "收到")
    note, file_msg, told = await chat.say("王老师", "行管1班", "/导出")
    assert note.to_name == "王老师" and "确认情况见附件" in note.text and "私聊发给您" in told.text
    assert file_msg.to_name == "王老师" and file_msg.room_topic is None and file_msg.message.file_path
    wb = load_workbook(file_msg.message.file_path)
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][:5] == ("班级", "姓名", "学号", "状态", "确认时间")
    by_name = {r[1]: r for r in rows[1:]}
    assert by_name["张三"][3] == "已确认" and by_name["张三"][6] == "回复" and by_name["李四"][3] == "未确认"


async def test_export_from_command_line(chat, tmp_path, cli):
    await publish(chat)
    out = tmp_path / "x.xlsx"
    assert cli(chat, "export", "notice", "1", "--out", str(out)) == 0
    assert load_workbook(out).active.max_row == 4


async def coordinator_chat(config, db):
    chat = new_chat(config, START, db=db)
    chat.add_room("2024秋行政管理1班", CLASS1)
    chat.add_room("2024秋行政管理2班", [{"name": "王老师", "id": "wxid_wang"}, {"name": "甲", "id": "wxid_a"},
                                     {"name": "乙", "id": "wxid_b"}])
    chat.add_room("2025春会计学1班", [{"name": "李老师", "id": "wxid_li"}, {"name": "丙", "id": "wxid_c"}])
    chat.add_room("城区分校教学点负责人群", [{"name": "刘主任", "id": "wxid_liu"}, {"name": "王老师", "id": "wxid_wang"}])
    await chat.start()
    for topic in ("2024秋行政管理1班", "2024秋行政管理2班", "2025春会计学1班"):  # the bot learns the rooms
        await chat.app.room_changed(chat.room(topic).info())
    return chat


async def test_coordinator_fan_out_with_confirmation(config, sqlite_db):
    chat = await coordinator_chat(config, sqlite_db)
    [ask] = await chat.say("刘主任", "教学点负责人群", "/通知 教学点:城区 周五前完成学籍核对")
    assert "2 个班级群" in ask.text and "确认" in ask.text
    *notices, done = await chat.say("刘主任", "教学点负责人群", "确认")
    assert sorted(s.room_topic for s in notices) == ["2024秋行政管理1班", "2024秋行政管理2班"]
    assert all("【通知 #" in s.text for s in notices) and "已发送通知 #1 到 2 个班级群" in done.text
    await chat.say("张三", "行管1班", "收到")
    await chat.say("甲", "行管2班", "收到")
    await chat.say("乙", "行管2班", "收到")
    [reply] = await chat.say("刘主任", "教学点负责人群", "/统计 #1")
    assert "已确认 3/5" in reply.text and "行管1班：1/3" in reply.text and "行管2班：2/2" in reply.text
    sent = await chat.run_until(START + timedelta(days=6))
    digests = [s for s in sent if "数据通报" in s.text]  # the coordinator group's daily digests
    [summary] = [s for s in sent if "已截止" in s.text]
    nudges = nudges_in(sent)
    assert len(digests) + len(nudges) + 1 == len(sent) and len(digests) == 1  # quiet days send none
    assert [s.room_topic for s in nudges] == ["2024秋行政管理1班"] * 2
    assert summary.to_name == "刘主任"


async def test_fan_out_by_class_list_and_cancel(config, sqlite_db):
    chat = await coordinator_chat(config, sqlite_db)
    [ask] = await chat.say("刘主任", "教学点负责人群", "/通知 班级:行管1班,会计1班 明天停课")
    assert "2 个班级群" in ask.text
    [cancel] = await chat.say("刘主任", "教学点负责人群", "取消")
    assert "已取消" in cancel.text
    assert await chat.say("刘主任", "教学点负责人群", "确认") == []


async def test_a_teacher_in_the_coordinator_group_fans_out_only_to_their_own_classes(config, sqlite_db):
    """The rule: a fan-out reaches the sender's classes within the group's points. A teacher's classes are their
    own (行管1班, 行管2班), so 会计1班 is never among them."""
    chat = await coordinator_chat(config, sqlite_db)
    [ask] = await chat.say("王老师", "教学点负责人群", "/通知 全部班级 测试")
    assert "将把通知发到 2 个班级群（行管1班、行管2班）" in ask.text and "会计1班" not in ask.text
    [reply] = await chat.say("王老师", "教学点负责人群", "/通知 班级:会计1班 测试")
    assert "没有找到您负责范围内" in reply.text


async def test_500_members_all_acknowledging_within_a_minute(config, sqlite_db):
    import asyncio

    chat = new_chat(config, START, db=sqlite_db)
    students = [{"name": f"学生{i:03d}", "id": f"wxid_{i:03d}"} for i in range(500)]
    chat.add_room("2024秋行政管理1班", [CLASS1[0], *students])
    await publish(chat)
    msgs = [_incoming(chat, st["name"], "收到", chat.clock.now() + timedelta(milliseconds=100 * i), i)
            for i, st in enumerate(students)]
    await asyncio.gather(*(chat.app.receive(m) for m in msgs))  # a burst, arriving together
    assert await chat.settle() == []
    assert "已确认 500/500（100%）" in await stat(chat)


def _incoming(chat, name, text, when, i):
    from bot.gateways.base import Incoming

    room = chat.room("行管1班")
    member = room.members[chat.people[name].contact_id]
    return Incoming(f"bulk-{i}", when, member, text, room.info())


async def test_per_notice_nudge_times_and_no_nudges(chat):
    _, (notice, private) = await publish(chat, "/通知 催 1天,3小时 截止 9月10日18:00 提交照片")
    assert "9月9日（周三）18:00、9月10日（周四）15:00 自动提醒" in private.text
    assert "提交照片" in notice.text and "催" not in notice.text.split("\n")[1]
    _, (_, private) = await publish(chat, "/通知 不催 截止 9月10日18:00 交表")
    assert "不会自动提醒" in private.text
    *nudges, summary1, summary2 = await chat.run_until(START + timedelta(days=4))
    assert [(s.time.astimezone(START.tzinfo).strftime("%m-%d %H:%M"), "#1" in s.text) for s in nudges] == [
        ("09-09 18:00", True), ("09-10 15:00", True)] and nudges_in(nudges) == nudges
    assert "【通知 #1 已截止】" in summary1.text and "【通知 #2 已截止】" in summary2.text


async def test_a_confirmation_survives_a_restart_and_counts_once(config, sqlite_db):
    chat = await coordinator_chat(config, sqlite_db)
    [ask] = await chat.say("刘主任", "教学点负责人群", "/通知 教学点:城区 周五前完成学籍核对")
    assert "确认" in ask.text
    assert await chat.restart() == []
    *notices, done = await chat.say("刘主任", "教学点负责人群", "确认")
    assert sorted(s.room_topic for s in notices) == ["2024秋行政管理1班", "2024秋行政管理2班"]
    assert "已发送通知" in done.text
    assert await chat.say("刘主任", "教学点负责人群", "确认") == []  # nothing pending any more


async def test_a_late_confirmation_is_refused(config, sqlite_db):
    chat = await coordinator_chat(config, sqlite_db)
    [ask] = await chat.say("刘主任", "教学点负责人群", "/通知 全部班级 明天停课")
    assert "回复“确认”发送" in ask.text and await chat.advance("11m") == []
    [late] = await chat.say("刘主任", "教学点负责人群", "确认")
    assert "已超时" in late.text
    assert await chat.advance("1m") == []


async def test_only_the_asker_can_confirm(config, sqlite_db):
    chat = await coordinator_chat(config, sqlite_db)
    [ask] = await chat.say("刘主任", "教学点负责人群", "/通知 全部班级 明天停课")
    assert "回复“确认”发送" in ask.text
    assert await chat.say("王老师", "教学点负责人群", "确认") == []  # not his to confirm: nothing happens
    *notices, done = await chat.say("刘主任", "教学点负责人群", "好")
    assert len(notices) == 3 and all("【通知 #" in s.text for s in notices) and "已发送通知" in done.text


async def test_a_bare_收到_answers_only_the_notices_one_was_shown(chat):
    await publish(chat)
    await chat.join("行管1班", {"name": "新同学", "id": "wxid_new"})
    await publish(chat, "/通知 下周一交照片")
    assert await chat.say("新同学", "行管1班", "收到") == []
    assert "已确认 0/3" in await stat(chat, 1) and "已确认 1/4" in await stat(chat, 2)


async def test_someone_missing_from_a_stale_member_list_still_counts(chat):
    """The member list did not show 赵六 when the notice went out; his 收到 proves he saw it."""
    await publish(chat)
    await chat.join("行管1班", {"name": "赵六", "id": "wxid_zl"})
    assert await chat.say("赵六", "行管1班", "收到") == []
    assert "已确认 1/4" in await stat(chat)
