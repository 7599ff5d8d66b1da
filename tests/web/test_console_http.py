"""The web console over HTTP (no browser): logging in with /后台, sessions and revokes, every page's scope (an
advisor changing an id in the URL sees nothing of another advisor's classes), CSRF, uploads, and that actions go
through the same services as the chat."""

from __future__ import annotations

import io
import re
from datetime import datetime

import httpx
import pytest
from openpyxl import load_workbook

from bot.web.app import create_app
from tests.web.world import csrf, login, school


@pytest.fixture
async def world(config):
    return await school(config)


async def links(client: httpx.AsyncClient, path: str, pattern: str) -> list[str]:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return sorted(set(re.findall(pattern, page.text)))


# -- logging in ----------------------------------------------------------------------------------------------------
async def test_a_link_from_a_private_slash_command_logs_in_once(world):
    chat, _ = world
    [reply] = await chat.say("王老师", None, "/后台")
    assert "10分钟内有效" in reply.text and reply.to_name == "王老师"
    path = httpx.URL(re.search(r"https?://\S+", reply.text).group(0)).path
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(chat.services)),
                                 base_url="http://127.0.0.1:8080") as client:
        assert (await client.get("/")).status_code == 401  # not logged in yet
        shown = await client.get(path)  # a link preview or a prefetch only sees a button
        assert shown.status_code == 200 and "进入后台" in shown.text
        done = await client.post(path)
        assert done.status_code == 303 and "bz_session" in done.headers["set-cookie"]
        assert "httponly" in done.headers["set-cookie"].lower()
        overview = await client.get("/")
        assert overview.status_code == 200 and "王老师" in overview.text
        client.cookies.clear()
        replayed = await client.post(path)
        assert replayed.status_code == 403 and "已经用过" in replayed.text
        assert "已经用过" in (await client.get(path)).text


async def test_an_expired_or_unknown_link_does_not_log_in(world):
    chat, _ = world
    [reply] = await chat.say("王老师", None, "/后台")
    path = httpx.URL(re.search(r"https?://\S+", reply.text).group(0)).path
    assert await chat.advance("11m") == []
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(chat.services)),
                                 base_url="http://127.0.0.1:8080") as client:
        expired = await client.post(path)
        assert expired.status_code == 403 and "已过期" in expired.text and "set-cookie" not in expired.headers
        unknown = await client.post("/login/not-a-real-token")
        assert unknown.status_code == 403 and "无效" in unknown.text


async def test_only_staff_get_a_link_and_only_in_private(world):
    chat, _ = world
    [student] = await chat.say("张三", None, "/后台")
    assert "只有" in student.text and "http" not in student.text
    [group] = await chat.say("王老师", "行管1班", "/后台")
    assert "私聊" in group.text and "http" not in group.text


async def test_a_session_lasts_a_working_day_and_logout_ends_it(world):
    chat, _ = world
    client = await login(chat, "王老师")
    assert (await client.get("/")).status_code == 200
    assert await chat.advance("9h") == []
    page = await client.get("/")
    assert page.status_code == 200
    assert await chat.advance("2h") == []
    assert (await client.get("/")).status_code == 401
    client = await login(chat, "王老师")
    page = await client.get("/")
    out = await client.post("/logout", data={"csrf": csrf(page.text)})
    assert out.status_code == 200 and "已退出" in out.text
    client.cookies.set("bz_session", "x")  # whatever the browser still holds
    assert (await client.get("/")).status_code == 401


async def test_revoke_ends_the_sessions_of_that_person(world, cli):
    chat, _ = world
    client = await login(chat, "王老师")
    other = await login(chat, "李老师")
    assert cli(chat, "revoke", "--name", "王老师") == 0
    assert (await client.get("/")).status_code == 401
    assert (await other.get("/")).status_code == 200


# -- scope: an advisor changing ids in the URL -----------------------------------------------------------------------
async def test_an_advisor_sees_only_their_classes_whatever_id_is_in_the_url(world):
    chat, ids = world
    wang, li = await login(chat, "王老师"), await login(chat, "李老师")
    li_classes = await links(li, "/", r'href="(/c/[0-9a-f]+)"')
    wang_classes = await links(wang, "/", r'href="(/c/[0-9a-f]+)"')
    assert len(li_classes) == 2 and len(wang_classes) == 2 and not set(li_classes) & set(wang_classes)
    overview = (await wang.get("/")).text
    assert "行管1班" in overview and "会计1班" not in overview and "法学1班" not in overview
    for path in li_classes:  # the class page, its filters
        for suffix in ("", "?p=week&s=behind"):
            assert (await wang.get(path + suffix)).status_code == 404
    li_students = await links(li, li_classes[0], r'href="(/c/[0-9a-f]+/s/[0-9a-f]+)"')
    assert li_students
    wang_class = wang_classes[0]
    for path in li_students:
        assert (await wang.get(path)).status_code == 404  # another advisor's student
        sid = path.rsplit("/", 1)[1]
        assert (await wang.get(f"{wang_class}/s/{sid}")).status_code == 404  # under one's own class id
    for path in ("/n/2", "/n/2/export.xlsx", "/n/99"):
        assert (await wang.get(path)).status_code == 404
    assert (await wang.get("/n/1")).status_code == 200
    questions = (await wang.get("/questions")).text
    assert "宿舍" in questions and "考研" not in questions
    token = csrf(questions)
    for path in (f"/questions/{ids['question_li']}/answer", f"/questions/{ids['question_li']}/close"):
        r = await wang.post(path, data={"csrf": token, "answer": "可以"})
        assert r.status_code == 404
    r = await wang.post("/n/2/nudge", data={"csrf": token})
    assert r.status_code == 404
    assert await chat.settle() == []  # nothing was posted anywhere


async def test_teachers_do_not_see_health_or_roster_imports_and_coordinators_see_every_class_of_their_points(world):
    chat, _ = world
    wang = await login(chat, "王老师")
    assert (await wang.get("/health")).status_code == 403
    token = csrf((await wang.get("/")).text)
    r = await wang.post("/imports/roster", data={"csrf": token}, files={"file": ("a.csv", b"x")})
    assert r.status_code == 404
    liu = await login(chat, "刘主任")
    assert len(await links(liu, "/", r'href="(/c/[0-9a-f]+)"')) == 4
    assert (await liu.get("/health")).status_code == 403
    admin = await login(chat, "陈校长")
    health = await admin.get("/health")
    assert health.status_code == 200 and "待发消息" in health.text


async def test_the_health_page_lists_the_friend_requests_waiting_for_an_admin(world):
    from bot.gateways.base import FriendRequest, Member

    chat, _ = world
    friends = chat.services.friends
    friends.requested(FriendRequest("req-1", Member("wxid_parent", "家长甲"), "你好，我是学生家长"))  # no rule fits
    [waiting] = friends.pending()
    health = (await (await login(chat, "陈校长")).get("/health")).text
    section = re.search(r'<section class="card" id="friends">(.*?)</section>', health, re.S).group(1)
    assert f"#{waiting.id}" in section and "家长甲：你好，我是学生家长" in section


async def test_calendar_events_outside_ones_classes_are_not_found(world):
    chat, _ = world
    admin = await login(chat, "陈校长")
    token = csrf((await admin.get("/calendar/new")).text)
    r = await admin.post("/calendar/new", data={"csrf": token, "type": "其他", "title": "会计学期中座谈",
                                                "start": "2026-09-20T09:00", "classes": "会计1班"})
    assert r.status_code == 303
    event = r.headers["location"]
    wang = await login(chat, "王老师")
    assert (await wang.get(event)).status_code == 404
    assert "会计学期中座谈" not in (await wang.get("/calendar")).text
    assert (await wang.get("/calendar/new")).status_code == 403  # teachers set reminders with /提醒 in chat


# -- forms: CSRF and origin ------------------------------------------------------------------------------------------
async def test_every_form_needs_the_sessions_csrf_token(world):
    chat, ids = world
    wang = await login(chat, "王老师")
    q = ids["question_wang"]
    for data in ({"answer": "不提供住宿"}, {"answer": "不提供住宿", "csrf": "forged"}):
        r = await wang.post(f"/questions/{q}/answer", data=data)
        assert r.status_code == 403 and "表单已失效" in r.text
    other = await login(chat, "李老师")
    r = await wang.post(f"/questions/{q}/answer", data={"answer": "x", "csrf": csrf((await other.get("/")).text)})
    assert r.status_code == 403  # another session's token
    r = await wang.post(f"/questions/{q}/answer", data={"answer": "x", "csrf": csrf((await wang.get("/")).text)},
                        headers={"origin": "https://evil.example"})
    assert r.status_code == 403
    assert await chat.settle() == []


# -- answering questions ---------------------------------------------------------------------------------------------
async def test_answering_posts_in_the_group_like_the_reply_command_and_offers_a_qa_pair(world):
    chat, ids = world
    wang = await login(chat, "王老师")
    q = ids["question_wang"]
    token = csrf((await wang.get("/questions")).text)
    r = await wang.post(f"/questions/{q}/answer", data={"csrf": token, "answer": "学校不提供住宿，可请教学点推荐"})
    assert r.status_code == 200 and "已在行管1班回复李四" in r.text and "添加为问答" in r.text
    [posted] = await chat.settle()
    assert posted.room_topic == "2024秋行政管理1班" and posted.mention_names == ("李四",)
    assert "王老师回复你的问题“学校有宿舍吗？”" in posted.text and "学校不提供住宿" in posted.text
    again = await wang.post(f"/questions/{q}/answer", data={"csrf": token, "answer": "再说一次"})
    assert again.status_code == 303 and await chat.settle() == []
    assert "已经回复过了" in (await wang.get("/questions")).text
    added = await wang.post("/faq/add", data={"csrf": token, "question": "学校有宿舍吗", "answer": "学校不提供住宿"})
    assert added.status_code == 303
    [answer] = await chat.say("张三", "行管1班", "学校有宿舍吗？")
    assert "学校不提供住宿" in answer.text and "常见问答" in answer.text


async def test_the_qa_list_is_editable_and_phrasings_can_be_added(world):
    chat, _ = world
    wang = await login(chat, "王老师")
    token = csrf((await wang.get("/faq")).text)
    assert (await wang.post("/faq/add", data={"csrf": token, "question": "教材在哪领",
                                              "answer": "开学第一周在教学点领取"})).status_code == 303
    page = (await wang.get("/faq")).text
    entry = int(re.search(r"#(\d+) 教材在哪领", page).group(1))
    assert (await wang.post(f"/faq/{entry}/save", data={"csrf": token, "question": "教材在哪领",
                                                        "answer": "开学第二周凭学生证在教学点领取"})).status_code == 303
    [answer] = await chat.say("张三", "行管1班", "教材在哪领？")
    assert "第二周" in answer.text
    assert (await wang.post("/faq/phrasing", data={"csrf": token, "word": "课本", "means": "教材"})).status_code == 303
    assert "课本 → 教材" in (await wang.get("/faq")).text
    assert (await wang.post(f"/faq/{entry}/delete", data={"csrf": token})).status_code == 303
    assert (await wang.post(f"/faq/{entry}/delete", data={"csrf": token})).status_code == 404
    assert "教材在哪领" not in (await wang.get("/faq")).text


# -- uploads --------------------------------------------------------------------------------------------------------
ROSTER_BAD = "学号,姓名,班级,教学点\n2024110001,张三,行管1班,城区\n20241100X2,李四,行管1班,城区\n".encode()
ROSTER_GOOD = "学号,姓名,班级,教学点\n2024110001,张三,行管1班,城区\n2024110002,李四,行管1班,城区\n".encode()


async def test_a_roster_upload_reports_bad_rows_and_imports_only_after_confirming(world):
    chat, _ = world
    admin = await login(chat, "陈校长")
    token = csrf((await admin.get("/imports")).text)
    bad = await admin.post("/imports/roster", data={"csrf": token}, files={"file": ("花名册.csv", ROSTER_BAD)})
    assert bad.status_code == 200 and "第3行：学号格式不对：20241100X2" in bad.text and "确认导入" not in bad.text
    count = chat.services.roster.count()
    good = await admin.post("/imports/roster", data={"csrf": token}, files={"file": ("花名册.csv", ROSTER_GOOD)})
    assert "检查通过（未写入）" in good.text and chat.services.roster.count() == count
    upload = re.search(r'name="token" value="([^"]+)"', good.text).group(1)
    done = await admin.post("/imports/roster/confirm", data={"csrf": token, "token": upload})
    assert done.status_code == 200 and "导入完成" in done.text
    assert chat.services.roster.student("2024110002") is not None
    replay = await admin.post("/imports/roster/confirm", data={"csrf": token, "token": upload})
    assert replay.status_code == 410


async def test_uploads_that_are_too_large_of_the_wrong_type_or_missing_are_refused(world):
    chat, _ = world
    admin = await login(chat, "陈校长")
    token = csrf((await admin.get("/imports")).text)
    big = b"x" * (chat.config.web.max_upload_mb * 2**20 + 200_000)
    r = await admin.post("/imports/roster", data={"csrf": token}, files={"file": ("big.csv", big)})
    assert r.status_code == 413 and "文件太大" in r.text
    r = await admin.post("/imports/roster", data={"csrf": token}, files={"file": ("名单.txt", b"a,b")})
    assert r.status_code == 415 and ".csv" in r.text
    r = await admin.post("/imports/calendar", data={"csrf": token}, files={"file": ("x.ics", b"not a calendar")})
    assert r.status_code == 200 and "确认导入" not in r.text
    r = await admin.post("/imports/roster", data={"csrf": token})
    assert r.status_code == 400 and "请选择" in r.text
    r = await admin.post("/imports/nothing", data={"csrf": token}, files={"file": ("a.csv", b"x")})
    assert r.status_code == 404


# -- calendar -------------------------------------------------------------------------------------------------------
async def test_calendar_forms_are_validated_like_the_yaml_and_show_the_planned_reminders(world):
    chat, _ = world
    admin = await login(chat, "陈校长")
    token = csrf((await admin.get("/calendar/new")).text)
    missing = await admin.post("/calendar/new", data={"csrf": token, "type": "作业", "title": "形考作业3"})
    assert missing.status_code == 422 and "开始时间和截止时间至少填一个" in missing.text
    backwards = await admin.post("/calendar/new", data={"csrf": token, "type": "作业", "title": "形考作业3",
                                                        "start": "2026-09-20T09:00", "deadline": "2026-09-19T18:00"})
    assert backwards.status_code == 422 and "截止时间早于开始时间" in backwards.text
    bad_remind = await admin.post("/calendar/new", data={"csrf": token, "type": "作业", "title": "形考作业3",
                                                         "deadline": "2026-09-10T18:00", "remind": "三天"})
    assert bad_remind.status_code == 422 and 'class="err"' in bad_remind.text
    ok = await admin.post("/calendar/new", data={"csrf": token, "type": "作业", "title": "形考作业3",
                                                 "deadline": "2026-09-10T18:00", "classes": "行管1班"})
    assert ok.status_code == 303
    detail = (await admin.get(ok.headers["location"])).text
    assert "提醒计划" in detail and "09-09 周三 18:00 提醒 行管1班" in detail
    sent = await chat.run_until(datetime.fromisoformat("2026-09-09T18:05:00+08:00"))
    reminders = [s.text for s in sent if s.room_topic == "2024秋行政管理1班"]
    assert len(reminders) == 2 and all("形考作业3" in t for t in reminders)  # 3 days and 1 day before
    assert all("数据通报" in s.text for s in sent if s.room_topic != "2024秋行政管理1班")  # the daily digests


# -- pages and downloads --------------------------------------------------------------------------------------------
async def test_every_page_answers_and_the_overview_downloads_as_excel(world):
    chat, _ = world
    admin = await login(chat, "陈校长")
    for path in ("/", "/?p=week", "/?p=90d", "/questions", "/faq", "/calendar", "/calendar?view=month",
                 "/calendar?view=month&m=2026-10", "/imports", "/health", "/n/1", "/n/2"):
        r = await admin.get(path)
        assert r.status_code == 200, path
        assert "Server-Timing" in r.headers or "server-timing" in r.headers
        assert r.headers["x-frame-options"] == "DENY"
    xlsx = await admin.get("/overview.xlsx?p=week")
    wb = load_workbook(io.BytesIO(xlsx.content))
    classes = [row[1] for row in wb["班级"].iter_rows(min_row=2, values_only=True)]
    assert sorted(classes) == ["会计1班", "法学1班", "行管1班", "行管2班"]
    notice = await admin.get("/n/1/export.xlsx")
    assert load_workbook(io.BytesIO(notice.content)).active.max_row >= 4
    assert (await admin.get("/no/such/page")).status_code == 404


async def test_nudging_from_the_notice_page_mentions_everyone_missing(world):
    chat, _ = world
    wang = await login(chat, "王老师")
    page = await wang.get("/n/1")
    assert "催未确认的同学（2）" in page.text
    r = await wang.post("/n/1/nudge", data={"csrf": csrf(page.text)})
    assert r.status_code == 303
    [nudge] = await chat.settle()
    assert nudge.room_topic == "2024秋行政管理1班" and sorted(nudge.mention_names) == ["李四", "王五"]


async def test_the_pages_read_the_same_on_both_databases(config, database):
    chat, _ = await school(config, db=database)
    admin = await login(chat, "陈校长")
    overview = await admin.get("/")
    assert overview.status_code == 200 and "40.0%" in overview.text  # 2 of 5 expected acknowledged
    for cls in await links(admin, "/", r'href="(/c/[0-9a-f]+)"'):
        page = await admin.get(cls + "?p=week&s=behind")
        assert page.status_code == 200
        for student in re.findall(r'href="(/c/[0-9a-f]+/s/[0-9a-f]+)"', page.text):
            assert (await admin.get(student)).status_code == 200
    assert "考研" in (await admin.get("/questions")).text
    assert (await admin.get("/n/1")).status_code == 200
