"""The web console in the bot's own event loop (`run` with web.enabled): a slow page never delays the chat, because
page work runs in worker threads; and the server starts and stops with the loop."""

import asyncio
import threading

import httpx

from bot.app import build_app
from bot.clock import VirtualClock
from bot.gateways.base import Incoming, Member, RoomInfo
from bot.gateways.fake import FakeGateway, FakeRoom
from bot.web.app import create_app
from bot.web.server import EmbeddedServer, server, started
from tests.conftest import START


async def test_a_slow_console_page_does_not_delay_an_answer_in_the_chat(config, sqlite_db, indexes, monkeypatch):
    clock = VirtualClock(START)
    gateway = FakeGateway(clock)
    app = build_app(config, gateway, clock, db=sqlite_db, indexes=indexes)
    room = RoomInfo("r1@chatroom", "2024秋行政管理1班", (Member("wxid_wang", "王老师"), Member("wxid_zs", "张三")))
    gateway.rooms_by_id[room.room_id] = FakeRoom(room.room_id, room.topic, {m.contact_id: m for m in room.members})
    await app.start()
    web = app.services.web
    session = web.redeem(web.issue_link(app.services.people.person("wxid_wang", "")).rsplit("/", 1)[1]).token
    building, release = threading.Event(), threading.Event()
    real = app.services.digests.dashboard

    def slow_dashboard(*args, **kwargs):
        building.set()
        release.wait(timeout=5)  # an overview over a big school takes a while
        return real(*args, **kwargs)

    monkeypatch.setattr(app.services.digests, "dashboard", slow_dashboard)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(app.services)),
                                 base_url=config.web.base_url, cookies={"bz_session": session}) as client:
        page = asyncio.create_task(client.get("/"))
        await asyncio.to_thread(building.wait, 5)
        msg = Incoming("q1", clock.now(), Member("wxid_zs", "张三"), "忘记密码怎么办？",
                       RoomInfo(room.room_id, room.topic))
        await asyncio.wait_for(app.receive(msg), timeout=5)
        await asyncio.wait_for(app.drain(clock.now()), timeout=5)
        [answer] = gateway.sent
        assert "忘记密码" in answer.text and not page.done()  # the overview is still being built
        release.set()
        assert (await page).status_code == 200
    await app.stop()


async def test_the_embedded_server_listens_and_stops_with_the_loop(config, sqlite_db, indexes):
    import socket

    clock = VirtualClock(START)
    app = build_app(config, FakeGateway(clock), clock, db=sqlite_db, indexes=indexes)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    web = server(app.services, "127.0.0.1", port, embedded=True)
    assert isinstance(web, EmbeddedServer)  # leaves SIGINT/SIGTERM to the bot's runner
    await started(web)
    serving = asyncio.create_task(web.main_loop())
    async with httpx.AsyncClient() as client:
        r = await client.get(f"http://127.0.0.1:{port}/")
    assert r.status_code == 401 and "请先登录" in r.text
    web.should_exit = True
    await serving
    await web.shutdown()
