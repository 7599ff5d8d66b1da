"""The embedded default: `python -m bot run` on the console gateway, driven through stdin like a person would."""

import os
import subprocess
import sys

from tests.conftest import ROOT


def test_console_conversation(tmp_path):
    script = "\n".join([
        ":rooms",
        ":as 王老师",
        "/通知 周五前完成形考作业2",
        ":as 熊晓明",
        "收到",
        ":as 王老师",
        "/统计",
        ":room 法学1班",
        ":as 不存在",
        ":private",
        ":as 熊晓明",
        "你好",
        ":quit",
    ]) + "\n"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'console.db'}"}
    proc = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=ROOT, input=script, capture_output=True,
                          text=True, timeout=60, env=env)
    out = proc.stdout
    assert proc.returncode == 0, proc.stderr
    assert "行管1班（2024秋行政管理1班" in out and "法学1班" in out
    assert "【通知 #1】" in out
    assert "已确认 1/6" in out
    assert "没有这个人：不存在" in out
    assert "[私聊→熊晓明]" in out and "你好，我是班助" in out


def test_a_second_try_out_on_the_same_database_is_answered_too(tmp_path):
    """The console's message ids are unique across runs: the journal must not drop the second run's first messages
    as redeliveries of the first run's."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'console.db'}"}
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=ROOT, input=":as 王老师\n/帮助\n:quit\n",
                              capture_output=True, text=True, timeout=60, env=env)
        assert proc.returncode == 0, proc.stderr
        assert "/通知" in proc.stdout and "例：" in proc.stdout, proc.stdout
