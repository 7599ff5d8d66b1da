"""“大家晚上好” was answered with the 学习上遇到困难找谁 section: greetings with a salutation before or after them
were not recognised as small talk (only bare 你好/老师好 were)."""


async def test_greetings_in_a_class_group_get_no_answer(chat):
    for text in ["大家晚上好", "早上好各位", "老师您辛苦了", "谢谢班助", "好的谢谢老师"]:
        assert await chat.say("张三", "行管1班", text) == [], text


async def test_a_greeting_then_a_question_is_still_answered(chat):
    [reply] = await chat.say("张三", "行管1班", "老师好，忘记密码怎么办？")
    assert "——《学生手册》" in reply.text
