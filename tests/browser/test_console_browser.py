"""The web console in a real browser (Debian's Chromium, driven by Playwright's Python driver; no browser download):
log in with a link from /后台 in the simulated chat, open the overview, drill into a class, answer a question and
see the group message in the transcript, upload a roster with a bad row, add a calendar event and see its
reminders planned; with learning progress imported, the indicators, a class's students by status, a student's
台账 and a follow-up, and a platform export uploaded and imported. Screenshots of every page at phone and desktop
width go to tests/artifacts/screenshots/."""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.config import Config
from bot.simulation import Chat
from bot.web.server import server, started
from tests.conftest import ON_CI, ROOT
from tests.progress_files import HOMEWORK, homework
from tests.web.world import progress_school, school

SHOTS = ROOT / "tests" / "artifacts" / "screenshots"
SIZES = {"phone": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 900}}
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium() -> str:
    """Debian's Chromium, or a skip saying why (a failure on CI, where .ci/run installs it)."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        reason = "Debian's chromium is not installed (apt-get install -y chromium): browser tests skipped"
        if ON_CI:
            pytest.fail(reason + " — CI must run them")
        pytest.skip(reason)
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def serve(config: Config, world: Callable[[Config], Awaitable[tuple[Chat, dict[str, int]]]]
                ) -> AsyncIterator[tuple[Chat, str, str]]:
    """A school's chat, and the console served on a free loopback port over the same services and database."""
    exe = chromium()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = config.model_copy(update={"web": config.web.model_copy(update={"base_url": base})})
    chat, ids = await world(config)
    assert ids
    web = server(chat.services, "127.0.0.1", port, embedded=True)
    await started(web)  # listening from here on
    task = asyncio.create_task(web.main_loop())
    yield chat, exe, base
    web.should_exit = True
    await task
    await web.shutdown()


@pytest.fixture
async def served(config) -> AsyncIterator[tuple[Chat, str, str]]:
    async for it in serve(config, school):
        yield it


@pytest.fixture
async def served_progress(config, tmp_path) -> AsyncIterator[tuple[Chat, str, str]]:
    """The school in November, with the platform's exports imported (tests/web/world.py progress_school)."""
    async for it in serve(config, lambda c: progress_school(c, tmp_path)):
        yield it


async def shoot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for size, viewport in SIZES.items():
        await page.set_viewport_size(viewport)
        await page.screenshot(path=str(SHOTS / f"{name}-{size}.png"), full_page=True)
    await page.set_viewport_size(SIZES["phone"])


async def login(chat: Chat, browser: Any, name: str) -> Any:
    """A fresh browser profile that asks for a link privately and presses 进入后台."""
    [reply] = await chat.say(name, None, "/后台")
    url = re.search(r"https?://\S+", reply.text).group(0)
    context = await browser.new_context(viewport=SIZES["phone"], locale="zh-CN")
    page = await context.new_page()
    await page.goto(url)
    await shoot(page, "login")
    await page.click("#enter")
    await page.wait_for_url(re.compile(r"/$"))
    return page


async def test_a_coordinator_and_an_admin_use_the_console_in_chromium(served):
    from playwright.async_api import async_playwright

    chat, exe, base = served
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=exe, args=ARGS)
        try:
            await _advisor(chat, browser)
            await _admin(chat, browser, base)
        finally:
            await browser.close()


async def _advisor(chat: Chat, browser: Any) -> None:
    page = await login(chat, browser, "王老师")
    assert "总览" in await page.title()
    body = await page.inner_text("main")
    assert "行管1班" in body and "会计1班" not in body
    await shoot(page, "overview")
    # no horizontal scrolling of the page itself at 375 px (wide tables scroll inside their box)
    assert await page.evaluate("document.documentElement.scrollWidth") <= 375

    await page.click("table.rank a:has-text('行管1班')")
    await page.wait_for_url(re.compile(r"/c/[0-9a-f]+"))
    assert "周五前完成形考作业2" in await page.inner_text("main")
    await shoot(page, "class")
    await page.fill("input[data-filter=students]", "李")
    assert await page.is_hidden("#students tr[data-name=王五]")
    await page.fill("input[data-filter=students]", "")

    await page.click("text=#1")
    await page.wait_for_url(re.compile(r"/n/1$"))
    text = await page.inner_text("main")
    assert "张三" in text and "已确认" in text and "未确认" in text
    await shoot(page, "notice")

    await page.click("#acks >> text=张三")
    await page.wait_for_url(re.compile(r"/c/[0-9a-f]+/s/[0-9a-f]+"))
    assert "通知记录" in await page.inner_text("main")
    await shoot(page, "student")

    await page.click("nav >> text=问题")
    await page.wait_for_url(re.compile(r"/questions$"))
    await shoot(page, "questions")
    await page.fill("textarea[name=answer]", "学校不提供住宿，可以请教学点推荐附近住处")
    await page.click("form[action$='/answer'] button")
    await page.wait_for_selector("text=已在行管1班回复李四")
    await shoot(page, "answered")
    [posted] = await chat.settle()
    assert posted.room_topic == "2024秋行政管理1班" and posted.mention_names == ("李四",)
    assert any(e.direction == "out" and "学校不提供住宿" in e.text and e.room == "2024秋行政管理1班"
               for e in chat.transcript)

    await page.click("nav >> text=问答")
    await shoot(page, "faq")


async def _admin(chat: Chat, browser: Any, base: str) -> None:
    page = await login(chat, browser, "陈校长")
    await page.click("nav >> text=导入")
    await shoot(page, "imports")
    bad = Path(chat.config.path(chat.config.files.exports)) / "花名册.csv"
    bad.parent.mkdir(parents=True, exist_ok=True)
    bad.write_text("学号,姓名,班级,教学点\n2024110001,张三,行管1班,城区\n2024110002,李四,行管9班,城区\n",
                   encoding="utf-8")
    await page.set_input_files("form[action='/imports/roster'] input[type=file]", str(bad))
    await page.click("form[action='/imports/roster'] button")
    await page.wait_for_selector("text=第3行")
    assert "行管9班" in await page.inner_text("main")
    await shoot(page, "import-report")

    await page.goto(f"{base}/calendar/new")
    await page.select_option("select[name=type]", "直播")
    await page.fill("input[name=title]", "行政管理学 期中直播答疑")
    await page.fill("input[name=start]", "2026-09-16T19:30")
    await page.check("input[name=classes][value=行管1班]")
    await shoot(page, "event-form")
    await page.click("#save")
    await page.wait_for_selector("#planned")
    planned = await page.inner_text("#planned")
    assert "09-15 周二 19:30 提醒 行管1班" in planned and "09-16 周三 19:00 提醒 行管1班" in planned
    await shoot(page, "event")

    await page.goto(f"{base}/calendar")
    assert "期中直播答疑" in await page.inner_text("main")
    await shoot(page, "calendar")
    await page.goto(f"{base}/calendar?view=month")
    await shoot(page, "calendar-month")
    await page.goto(f"{base}/health")
    assert "待发消息" in await page.inner_text("main")
    await shoot(page, "health")
    await page.goto(f"{base}/")
    await shoot(page, "overview-admin")


async def test_learning_progress_in_chromium_at_phone_width(served_progress, tmp_path):
    """An advisor looks at the indicators, finds the students at risk, opens one, records a phone call; then
    uploads the next 形考 export and imports it."""
    from playwright.async_api import async_playwright

    chat, exe, _ = served_progress
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=exe, args=ARGS)
        try:
            page = await login(chat, browser, "王老师")
            table = await page.inner_text("#progress-table")
            assert "62.5%✗" in table and "↑12.5" in table and "会计1班" not in table
            assert await page.evaluate("document.documentElement.scrollWidth") <= 375
            await shoot(page, "progress-overview")

            await page.click("#progress-table a:has-text('行管1班')")
            await page.wait_for_url(re.compile(r"/c/[0-9a-f]+"))
            assert "行政管理学 形考作业2" in await page.inner_text("#items")
            assert await page.evaluate("document.documentElement.scrollWidth") <= 375
            await shoot(page, "progress-class")
            await page.click("#levels >> text=需重点关注")
            await page.wait_for_url(re.compile(r"g=risk"))
            rows = await page.locator("#students tr[data-name]").all_inner_texts()
            assert len(rows) == 1 and "王五" in rows[0] and "需重点关注" in rows[0]
            await shoot(page, "progress-class-at-risk")

            await page.click("#students a:has-text('王五')")
            await page.wait_for_url(re.compile(r"/c/[0-9a-f]+/s/[0-9a-f]+"))
            assert "未登录学习网" in await page.inner_text("#behind")
            await page.fill("textarea[name=text]", "电话联系，说这周末补交两次作业")
            await page.click("#follow")
            await page.wait_for_selector("text=已记入台账：王五（行管1班）")
            assert "王老师 电话：电话联系，说这周末补交两次作业" in await page.inner_text("#ledger-lines")
            assert await page.evaluate("document.documentElement.scrollWidth") <= 375
            await shoot(page, "progress-student")

            newer = [list(r) for r in HOMEWORK]
            newer[1][3] = "90"  # 张三 has done 形考作业2
            path = homework(tmp_path, newer, "形考-11-05.xlsx")
            await page.click("nav >> text=导入")
            await page.set_input_files("form[action='/imports/progress'] input[type=file]", str(path))
            await page.click("form[action='/imports/progress'] button")
            await page.wait_for_selector("#report")
            assert (await page.inner_text("#report")).startswith("形考-11-05.xlsx：检查通过（未写入）")
            await shoot(page, "progress-import")
            await page.click("#confirm")
            await page.wait_for_selector("text=形考-11-05.xlsx：导入完成")
            await shoot(page, "progress-imported")

            admin = await login(chat, browser, "陈校长")
            assert "会计1班" in await admin.inner_text("#progress-table")
            await shoot(admin, "progress-overview-admin")
        finally:
            await browser.close()
    assert await chat.settle() == []
