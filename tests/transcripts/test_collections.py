"""Collections (/收集): a notice answered by sending a photo or a file, in the group or privately; saved as
学号_姓名.ext, a resubmission replaces it, it is the student's acknowledgement (so /统计, /未确认, nudges and the
summary work as for notices); /导出 sends a zip with the Excel status; limits; nothing for a file nobody asked for."""

import io
import zipfile
from datetime import timedelta
from pathlib import Path

from openpyxl import load_workbook
from sqlmodel import select

from bot.models import Ack, Notice, Submission
from tests.conftest import CLASS1, START, new_chat, send_file
from tests.progress_files import add_roster

PHOTO = "/收集 截止 周五18:00 毕业电子照片（白底）"


def photo(tmp_path: Path, name: str, content: bytes | None = None) -> Path:
    path = tmp_path / "sent" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content or b"\xff\xd8\xff\xe0" + name.encode() * 10)
    return path


async def collect(chat, text=PHOTO, room="行管1班"):
    """The collection in the group and the private note to the teacher."""
    notice, note = await chat.say("王老师", room, text)
    assert notice.room_topic and note.to_name == "王老师"
    return notice, note


def submissions(chat) -> dict[str, Submission]:
    with chat.db.tx() as s:
        return {r.contact_id: r for r in s.exec(select(Submission))}


def unzip(path: str) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


async def test_two_photos_a_resubmission_the_status_and_the_zip(pg_chat, tmp_path):
    chat = pg_chat
    add_roster(chat.db)
    notice, note = await collect(chat)
    assert notice.text == ("【收集 #1】\n毕业电子照片（白底）\n请在 9月11日（周五）18:00 前把图片或文件发在本群，或私聊发给我"
                           "（每人一份，重发以最新的为准）。\n——王老师")
    assert note.text.startswith("已发布收集 #1，需提交 3 人，截止 9月11日（周五）18:00。") and "/导出 #1" in note.text

    first = photo(tmp_path, "IMG_0001.jpg")
    [ok] = await send_file(chat, "张三", first, room="行管1班", kind="image")
    assert ok.room_topic == "2024秋行政管理1班" and ok.message.mentions == ("wxid_zs",)  # not reachable privately
    assert ok.text.endswith("已收到你的文件，收集 #1「毕业电子照片（白底）」已记为提交。") and "2024" not in ok.text

    [ok] = await send_file(chat, "李四", photo(tmp_path, "李四.png"))  # privately
    assert ok.to_name == "李四" and ok.text.startswith("已收到你的文件，收集 #1")
    assert "发送 /绑定 学号 姓名 后" in ok.text  # privately nothing tells the bot who 李四 is yet
    kept = submissions(chat)
    assert Path(kept["wxid_zs"].path).name == "2024110001_张三.jpg"  # bound by the 群昵称 张三-2024110001
    assert Path(kept["wxid_ls"].path).name.startswith("李四_") and Path(kept["wxid_ls"].path).suffix == ".png"

    [stats] = await chat.say("王老师", "行管1班", "/统计")
    assert stats.text == "收集 #1：已提交 2/3（67%），截止 9月11日（周五）18:00，未进群 3 人。"  # by the roster
    [missing] = await chat.say("王老师", "行管1班", "/未确认")
    assert missing.text == "收集 #1 未提交 1/3 人：\n王五\n未进群 3 人：李四、王五、赵六"  # roster rows not matched
    assert await chat.say("王五", "行管1班", "收到") == []  # words do not answer a collection
    [missing] = await chat.say("王老师", "行管1班", "/未确认 #1")
    assert "未提交 1/3" in missing.text

    again = photo(tmp_path, "IMG_0002.jpg", b"\xff\xd8 the second, better photo")
    [replaced] = await send_file(chat, "张三", again, room="行管1班", kind="image")
    assert replaced.text.endswith("已收到新文件，替换了你之前交的（收集 #1「毕业电子照片（白底）」以最新的为准）。")
    assert sorted(p.name for p in Path(kept["wxid_zs"].path).parent.iterdir()) == [
        "2024110001_张三.jpg", Path(kept["wxid_ls"].path).name]
    assert submissions(chat)["wxid_zs"].versions == 2

    [bound] = await chat.private("李四", "/绑定 2024110002 李四")  # bound later: exported by 学号 all the same
    assert "绑定成功" in bound.text
    note, zipped, told = await chat.say("王老师", "行管1班", "/导出 #1")
    assert told.room_topic and told.text.endswith("文件和表格已私聊发给您。")
    assert note.to_name == zipped.to_name == "王老师" and zipped.room_topic is None
    assert note.text == "收集 #1 的文件（2 份）和提交情况表见附件（已提交 2/3）。"
    files = unzip(zipped.message.file_path)
    assert sorted(files) == ["收集1提交情况.xlsx", "行管1班/2024110001_张三.jpg", "行管1班/2024110002_李四.png"]
    assert files["行管1班/2024110001_张三.jpg"] == again.read_bytes()  # the latest
    assert files["行管1班/2024110002_李四.png"] == (tmp_path / "sent" / "李四.png").read_bytes()
    rows = list(load_workbook(io.BytesIO(files["收集1提交情况.xlsx"])).active.iter_rows(values_only=True))
    assert rows[0] == ("班级", "姓名", "学号", "状态", "提交时间", "逾期", "方式", "原话", "文件")
    by_name = {r[1]: r for r in rows[1:] if r[3] != "未进群"}
    assert by_name["张三"][2:4] == ("2024110001", "已提交") and by_name["张三"][6:] == (
        "提交文件", "IMG_0001.jpg", "2024110001_张三.jpg")
    assert by_name["李四"][8] == "2024110002_李四.png" and by_name["王五"][3] == "未提交" and by_name["王五"][8] is None
    assert [r[1] for r in rows if r[3] == "未进群"] == ["王五", "赵六"]  # roster rows nobody in the group matched
    with chat.db.tx() as s:
        assert {a.contact_id: a.via for a in s.exec(select(Ack))} == {"wxid_zs": "file", "wxid_ls": "file"}
        n = s.get(Notice, 1)
        assert (n.kind, n.ack_count, n.expected_count) == ("collection", 2, 3)  # the counters digests sum


async def test_nudges_and_the_deadline_summary_work_as_for_notices(chat, tmp_path):
    add_roster(chat.db)
    await collect(chat)
    [ok] = await send_file(chat, "张三", photo(tmp_path, "a.jpg"), room="行管1班", kind="image")
    assert "已记为提交" in ok.text
    first, second = await chat.run_until(START.replace(day=11, hour=17))  # 24 h and 2 h before Friday 18:00
    for nudge in (first, second):
        assert nudge.text.endswith("提醒：收集 #1「毕业电子照片（白底）」还没有交，截止 9月11日（周五）18:00。"
                                   "请以上 2 位同学把图片或文件发在本群或私聊发给我，谢谢！")
        assert set(nudge.message.mentions) == {"wxid_ls", "wxid_ww"}
    [summary] = await chat.run_until(START.replace(day=11, hour=18, minute=1))
    assert summary.to_name == "王老师"
    assert summary.text == ("【收集 #1 已截止】「毕业电子照片（白底）」已提交 1/3（33%）\n未提交：李四、王五\n"
                            "发送 /导出 #1 私聊收取全部文件。")
    [late] = await send_file(chat, "王五", photo(tmp_path, "b.jpg"), room="行管1班", kind="image")
    assert "已记为提交" in late.text
    with chat.db.tx() as s:
        assert s.exec(select(Ack.late).where(Ack.contact_id == "wxid_ww")).one() is True


async def test_limits_size_and_type_get_one_sentence_and_nothing_is_saved(config, sqlite_db, tmp_path):
    cfg = config.model_copy(update={"collections": config.collections.model_copy(update={"max_mb": 1})})
    chat = new_chat(cfg, START, db=sqlite_db)
    chat.add_room("2024秋行政管理1班", CLASS1)
    await collect(chat, "/收集 报名表（Word 或 PDF）")
    big = photo(tmp_path, "报名表.pdf", b"%PDF" + b"0" * (2 * 1024 * 1024))
    [too_big] = await send_file(chat, "张三", big)
    assert too_big.text == ("这个文件（报名表.pdf，2.0 MB）太大，没有保存：收集 #1「报名表（Word 或 PDF）」每份最多 1 MB，"
                            "请压缩后重新发送。")
    [wrong] = await send_file(chat, "张三", photo(tmp_path, "报名表.zip"))
    assert wrong.text == ("这个文件（报名表.zip）没有保存：收集 #1「报名表（Word 或 PDF）」只收 .jpg、.jpeg、.png、.heic、"
                          ".webp、.gif、.bmp、.pdf、.doc、.docx 文件（图片、PDF 或 Word）。")
    assert submissions(chat) == {} and not list((tmp_path / "collections").rglob("*.*"))
    [stats] = await chat.say("王老师", "行管1班", "/统计")
    assert stats.text.startswith("收集 #1：已提交 0/3")
    [ok] = await send_file(chat, "张三", photo(tmp_path, "报名表.docx"))
    assert "已记为提交" in ok.text


async def test_a_file_nobody_asked_for_gets_nothing(chat, tmp_path):
    assert await send_file(chat, "张三", photo(tmp_path, "a.jpg"), room="行管1班", kind="image") == []
    assert await send_file(chat, "张三", photo(tmp_path, "a.pdf")) == []  # privately: not a question either
    notice, note = await chat.say("王老师", "行管1班", "/通知 请查看下周课表")  # open, no deadline: no nudges
    assert "【通知 #1】" in notice.text and note.to_name == "王老师"
    assert await send_file(chat, "张三", photo(tmp_path, "b.jpg"), room="行管1班", kind="image") == []
    assert await send_file(chat, "王老师", photo(tmp_path, "c.jpg"), room="行管1班", kind="image") == []  # staff
    await collect(chat, "/收集 毕业电子照片")  # no deadline: open two weeks
    await chat.advance(timedelta(days=15))
    assert await send_file(chat, "张三", photo(tmp_path, "d.jpg"), room="行管1班", kind="image") == []
    with chat.db.tx() as s:
        assert s.exec(select(Ack)).all() == [] and s.exec(select(Submission)).all() == []
    assert not (tmp_path / "collections").exists() or not list((tmp_path / "collections").rglob("*.*"))


async def test_with_two_collections_open_a_file_answers_the_oldest_one_not_yet_answered(chat, tmp_path):
    await collect(chat, "/收集 毕业电子照片")
    await collect(chat, "/收集 身份证正面照片")
    [first] = await send_file(chat, "张三", photo(tmp_path, "照片.jpg"), room="行管1班", kind="image")
    assert "收集 #1「毕业电子照片」已记为提交" in first.text and "你还有收集 #2「身份证正面照片」没交。" in first.text
    [second] = await send_file(chat, "张三", photo(tmp_path, "身份证.jpg"), room="行管1班", kind="image")
    assert "收集 #2「身份证正面照片」已记为提交" in second.text and "没交" not in second.text
    [third] = await send_file(chat, "张三", photo(tmp_path, "身份证2.jpg"), room="行管1班", kind="image")
    assert "替换了你之前交的（收集 #2" in third.text  # both answered: the latest collection


async def test_a_student_who_wrote_privately_is_confirmed_privately(chat, tmp_path):
    await collect(chat)
    [hello] = await chat.private("王五", "你好")
    assert "班助" in hello.text
    [ok] = await send_file(chat, "王五", photo(tmp_path, "me.jpg"), room="行管1班", kind="image")
    assert ok.to_name == "王五" and ok.room_topic is None and "已记为提交" in ok.text


async def test_a_coordinators_collection_fans_out_and_exports_every_class(config, sqlite_db, tmp_path):
    chat = new_chat(config, START, db=sqlite_db)
    chat.add_room("2024秋行政管理1班", CLASS1)
    chat.add_room("2024秋行政管理2班", [{"name": "王老师", "id": "wxid_wang"}, {"name": "甲", "id": "wxid_a"}])
    chat.add_room("城区分校教学点负责人群", [{"name": "刘主任", "id": "wxid_liu"}])
    await chat.start()
    [ask] = await chat.say("刘主任", "教学点负责人群", "/收集 教学点:城区 截止 周五18:00 学籍照片")
    assert "将把收集发到 2 个班级群（行管1班、行管2班）：\n学籍照片" in ask.text
    *posted, done = await chat.say("刘主任", "教学点负责人群", "确认")
    assert sorted(p.room_topic for p in posted) == ["2024秋行政管理1班", "2024秋行政管理2班"]
    assert all(p.text.startswith("【收集 #") for p in posted) and "已发送收集 #1 到 2 个班级群" in done.text
    [a] = await send_file(chat, "张三", photo(tmp_path, "z.jpg"), room="行管1班", kind="image")
    [b] = await send_file(chat, "甲", photo(tmp_path, "j.jpg"), room="行管2班", kind="image")
    assert "已记为提交" in a.text and "已记为提交" in b.text
    [stats] = await chat.say("刘主任", "教学点负责人群", "/统计 #1")
    assert stats.text.startswith("收集 #1（2个班级）：已提交 2/4（50%）")
    note, zipped, told = await chat.say("刘主任", "教学点负责人群", "/导出 #1")
    assert told.room_topic and note.to_name == zipped.to_name == "刘主任"
    names = sorted(unzip(zipped.message.file_path))
    assert names[0] == "收集1提交情况.xlsx" and names[1].startswith("行管1班/张三_") and names[2].startswith("行管2班/甲_")


async def test_forget_deletes_the_students_files_and_rows(pg_chat, tmp_path, cli, capsys):
    chat = pg_chat
    add_roster(chat.db)
    await collect(chat)
    [ok] = await send_file(chat, "张三", photo(tmp_path, "a.jpg"), room="行管1班", kind="image")
    [ok2] = await send_file(chat, "李四", photo(tmp_path, "b.jpg"), room="行管1班", kind="image")
    assert "已记为提交" in ok.text and "已记为提交" in ok2.text
    path = Path(submissions(chat)["wxid_zs"].path)
    _, zipped = await chat.say("王老师", None, "/导出 #1")
    assert Path(zipped.message.file_path).exists()
    assert cli(chat, "forget", "2024110001") == 0
    assert capsys.readouterr().out.strip() == "已删除该学生的花名册数据、学习进度、台账记录和收集的文件。"
    assert not path.exists() and set(submissions(chat)) == {"wxid_ls"}
    assert not Path(zipped.message.file_path).exists()  # the zip held the file too
    note, zipped = await chat.say("王老师", None, "/导出 #1")
    assert sorted(unzip(zipped.message.file_path)) == ["收集1提交情况.xlsx", "行管1班/2024110002_李四.jpg"]
    assert note.text.startswith("收集 #1 的文件（1 份）")


async def test_files_are_deleted_a_month_after_the_collection_closes(pg_chat, tmp_path):
    chat = pg_chat
    await collect(chat)
    [ok] = await send_file(chat, "张三", photo(tmp_path, "a.jpg"), room="行管1班", kind="image")
    assert "已记为提交" in ok.text
    path = Path(submissions(chat)["wxid_zs"].path)
    sent = await chat.run_until(START.replace(day=11, hour=18, minute=1))  # two nudges and the summary
    assert len(sent) == 3
    closes = START.replace(day=18, hour=18)  # a week after the deadline
    assert await chat.run_until(closes + timedelta(days=29)) == [] and path.exists()
    assert await chat.run_until(closes + timedelta(days=30, minutes=1)) == []
    assert not path.exists() and submissions(chat) == {} and not path.parent.exists()
    note, zipped, told = await chat.say("王老师", "行管1班", "/导出 #1")
    assert note.text == "收集 #1：文件已按保留期限删除，附件只有提交情况表（已提交 1/3）。" and told.room_topic
    assert sorted(unzip(zipped.message.file_path)) == ["收集1提交情况.xlsx"]
    assert await chat.advance("3d") == [] and not Path(zipped.message.file_path).exists()  # zips go after 2 days


async def test_a_collection_asks_for_something_and_always_waits_for_files(chat):
    [usage] = await chat.say("王老师", "行管1班", "/收集")
    assert usage.text.endswith("请在 /收集 后面写上要交什么，例如：/收集 截止 周五18:00 毕业电子照片（白底）")
    [refused] = await chat.say("王老师", "行管1班", "/收集 无需确认 照片")
    assert "不能设为“无需确认”" in refused.text
    [denied] = await chat.say("张三", "行管1班", "/收集 照片")
    assert "/收集" in denied.text or "收集" in denied.text
