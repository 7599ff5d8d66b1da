async def test_notice_and_ack(chat):
    replies = await chat.say("王老师", "行管1班", "/通知 周五前完成形考作业2")
    for r in replies:
        print(r.time, r.room_topic, r.to_name, r.text)
    assert await chat.say("张三", "行管1班", "收到") == []
    replies = await chat.say("王老师", "行管1班", "/统计")
    print(replies)
    replies = await chat.say("王老师", "行管1班", "/未确认")
    print(replies)
    replies = await chat.say("王老师", "行管1班", "/催")
    print(replies)
    replies = await chat.say("张三", "行管1班", "/帮助")
    print(replies[0].text)
    replies = await chat.say("王老师", "行管1班", "/帮助")
    print(replies[0].text)
    print(await chat.advance("5d"))
