"""Newcomers in class groups (one merged welcome, bound at once when their 群昵称 matches the roster, the advisors'
daily list of unmatched members) and people whose contact id changed after a re-login."""

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.models import Ack, AuditLog, Student
from tests.conftest import CLASS1, START


@pytest.fixture
def welcoming(config):
    return config.model_copy(update={"welcome": config.welcome.model_copy(update={"enabled": True})})


async def school(config, sqlite_db, new_chat_):
    chat = new_chat_(config, START, db=sqlite_db)
    chat.add_room("2024秋行政管理1班", CLASS1)
    with chat.db.tx() as s:
        s.add(Student(student_no="2024110001", name="张三", class_name="行管1班", point="城区"))
        s.add(Student(student_no="2024110005", name="钱六", class_name="行管1班", point="城区"))
    await chat.start()
    return chat


async def test_joins_within_minutes_get_one_welcome_with_the_convention_and_whats_next(welcoming, sqlite_db,
                                                                                       make_chat, tmp_path):
    cal = tmp_path / "cal.yaml"
    cal.write_text('events:\n  - {type: 作业, title: 形考作业1, deadline: "2026-09-20 18:00"}\n'
                   '  - {type: 直播, title: 开学典礼, start: "2026-09-08 19:30"}\n', encoding="utf-8")
    config = welcoming.model_copy(update={"files": welcoming.files.model_copy(update={"calendar": str(cal)})})
    chat = await school(config, sqlite_db, make_chat)
    await chat.join("行管1班", {"name": "钱六", "id": "wxid_q6", "alias": "钱六-2024110005"})
    assert await chat.advance("1m") == []  # waiting for others who join at the same time
    await chat.join("行管1班", {"name": "孙七", "id": "wxid_s7"})
    [welcome] = await chat.advance("5m")
    assert welcome.room_topic == "2024秋行政管理1班" and welcome.mention_names == ("钱六", "孙七")
    assert "群昵称改为 姓名-学号（例如 张三-2024110001）" in welcome.text and "/绑定 学号 姓名" in welcome.text
    assert "直播 开学典礼" in welcome.text and "作业 形考作业1" in welcome.text
    assert welcome.text.index("开学典礼") < welcome.text.index("形考作业1")  # soonest first
    with chat.db.tx() as s:
        assert s.get(Student, "2024110005").contact_id == "wxid_q6"  # bound at once by 群昵称
    assert await chat.advance("1h") == []  # once


async def test_the_first_sight_of_a_group_welcomes_nobody(welcoming, sqlite_db, make_chat):
    chat = make_chat(welcoming, START, db=sqlite_db)
    chat.add_room("2024秋行政管理1班", CLASS1)
    await chat.start()  # everyone is "new" to the bot, not to the group
    assert await chat.advance("10m") == []


async def test_the_advisor_gets_the_unmatched_members_each_morning(welcoming, sqlite_db, make_chat):
    from datetime import time

    config = welcoming.model_copy(update={"welcome": welcoming.welcome.model_copy(
        update={"enabled": False, "unmatched_report": time(8, 30)})})
    chat = await school(config, sqlite_db, make_chat)
    [listed] = await chat.run_until(START.replace(hour=8, minute=31))
    assert listed.to_name == "王老师" and "行管1班：" in listed.text
    assert "李四-2024110002" in listed.text and "王五" in listed.text and "张三" not in listed.text.split("：", 2)[-1]
    assert await chat.advance("3h") == []
    [again] = await chat.run_until(START + timedelta(days=1, minutes=31))
    assert again.to_name == "王老师"


async def test_a_re_login_with_new_ids_keeps_acknowledgements_and_tells_the_advisor(config, sqlite_db, make_chat):
    chat = await school(config, sqlite_db, make_chat)
    notice, private = await chat.say("王老师", "行管1班", "/通知 截止 周五18:00 交照片")
    assert "【通知 #1】" in notice.text and private.to_name == "王老师"
    assert await chat.say("张三", "行管1班", "收到") == []
    # The puppet logs in again: every student's id changes; names and 群昵称 stay.
    room = chat.room("行管1班")
    old = dict(room.members)
    room.members = {}
    for cid, m in old.items():
        new_id = cid if cid == "wxid_wang" else f"{cid}_v2"
        room.members[new_id] = type(m)(new_id, m.name, m.alias)
    await chat.app.room_changed(room.info())
    told = await chat.settle()
    assert {t.to_name for t in told} == {"王老师"} and len(told) == 3
    assert all("换了新的微信标识" in t.text for t in told)
    with chat.db.tx() as s:
        assert s.exec(select(Ack.contact_id)).all() == ["wxid_zs_v2"]
        assert s.get(Student, "2024110001").contact_id == "wxid_zs_v2"
        assert len(s.exec(select(AuditLog).where(AuditLog.action == "relink")).all()) == 3
    [stats] = await chat.say("王老师", "行管1班", "/统计")
    assert "1/3" in stats.text  # the same three students, one acknowledged — not 0/3 of strangers


async def test_an_ambiguous_match_is_left_alone(config, sqlite_db, make_chat):
    chat = await school(config, sqlite_db, make_chat)
    room = chat.room("行管1班")
    zs = room.members.pop("wxid_zs")
    room.members["wxid_a"] = type(zs)("wxid_a", zs.name, zs.alias)
    room.members["wxid_b"] = type(zs)("wxid_b", zs.name, zs.alias)  # two people with his name and 群昵称
    await chat.app.room_changed(room.info())
    assert await chat.settle() == []
    with chat.db.tx() as s:
        assert s.get(Student, "2024110001").contact_id in (None, "wxid_zs")


async def test_staff_are_never_re_linked(config, sqlite_db, make_chat):
    chat = await school(config, sqlite_db, make_chat)
    room = chat.room("行管1班")
    wang = room.members.pop("wxid_wang")
    room.members["wxid_wang_v2"] = type(wang)("wxid_wang_v2", wang.name, wang.alias)
    await chat.app.room_changed(room.info())
    assert await chat.settle() == []
    staff = chat.services.people.staff_ids()
    assert "wxid_wang_v2" not in staff and "wxid_wang" in staff  # re-binds with a code; nothing moved for him
