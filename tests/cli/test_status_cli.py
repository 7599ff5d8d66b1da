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
