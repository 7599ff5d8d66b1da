"""The wechaty gateway's pure parts and its compatibility step, without a puppet service."""

import subprocess
import sys

import pytest

from bot.clock import RealClock
from bot.config import ConfigError
from bot.gateways.wechat_text import parse_text
from tests.conftest import ROOT


def test_real_wechaty_imports_on_this_python():
    """wechaty 0.10.7 needs the PuppetOptions hash step on Python 3.11+; the compat module applies it."""
    code = "import bot.gateways.wechaty_compat as w; print(w.wechaty.__name__, w.WechatyOptions.__name__)"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "wechaty WechatyOptions" in proc.stdout


def test_core_never_imports_wechaty():
    code = ("import sys, bot.app, bot.simulation, bot.gateways.console, handlers, schedules; "
            "print('wechaty' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "False", proc.stderr


def test_quote_app_message_is_split():
    xml = ("<msg><appmsg><title>收到</title><type>57</type><refermsg><type>1</type><svrid>99</svrid>"
           "<chatusr>wxid_wang</chatusr><content>【通知 #3】\n周五前完成形考作业2</content></refermsg>"
           "</appmsg></msg>")
    p = parse_text(xml)
    assert p.text == "收到" and p.quote.text.startswith("【通知 #3】") and p.quote.sender_id == "wxid_wang"


def test_rendered_quote_is_split():
    p = parse_text("「王老师：【通知 #5】周五交表」\n- - - - - - - - - - - - - - -\n好的")
    assert p.text == "好的" and "【通知 #5】" in p.quote.text


def test_solitaire_app_message():
    xml = ("<msg><appmsg><title>#接龙 周五前完成形考作业2</title><type>53</type>"
           "<des>1. 张三 收到\n2. 李四 收到</des></appmsg></msg>")
    p = parse_text(xml)
    assert p.kind == "solitaire" and "1. 张三 收到" in p.text and p.text.startswith("#接龙")


def test_plain_text_and_broken_xml():
    assert parse_text("收到").text == "收到" and parse_text("收到").quote is None
    assert parse_text("<msg><appmsg>broken").kind == "app"


def test_token_and_endpoint_come_from_the_environment(config, monkeypatch):
    from bot.gateways.wechaty import WechatyGateway

    monkeypatch.delenv("WECHATY_PUPPET_SERVICE_TOKEN", raising=False)
    monkeypatch.delenv("WECHATY_PUPPET_SERVICE_ENDPOINT", raising=False)
    with pytest.raises(ConfigError, match="WECHATY_PUPPET_SERVICE_TOKEN"):
        WechatyGateway.from_config(config, RealClock())
    monkeypatch.setenv("WECHATY_PUPPET_SERVICE_TOKEN", "t")
    with pytest.raises(ConfigError, match="endpoint"):
        WechatyGateway.from_config(config, RealClock())
    monkeypatch.setenv("WECHATY_PUPPET_SERVICE_ENDPOINT", "127.0.0.1:1")
    gw = WechatyGateway.from_config(config, RealClock())
    assert gw.endpoint == "127.0.0.1:1" and not gw.connected


async def test_a_too_frequent_refusal_becomes_a_throttle(config, monkeypatch):
    """The platform's words decide: 操作过于频繁 slows the whole queue, anything else is an ordinary retry."""
    from types import SimpleNamespace

    from bot.gateways.base import GatewayError, GatewayThrottled, Outgoing
    from bot.gateways.wechaty import WechatyGateway

    class Room:
        def __init__(self, error: str) -> None:
            self.error = error

        async def ready(self) -> None:
            return None

        async def say(self, *args: object, **kwargs: object) -> None:
            raise RuntimeError(self.error)

    gw = WechatyGateway(RealClock(), token="t", endpoint="127.0.0.1:1")
    gw.connected = True
    for error, kind in [("操作过于频繁，请稍后再试", GatewayThrottled), ("room not found", GatewayError)]:
        gw._bot = SimpleNamespace(Room=SimpleNamespace(load=lambda _id, e=error: Room(e)))
        with pytest.raises(kind) as caught:
            await gw.send(Outgoing(text="通知", room_id="r1"))
        assert (caught.type is GatewayThrottled) == (kind is GatewayThrottled)


async def test_messages_are_handed_on_in_the_order_they_were_announced():
    """Reading a message takes several round trips; one read faster must still wait for those announced before it,
    and one that cannot be read holds the others up only once, for `patience` seconds."""
    import asyncio

    from bot.gateways.wechaty import WechatyGateway

    gw = WechatyGateway(RealClock(), token="t", endpoint="127.0.0.1:1")
    gw._announced.extend(["a", "b", "c"])
    order: list[str] = []

    async def read(message_id: str, delay: float) -> None:
        await asyncio.sleep(delay)  # how long reading it took
        await gw._my_turn(message_id)
        order.append(message_id)

    await asyncio.gather(read("c", 0.0), read("b", 0.02), read("a", 0.05))
    assert order == ["a", "b", "c"] and gw._announced == []

    gw._announced.extend(["stuck", "x", "y"])
    await gw._my_turn("x", patience=0.05)  # "stuck" is never read: x goes after waiting once …
    await asyncio.wait_for(gw._my_turn("y", patience=5.0), timeout=1.0)  # … and y does not wait for it again
    assert gw._announced == []
