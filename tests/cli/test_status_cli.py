"""`status`: the running bot's heartbeat, connection, last message in and out, and what waits."""


async def test_status_while_the_bot_runs_and_after_it_stopped(chat, cli, capsys):
    chat.services.outbox.enqueue(text="x", room_id="r")
    chat.services.health.received(chat.clock.now())
    chat.services.health.beat()
    assert cli(chat, "status") == 0
    out = capsys.readouterr().out
    assert "connected since 2026-09-07 08:00:00" in out and "pending messages: 1" in out
    assert "  last message received: 2026-09-07 08:00:00" in out
    # The process was killed: no heartbeat for minutes. Status must not claim it is connected.
    chat.clock.set(chat.clock.now() + __import__("datetime").timedelta(minutes=5))
    assert cli(chat, "status") == 0
    out = capsys.readouterr().out
    assert "no bot process is running (last heartbeat 2026-09-07 08:00:00)" in out and "connected" not in out


async def test_status_says_when_sending_is_paused(chat, cli, capsys):
    chat.gateway.throttle_next = 1
    chat.services.outbox.enqueue(text="被限流", room_id=chat.room("行管1班").room_id)
    assert await chat.advance("1m") == []
    assert cli(chat, "status") == 0
    assert "paused after 操作过于频繁" in capsys.readouterr().out


async def test_status_counts_private_messages_that_could_not_be_delivered(chat, cli, capsys):
    chat.not_friends("王老师")
    replies = await chat.say("王老师", "行管1班", "/汇总 本周")  # privately: refused; no admin to relay it to
    assert any("没能发给 王老师" in r.text for r in replies)
    assert await chat.friend_request("路人甲", "你好") == []
    assert cli(chat, "status") == 0
    out = capsys.readouterr().out
    assert "private messages not delivered in the last 7 days: 1 (contacts the bot cannot write to privately: 1" in out, out
    assert "friend requests waiting for an admin: 1 (/好友申请)" in out
    assert "alerts: no second channel configured" in out
