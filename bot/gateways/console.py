"""The embedded default gateway: a local chat in the terminal with the configured groups and sample members.

Type as any member, switch room and speaker, and see the bot's replies as they are sent (paced, as on WeChat).
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import sys
from collections.abc import Callable
from typing import Any, TextIO

from bot.clock import Clock
from bot.gateways.base import Incoming, Member, Outgoing, Quote
from bot.gateways.fake import FakeGateway, FakeRoom

HELP = """命令（以冒号开头）：
  :rooms             列出所有群          :room 行管1班     切换到某个群
  :as 张三           切换发言人          :who              当前群的成员
  :private           切换到与机器人私聊  :quote 文字       下一条消息引用这段文字
  :help              显示本帮助          :quit             退出
其他输入都作为当前发言人的消息发出。试试：以王老师身份在行管1班发 /通知 周五前完成形考作业2"""


class ConsoleGateway(FakeGateway):
    def __init__(self, clock: Clock, bot_name: str, rooms: list[dict[str, Any]], *,
                 stdin: TextIO | None = None, stdout: TextIO | None = None, on_quit: Callable[[], None] = lambda: None,
                 tz: Any = None) -> None:
        super().__init__(clock, bot_name)
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.on_quit = on_quit
        self.tz = tz
        self.members_by_name: dict[str, Member] = {}
        self._msg_ids = itertools.count(1)
        # Unique across runs: the journal remembers ids, and a second try-out on the same database must not have its
        # messages dropped as redeliveries of the first's.
        self._run = secrets.token_hex(4)
        for i, spec in enumerate(rooms):
            room = FakeRoom(f"console-room-{i + 1}@chatroom", spec["topic"])
            for m in spec.get("members", []):
                member = Member(str(m["id"]), str(m["name"]), str(m.get("alias", "")))
                room.members[member.contact_id] = member
                self.contacts[member.contact_id] = member.name
                self.members_by_name.setdefault(member.name, member)
            self.rooms_by_id[room.room_id] = room
        self.groups = {spec["topic"]: spec.get("group", spec["topic"]) for spec in rooms}
        first = next(iter(self.rooms_by_id.values()), None)
        self.current_room: FakeRoom | None = first
        self.speaker: Member | None = next(iter(first.members.values()), None) if first else None
        self.quote: str | None = None
        self._task: asyncio.Task[None] | None = None

    def _print(self, text: str) -> None:
        self.stdout.write(text + "\n")
        self.stdout.flush()

    async def start(self, events: Any) -> None:
        await super().start(events)
        self._print(f"班助 本地试用（控制台）。输入 :help 查看用法。\n当前：{self._where()}，发言人：{self._speaker()}")
        self._task = asyncio.create_task(self._read_loop())

    async def stop(self) -> None:
        await super().stop()
        if self._task and self._task is not asyncio.current_task():
            self._task.cancel()

    async def send(self, message: Outgoing) -> str:
        result = await super().send(message)
        sent = self.sent[-1]
        local = sent.time.astimezone(self.tz) if self.tz else sent.time
        where = f"[{sent.room_topic}]" if sent.room_topic else f"[私聊→{sent.to_name}]"
        text = sent.text.replace("\u2005", " ").replace("\n", "\n    ")
        self._print(f"{local:%H:%M:%S} 🤖 {where} {self.bot_name}: {text}")
        return result

    def _where(self) -> str:
        return f"群「{self.groups.get(self.current_room.topic, '')}」" if self.current_room else "私聊"

    def _speaker(self) -> str:
        return self.speaker.name if self.speaker else "（无）"

    async def _read_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, self.stdin.readline)
            if not line:
                self.on_quit()
                return
            line = line.rstrip("\n")
            if not line.strip():
                continue
            if line.startswith((":", "：")):
                if self._command(line[1:].strip()):
                    self.on_quit()
                    return
                continue
            await self._say(line)

    def _command(self, cmd: str) -> bool:
        word, _, arg = cmd.partition(" ")
        arg = arg.strip()
        if word in ("quit", "exit", "q"):
            return True
        if word == "help":
            self._print(HELP)
        elif word == "rooms":
            for r in self.rooms_by_id.values():
                self._print(f"  {self.groups.get(r.topic)}（{r.topic}，{len(r.members)}人）")
        elif word == "room":
            found = next((r for r in self.rooms_by_id.values() if arg in (r.topic, self.groups.get(r.topic))), None)
            if found is None:
                self._print(f"没有这个群：{arg}（:rooms 查看）")
            else:
                self.current_room = found
                self._print(f"当前：{self._where()}")
        elif word == "private":
            self.current_room = None
            self._print("当前：与机器人私聊")
        elif word == "as":
            member = self.members_by_name.get(arg)
            if member is None:
                self._print(f"没有这个人：{arg}（:who 查看当前群成员）")
            else:
                self.speaker = member
                self._print(f"发言人：{member.name}")
        elif word == "who":
            members = self.current_room.members.values() if self.current_room else self.members_by_name.values()
            self._print("  " + "、".join(m.alias or m.name for m in members))
        elif word == "quote":
            self.quote = arg
            self._print("下一条消息将引用：" + arg)
        else:
            self._print("不认识的控制台命令，输入 :help 查看。")
        return False

    async def _say(self, text: str) -> None:
        if self.speaker is None or self.events is None:
            return
        room = self.current_room
        sender = room.members.get(self.speaker.contact_id, self.speaker) if room else self.speaker
        mentions = (self.self_id,) if f"@{self.bot_name}" in text else ()
        msg = Incoming(message_id=f"console-{self._run}-{next(self._msg_ids)}", time=self.clock.now(), sender=sender, text=text,
                       room=room.info() if room else None, mentions=mentions,
                       quote=Quote(self.quote) if self.quote else None)
        self.quote = None
        await self.events.on_message(msg)
