"""Handbook answers: in-group flows, the command line, and the handbook/FAQ files."""

from sqlmodel import select

from bot.models import Question
from tests.conftest import CLASS1, START, new_chat


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
    with chat.db.tx() as s:
        assert len(s.exec(select(Question)).all()) == 2


async def test_teacher_adds_qa_and_next_student_gets_it(chat):
    [declined] = await chat.say("张三", "行管1班", "学校有宿舍吗？")
    assert "转告导学教师" in declined.text
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
    classes = [c.model_copy(update={"answer_questions": False}) if c.name == "行管1班" else c
               for c in config.groups.classes]
    cfg = config.model_copy(update={"groups": config.groups.model_copy(update={"classes": classes})})
    chat = new_chat(cfg, START, db=sqlite_db)
    chat.add_room("2024秋行政管理1班", CLASS1)
    assert await chat.say("张三", "行管1班", "忘记密码怎么办？") == []


async def test_advisor_replies_through_the_bot(chat):
    [declined] = await chat.say("张三", "行管1班", "学校有宿舍吗？")
    assert "转告导学教师" in declined.text
    [batch] = await chat.advance("20m")
    assert batch.to_name == "王老师" and "#1 张三" in batch.text and "/答复 编号" in batch.text
    posted, done = await chat.say("王老师", None, "/答复 1 学校不提供住宿，可请教学点推荐附近住处。")
    assert posted.room_topic == "2024秋行政管理1班" and done.to_name == "王老师"
    assert posted.message.mentions == ("wxid_zs",)
    assert "王老师回复你的问题“学校有宿舍吗？”" in posted.text and "不提供住宿" in posted.text
    assert "已在行管1班回复张三" in done.text and "/问答 添加 学校有宿舍吗？ | 学校不提供住宿" in done.text
    with chat.db.tx() as s:
        assert s.exec(select(Question)).one().answered_id == "staff:wxid_wang"


async def test_reply_to_another_class_or_a_wrong_number_is_refused(chat):
    chat.add_room("2025春会计学1班", [{"name": "李老师", "id": "wxid_li"}, {"name": "丙", "id": "wxid_c"}])
    [declined] = await chat.say("丙", "会计1班", "学校有宿舍吗？")
    assert declined.message.mentions == ("wxid_c",)
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

    with chat.db.tx() as s:  # the roster knows 张三's class
        s.add(Student(student_no="2024110001", name="张三", class_name="行管1班", point="城区", contact_id="wxid_zs"))
    [declined] = await chat.say("张三", None, "学校有宿舍吗？")
    assert declined.to_name == "张三" and "转告导学教师" in declined.text
    [batch] = await chat.advance("20m")
    assert batch.to_name == "王老师" and "，私聊）" in batch.text
    to_student, done = await chat.say("王老师", None, "/答复 1 学校不提供住宿。")  # never echoed in the group
    assert to_student.to_name == "张三" and "不提供住宿" in to_student.text
    assert done.to_name == "王老师" and "已在私聊中回复张三" in done.text


async def test_a_question_nobody_advises_goes_to_the_admin(config, sqlite_db):
    """A private question from someone the roster does not know has no advisor: the admin gets it, and answers."""
    staff = [s.model_copy(update={"id": "wxid_chen"}) if s.role == "admin" else s for s in config.staff]
    chat = new_chat(config.model_copy(update={"staff": staff}), START, db=sqlite_db)
    chat.add_room("2024秋行政管理1班", CLASS1)
    chat.add_room("某个私人群", [{"name": "陈校长", "id": "wxid_chen"}, {"name": "路人", "id": "wxid_x"}])
    await chat.start()
    [room_check] = await chat.settle()
    assert room_check.to_name == "陈校长" and "群绑定检查" in room_check.text
    [declined] = await chat.say("路人", None, "学校有宿舍吗？")
    assert "已经转告老师" in declined.text
    [batch] = await chat.advance("20m")
    assert batch.to_name == "陈校长" and "提问的人不在花名册里" in batch.text and "#1 路人" in batch.text
    answer, done = await chat.say("陈校长", None, "/答复 1 学校不提供住宿。")
    assert answer.to_name == "路人" and "回复你的问题" in answer.text and "不提供住宿" in answer.text
    assert done.to_name == "陈校长"


async def test_a_class_without_a_bound_advisor_sends_its_questions_to_the_admin(config, sqlite_db):
    staff = [s.model_copy(update={"id": "wxid_chen" if s.role == "admin" else None if s.name == "王老师" else s.id})
             for s in config.staff]
    chat = new_chat(config.model_copy(update={"staff": staff}), START, db=sqlite_db)
    chat.add_room("2024秋行政管理1班", [m for m in CLASS1 if m["name"] != "王老师"])
    chat.add_room("某个私人群", [{"name": "陈校长", "id": "wxid_chen"}])
    await chat.start()
    [room_check] = await chat.settle()
    assert room_check.to_name == "陈校长"
    [declined] = await chat.say("张三", "行管1班", "学校有宿舍吗？")
    assert "已经转告老师" in declined.text and "导学教师" not in declined.text
    [batch] = await chat.advance("20m")
    assert batch.to_name == "陈校长" and "【行管1班】" in batch.text and "还没有绑定导学教师" in batch.text
