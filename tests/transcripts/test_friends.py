"""Friend requests and private messages that cannot arrive (a personal account writes only to its friends)."""

from datetime import timedelta

from sqlmodel import select

from bot.gateways.base import FriendRequest, Member
from bot.models import Friendship, OutboxItem, StaffBinding, Student
from tests.conftest import START


def add_admin(chat, name="陈校长", cid="wxid_chen"):
    with chat.db.tx() as s:
        s.add(StaffBinding(contact_id=cid, name=name, role="admin", source="test", created_at=START))
    chat.services.people.invalidate()
    chat.people.setdefault(name, Member(cid, name))
    chat.gateway.contacts[cid] = name


def add_student(chat, no="2024110009", name="赵敏", class_name="行管1班"):
    with chat.db.tx() as s:
        s.add(Student(student_no=no, name=name, class_name=class_name, point="城区"))
    chat.services.roster.invalidate_caches()


async def test_a_class_member_is_accepted_and_welcomed_once(chat):
    [welcome] = await chat.friend_request("张三", "我是行管1班的张三")
    assert len(chat.gateway.accepted) == 1
    assert welcome.to_name == "张三" and "/帮助" in welcome.text and "学生手册" in welcome.text
    with chat.db.tx() as s:
        row = s.exec(select(Friendship)).one()
    assert row.status == "accepted" and row.reason == "行管1班成员" and row.decided_by == "auto"
    # The same request again (a reconnect replays events): nothing new.
    await chat.app.friend_request(FriendRequest(row.request_id, Member(row.contact_id, row.name), row.hello))
    assert await chat.settle() == []
    with chat.db.tx() as s:
        assert len(s.exec(select(Friendship)).all()) == 1


async def test_a_stranger_waits_for_an_admin_who_sees_a_daily_list_and_accepts(chat):
    add_admin(chat)
    assert await chat.friend_request("路人甲", "你好") == []  # nothing accepted, nothing said
    assert chat.gateway.accepted == []
    [listed] = await chat.run_until(START.replace(hour=9, minute=1))  # the 09:00 list
    assert listed.to_name == "陈校长" and "1. 路人甲" in listed.text and "“你好”" in listed.text
    assert await chat.advance("1h") == []  # once a day
    [pending] = await chat.private("陈校长", "/好友申请")
    assert "路人甲" in pending.text
    replies = await chat.private("陈校长", "/好友申请 接受 1")
    assert [r.to_name for r in replies] == ["陈校长", "路人甲"]
    assert "已通过 1 个好友申请" in replies[0].text and "/帮助" in replies[1].text
    assert len(chat.gateway.accepted) == 1
    assert (await chat.private("陈校长", "/好友申请")).text == "没有等待处理的好友申请。"


async def test_a_student_writing_their_number_and_name_is_accepted_and_bound(chat):
    add_student(chat)
    [welcome] = await chat.friend_request("小赵", "老师好 我是赵敏 学号2024110009")
    assert welcome.to_name == "小赵"
    with chat.db.tx() as s:
        assert s.get(Student, "2024110009").contact_id == chat.people["小赵"].contact_id
        assert s.exec(select(Friendship)).one().reason == "学号姓名与花名册一致（行管1班）"


async def test_a_wrong_name_with_a_number_is_not_enough(chat):
    add_student(chat)
    assert await chat.friend_request("冒充者", "学号2024110009 张三") == []
    assert chat.gateway.accepted == []


async def test_a_grant_code_in_the_request_binds_staff_and_accepts(chat, cli, capsys):
    assert cli(chat, "grant", "teacher", "--name", "刘老师", "--classes", "行管2班") == 0
    code = capsys.readouterr().out.split("授权码：")[1].split()[0]
    [welcome] = await chat.friend_request("刘老师", f"授权码 {code}")
    assert welcome.to_name == "刘老师" and "您好" in welcome.text  # the staff welcome
    assert chat.services.people.person(chat.people["刘老师"].contact_id, "").is_staff


async def test_acceptances_are_paced_within_the_hourly_allowance(chat):
    names = [f"学生{i}" for i in range(3)]
    room = chat.room("行管1班")
    for n in names:
        chat.add_member(room, {"name": n})
    await chat.app.room_changed(room.info())
    for n in names:
        await chat.app.friend_request(_request(chat, n))
    welcomes = await chat.advance("30m")
    assert sorted(w.to_name for w in welcomes) == sorted(names)
    times = sorted(w.time for w in welcomes)
    spacing = timedelta(hours=1) / chat.config.friends.accept_per_hour
    assert times[1] - times[0] >= spacing - timedelta(seconds=10) and times[2] - times[1] >= spacing - timedelta(seconds=10)


def _request(chat, name):
    member = chat.people[name]
    request = FriendRequest(f"fr-{name}", member, "")
    chat.gateway.requests[request.request_id] = request
    chat.gateway.not_friends.add(member.contact_id)
    return request


# -- private messages that cannot arrive ------------------------------------------------------------------------------
async def test_a_staff_members_private_digest_goes_to_the_admins_and_the_asker_is_told(chat):
    add_admin(chat)
    chat.not_friends("王老师")
    replies = await chat.say("王老师", "行管1班", "/汇总 本周")
    by = {(r.to_name, r.room_topic) for r in replies}
    assert (None, "2024秋行政管理1班") in by  # “已私聊发给您” in the group, then the note that it could not be
    told = [r for r in replies if r.room_topic and "刚才的私聊消息没能发给" in r.text]
    assert told and "请先加班助为好友" in told[0].text
    relayed = [r for r in replies if r.to_name == "陈校长"]
    assert relayed and "王老师" in relayed[0].text and "先加班助为好友" in relayed[0].text
    with chat.db.tx() as s:
        failed = s.exec(select(OutboxItem).where(OutboxItem.contact_id == "wxid_wang")).all()
    assert failed and all(i.status == "failed" and i.last_error.startswith("unreachable:") for i in failed)
    assert chat.services.outbox.undelivered_count(START) >= 1 and chat.services.accounts.unreachable() == 1


async def test_once_refused_a_contact_is_not_tried_again_until_they_are_a_friend(chat):
    add_admin(chat)
    chat.not_friends("王老师")
    first = await chat.say("王老师", "行管1班", "/汇总 本周")
    assert any("无法私聊" in r.text for r in first)
    chat.gateway.not_friends.discard("wxid_wang")  # they add the bot … but WeChat has not said so yet
    replies = await chat.say("王老师", "行管1班", "/汇总 本周")  # straight to the fallback: nothing tried
    assert not any(r.to_name == "王老师" for r in replies) and any("无法私聊" in r.text for r in replies)
    await chat.app.friend_added(Member("wxid_wang", "王老师"))  # WeChat confirms the friendship
    replies = await chat.settle()
    assert [r.to_name for r in replies] == ["王老师"]  # the welcome
    replies = await chat.say("王老师", "行管1班", "/汇总 本周")
    assert any(r.to_name == "王老师" for r in replies)
