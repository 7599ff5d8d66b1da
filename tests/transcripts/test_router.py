"""Commands: parsing, roles by contact id, help per role, hints, dedupe, bad input."""

from datetime import timedelta

from bot.gateways.base import Incoming, Member
from bot.kernel.text import clean


async def test_help_lists_only_what_the_asker_may_use(chat):
    [student] = await chat.say("张三", "行管1班", "/帮助")
    [teacher] = await chat.say("王老师", "行管1班", "/help")
    assert "/绑定" in student.text and "/通知" not in student.text
    assert "/通知" in teacher.text and "/未确认" in teacher.text


async def test_full_width_slash_hash_and_spaces_are_accepted(chat):
    for text in ("／帮助", "#帮助", "/  帮助", "　/帮助　", "/HELP"):
        [reply] = await chat.say("张三", "行管1班", text)
        assert "可用命令" in reply.text, text


async def test_command_without_space_before_its_argument(chat):
    [notice, _private] = await chat.say("王老师", "行管1班", "/通知周五前完成形考作业2")
    assert "【通知 #1】" in notice.text and "周五前完成形考作业2" in notice.text


async def test_unknown_command_gets_a_hint(chat):
    [reply] = await chat.say("王老师", "行管1班", "/通之 明天上课")
    assert "没有“/通之”这个命令" in reply.text and "/通知" in reply.text and "/帮助" in reply.text


async def test_teacher_command_from_student_is_refused_politely_and_logged(chat):
    [reply] = await chat.say("张三", "行管1班", "/通知 明天停课")
    assert "抱歉" in reply.text and "只有" in reply.text
    from sqlmodel import select

    from bot.models import AuditLog

    with chat.db.tx() as s:
        rows = s.exec(select(AuditLog)).all()
    assert [(r.actor_id, r.result) for r in rows] == [("wxid_zs", "denied: role")]


async def test_alias_impostor_gets_no_teacher_rights(chat):
    chat.rename("张三", alias="王老师")
    [reply] = await chat.say("张三", "行管1班", "/通知 明天停课")
    assert "只有" in reply.text
    [reply] = await chat.say("张三", "行管1班", "/未确认")
    assert "只有" in reply.text


async def test_teacher_of_another_class_cannot_publish_here(chat):
    room = chat.room("行管1班")
    chat.add_member(room, {"name": "李老师", "id": "wxid_li"})  # config: teaches 会计1班 and 法学1班
    [reply] = await chat.say("李老师", "行管1班", "/通知 明天停课")
    assert "不负责这个班级" in reply.text


async def test_duplicate_message_id_is_processed_once(chat):
    assert len(await chat.say("王老师", "行管1班", "/通知 周五前完成形考作业2")) == 2
    assert await chat.say("张三", "行管1班", "/帮助", message_id="dup-1") != []
    assert await chat.say("张三", "行管1班", "/帮助", message_id="dup-1") == []


async def test_redelivery_with_a_new_id_is_processed_once(chat):
    room = chat.room("行管1班")
    sender = room.members["wxid_zs"]
    t = chat.clock.now()
    first = Incoming("a-1", t, sender, "/帮助", room.info())
    again = Incoming("b-7", t + timedelta(milliseconds=300), sender, "/帮助", room.info())
    assert len(await chat.deliver(first)) == 1
    assert await chat.deliver(again) == []


async def test_bot_ignores_its_own_messages(chat):
    room = chat.room("行管1班")
    me = Member(chat.gateway.self_id, "班助")
    assert await chat.deliver(Incoming("self-1", chat.clock.now(), me, "/帮助", room.info())) == []


async def test_empty_whitespace_and_emoji_only_messages_are_ignored(chat):
    for text in ("", "   ", "\n\t", "😂😂", "🌹"):
        assert await chat.say("张三", "行管1班", text) == [], repr(text)


async def test_oversized_message_is_handled_without_error(chat):
    big = "老师" * 50_000  # 100 KB
    assert await chat.say("张三", "行管1班", big) == []
    [reply] = await chat.say("张三", "行管1班", "/帮助 " + big)
    assert "可用命令" in reply.text


async def test_room_that_matches_no_group_is_ignored(chat):
    chat.add_room("某某兴趣群", [{"name": "路人", "id": "wxid_x"}])
    assert await chat.say("路人", "某某兴趣群", "/帮助") == []


async def test_renamed_room_keeps_working(chat):
    [first] = await chat.say("张三", "行管1班", "/帮助")
    assert "可用命令" in first.text
    chat.room("行管1班").topic = "行管1班（已改名）"
    assert await chat.advance("1m") == []  # the same text from the same person in the same second is a redelivery
    [reply] = await chat.say("张三", "行管1班（已改名）", "/帮助")
    assert "可用命令" in reply.text


async def test_private_hello_gets_an_introduction(chat):
    [reply] = await chat.private("张三", "你好")
    assert reply.to_name == "张三" and "/帮助" in reply.text


def test_clean_folds_full_width():
    assert clean("　／通知　　明天 ") == "/通知 明天"


async def test_admin_is_told_about_missing_and_ambiguous_groups(config, sqlite_db):
    from tests.conftest import CLASS1, START, new_chat

    staff = [s.model_copy(update={"id": "wxid_chen"}) if s.role == "admin" else s for s in config.staff]
    chat = new_chat(config.model_copy(update={"staff": staff}), START, db=sqlite_db)
    chat.add_room("2024秋行政管理1班", CLASS1)
    chat.add_room("2024秋行政管理1班", [{"name": "路人", "id": "wxid_x"}], room_id="copy@chatroom")
    chat.add_room("某个私人群", [{"name": "陈校长", "id": "wxid_chen"}])
    await chat.start()
    [report] = await chat.settle()
    assert report.to_name == "陈校长"
    assert "没有找到这些群" in report.text and "行管2班（2024秋行政管理2班）" in report.text
    assert "行管1班" in report.text.split("不止一个微信群")[1]
    assert "行管1班（" not in report.text.split("不止一个")[0]
    assert await chat.restart() == []  # a reconnect the same day does not repeat it


async def test_a_failing_feature_does_not_break_the_others(chat, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("handbook index is broken")

    monkeypatch.setattr(chat.services.handbook, "respond", broken)
    assert await chat.say("张三", "行管1班", "忘记密码怎么办？") == []  # logged, no crash
    [reply] = await chat.private("张三", "忘记密码怎么办？")
    assert "出了点问题" in reply.text
    [notice, private] = await chat.say("王老师", "行管1班", "/通知 周五交表")
    assert private.to_name == "王老师"
    assert "【通知 #1】" in notice.text


async def test_a_redelivery_after_a_restart_is_dropped_by_the_journal(chat):
    """Memory is empty after a restart: the journal's unique id and fingerprint still drop the redelivery."""
    room = chat.room("行管1班")
    sender = room.members["wxid_zs"]
    t = chat.clock.now()
    [first] = await chat.deliver(Incoming("a-1", t, sender, "/帮助", room.info()))
    assert "可用命令" in first.text
    assert await chat.restart() == []
    assert await chat.deliver(Incoming("a-1", t, sender, "/帮助", room.info())) == []
    assert await chat.deliver(Incoming("z-9", t, sender, "/帮助", room.info())) == []


async def test_a_message_journaled_before_a_crash_is_processed_after_the_restart(chat):
    """A crash between receipt and processing loses nothing: the journal holds the message."""
    room = chat.room("行管1班")
    msg = Incoming("j-1", chat.clock.now(), room.members["wxid_wang"], "/通知 周五交表", room.info())
    assert chat.services.inbox.record([msg]) == [True]  # journaled; the process dies before processing it
    notice, private = await chat.restart()
    assert "【通知 #1】" in notice.text and private.to_name == "王老师"
    assert await chat.restart() == []  # processed once
