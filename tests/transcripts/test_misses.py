"""`handbook misses`: declined questions replayed against today's answers, without names."""

from openpyxl import load_workbook

from bot.handbook.misses import misses, misses_workbook


async def test_misses_show_what_a_new_qa_fixed(chat, tmp_path):
    since = chat.clock.now()
    [a] = await chat.say("张三", "行管1班", "学校有宿舍吗？")
    [b] = await chat.say("李四", "行管1班", "食堂几点开门？")
    assert "转告导学教师" in a.text and "转告导学教师" in b.text
    services = chat.services
    before = misses(services.handbook, services.db, since)
    assert [m.now_answers for m in before] == [None, None]
    assert "宿舍" in before[0].reason and before[0].group == "行管1班"
    [added] = await chat.say("王老师", "行管1班", "/问答 添加 学校有宿舍吗 | 学校不提供住宿，可请教学点推荐附近住处。")
    assert "已添加问答 #1" in added.text
    after = misses(services.handbook, services.db, since)
    assert after[0].now_answers == "faq-1" and after[1].now_answers is None
    path = misses_workbook(after, chat.config.tz, tmp_path / "misses.xlsx")
    ws = load_workbook(path).active
    assert [c.value for c in ws[1]][:3] == ["时间", "班级群", "问题"]
    assert ws["C2"].value == "学校有宿舍吗？" and ws["D2"].value == "faq-1"
    assert "张三" not in {c.value for row in ws.iter_rows() for c in row}  # no names
