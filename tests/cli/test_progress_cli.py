"""`progress import`, `progress ledger`, `progress report` and `forget` as an operator runs them, against the
chat's real database."""

from datetime import date

from openpyxl import load_workbook
from sqlmodel import select

from bot.models import AuditLog, ProgressContact, ProgressState, ProgressValue
from bot.simulation import Chat
from tests.conftest import CLASS1, new_chat
from tests.progress_files import NOV, add_roster, homework, with_calendar


async def school(config, tmp_path, db) -> Chat:
    chat = new_chat(with_calendar(config, tmp_path), NOV, db=db)
    chat.add_room("2024秋行政管理1班", CLASS1)
    add_roster(chat.db)
    await chat.start()
    return chat


async def test_import_dry_run_then_for_real(config, tmp_path, sqlite_db, cli, capsys):
    chat = await school(config, tmp_path, sqlite_db)
    path = homework(tmp_path)
    assert cli(chat, "progress", "import", str(path), "--dry-run", "--class", "行管1班") == 0
    out = capsys.readouterr().out
    assert out.startswith("形考.xlsx：检查通过（未写入）\n· 形考（截至 2026-11-01，取自表格标题）：4 人（行管1班 4），2 项，已完成 5/8")
    assert "另有 2 行不是您负责的班级" in out
    assert not chat.services.progress.has_data(["行管1班"])
    assert cli(chat, "progress", "import", str(path), "--as-of", "2026-11-30") == 0
    assert "形考（截至 2026-11-30，按指定日期）：6 人（行管1班 4、行管2班 2）" in capsys.readouterr().out
    with chat.db.tx() as s:
        assert {v.as_of for v in s.exec(select(ProgressValue))} == {date(2026, 11, 30)}
        audit = s.exec(select(AuditLog).where(AuditLog.action == "progress import")).one()
    assert audit.actor_id == "cli" and audit.detail == "形考.xlsx"


async def test_import_refusals_exit_2(config, tmp_path, sqlite_db, cli, capsys):
    chat = await school(config, tmp_path, sqlite_db)
    path = homework(tmp_path)
    assert cli(chat, "progress", "import", str(path), "--kind", "网检") == 2
    assert capsys.readouterr().err.startswith("形考.xlsx：找到了学号，但没有可以导入的数据列，未导入。")
    assert cli(chat, "progress", "import", str(path), "--as-of", "11月30日") == 2
    assert "not a date" in capsys.readouterr().err
    assert cli(chat, "progress", "import", str(path), "--class", "行管9班") == 2
    assert "unknown class 行管9班" in capsys.readouterr().err
    assert cli(chat, "progress", "import", str(tmp_path / "没有.xlsx")) == 2
    assert "file not found" in capsys.readouterr().err


async def test_the_ledger_in_the_schools_layout_and_forget(config, tmp_path, sqlite_db, cli, capsys):
    chat = await school(config, tmp_path, sqlite_db)
    assert cli(chat, "progress", "import", str(homework(tmp_path))) == 0
    [done] = await chat.say("王老师", None, "/跟进 王五 电话联系，答应周五前补交")
    assert done.text.startswith("已记入台账：王五")
    out = tmp_path / "台账.xlsx"
    assert cli(chat, "progress", "ledger", "--class", "行管1班", "--out", str(out)) == 0
    assert f"已导出行管1班台账 1 条记录到 {out}" in capsys.readouterr().out
    ws = load_workbook(out).active
    assert [c.value for c in ws[1]] == ["学号", "姓名", "问题", "联系时间", "方式", "结果"]
    row = [c.value for c in ws[2]]
    assert row[:3] == ["2024110003", "王五", "行政管理学 形考作业1 未完成；行政管理学 形考作业2 未完成"]
    assert row[4:] == ["电话", "电话联系，答应周五前补交"] and row[3].strftime("%m-%d %H:%M") == "11-02 08:00"
    assert cli(chat, "progress", "ledger", "--class", "行管9班", "--out", str(out)) == 2
    capsys.readouterr()
    assert cli(chat, "forget", "2024110003") == 0
    assert "学习进度、台账记录" in capsys.readouterr().out
    with chat.db.tx() as s:
        left = [r for m in (ProgressValue, ProgressState, ProgressContact) for r in s.exec(select(m))
                if r.student_no == "2024110003"]
        follow = s.exec(select(AuditLog).where(AuditLog.action == "/跟进")).one()
    assert left == [] and follow.detail == "（已删除）" and follow.actor_name == "王老师"


async def test_forget_anonymises_the_students_own_audit_entries(config, tmp_path, sqlite_db, cli, capsys):
    chat = await school(config, tmp_path, sqlite_db)
    [bound] = await chat.say("王五", None, "/绑定 2024110003 王五")
    assert "绑定成功" in bound.text
    assert cli(chat, "forget", "2024110003") == 0
    capsys.readouterr()
    with chat.db.tx() as s:
        entry = s.exec(select(AuditLog).where(AuditLog.action == "/绑定")).one()
    assert (entry.actor_id, entry.actor_name, entry.detail) == ("wxid_ww", "（已删除）", "")


async def test_the_report_from_the_command_line(config, tmp_path, sqlite_db, cli, capsys):
    chat = await school(config, tmp_path, sqlite_db)
    assert cli(chat, "progress", "import", str(homework(tmp_path))) == 0
    capsys.readouterr()
    xlsx, png = tmp_path / "通报.xlsx", tmp_path / "通报.png"
    assert cli(chat, "progress", "report", "--month", "2026-11", "--group", "城区", "--out", str(xlsx),
               "--chart", str(png)) == 0
    out = capsys.readouterr().out
    assert out.startswith("【月度学习数据通报】11月1日—11月30日（城区）") and xlsx.exists() and png.exists()
    assert cli(chat, "progress", "report", "--month", "2026-10") == 1  # nothing before November
    assert "还没有学习进度数据" in capsys.readouterr().out
