"""The paced, persistent outbox, on SQLite and PostgreSQL."""

import functools
import itertools
import operator
from datetime import timedelta

from sqlmodel import select

from bot.courier import throttle_note
from bot.gateways.base import Outgoing
from bot.models import OutboxItem, StaffBinding
from bot.outbox import split_text
from bot.texts import common as texts


def room_id(chat) -> str:
    return chat.room("行管1班").room_id


def caught_mid_send(chat, text: str) -> int:
    """A queued message as a crash leaves it: claimed for sending, never confirmed."""
    [oid] = chat.services.outbox.enqueue(text=text, room_id=room_id(chat))
    with chat.db.tx() as s:
        item = s.get(OutboxItem, oid)
        item.status = "sending"
        s.add(item)
    return oid


async def test_sends_are_paced(pg_chat):
    chat = pg_chat
    for i in range(5):
        chat.services.outbox.enqueue(text=f"消息{i}", room_id=room_id(chat))
    sent = await chat.settle()
    assert [s.text for s in sent] == [f"消息{i}" for i in range(5)]
    gaps = [(b.time - a.time).total_seconds() for a, b in itertools.pairwise(sent)]
    cfg = chat.config.outbox
    assert all(cfg.min_interval.total_seconds() <= g <= (cfg.min_interval + cfg.jitter).total_seconds() for g in gaps)
    assert len(set(gaps)) > 1  # jitter


async def test_pending_message_survives_a_crash(pg_chat):
    chat = pg_chat
    chat.gateway.connected = False
    chat.services.outbox.enqueue(text="重要通知", room_id=room_id(chat))
    assert await chat.settle() == []
    chat.gateway.connected = True
    sent = await chat.restart()
    assert [s.text for s in sent] == ["重要通知"]


async def test_confirmed_message_is_never_sent_again(pg_chat):
    chat = pg_chat
    chat.services.outbox.enqueue(text="只发一次", room_id=room_id(chat))
    assert len(await chat.settle()) == 1
    assert await chat.restart() == []
    assert await chat.advance("1h") == []


async def test_a_send_caught_by_a_crash_is_verified_then_sent_once(pg_chat):
    """A crash after claiming but before the gateway confirmed: where the platform can tell, the bot asks it, and
    sends the message only if WeChat does not have it."""
    chat = pg_chat
    caught_mid_send(chat, "发送中断")
    [sent] = await chat.restart()
    assert sent.text == "发送中断"
    caught_mid_send(chat, "其实已经发出")
    await chat.gateway.send(Outgoing(text="其实已经发出", room_id=room_id(chat)))  # WeChat had taken it
    assert [s.text for s in await chat.settle()] == ["其实已经发出"]
    assert await chat.restart() == []  # verified: not sent again
    with chat.db.tx() as s:
        assert {r.text: r.status for r in s.exec(select(OutboxItem))}["其实已经发出"] == "sent"


async def test_a_send_nobody_can_verify_is_sent_again_marked_and_the_admins_are_told(pg_chat):
    """Real WeChat cannot say whether a message caught by a crash arrived: it is never sent twice silently — the
    repeat says so, it is counted, and the admins hear of it."""
    chat = pg_chat
    with chat.db.tx() as s:
        s.add(StaffBinding(contact_id="wxid_chen", name="陈校长", role="admin", source="grant",
                           created_at=chat.clock.now()))
    chat.services.people.invalidate()
    chat.gateway.can_verify = False
    caught_mid_send(chat, "可能发过了")
    again, note, room_check = await chat.restart()  # the admin, now bound, also hears which groups are missing
    assert again.text == "可能发过了\n" + texts.POSSIBLE_REPEAT and again.room_topic
    assert note.to_name == "wxid_chen" and "有 1 条消息不能确定是否已经发出" in note.text
    assert room_check.to_name == "wxid_chen" and "群绑定检查" in room_check.text
    with chat.db.tx() as s:
        [row] = [r for r in s.exec(select(OutboxItem)) if r.repeat_marked]
        assert row.status == "sent"


async def test_gateway_failures_are_retried_with_backoff(pg_chat):
    chat = pg_chat
    chat.gateway.fail_next = 2
    t0 = chat.clock.now()
    chat.services.outbox.enqueue(text="重试", room_id=room_id(chat))
    [sent] = await chat.settle()
    backoff = chat.config.outbox.retry_backoff
    assert sent.time - t0 >= backoff[0] + backoff[1]
    with chat.db.tx() as s:
        [item] = s.exec(select(OutboxItem)).all()
    assert item.status == "sent" and item.attempts == 3


async def test_gives_up_after_the_configured_time_and_keeps_the_row(pg_chat):
    chat = pg_chat
    chat.gateway.fail_next = 10_000
    chat.services.outbox.enqueue(text="发不出去", room_id=room_id(chat))
    await chat.advance("30h")
    with chat.db.tx() as s:
        [item] = s.exec(select(OutboxItem)).all()
    assert item.status == "failed" and "超时" in item.last_error


async def test_disconnected_gateway_keeps_messages_until_reconnect(pg_chat):
    chat = pg_chat
    chat.gateway.connected = False
    chat.services.outbox.enqueue(text="等待连接", room_id=room_id(chat))
    assert await chat.advance("10m") == []
    assert chat.services.outbox.pending_count() == 1
    chat.gateway.connected = True
    assert [s.text for s in await chat.settle()] == ["等待连接"]


async def test_long_text_is_split_cleanly(pg_chat):
    chat = pg_chat
    lines = [f"第{i}行：" + "请按时完成形考作业。" * 8 for i in range(40)]
    chat.services.outbox.enqueue(text="\n".join(lines), room_id=room_id(chat))
    sent = await chat.settle()
    limit = chat.config.outbox.max_chars
    assert len(sent) > 1 and all(len(s.text) <= limit for s in sent)
    assert sent[0].text.endswith(f"（1/{len(sent)}）")
    body = "\n".join(s.message.text.rsplit("\n", 1)[0] for s in sent)
    assert body == "\n".join(lines)  # nothing lost, nothing cut mid-line


async def test_many_mentions_are_split_across_messages(pg_chat):
    chat = pg_chat
    ids = [f"wxid_{i}" for i in range(45)]
    chat.services.outbox.enqueue(text="请回复收到", room_id=room_id(chat), mentions=ids)
    sent = await chat.settle()
    per = chat.config.outbox.max_mentions
    assert [len(s.message.mentions) for s in sent] == [per, per, 45 - 2 * per]
    assert functools.reduce(operator.iadd, (list(s.message.mentions) for s in sent), []) == ids


async def test_dedupe_key_enqueues_once(pg_chat):
    chat = pg_chat
    a = chat.services.outbox.enqueue(text="一次", room_id=room_id(chat), dedupe_key="k1")
    b = chat.services.outbox.enqueue(text="一次", room_id=room_id(chat), dedupe_key="k1")
    assert a and b == []
    assert len(await chat.settle()) == 1


def test_split_text_hard_cuts_a_single_long_line():
    text = "这是一段很长的没有换行的通知。" * 100
    parts = split_text(text, 200)
    assert all(len(p) <= 200 + 10 for p in parts)
    assert "".join(p.rsplit("\n", 1)[0] for p in parts) == text


async def test_an_unreachable_contact_does_not_starve_the_queue(chat):
    real_send = chat.gateway.send

    async def send(message):
        if message.contact_id == "wxid_gone":
            from bot.gateways.base import GatewayError

            raise GatewayError("no payload found for id wxid_gone")
        return await real_send(message)

    chat.gateway.send = send
    chat.services.outbox.enqueue(text="发不到", contact_id="wxid_gone")
    for i in range(3):
        chat.services.outbox.enqueue(text=f"正常{i}", room_id=room_id(chat))
    t0 = chat.clock.now()
    sent = await chat.settle()
    assert [s.text for s in sent] == ["正常0", "正常1", "正常2"]
    assert sent[-1].time - t0 < timedelta(seconds=20)


async def test_too_frequent_pauses_everything_then_sends_slower(pg_chat):
    chat = pg_chat
    cfg = chat.config.outbox
    chat.gateway.throttle_next = 1
    t0 = chat.clock.now()
    for i in range(4):
        chat.services.outbox.enqueue(text=f"通知{i}", room_id=room_id(chat))
    sent = await chat.settle()
    assert [s.text for s in sent] == [f"通知{i}" for i in range(4)]  # nothing lost, order kept
    assert sent[0].time >= t0 + cfg.throttle_pause[0]
    gaps = [b.time - a.time for a, b in itertools.pairwise(sent)]
    assert all(g >= cfg.min_interval * 2 for g in gaps)
    assert "1/2 speed" in chat.app.courier.throttle_note(chat.clock.now())
    # A second refusal: a longer pause, and slower still.
    chat.gateway.throttle_next = 1
    t1 = chat.clock.now()
    chat.services.outbox.enqueue(text="再来一条", room_id=room_id(chat))
    [again] = await chat.settle()
    assert again.time >= t1 + cfg.throttle_pause[1] and chat.app.courier.slowdown == 4
    # Calm periods bring the speed back.
    for _ in range(3):
        await chat.advance(cfg.throttle_calm + timedelta(minutes=1))
        chat.services.outbox.enqueue(text="平静", room_id=room_id(chat))
        assert [s.text for s in await chat.settle()] == ["平静"]
    assert chat.app.courier.slowdown == 1 and chat.app.courier.throttle_note(chat.clock.now()) is None


async def test_a_pause_after_too_frequent_survives_a_restart(pg_chat):
    chat = pg_chat
    chat.gateway.throttle_next = 1
    t0 = chat.clock.now()
    chat.services.outbox.enqueue(text="被限流", room_id=room_id(chat))
    assert await chat.advance("1m") == []
    assert "paused after 操作过于频繁" in throttle_note(chat.db, chat.clock.now())
    sent = await chat.restart()
    assert [s.text for s in sent] == ["被限流"]
    assert sent[0].time >= t0 + chat.config.outbox.throttle_pause[0]
    assert chat.app.courier.slowdown == 2


def test_throttle_errors_are_recognised():
    from bot.gateways.base import looks_throttled

    assert looks_throttled("WechatyError: 操作过于频繁，请稍后再试")
    assert looks_throttled("Rate limit exceeded")
    assert not looks_throttled("room not found")


async def test_a_command_line_tool_leaves_a_send_in_progress_alone(pg_chat, cli):
    """`python -m bot status` while the bot is mid-send must not make that message pending again (sent twice)."""
    chat = pg_chat
    oid = caught_mid_send(chat, "正在发送")
    assert cli(chat, "status") == 0
    with chat.db.tx() as s:
        assert s.get(OutboxItem, oid).status == "sending"
