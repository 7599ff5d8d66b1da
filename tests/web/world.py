"""A small school for the console's tests: two advisors' classes with a notice, acknowledgements and an
unanswered question each, a coordinator and an admin — and a way to log in as anyone through /后台. The same
school in November has a roster and the platform's exports imported (learning progress)."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx

from bot.audit import CLI
from bot.config import Config, Milestone
from bot.models import Student
from bot.simulation import Chat
from bot.web.app import create_app
from tests.conftest import CLASS1, START, new_chat
from tests.progress_files import HOMEWORK, NOV, ONLINE, add_roster, csv_file, homework, with_calendar

CLASS2 = [
    {"name": "李老师", "id": "wxid_li", "role": "teacher"},
    {"name": "赵六", "id": "wxid_zl", "alias": "赵六-2025120001"},
    {"name": "钱七", "id": "wxid_qq"},
]
COORD = [{"name": "刘主任", "id": "wxid_liu"}, {"name": "陈校长", "id": "wxid_chen", "role": "admin"}]


async def school(config: Config, start: datetime = START, *, roster: bool = False,
                 **kw: Any) -> tuple[Chat, dict[str, int]]:
    """Every configured group with people in it (so the admin hears of no missing group), and some history:
    a notice and an acknowledgement in 行管1班 (王老师) and 会计1班 (李老师), one unanswered question in each.
    With `roster`, the students of tests/progress_files.py and two of 会计1班 are on the roster first."""
    chat = new_chat(config, start, **kw)
    if roster:
        add_roster(chat.db)
        with chat.db.tx() as s:
            for no, name in (("2025120001", "赵六"), ("2025120002", "钱七")):
                s.add(Student(student_no=no, name=name, class_name="会计1班", point="清苑", phone="", major="会计学"))
    chat.add_room("2024秋行政管理1班", CLASS1)
    chat.add_room("2024秋行政管理2班", [{"name": "王老师", "id": "wxid_wang"}, {"name": "孙八", "id": "wxid_sb"}])
    chat.add_room("2025春会计学1班", CLASS2)
    chat.add_room("2025春法学1班", [{"name": "赵老师", "id": "wxid_zhao"}, {"name": "周九", "id": "wxid_zj"}])
    chat.add_room("城区分校教学点负责人群", COORD)
    await chat.start()
    return chat, await populate(chat)


async def populate(chat: Chat) -> dict[str, int]:
    notice, told = await chat.say("王老师", "行管1班", "/通知 截止 周五18:00 周五前完成形考作业2")
    assert "【通知 #1】" in notice.text and told.to_name == "王老师"
    assert await chat.say("张三", "行管1班", "收到") == []
    notice, told = await chat.say("李老师", "会计1班", "/通知 周三晚上直播课请准时参加")
    assert "【通知 #2】" in notice.text and told.to_name == "李老师"
    assert await chat.say("赵六", "会计1班", "好的") == []
    [r] = await chat.say("李四", "行管1班", "学校有宿舍吗？")
    assert "转告" in r.text
    [r] = await chat.say("钱七", "会计1班", "考研可以用这个学历吗？")
    assert "转告" in r.text
    forwarded = await chat.advance("15m")
    assert sorted(s.to_name for s in forwarded) == ["李老师", "王老师"]
    ids = {name: int(m.group(1)) for s in forwarded if (m := re.search(r"#(\d+)", s.text)) for name in [s.to_name]}
    return {"question_wang": ids["王老师"], "question_li": ids["李老师"]}


async def login(chat: Chat, name: str, app: Any = None) -> httpx.AsyncClient:
    """Ask for a link with /后台 in private, open it, press 进入后台: a client with the session cookie."""
    [reply] = await chat.say(name, None, "/后台")
    url = re.search(r"https?://\S+", reply.text)
    assert url, reply.text
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app or create_app(chat.services)),
                               base_url=chat.config.web.base_url)
    path = httpx.URL(url.group(0)).path
    page = await client.get(path)
    assert page.status_code == 200 and "进入后台" in page.text
    done = await client.post(path)
    assert done.status_code == 303, done.text
    return client


def csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


# 形考 as exported on 20 October: 形考作业2 done by 赵六 and 孙七 only
OCTOBER = [list(r) for r in HOMEWORK]
for _row in OCTOBER[1:]:
    if _row[0] not in ("2024110004", "2024120002"):
        _row[3] = "未提交"
# 网检 of 1 November, with 会计1班's two students
ONLINE_ALL = [*ONLINE, ["2025120001", "赵六", "3", "40", "5", "0"], ["2025120002", "钱七", "0", "0", "0", "0"]]


def progress_config(config: Config, tmp_path: Path) -> Config:
    """The calendar with linked 形考 deadlines; 网检 targets in force from the start (上线 50%, 10 days)."""
    config = with_calendar(config, tmp_path)
    always = date(2000, 1, 1)
    targets = config.progress.targets.model_copy(update={
        "login_rate": [Milestone(by=always, value=0.5)], "online_days": [Milestone(by=always, value=10)]})
    return config.model_copy(update={"progress": config.progress.model_copy(update={"targets": targets})})


async def progress_school(config: Config, tmp_path: Path, **kw: Any) -> tuple[Chat, dict[str, int]]:
    """The school on Monday 2 November: the roster, 形考 exported on 20 October and 1 November and 网检 of 1
    November imported from the command line. In 行管1班 李四 is on track, 张三 (形考作业2) and 赵六 (online 4 days)
    are behind, 王五 is at risk (two assignments, never logged in)."""
    chat, ids = await school(progress_config(config, tmp_path), NOV, roster=True, **kw)
    progress = chat.services.progress
    assert progress.import_file(homework(tmp_path, OCTOBER, "形考-10月.xlsx"), actor=CLI, as_of=date(2026, 10, 20)).ok
    assert progress.import_file(homework(tmp_path), actor=CLI).ok  # 截至2026年11月1日
    assert progress.import_file(csv_file(tmp_path / "网检.csv", ONLINE_ALL), actor=CLI).ok
    return chat, ids
