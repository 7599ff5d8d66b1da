"""The acknowledgement rule (README "怎样算确认"), exhaustively on the pure classifier."""

import pytest

from bot.notices.acks import classify, is_solitaire, solitaire_names

ACKS = ["收到", "已收到", "收到了", "收到啦", "好的", "好滴", "明白", "明白了", "知道了", "已阅", "ok", "OK", "Ok", "okay",
        "1", "👌", "👍", "✅", "收到，谢谢老师", "收到谢谢老师🙏", "收到！", "收到。", "收到～", "好的收到", "收到😊",
        "嗯嗯收到", "好的老师", "好的，谢谢老师！", "明白了，谢谢", "老师收到", "收到收到", "ＯＫ", "收到 #12",
        "#12 收到", "＃12收到", "张三收到", "张三 收到", "2024110001张三 收到", "张三-2024110001 收到", "我也收到",
        "收到，辛苦了", "已阅，谢谢", "收到 张三", "收到，张三-2024110001"]
NOT_ACKS = ["没收到", "收到了吗？", "收到了吗", "收不到", "没有收到啊", "未收到", "收到什么？", "这个作业在哪交？",
            "老师我想问一下", "好的我明天交", "哈哈", "好的吗", "你好", "老师，作业几号截止", "收到了？", "1吗",
            "还没收到呢", "我不明白", "不知道", "收到的通知在哪里看", "谁收到了", "", "   ", "😂"]


@pytest.mark.parametrize("text", ACKS)
def test_counts_as_acknowledgement(text):
    assert classify(text, ("张三", "张三-2024110001")) is not None


@pytest.mark.parametrize("text", NOT_ACKS)
def test_does_not_count(text):
    assert classify(text, ("张三",)) is None


def test_number_names_the_notice():
    assert classify("收到 #12").number == 12
    assert classify("#7收到").number == 7
    assert classify("收到").number is None


def test_solitaire_list_is_read():
    text = "#接龙\n周五前完成形考作业2\n\n1. 张三 收到\n2. 李四\n3、王五-2024110003 收到"
    assert is_solitaire(text)
    assert solitaire_names(text) == ["张三", "李四", "王五-2024110003"]
