"""Sentences shared by several features."""

NOT_YOUR_CLASS = "抱歉，您不负责这个班级，不能在这里操作。"
