"""The roster, the calendar and the handbook sent to the bot privately: the dry run's report is word for word what
`python -m bot roster|calendar|handbook import … --dry-run` prints (good file and bad file), then “导入” imports;
only admins import them; a file is recognised by one importer or by none."""

import shutil

from sqlmodel import select

from bot.models import ImportedEvent, Student
from bot.simulation import Chat
from bot.texts import uploads as texts
from tests.conftest import CLASS1, ROOT, new_chat, send_file
from tests.progress_files import NOV, csv_file, with_calendar, xlsx

ADMIN = {"name": "陈校长", "id": "wxid_chen", "role": "admin"}


async def school(config, tmp_path, db) -> Chat:
    """Every configured group (so the admin gets no note about a missing one), an admin, and a handbook of our own."""
    handbook = tmp_path / "handbook.md"
    shutil.copyfile(ROOT / "data/handbook.md", handbook)
    cfg = with_calendar(config, tmp_path)
    cfg = cfg.model_copy(update={"files": cfg.files.model_copy(update={"handbook": str(handbook)})})
    chat = new_chat(cfg, NOV, db=db)
    chat.add_room("2024秋行政管理1班", CLASS1)
    chat.add_room("2024秋行政管理2班", [{"name": "王老师", "id": "wxid_wang", "role": "teacher"}])
    chat.add_room("2025春会计学1班", [{"name": "李老师", "id": "wxid_li", "role": "teacher"}])
    chat.add_room("2025春法学1班", [{"name": "赵老师", "id": "wxid_zhao", "role": "teacher"}])
    chat.add_room("城区分校教学点负责人群", [{"name": "刘主任", "id": "wxid_liu", "role": "coordinator"}, ADMIN])
    await chat.start()
    return chat


def students(chat) -> dict[str, Student]:
    with chat.db.tx() as s:
        return {st.student_no: st for st in s.exec(select(Student))}


def checked(reply) -> str:
    """The report of a dry run in chat, without the line that asks for 导入."""
    report, confirm = reply.text.rsplit("\n", 1)
    assert confirm == texts.CONFIRM_ALL  # an admin's import is the whole school's, not “your classes”
    return report


HEAD = ["学号", "姓名", "班级", "教学点", "手机"]


async def test_a_roster_is_the_command_lines_report_then_imported(config, tmp_path, sqlite_db, cli, capsys):
    chat = await school(config, tmp_path, sqlite_db)
    path = csv_file(tmp_path / "2024秋花名册.csv", [HEAD, ["2024110001", "张三", "行管1班", "城区", "13800000001"],
                                                    ["2024110002", "李四", "行管1班", "城区", ""]])
    [check] = await send_file(chat, "陈校长", path)
    report = checked(check)
    assert report == "2024秋花名册.csv：检查通过（未写入）：新增 2，更新 0，未变 0。"
    assert students(chat) == {}
    assert cli(chat, "roster", "import", str(path), "--dry-run") == 0
    assert capsys.readouterr().out.strip() == report
    [done] = await chat.say("陈校长", None, "导入")
    assert done.text == "2024秋花名册.csv：导入完成：新增 2，更新 0，未变 0。"
    assert set(students(chat)) == {"2024110001", "2024110002"}


async def test_a_bad_roster_gets_the_command_lines_refusal_and_changes_nothing(config, tmp_path, sqlite_db, cli,
                                                                                capsys):
    chat = await school(config, tmp_path, sqlite_db)
    path = xlsx(tmp_path / "花名册.xlsx", [HEAD, ["2024110001", "张三", "行管1班", "城区", ""],
                                         ["2024110002", "李四", "", "城区", ""],
                                         ["2024110001", "王五", "行管1班", "城区", ""],
                                         ["2024110009", "钱七", "火星班", "城区", ""]])
    [refused] = await send_file(chat, "陈校长", path)
    assert refused.text == ("花名册.xlsx：有错误，未导入任何数据（共 3 处）：\n第3行：缺少班级\n"
                            "第4行：学号 2024110001 重复（与第2行相同）\n第5行：班级“火星班”不在配置里（config.yaml 的 groups.classes）\n"
                            "改好后请重新导入。")
    assert cli(chat, "roster", "import", str(path), "--dry-run") == 2
    assert capsys.readouterr().err.strip() == refused.text
    [nothing] = await chat.say("陈校长", None, "导入")
    assert nothing.text.startswith("没有等待导入的文件。")
    assert students(chat) == {}


TIMETABLE = [["课程名称", "直播时间", "主讲教师", "直播链接", "专业"],
             ["行政管理学", "2026-11-10 19:30", "周老师", "https://x/1", "行政管理"],
             ["基础会计", "2026-11-11 19:30", "钱老师", "https://x/2", "会计学"]]


def events(chat) -> list[ImportedEvent]:
    with chat.db.tx() as s:
        return list(s.exec(select(ImportedEvent)))


async def test_a_live_timetable_is_the_calendars_import_not_a_progress_export(config, tmp_path, sqlite_db, cli,
                                                                               capsys):
    """“直播” in its name would make it a 直播 export by words alone; its columns make it a timetable."""
    chat = await school(config, tmp_path, sqlite_db)
    path = csv_file(tmp_path / "直播安排.csv", [*TIMETABLE, ["", "2026-11-12 19:30", "无名", "", ""]])
    [check] = await send_file(chat, "陈校长", path)
    report = checked(check)
    assert report == ("直播安排.csv：检查（未写入）：新增 2，修改 0，未变 0，有问题的行 1。\n"
                      "以下各行有问题，不会导入：\n第4行：缺少课程名称")
    assert cli(chat, "calendar", "import", str(path), "--dry-run") == 1
    assert capsys.readouterr().out.strip() == report
    assert events(chat) == []
    [done] = await chat.say("陈校长", None, "导入")
    assert done.text.startswith("直播安排.csv：导入完成：新增 2")
    assert sorted(e.data["title"] for e in events(chat)) == ["基础会计", "行政管理学"]


async def test_a_timetable_with_no_good_row_is_refused_as_on_the_command_line(config, tmp_path, sqlite_db, cli,
                                                                               capsys):
    chat = await school(config, tmp_path, sqlite_db)
    path = xlsx(tmp_path / "课表.xlsx", [TIMETABLE[0], ["行政管理学", "下周三晚上", "周老师", "", ""]])
    [refused] = await send_file(chat, "陈校长", path)
    assert refused.text == ("课表.xlsx：没有可以导入的日程，未导入（共 1 处问题）：\n"
                            "第2行：直播时间看不懂：下周三晚上（例如 2026-09-15 19:30）")
    assert cli(chat, "calendar", "import", str(path), "--dry-run") == 2
    assert capsys.readouterr().err.strip() == refused.text
    assert events(chat) == []


async def test_an_ics_calendar(config, tmp_path, sqlite_db, cli, capsys):
    from datetime import datetime

    from icalendar import Calendar as ICal
    from icalendar import Event as IEvent

    chat = await school(config, tmp_path, sqlite_db)
    cal = ICal()
    ev = IEvent()
    ev.add("summary", "期末考试报考开始")
    ev.add("dtstart", datetime(2026, 11, 26, 8, 0, tzinfo=NOV.tzinfo))
    ev.add("uid", "exam-2026@example")
    cal.add_component(ev)
    path = tmp_path / "校历.ics"
    path.write_bytes(cal.to_ical())
    [check] = await send_file(chat, "陈校长", path)
    report = checked(check)
    assert cli(chat, "calendar", "import", str(path), "--dry-run") == 0
    assert capsys.readouterr().out.strip() == report == "校历.ics：检查（未写入）：新增 1，修改 0，未变 0，有问题的行 0。"
    [done] = await chat.say("陈校长", None, "导入")
    assert "导入完成：新增 1" in done.text
    assert [e.data["title"] for e in events(chat)] == ["期末考试报考开始"]


def handbook_docx(path, sections):
    from docx import Document

    doc = Document()
    doc.add_heading("学生手册", 1)
    doc.add_heading("一、图书馆", 2)
    for title, body in sections:
        doc.add_heading(title, 3)
        if body:
            doc.add_paragraph(body)
    doc.save(path)
    return path


async def test_a_handbook_is_checked_imported_and_answered_from(config, tmp_path, sqlite_db, cli, capsys):
    chat = await school(config, tmp_path, sqlite_db)
    path = handbook_docx(tmp_path / "新手册.docx", [("图书馆几点开门", "图书馆每天早上8点开门，晚上9点关门。"),
                                                   ("怎么借书", "凭学生证在一楼服务台借书，每次最多借5本。"),
                                                   ("复印机在哪", "")])
    [check] = await send_file(chat, "陈校长", path)
    report = checked(check)
    assert report == ("新手册.docx：检查通过（未写入）：1 章，2 个问答小节。\n· 3 个小节没有 {#编号}，已按标题生成。\n"
                      "· 没有正文、已跳过的小节：“复印机在哪”")
    assert cli(chat, "handbook", "import", str(path), "--dry-run") == 0
    assert capsys.readouterr().out.strip() == report
    book = chat.config.path(chat.config.files.handbook)
    assert "图书馆几点开门" not in book.read_text(encoding="utf-8")
    [done] = await chat.say("陈校长", None, "导入")
    assert done.text == report.replace("检查通过（未写入）：1 章，2 个问答小节。",
                                       f"导入完成：1 章，2 个问答小节，已写入 {book}，机器人会用新手册回答问题。")
    assert "### 图书馆几点开门" in book.read_text(encoding="utf-8")
    assert "忘记密码" in book.with_name("handbook.md.bak").read_text(encoding="utf-8")  # the old one, kept once
    [answer] = await chat.private("张三", "图书馆几点开门？")
    assert "8点开门" in answer.text and "§图书馆几点开门" in answer.text


async def test_a_handbook_that_cannot_be_used_is_refused_as_on_the_command_line(config, tmp_path, sqlite_db, cli,
                                                                                 capsys):
    chat = await school(config, tmp_path, sqlite_db)
    broken = tmp_path / "手册.pdf"
    broken.write_bytes(b"%PDF-1.4 not really")
    flat = handbook_docx(tmp_path / "手册.docx", [])
    for path, expected in ((broken, "手册.pdf：文件打不开（可能已损坏，或不是真正的 Word/PDF 文件），未导入。"),
                           (flat, "手册.docx：没有找到问答小节，未导入。")):
        [refused] = await send_file(chat, "陈校长", path)
        assert refused.text.startswith(expected)
        assert cli(chat, "handbook", "import", str(path), "--dry-run") == 2
        assert capsys.readouterr().err.strip() == refused.text
    [nothing] = await chat.say("陈校长", None, "导入")
    assert nothing.text.startswith("没有等待导入的文件。")


async def test_a_roster_shaped_file_with_figures_is_a_progress_export(config, tmp_path, sqlite_db):
    """学号/姓名/班级/教学点 plus a 预警原因 column: the progress importer's columns, so it is not a roster."""
    chat = await school(config, tmp_path, sqlite_db)
    with chat.db.tx() as s:
        s.add(Student(student_no="2024110001", name="张三", class_name="行管1班", point="城区"))
    path = csv_file(tmp_path / "名单.csv", [["学号", "姓名", "班级", "教学点", "预警原因"],
                                          ["2024110001", "张三", "行管1班", "城区", "形考未完成"]])
    [check] = await send_file(chat, "王老师", path)
    assert check.text.startswith("名单.csv：检查通过（未写入）\n· 预警名单") and "只导入您负责的班级" in check.text
    roster = csv_file(tmp_path / "选课名单.csv", [HEAD, ["2024110003", "王五", "行管1班", "城区", ""]])
    [check] = await send_file(chat, "陈校长", roster)  # “选课” names a progress kind; the columns say roster
    assert checked(check).startswith("选课名单.csv：检查通过（未写入）：新增 1")
