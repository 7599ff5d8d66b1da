"""What the bot says when answering questions."""

DECLINE = "这个问题我还答不上来，已经转告导学教师，老师看到后会回复你。"
REPEAT = "这个问题刚才已经回答过了（{when}回复{asker}的那条），请往上翻看一下哦。"
FORWARD_HEAD = "【{group}】有 {n} 个同学的问题我没能回答，请您看一下："
FAQ_ADDED = "已添加问答 #{id}，现在起同学问到就会自动回答。"
FAQ_USAGE = "用法：\n/问答 添加 问题 | 答案\n/问答 列表\n/问答 删除 编号"
FAQ_DELETED = "已删除问答 #{id}。"
FAQ_NOT_FOUND = "没有编号为 {id} 的问答（配置文件里的固定问答请在 data/faq.yaml 中修改）。"
