"""`python -m bot simulate`: the demo runs, JSON lines have the documented fields, bad scripts name their line."""

import json
import subprocess
import sys

import pytest

from bot.__main__ import main
from tests.conftest import ROOT


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_demo_runs_and_meets_its_expectations():
    proc = run("simulate", "data/demo.yaml")
    assert proc.returncode == 0, proc.stderr
    assert "【通知 #1】" in proc.stdout and "已截止" in proc.stdout


def test_json_output_has_one_object_per_message(capsys):
    assert main(["--config", str(ROOT / "config.yaml"), "simulate", str(ROOT / "data/demo.yaml"), "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {tuple(sorted(e)) for e in lines} == {("direction", "mentions", "room", "sender", "text", "time", "to")}
    first = lines[0]
    assert first["direction"] == "in" and first["time"] == "2026-09-07T08:00:00+08:00"
    assert first["room"] == "2024秋行政管理1班" and first["sender"] == "王老师"
    outs = [e for e in lines if e["direction"] == "out"]
    assert any(e["mentions"] for e in outs)
    private = [e for e in lines if e["room"] is None and e["direction"] == "out"]
    assert private and all(e["to"] for e in private)


def script(tmp_path, text: str):
    p = tmp_path / "s.yaml"
    p.write_text(text, encoding="utf-8")
    return str(p)


def test_failed_expectation_exits_1_with_the_line(tmp_path, capsys):
    p = script(tmp_path, """start: 2026-09-07 08:00
rooms:
  - topic: 2024秋行政管理1班
    members: [{name: 王老师, id: wxid_wang}, {name: 张三, id: wxid_zs}]
steps:
  - {room: 2024秋行政管理1班, from: 张三, say: "/帮助", expect: ["不存在的文字"]}
""")
    assert main(["--config", str(ROOT / "config.yaml"), "simulate", p]) == 1
    assert "s.yaml, line 6" in capsys.readouterr().err


@pytest.mark.parametrize(("body", "needle"), [
    ("steps:\n  - {room: x, from: y, sya: hi}\n", "line 2"),
    ("steps:\n  - {advance: soon}\n", "steps[0].advance"),
    ("start: tomorrow\nsteps: []\n", "start"),
    ("steps:\n  - {room: 2024秋行政管理1班, from: 无名氏, say: hi}\n", "unknown name"),
    ("stepz: []\n", "steps"),
])
def test_bad_scripts_get_one_readable_error(tmp_path, capsys, body, needle):
    p = script(tmp_path, body)
    assert main(["--config", str(ROOT / "config.yaml"), "simulate", p]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "s.yaml" in err and needle in err


def test_scheduled_work_fires_at_virtual_times(tmp_path, capsys):
    p = script(tmp_path, """start: 2026-09-07 08:00
roster: false
rooms:
  - topic: 2024秋行政管理1班
    members: [{name: 王老师, id: wxid_wang}, {name: 张三, id: wxid_zs}]
steps:
  - {room: 2024秋行政管理1班, from: 王老师, say: "/通知 截止 明天18:00 提交照片"}
  - {at: "2026-09-08 19:00"}
""")
    assert main(["--config", str(ROOT / "config.yaml"), "simulate", p, "--json"]) == 0
    outs = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    nudges = [e for e in outs if e["direction"] == "out" and "提醒：通知" in e["text"]]
    assert [e["time"] for e in nudges] == ["2026-09-07T18:00:00+08:00", "2026-09-08T16:00:00+08:00"]  # 24h, 2h
    assert all(e["mentions"] == ["张三"] for e in nudges)
    summary = [e for e in outs if "已截止" in e["text"]]
    assert summary[0]["time"] == "2026-09-08T18:00:00+08:00" and summary[0]["to"] == "王老师"
