"""A city's accounts over one database, on both backends: each process reads only its own account's incoming
messages; a banned account's groups handed to another account (README "一个城市多个账号") take what was queued for
them along."""

from __future__ import annotations

from sqlmodel import select

from bot.clock import VirtualClock
from bot.config import Account, Config
from bot.gateways.base import Incoming, Member, RoomInfo
from bot.inbox import Inbox
from bot.models import Inbound, OutboxItem, Room
from bot.services import build_services
from tests.conftest import START


def with_accounts(config: Config, *accounts: Account) -> Config:
    return config.model_copy(update={"gateway": config.gateway.model_copy(update={"accounts": list(accounts)})})


def test_queued_messages_follow_their_groups_to_the_new_account(config, database):
    a = Account(name="A", token_env="TA", endpoint_env="EA", points=["城区"], groups=["教学点负责人群"])
    b = Account(name="B", token_env="TB", endpoint_env="EB", points=["清苑"])
    clock = VirtualClock(START)
    before = build_services(with_accounts(config, a, b), database, clock, account="B")
    with database.tx() as s:
        s.add(Room(room_id="r1@chatroom", topic="2024秋行政管理1班", group_name="行管1班", account="A", updated_at=START))
        s.add(Room(room_id="r3@chatroom", topic="2025春会计学1班", group_name="会计1班", account="B", updated_at=START))
    before.outbox.enqueue(text="提醒：形考作业3", room_id="r1@chatroom")
    before.outbox.enqueue(text="会计1班的提醒", room_id="r3@chatroom")
    before.outbox.enqueue(text="给王老师的汇总", contact_id="wxid_wang", account="A")
    with database.read() as s:
        assert sorted(i.account for i in s.exec(select(OutboxItem))) == ["A", "A", "B"]
    assert before.outbox.rehome() == 0  # nothing moved while the config stands

    # A is banned: its teaching point and the coordinators' group go to B, and every process restarts.
    b_all = Account(name="B", token_env="TB", endpoint_env="EB", points=["城区", "清苑"], groups=["教学点负责人群"])
    after = build_services(with_accounts(config, b_all), database, clock, account="B")
    assert after.outbox.rehome() == 2
    with database.read() as s:
        assert {i.text: i.account for i in s.exec(select(OutboxItem))} == {
            "提醒：形考作业3": "B", "会计1班的提醒": "B", "给王老师的汇总": "B"}
    assert after.outbox.pending_count("B") == 3 and after.outbox.pending_count("A") == 0


def test_each_account_reads_and_processes_only_its_own_incoming_messages(database):
    """Found by the crash bench: a restarted process of account B read account A's announced messages, could not
    fetch them from its own puppet service, and dropped them; and any process could take any pending message."""
    clock = VirtualClock(START)
    a, b = Inbox(database, clock, "A"), Inbox(database, clock, "B")
    a.arrived(["m1"])
    assert a.arrivals() == ["m1"] and b.arrivals() == []
    room = RoomInfo("r1@chatroom", "城区分校教学点负责人群")
    said = Incoming("m1", START, Member("wxid_liu", "刘主任"), "大家好", room)
    same_in_b = Incoming("b-m1", START, Member("wxid_liu", "刘主任"), "大家好", room)  # both bots are in the room
    assert a.record([said]) == [True] and b.record([same_in_b]) == [True]  # each account's copy is its own
    assert [m.message_id for _, m in a.pending()] == ["m1"] and [m.message_id for _, m in b.pending()] == ["b-m1"]
    assert a.record([Incoming("m1-again", START, said.sender, "大家好", room)]) == [False]  # a redelivery still is one
    a.arrived(["m2"])
    a.unreadable("m2")  # the puppet service no longer has it: kept, marked, not silently deleted
    with database.read() as s:
        row = s.exec(select(Inbound).where(Inbound.message_id == "m2")).one()
    assert row.status == "unreadable" and row.account == "A" and a.arrivals() == []
