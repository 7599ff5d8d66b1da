"""Learning progress (督学) in the web console, over the chat's own Progress service: the overview's indicators
against their targets are the 数据通报's (the same figures, ✓/✗ and ranking as /汇总 进度), a class's students'
status is /进度's, a student's 台账 is /台账's, the follow-up form is /跟进, and an export uploaded goes through the
chat's importer registry with the same report word for word. Every out-of-scope id is 404."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta

import httpx
import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bot.models import AuditLog, ProgressContact, ProgressState
from bot.simulation import Chat
from bot.texts import progress as ptexts
from bot.texts import uploads as utexts
from bot.texts import web as wtexts
from tests.progress_files import HOMEWORK, NOV, homework, xlsx
from tests.web.world import csrf, login, progress_school


@pytest.fixture
async def world(config, tmp_path):
    return await progress_school(config, tmp_path)


def text_of(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def table(page: str, table_id: str) -> dict[str, list[str]]:
    """A table's body rows by their name cell (class="name"): the text of the cells after it."""
    m = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S)
    assert m, f"no table #{table_id}"
    out = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", m.group(0), re.S):
        cells = re.findall(r"<td([^>]*)>(.*?)</td>", row, re.S)
        at = next((i for i, (attrs, _) in enumerate(cells) if 'class="name"' in attrs), None)
        if at is not None:
            out[text_of(cells[at][1])] = [text_of(c) for _, c in cells[at + 1:]]
    return out


async def class_link(client: httpx.AsyncClient, name: str) -> str:
    page = (await client.get("/")).text
    m = re.search(rf'href="(/c/[0-9a-f]+)[^"]*">{name}</a>', page)
    assert m, f"no link to {name}"
    return m.group(1)


async def student_link(client: httpx.AsyncClient, cls: str, name: str, *, bound: bool = True) -> str:
    """The student's page (the roster's, bound to a member or not) from the class page."""
    page = (await client.get(cls)).text
    found = re.findall(rf'<tr data-name="{name}" data-level="(\w*)"><td class="name"><a href="(/c/[^"]+)"', page)
    found = [path for level, path in found if bool(level) == bound]
    assert len(found) == 1, found
    return found[0]


def audit(chat: Chat, action: str) -> list[tuple[str, str, str]]:
    with chat.db.tx() as s:
        return [(a.where, a.detail, a.result) for a in s.exec(select(AuditLog).where(AuditLog.action == action))]


# -- 总览 ------------------------------------------------------------------------------------------------------------
async def test_the_overview_shows_the_reports_indicators_against_targets_and_last_month(world):
    chat, _ = world
    wang = await login(chat, "王老师")
    page = (await wang.get("/")).text
    rows = table(page, "progress-table")
    assert "会计1班" not in rows and "清苑" not in rows  # 李老师's class, 刘主任's other teaching point
    assert rows["城区"][0] == "66.7%✗ ↑8.3" and rows["城区"][2:] == ["83.3%✓", "12.7✓"]
    assert rows["行管1班"] == ["62.5%✗ ↑12.5", "—", "75.0%✓", "10.2✓"]
    assert rows["行管2班"] == ["75.0%✗ →", "—", "100.0%✓", "17.5✓"]
    assert page.index(">行管2班</a>") < page.index(">行管1班</a>")  # ranked by 形考 completion, as the report does
    assert "目标 92.0%" in page and "目标 10" in page
    # the chat's 数据通报 for the same classes says the same: figures, ✓/✗, ↑/↓
    report, chart, workbook = await chat.say("王老师", None, "/汇总 进度")
    assert chart.message.file_path and workbook.message.file_path
    assert "1. 行管2班 75%（持平）✗" in report.text and "2. 行管1班 62%（↑12%）✗" in report.text
    assert "行管1班 上线 75%✓，生均在线 10.2 天✓" in report.text
    for name in ("行管1班", "行管2班"):
        web_rate = float(rows[name][0].split("%")[0]) / 100
        chat_line = re.search(rf"\d\. {name} (\d+)%（[^）]+）([✓✗])", report.text)
        assert chat_line and f"{web_rate:.0%}" == chat_line.group(1) + "%"
        assert rows[name][0].split(" ")[0].endswith(chat_line.group(2))
    last = table((await wang.get("/?m=last")).text, "progress-table")  # October: the export of the 20th
    assert last["行管1班"][0] == "50.0%✗" and last["行管2班"][0] == "75.0%✗"
    liu = await login(chat, "刘主任")
    everything = table((await liu.get("/")).text, "progress-table")
    assert everything["合计"][2:] == ["75.0%✓", "9.9✗"] and everything["会计1班"][2:] == ["50.0%✓", "1.5✗"]
    assert everything["法学1班"] == ["—", "—", "—", "—"]
    book = load_workbook(io.BytesIO((await wang.get("/overview.xlsx?m=this")).content))
    head, *lines = book["班级"].iter_rows(values_only=True)
    assert head[-4:] == ("形考完成率（本月至今）", "直播参与率（本月至今）", "上线比例（本月至今）", "生均在线天数（本月至今）")
    assert {r[1]: r[-4] for r in lines} == {"行管1班": 0.625, "行管2班": 0.75}


async def test_the_overview_says_where_the_data_comes_from_when_there_is_none(config):
    from tests.web.world import school

    chat, _ = await school(config)
    page = (await (await login(chat, "王老师")).get("/")).text
    assert "progress-table" not in page and "还没有学习平台数据" in page and 'href="/imports"' in page


# -- a class ---------------------------------------------------------------------------------------------------------
async def test_a_class_lists_its_students_status_with_a_filter_as_the_progress_command_counts(world):
    chat, _ = world
    wang = await login(chat, "王老师")
    cls = await class_link(wang, "行管1班")
    page = (await wang.get(cls)).text
    assert "正常 <b>1</b> 人，落后 <b class=\"bad\">2</b> 人，需重点关注 <b class=\"bad\">1</b> 人" in page
    group, private = await chat.say("王老师", "行管1班", "/进度")
    assert "正常 1 人，落后 2 人，需重点关注 1 人。" in private.text  # the same count, privately in chat
    items = table(page, "items")
    for line in group.text.splitlines():  # every item /进度 counts in the group, with the same figures
        if m := re.match(r"(.+)：已完成 (\d+/\d+)", line):
            assert items[m.group(1)][0] == m.group(2)
    assert "网检：已上线 3/4，生均在线 10.2 天" in text_of(page)

    def shown(html_: str) -> list[tuple[str, str]]:
        body = re.search(r'<table id="students">(.*?)</table>', html_, re.S).group(1)
        return sorted(re.findall(r'<tr data-name="([^"]+)" data-level="(\w*)">', body))

    # 王五 twice: the member in the group nobody matched to the roster yet (no 群昵称), and the roster's 王五
    assert shown(page) == [("张三", "behind"), ("李四", "ok"), ("王五", ""), ("王五", "risk"), ("赵六", "behind")]
    assert shown((await wang.get(cls + "?g=risk")).text) == [("王五", "risk")]
    assert shown((await wang.get(cls + "?g=behind")).text) == [("张三", "behind"), ("赵六", "behind")]
    assert shown((await wang.get(cls + "?g=ok")).text) == [("李四", "ok")]
    assert shown((await wang.get(cls + "?g=behind&s=out")).text) == [("赵六", "behind")]  # with the other filter
    assert "行政管理学 形考作业2" in re.search(r'data-name="张三".*?</tr>', page, re.S).group(0)


async def test_the_phone_list_and_the_ledger_of_a_class(world):
    chat, _ = world
    for day in range(2):  # reminded twice, still behind after the next import: 需要电话联系
        if day:
            digests = await chat.run_until(NOV + timedelta(days=day, hours=1))
            assert all("汇总" in s.text or "数据通报" in s.text for s in digests)
        summary, done, nudge = await chat.say("王老师", "行管1班", "/督学 形考作业2")
        assert nudge.mention_names == ("张三",) and done.room_topic and summary.to_name == "王老师"
    wang = await login(chat, "王老师")
    page = (await wang.get(await class_link(wang, "行管1班"))).text
    phone = text_of(re.search(r'<ul class="plain" id="phone">(.*?)</ul>', page, re.S).group(1))
    assert phone == "张三 13800000001 ：行政管理学 形考作业2（已提醒 2 次）"
    listed, caption, xlsx_ = await chat.say("王老师", None, "/台账")  # the chat lists the same
    assert "· 张三 13800000001：行政管理学 形考作业2（已提醒 2 次）" in listed.text and caption.text and xlsx_.message
    ledger = re.search(r'<section class="card" id="ledger">(.*?)</section>', page, re.S).group(1)
    assert text_of(ledger).count("群内@提醒") == 2 and "已发送（群内@，未写具体事项）" in text_of(ledger)


# -- a student -------------------------------------------------------------------------------------------------------
async def test_a_students_page_shows_their_items_and_the_same_ledger_as_the_chat(world):
    chat, _ = world
    wang = await login(chat, "王老师")
    cls = await class_link(wang, "行管1班")
    path = await student_link(wang, cls, "张三")
    page = (await wang.get(path)).text
    assert text_of(re.search(r'<ul class="plain" id="behind">(.*?)</ul>', page, re.S).group(1)) == (
        "行政管理学 形考作业2 未完成，截止 11-08 周日 23:59")
    items = table(page, "items")
    assert items["行政管理学 形考作业1"][:2] == ["已完成", "85"] and items["行政管理学 形考作业2"][0] == "未完成"
    assert items["在线天数"][1] == "12"
    [history] = await chat.say("王老师", None, "/台账 2024110001")
    chat_lines = history.text.splitlines()[1:]
    web_lines = [text_of(li) for li in re.findall(r"<li>(.*?)</li>", re.search(
        r'<ul class="plain" id="ledger-lines">(.*?)</ul>', page, re.S).group(1), re.S)]
    assert web_lines == list(reversed(chat_lines))  # newest first


async def test_the_follow_up_form_records_what_slash_follow_records(world):
    chat, _ = world
    wang = await login(chat, "王老师")
    path = await student_link(wang, await class_link(wang, "行管1班"), "张三")
    token = csrf((await wang.get(path)).text)
    empty = await wang.post(path + "/follow", data={"csrf": token, "text": "  "})
    assert empty.status_code == 303 and wtexts.FOLLOW_EMPTY in html.unescape((await wang.get(path)).text)
    r = await wang.post(path + "/follow", data={"csrf": token, "text": "电话联系，答应周五前补交"})
    assert r.status_code == 303 and r.headers["location"].startswith(path)
    page = html.unescape((await wang.get(path)).text)
    said = ptexts.followed("张三", "行管1班", "行政管理学 形考作业2 未完成", "电话", "电话联系，答应周五前补交")
    assert f'<p class="flash">{said}</p>' in page
    assert "王老师 电话：电话联系，答应周五前补交" in page
    [done] = await chat.say("王老师", None, "/跟进 2024110001 电话联系，答应周五前补交")
    assert done.text == said  # the chat says the same about the same record
    with chat.db.tx() as s:
        web, in_chat = [(c.student_no, c.class_name, c.kind, c.method, c.items, c.problem, c.result, c.actor_id)
                        for c in s.exec(select(ProgressContact).order_by(ProgressContact.id))]
    assert web == in_chat
    [(_, detail, result)] = [a for a in audit(chat, "/跟进") if a[0] == "后台"]
    assert detail.endswith(" 2024110001") and result == "ok" and "电话" not in detail
    [history] = await chat.say("王老师", None, "/台账 张三")
    assert "有 2 位“张三”" in history.text  # 行管2班 has another: the chat asks, the page never needed to


# -- scope -----------------------------------------------------------------------------------------------------------
async def test_progress_pages_and_the_follow_up_form_are_not_found_outside_ones_classes(world):
    chat, _ = world
    wang, li = await login(chat, "王老师"), await login(chat, "李老师")
    li_class = await class_link(li, "会计1班")
    assert "正常" in (await li.get(li_class)).text  # 李老师 sees 会计1班's progress
    li_student = await student_link(li, li_class, "赵六")
    assert "在线天数" in (await li.get(li_student)).text
    wang_class = await class_link(wang, "行管1班")
    token = csrf((await wang.get("/")).text)
    sid = li_student.rsplit("/", 1)[1]
    for path in (li_class, li_class + "?g=risk", li_student, f"{wang_class}/s/{sid}"):
        assert (await wang.get(path)).status_code == 404, path
    for path in (li_student, f"{wang_class}/s/{sid}"):
        r = await wang.post(path + "/follow", data={"csrf": token, "text": "电话联系"})
        assert r.status_code == 404, path
    member = await student_link(wang, wang_class, "王五", bound=False)  # in the group, not on the roster
    r = await wang.post(member + "/follow", data={"csrf": token, "text": "电话联系"})
    assert r.status_code == 404
    overview = (await wang.get("/")).text
    assert "会计1班" not in overview and "1.5✗" not in overview
    with chat.db.tx() as s:
        assert s.exec(select(ProgressContact)).all() == []
    assert await chat.settle() == []


# -- 导入 ------------------------------------------------------------------------------------------------------------
NEWER = [list(r) for r in HOMEWORK]
NEWER[1][3] = "90"  # 张三 has done 形考作业2 by 5 November


async def test_an_export_gets_the_chats_report_and_imports_after_confirming(world, tmp_path):
    chat, _ = world
    path = homework(tmp_path, NEWER, "形考-11-05.xlsx")
    [checked] = await chat.say("王老师", None, "", kind="file", file_path=str(path), file_name=path.name)
    report = checked.text.removesuffix("\n" + utexts.CONFIRM)
    assert report.startswith("形考-11-05.xlsx：检查通过（未写入）")
    [cancelled] = await chat.say("王老师", None, "取消")
    assert cancelled.text
    wang = await login(chat, "王老师")
    imports = (await wang.get("/imports")).text
    assert "/imports/progress" in imports and "/imports/roster" not in imports  # a teacher imports progress only
    token = csrf(imports)
    r = await wang.post("/imports/progress", data={"csrf": token},
                        files={"file": (path.name, path.read_bytes())})
    assert r.status_code == 200
    shown = html.unescape(re.search(r'<p class="pre good" id="report">(.*?)</p>', r.text, re.S).group(1))
    assert shown == report  # word for word what the chat said
    upload = re.search(r'name="token" value="([^"]+)"', r.text).group(1)
    with chat.db.tx() as s:
        before = s.get(ProgressState, ("2024110001", "形考", "行政管理学", "形考作业2"))
    assert before is not None and before.done is False
    done = await wang.post("/imports/progress/confirm", data={"csrf": token, "token": upload})
    assert done.status_code == 200 and report.replace("检查通过（未写入）", "导入完成") in html.unescape(done.text)
    with chat.db.tx() as s:
        after = s.get(ProgressState, ("2024110001", "形考", "行政管理学", "形考作业2"))
    assert after is not None and after.done is True
    again = await wang.post("/imports/progress/confirm", data={"csrf": token, "token": upload})
    assert again.status_code == 410 and utexts.DONE_BEFORE.format(name=path.name) in html.unescape(again.text)
    assert ("后台", f"{path.name} -> progress", "checked") in audit(chat, "file")
    assert ("后台", upload, "imported") in audit(chat, "/导入")
    assert await chat.settle() == []


async def test_an_upload_covers_only_the_senders_classes_and_bad_files_get_the_chats_words(world, tmp_path):
    chat, _ = world
    li = await login(chat, "李老师")
    token = csrf((await li.get("/imports")).text)
    path = homework(tmp_path)
    r = await li.post("/imports/progress", data={"csrf": token}, files={"file": (path.name, path.read_bytes())})
    assert html.unescape(r.text).count("形考.xlsx：没有您负责班级的学生（6 行属于其他班级），未导入。") == 1
    assert "确认导入" not in r.text
    bad = xlsx(tmp_path / "无学号.xlsx", [["姓名", "形考作业1"], ["张三", "85"]])
    [in_chat] = await chat.say("李老师", None, "", kind="file", file_path=str(bad), file_name=bad.name)
    r = await li.post("/imports/progress", data={"csrf": token}, files={"file": (bad.name, bad.read_bytes())})
    shown = html.unescape(re.search(r'<p class="pre bad" id="report">(.*?)</p>', r.text, re.S).group(1))
    assert shown == in_chat.text and "找不到学号列" in shown and "确认导入" not in r.text
    r = await li.post("/imports/progress", data={"csrf": token}, files={"file": ("名单.xls", b"old")})
    assert r.status_code == 415
    forged = await li.post("/imports/progress/confirm", data={"csrf": token, "token": "ABCDEF"})
    assert forged.status_code == 410
    assert [a for a in audit(chat, "file") if a[0] == "后台"] == [
        ("后台", "形考.xlsx -> progress", "refused"), ("后台", "无学号.xlsx -> progress", "refused")]


async def test_the_progress_pages_read_the_same_on_both_databases(config, tmp_path, database):
    chat, _ = await progress_school(config, tmp_path, db=database)
    liu = await login(chat, "刘主任")
    rows = table((await liu.get("/")).text, "progress-table")
    assert rows["行管1班"] == ["62.5%✗ ↑12.5", "—", "75.0%✓", "10.2✓"]
    for cls in sorted(set(re.findall(r'href="(/c/[0-9a-f]+)#progress"', (await liu.get("/")).text))):
        page = await liu.get(cls + "?g=behind")
        assert page.status_code == 200
        for student in re.findall(r'href="(/c/[0-9a-f]+/s/[0-9a-f]+)"', page.text):
            assert (await liu.get(student)).status_code == 200
