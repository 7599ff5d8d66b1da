"""The text kernel as tables: one normaliser, one question detector, one negation detector, small talk, splitting."""

import pytest

from bot.kernel.text import clean, compact, fold, is_negation, is_question, is_small_talk, split_questions


@pytest.mark.parametrize(("raw", "cleaned"), [
    ("　／通知　　明天 ", "/通知 明天"), ("＃帮助", "#帮助"), ("@班助\u2005学费", "@班助 学费"),
    ("第一行\n  第二行", "第一行\n 第二行"), ("好的，收到！", "好的，收到！"),
])
def test_clean_keeps_what_people_wrote(raw, cleaned):
    assert clean(raw) == cleaned


@pytest.mark.parametrize(("raw", "folded"), [
    ("學費怎麼交？", "学费怎么交?"), ("ＡＰＰ登錄", "app登录"), ("@王老师 学费多少", "学费多少"),
    ("收到👍！！", "收到"), ("  形考  作业  ", "形考 作业"),
])
def test_fold_is_the_matching_form(raw, folded):
    assert fold(raw) == folded


def test_compact_drops_spaces_and_question_marks():
    assert compact("收到 了？") == "收到了"


QUESTIONS = ["学费咋交", "补考费多少", "问下补考的事", "请教一下学位英语报名", "不知道怎么登录学习网", "能退费吗",
             "作业几号截止", "收到了吗", "在哪交", "是不是要去教学点", "有没有回放", "為什麼登不上", "啥时候考试",
             "可以不去吗", "谁知道准考证在哪打印", "选课?"]
STATEMENTS = ["收到", "今天的直播很精彩", "谢谢老师", "好的我明天交", "已经交了", "明天去教学点"]


@pytest.mark.parametrize("text", QUESTIONS)
def test_reads_as_a_question(text):
    assert is_question(text)


@pytest.mark.parametrize("text", STATEMENTS)
def test_does_not_read_as_a_question(text):
    assert not is_question(text)


@pytest.mark.parametrize(("text", "negated"), [
    ("没收到", True), ("收不到", True), ("未收到", True), ("我不明白", True), ("别催了", True), ("无法登录", True),
    ("不去", True), ("收到", False), ("好的", False), ("不客气", False), ("不好意思 收到", False), ("不错", False),
])
def test_negation(text, negated):
    assert is_negation(text) == negated


@pytest.mark.parametrize("text", ["大家晚上好", "谢谢班助", "老师您辛苦了", "早上好各位", "你好", "好的谢谢老师",
                                  "老师在吗", "哈哈哈哈", "👍👍", "", "？"])
def test_small_talk(text):
    assert is_small_talk(text)


@pytest.mark.parametrize("text", ["你好 学费怎么交", "好难", "老师好，我想问下怎么选课", "学校有宿舍吗"])
def test_not_small_talk(text):
    assert not is_small_talk(text)


@pytest.mark.parametrize(("text", "parts"), [
    ("学费多少？怎么交", ["学费多少", "怎么交"]), ("学费怎么交", ["学费怎么交"]),
    ("学费怎么交？教材在哪领", ["学费怎么交", "教材在哪领"]), ("补考什么时候报名 还有补考要交钱吗", ["补考什么时候报名", "补考要交钱吗"]),
])
def test_split_questions(text, parts):
    assert split_questions(text) == parts
