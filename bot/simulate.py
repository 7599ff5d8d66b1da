"""`python -m bot simulate SCRIPT.yaml`: the whole bot against a scripted chat on a virtual clock.

Script keys (documented in README "模拟脚本"):
    start: 2026-09-07 08:00          # Asia/Shanghai (the config's zone) unless an offset is given
    rooms: [...]                     # optional; defaults to the configured groups with staff and roster students
    roster: true                     # optional; load the configured roster (default true)
    steps:
      - {room: 行管1班, from: 王老师, say: "/通知 …", quote: "…", kind: solitaire, expect: ["通知 #1"]}
      - {private: true, from: 张三, say: "你好"}
      - {private: true, from: 王老师, file: data/progress/形考.xlsx}   # a file sent to the bot (relative paths:
                                                                     # from the config's folder, then the script's;
                                                                     # .jpg/.png … arrive as photos)
      - {advance: 3h}
      - {at: "2026-09-08 09:00"}
      - {join: 行管1班, member: {name: 新同学, id: wxid_new}}
      - {leave: 行管1班, name: 王五}
      - {rename: 张三, alias: 王老师}
`expect` (on any step) lists fragments that must appear in what the bot sent during that step; `expect: []`
asserts silence. A failed expectation is reported with the step's line and makes the command exit 1.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from bot.config import Config
from bot.db import Database
from bot.kernel.durations import parse_duration
from bot.simulation import Chat, Event
from bot.world import default_rooms
from bot.yamlio import Located, YamlError, load_yaml

IMAGES = (".jpg", ".jpeg", ".png", ".gif", ".heic", ".webp", ".bmp")
STEP_KEYS = {
    "say": {"room", "from", "say", "quote", "kind", "mentions", "private", "expect", "id", "at"},
    "advance": {"advance", "expect"},
    "at": {"at", "expect"},
    "join": {"join", "member", "expect"},
    "leave": {"leave", "name", "expect"},
    "rename": {"rename", "alias", "room"},
    "restart": {"restart", "expect"},
    "file": {"room", "from", "file", "name", "private", "expect"},
}


@dataclass
class Failure:
    line: int | None
    message: str


def parse_time(value: Any, config: Config, located: Located, path: tuple) -> datetime:
    try:
        dt = datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise located.error(path, f"not a date and time: {value!r} (use 2026-09-07 08:00)") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=config.tz)


def _step_kind(step: dict[str, Any]) -> str | None:
    for kind in ("advance", "join", "leave", "rename", "restart", "file"):
        if kind in step:
            return kind
    if "say" in step:
        return "say"
    if "at" in step:
        return "at"
    return None


async def run_script(path: str | Path, config: Config, out: TextIO, *, as_json: bool = False,
                     db_url: str | None = None) -> list[Failure]:
    """Run a script, write its transcript to `out`, and return failed expectations."""
    located = load_yaml(path)
    doc = located.data
    if not isinstance(doc, dict) or "steps" not in doc:
        raise located.error((), "a script needs `start:` and `steps:`")
    unknown = set(doc) - {"start", "rooms", "steps", "roster", "seed"}
    if unknown:
        key = sorted(unknown)[0]
        raise located.error((key,), "unknown key (known: start, rooms, roster, seed, steps)")
    start = parse_time(doc.get("start", "2026-09-07 08:00"), config, located, ("start",))
    tmp = None
    if db_url is None:
        tmp = tempfile.TemporaryDirectory(prefix="banzhu-sim-")
        db_url = f"sqlite:///{tmp.name}/sim.db"
    db = Database(db_url)
    exports = tempfile.mkdtemp(prefix="banzhu-sim-exports-")  # charts, workbooks, uploads, collected files: this run's
    config = config.model_copy(update={"files": config.files.model_copy(update={
        "exports": exports, "uploads": str(Path(exports) / "uploads"),
        "collections": str(Path(exports) / "collections")})})
    chat = Chat(config, start, db=db, seed=int(doc.get("seed", 7)))
    students = []
    if doc.get("roster", True) and config.files.roster and config.path(config.files.roster).exists():
        report = chat.app.services.roster.import_file(config.path(config.files.roster))
        if report.ok:
            students = chat.app.services.roster.students_of_all()
    rooms = doc.get("rooms") or default_rooms(config, students)
    for i, spec in enumerate(rooms):
        if not isinstance(spec, dict) or "topic" not in spec:
            raise located.error(("rooms", i), "a room needs `topic:` (and `members:`)")
        chat.add_room(str(spec["topic"]), spec.get("members") or [], group=spec.get("group"),
                      kind=spec.get("kind", "class"))
    await chat.start()
    failures: list[Failure] = []
    printed = 0
    steps = doc["steps"] or []
    for i, step in enumerate(steps):
        p = ("steps", i)
        if not isinstance(step, dict):
            raise located.error(p, "each step is a mapping, e.g. {room: 行管1班, from: 王老师, say: …}")
        kind = _step_kind(step)
        if kind is None:
            raise located.error(p, "unknown step (use say, file, advance, at, join, leave, rename, restart)")
        extra = set(step) - STEP_KEYS[kind]
        if extra:
            raise located.error((*p, sorted(extra)[0]), f"unknown key for a {kind} step")
        try:
            sent = await _run_step(chat, kind, step, config, located, p, Path(path).parent)
        except KeyError as exc:
            raise located.error(p, f"unknown name or room: {exc.args[0]}") from None
        if "expect" in step:
            texts = "\n".join(s.text for s in sent)
            wanted = step["expect"]
            wanted = [wanted] if isinstance(wanted, str) else list(wanted or [])
            if not wanted and sent:
                failures.append(Failure(located.line_of(p), f"expected silence, got: {texts[:200]}"))
            for w in wanted:
                if str(w) not in texts:
                    failures.append(Failure(located.line_of(p), f"expected {w!r} in: {texts[:300] or '(nothing)'}"))
        printed = _write(chat.transcript, printed, out, config, as_json)
    chat.close()
    if tmp:
        tmp.cleanup()
    return failures


async def _run_step(chat: Chat, kind: str, step: dict[str, Any], config: Config, located: Located,
                    p: tuple, folder: Path) -> list:
    if kind == "say":
        room = None if step.get("private") else step.get("room")
        if room is None and not step.get("private"):
            raise located.error(p, "a say step needs `room:` or `private: true`")
        if step.get("at"):
            await chat.run_until(parse_time(step["at"], config, located, (*p, "at")))
        return await chat.say(str(step["from"]), room, str(step["say"]), quote=step.get("quote"),
                              kind=step.get("kind", "text"), mentions=tuple(step.get("mentions") or ()),
                              message_id=step.get("id"))
    if kind == "file":
        room = None if step.get("private") else step.get("room")
        if room is None and not step.get("private"):
            raise located.error(p, "a file step needs `room:` or `private: true`")
        given = Path(str(step["file"]))
        found = next((c for c in (config.path(str(given)), folder / given) if c.exists()), None)
        if found is None:
            raise located.error((*p, "file"), f"file not found: {given}")
        name = str(step.get("name") or found.name)
        kind = "image" if Path(name).suffix.lower() in IMAGES else "file"  # as WeChat sends a photo
        return await chat.say(str(step["from"]), room, "", kind=kind, file_path=str(found), file_name=name)
    if kind == "advance":
        try:
            by = parse_duration(step["advance"])
        except ValueError as exc:
            raise located.error((*p, "advance"), str(exc)) from None
        return await chat.advance(by)
    if kind == "at":
        target = parse_time(step["at"], config, located, (*p, "at"))
        if target < chat.clock.now():
            raise located.error((*p, "at"), "time goes backwards")
        return await chat.run_until(target)
    if kind == "join":
        await chat.join(str(step["join"]), step.get("member") or {})
        return await chat.settle()
    if kind == "leave":
        await chat.leave(str(step["leave"]), str(step["name"]))
        return await chat.settle()
    if kind == "rename":
        chat.rename(str(step["rename"]), alias=str(step.get("alias", "")), room=step.get("room"))
        return []
    if kind == "restart":
        return await chat.restart()
    raise YamlError(located.file, f"unhandled step {kind}")


def _write(events: list[Event], start: int, out: TextIO, config: Config, as_json: bool) -> int:
    for e in events[start:]:
        local = e.time.astimezone(config.tz)
        if as_json:
            out.write(json.dumps({"time": local.isoformat(timespec="seconds"), "direction": e.direction,
                                  "room": e.room, "sender": e.sender, "to": e.to, "text": e.text,
                                  "mentions": list(e.mentions)}, ensure_ascii=False) + "\n")
        else:
            where = f"[{e.room}]" if e.room else f"[私聊→{e.to}]" if e.direction == "out" else "[私聊]"
            arrow = "  " if e.direction == "in" else "🤖"
            text = e.text.replace("\u2005", " ").replace("\n", "\n" + " " * 22)
            out.write(f"{local:%m-%d %H:%M:%S} {arrow} {where} {e.sender}: {text}\n")
    out.flush()
    return len(events)
