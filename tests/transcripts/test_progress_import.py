"""Progress exports sent to the bot privately: a dry run with the command line's report, 导入 to confirm, the
sender's classes only; every bad file gets one clear message and changes nothing."""

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.models import ProgressState, ProgressValue, Upload
from bot.simulation import Chat, Replies
from tests.conftest import CLASS1, new_chat, send_file
from tests.progress_files import HOMEWORK, NOV, ONLINE, add_roster, csv_file, homework, with_calendar, xlsx

CLASS2 = [{"name": "王老师", "id": "wxid_wang", "role": "teacher"}, {"name": "小张", "id": "wxid_zs2", "alias": "张三-2024120001"},
          {"name": "孙七", "id": "wxid_sq"}]


async def school(config, tmp_path, db, extra: str = "") -> Chat:
    chat = new_chat(with_calendar(config, tmp_path, extra), NOV, db=db)
    chat.add_room("2024秋行政管理1班", CLASS1)
    chat.add_room("2024秋行政管理2班", CLASS2)
    chat.add_room("2025春会计学1班", [{"name": "李老师", "id": "wxid_li", "role": "teacher"}])
    chat.add_room("城区分校教学点负责人群", [{"name": "刘主任", "id": "wxid_liu"}])
    add_roster(chat.db)
    await chat.start()
    return chat


async def upload(chat: Chat, who: str, path: Path, name: str | None = None, message_id: str | None = None) -> Replies:
    return await send_file(chat, who, path, name=name, message_id=message_id)


def stored(chat: Chat) -> int:
    with chat.db.tx() as s:
        return len(s.exec(select(ProgressValue)).all()) + len(s.exec(select(ProgressState)).all())


async def test_an_export_is_checked_then_imported_after_daoru(config, tmp_path, sqlite_db, cli, capsys):
    chat = await school(config, tmp_path, sqlite_db)
    path = homework(tmp_path)
    [check] = await upload(chat, "王老师", path)
    assert check.to_name == "王老师" and check.message.contact_id == "wxid_wang"
    report, confirm = check.text.rsplit("\n", 1)
    assert report.startswith("形考.xlsx：检查通过（未写入）")
    assert "形考（截至 2026-11-01，取自表格标题）：6 人（行管1班 4、行管2班 2），2 项，已完成 8/12" in report
    assert confirm.startswith("回复“导入”确认导入（只导入您负责的班级）")
    assert stored(chat) == 0
    assert cli(chat, "progress", "import", str(path), "--dry-run") == 0
    assert capsys.readouterr().out.strip() == report  # exactly the command line's report
    [done] = await chat.say("王老师", None, "导入")
    assert done.text == report.replace("检查通过（未写入）", "导入完成")
    assert stored(chat) == 2 * 12
    with chat.db.tx() as s:
        upload_row = s.exec(select(Upload)).one()
    assert upload_row.status == "imported" and not Path(upload_row.path).exists()  # the data is in; the file is gone
    [nothing] = await chat.say("王老师", None, "导入")
    assert nothing.text.startswith("没有等待导入的文件。")


async def test_the_import_covers_only_the_senders_classes(config, tmp_path, sqlite_db):
    chat = await school(config, tmp_path, sqlite_db)
    [refused] = await upload(chat, "李老师", homework(tmp_path))  # teaches 会计1班 and 法学1班
    assert refused.text == "形考.xlsx：没有您负责班级的学生（6 行属于其他班级），未导入。"
    rows = [*HOMEWORK, ["2025102010001", "汪诗涵", "80", "90"]]
    from bot.models import Student

    with chat.db.tx() as s:
        s.add(Student(student_no="2025102010001", name="汪诗涵", class_name="会计1班", point="清苑"))
    [check] = await upload(chat, "李老师", homework(tmp_path, rows, "形考2.xlsx"))
    assert "1 人（会计1班 1）" in check.text and "另有 6 行不是您负责的班级" in check.text
    [done] = await chat.say("李老师", None, "导入")
    assert "导入完成" in done.text
    assert chat.services.progress.has_data(["会计1班"]) and not chat.services.progress.has_data(["行管1班"])


def no_number(tmp: Path) -> Path:
    return xlsx(tmp / "形考.xlsx", [["姓名", "形考作业1"], ["张三", "85"]])


def duplicate(tmp: Path) -> Path:
    return homework(tmp, [*HOMEWORK, ["2024110001", "张三", "85", "未提交"]])


def unknown_student(tmp: Path) -> Path:
    return homework(tmp, [*HOMEWORK, ["2024119999", "张某", "85", "未提交"]])


def absent(tmp: Path) -> Path:
    rows = [list(r) for r in HOMEWORK]
    rows[3][3] = "缺考"
    return homework(tmp, rows)


def empty_sheet(tmp: Path) -> Path:
    from openpyxl import Workbook

    path = tmp / "形考.xlsx"
    Workbook().save(path)
    return path


def password(tmp: Path) -> Path:
    path = tmp / "形考.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4096)  # what Excel saves with a password
    return path


def corrupt(tmp: Path) -> Path:
    path = tmp / "形考.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not really a workbook" * 10)
    return path


def thirty_mb(tmp: Path) -> Path:
    path = tmp / "形考.xlsx"
    with path.open("wb") as f:
        f.truncate(30 * 1024 * 1024)
    return path


@pytest.mark.parametrize(("make", "expected"), [
    (no_number, "形考.xlsx：找不到学号列，未导入。\n表头是：姓名、形考作业1"),
    (duplicate, "形考.xlsx：有 1 处问题，未导入任何数据：\n第9行：张三 重复出现（与第3行相同）"),
    (unknown_student, "形考.xlsx：有 1 处问题，未导入任何数据：\n第9行：学号 2024119999 不在花名册里（张某）"),
    (absent, "形考.xlsx：有 1 处问题，未导入任何数据：\n第5行：王五 的“行政管理学 形考作业2”是“缺考”，看不出是否完成"),
    (empty_sheet, "形考.xlsx：文件里没有数据。"),
    (password, "形考.xlsx：文件设置了打开密码（或是旧版 .xls），请取消密码、另存为 .xlsx 后再发送"),
    (corrupt, "形考.xlsx：文件已损坏或不是 Excel 文件，无法打开"),
    (thirty_mb, "形考.xlsx：文件太大（30.0 MB，上限 20 MB），请只导出需要的列或分批发送"),
])
async def test_a_bad_file_gets_one_clear_message_and_changes_nothing(config, tmp_path, sqlite_db, make, expected):
    chat = await school(config, tmp_path, sqlite_db)
    [reply] = await upload(chat, "王老师", make(tmp_path))
    assert reply.text.startswith(expected), reply.text
    assert "回复“导入”" not in reply.text
    assert stored(chat) == 0
    [nothing] = await chat.say("王老师", None, "导入")
    assert nothing.text.startswith("没有等待导入的文件。")
    assert list((tmp_path / "uploads").glob("*")) == []  # nothing kept


async def test_the_same_bad_files_from_the_command_line(config, tmp_path, sqlite_db, cli, capsys):
    chat = await school(config, tmp_path, sqlite_db)
    for make in (no_number, duplicate, absent, password, thirty_mb):
        assert cli(chat, "progress", "import", str(make(tmp_path))) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and "形考.xlsx：" in captured.err
    assert stored(chat) == 0


async def test_an_unknown_layout_lists_its_headers_and_the_config_lines_that_would_map_them(config, tmp_path,
                                                                                             sqlite_db):
    chat = await school(config, tmp_path, sqlite_db)
    path = xlsx(tmp_path / "网检.xlsx", [["学员编号", "学员姓名", "累计学习天数"], ["2024110001", "张三", "5"]])
    [reply] = await upload(chat, "王老师", path)
    assert reply.text.startswith("网检.xlsx：找不到学号列，未导入。\n表头是：学员编号、学员姓名、累计学习天数\n")
    assert "progress:\n  columns:\n    学员编号: student_no    # 学号\n    学员姓名: name    # 姓名\n" \
           "    累计学习天数: online_days    # 在线天数" in reply.text
    mapped = {"学员编号": "student_no", "学员姓名": "name", "累计学习天数": "online_days"}
    cfg = chat.config.model_copy(update={"progress": chat.config.progress.model_copy(update={"columns": mapped})})
    again = new_chat(cfg, NOV + timedelta(minutes=5), db=chat.db)  # a restart with the new config
    again.add_room("2024秋行政管理1班", CLASS1)
    await again.start()
    [check] = await upload(again, "王老师", path, message_id="again-1")  # the same database: a new message id
    assert "网检（截至" in check.text and "1 人（行管1班 1）" in check.text


async def test_a_file_nobody_recognises_gets_one_polite_sentence(config, tmp_path, sqlite_db):
    chat = await school(config, tmp_path, sqlite_db)
    other = csv_file(tmp_path / "名单.csv", [["编号", "物品", "数量"], ["1", "桌子", "3"]])
    [reply] = await upload(chat, "王老师", other)
    assert reply.text == ("这个文件（名单.csv）我还不认识，目前可以导入的是："  # what this teacher can import
                          "学习进度（形考、网检、直播及腾讯会议参会名单、选课、报考、预警名单）。")
    zipped = tmp_path / "照片.zip"
    zipped.write_bytes(b"PK")
    [reply] = await upload(chat, "王老师", zipped)
    assert reply.text.startswith("照片.zip：这种文件不能导入，请发送 .xlsx、.csv 文件（可以导入：学习进度")
    old = tmp_path / "形考.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    [reply] = await upload(chat, "王老师", old)
    assert "旧版 Excel（.xls）" in reply.text


async def test_a_teacher_sending_the_roster_or_the_handbook_is_told_who_imports_them(config, tmp_path, sqlite_db):
    chat = await school(config, tmp_path, sqlite_db)
    roster = csv_file(tmp_path / "名单.csv", [["学号", "姓名", "班级", "教学点"], ["2024110001", "张三", "行管1班", "城区"]])
    [reply] = await upload(chat, "王老师", roster)
    assert reply.text == "名单.csv 是花名册，花名册只能由管理员导入（私聊发给我，或用命令行）。"
    pdf = tmp_path / "手册.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    [reply] = await upload(chat, "王老师", pdf)
    assert reply.text == "手册.pdf 是学生手册，学生手册只能由管理员导入（私聊发给我，或用命令行）。"
    assert list((tmp_path / "uploads").glob("*/*")) == []  # nothing kept


async def test_students_files_are_not_imports(config, tmp_path, sqlite_db):
    chat = await school(config, tmp_path, sqlite_db)
    assert await upload(chat, "张三", homework(tmp_path)) == []
    assert stored(chat) == 0


async def test_a_gbk_csv_with_a_title_line(config, tmp_path, sqlite_db):
    chat = await school(config, tmp_path, sqlite_db)
    [check] = await upload(chat, "王老师", csv_file(tmp_path / "学习行为.csv", ONLINE, encoding="gbk"))
    assert "网检（截至 2026-11-01，取自表格标题）：6 人（行管1班 4、行管2班 2），已上线 5/6" in check.text


async def test_typed_import_asks_again_and_only_its_sender_can_use_the_token(config, tmp_path, sqlite_db):
    chat = await school(config, tmp_path, sqlite_db)
    [check] = await upload(chat, "王老师", homework(tmp_path))
    assert "检查通过" in check.text
    with chat.db.tx() as s:
        token = s.exec(select(Upload.token)).one()
    chat.services.people.invalidate()
    [other] = await chat.say("刘主任", None, f"/导入 {token}")
    assert other.text == f"没有找到待导入的文件 {token}，请重新发送文件。"
    await chat.advance("11m")  # the 导入 that was offered has expired
    [late] = await chat.say("王老师", None, "导入")
    assert late.text == "确认已超时，请重新发送命令。"
    [ask] = await chat.say("王老师", None, f"/导入 {token}")
    assert "检查通过（未写入）" in ask.text and "回复“确认”" in ask.text
    [done] = await chat.say("王老师", None, "确认")
    assert "导入完成" in done.text
    [again] = await chat.say("王老师", None, f"/导入 {token}")
    assert again.text == "形考.xlsx 已经导入过了。"


async def test_an_unconfirmed_upload_is_deleted_after_a_day(config, tmp_path, sqlite_db):
    chat = await school(config, tmp_path, sqlite_db)
    [check] = await upload(chat, "王老师", homework(tmp_path))
    assert "检查通过" in check.text
    [kept] = list((tmp_path / "uploads").glob("*/形考.xlsx"))
    assert await chat.advance(timedelta(days=1, minutes=1)) == []
    assert not kept.exists()
    with chat.db.tx() as s:
        assert s.exec(select(Upload.status)).one() == "expired"
