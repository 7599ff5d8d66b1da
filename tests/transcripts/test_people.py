"""People, roster and permissions: imports, matching by 群昵称 and /绑定, staff codes, scopes, audit, privacy."""

import csv
from datetime import timedelta

from openpyxl import Workbook, load_workbook
from sqlmodel import select

from bot.kernel.tables import read_table
from bot.models import Ack, AuditLog, Contact, Student
from bot.roster import parse_roster
from tests.conftest import ROOT


def write_csv(path, rows):
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


def students(chat):
    with chat.db.tx() as s:
        return {st.student_no: st for st in s.exec(select(Student))}


# -- roster import/export ---------------------------------------------------------------------------------------------
def test_sample_roster_is_valid_and_large_enough(config):
    good, errors = parse_roster(read_table(ROOT / "data/roster.csv"), {c.name for c in config.groups.classes})
    assert len(good) >= 120 and errors == []


def test_import_with_header_aliases_and_stray_spaces(chat, cli, tmp_path, capsys):
    path = write_csv(tmp_path / "r.csv", [[" 学生学号 ", "学生姓名", "班级名称", "学习中心", "手机号码"],
                                          ["2024110001", " 张三 ", "行管1班", "城区", "13800000001"],
                                          ["2024110002", "李四", " 行管1班", "城区", ""]])
    assert cli(chat, "roster", "import", str(path)) == 0
    assert "新增 2" in capsys.readouterr().out
    assert students(chat)["2024110001"].name == "张三"


def test_bad_rows_are_reported_with_row_numbers_and_nothing_is_imported(chat, cli, tmp_path, capsys):
    path = write_csv(tmp_path / "r.csv", [["学号", "姓名", "班级", "教学点"],
                                          ["2024110001", "张三", "行管1班", "城区"],
                                          ["2024110002", "李四", "", "城区"],
                                          ["2024110001", "王五", "行管1班", "城区"],
                                          ["20241", "赵六", "行管1班", "城区"],
                                          ["2024110009", "钱七", "火星班", "城区"]])
    assert cli(chat, "roster", "import", str(path)) == 2
    err = capsys.readouterr().err
    assert "第3行：缺少班级" in err and "第4行：学号 2024110001 重复（与第2行相同）" in err
    assert "第5行：学号格式不对" in err and "第6行：班级“火星班”不在配置里" in err
    assert students(chat) == {}


def test_reimport_updates_instead_of_duplicating(chat, cli, tmp_path, capsys):
    head = ["学号", "姓名", "班级", "教学点"]
    path = write_csv(tmp_path / "r.csv", [head, ["2024110001", "张三", "行管1班", "城区"]])
    cli(chat, "roster", "import", str(path))
    write_csv(path, [head, ["2024110001", "张三", "行管2班", "城区"], ["2024110002", "李四", "行管1班", "城区"]])
    cli(chat, "roster", "import", str(path))
    assert "新增 1，更新 1，未变 0" in capsys.readouterr().out
    assert students(chat)["2024110001"].class_name == "行管2班" and len(students(chat)) == 2


def test_xlsx_import_with_progress_and_export(chat, cli, tmp_path, capsys):
    wb = Workbook()
    wb.active.append(["学号", "姓名", "班级", "教学点"])
    for i in range(1000):
        wb.active.append([2024100000 + i, f"学生{i}", "行管1班", "城区"])  # Excel keeps 学号 as numbers
    path = tmp_path / "r.xlsx"
    wb.save(path)
    assert cli(chat, "roster", "import", str(path)) == 0
    captured = capsys.readouterr()
    assert "1000/1000" in captured.err and "[" in captured.err  # the progress bar
    assert "2024100999" in students(chat)
    out = tmp_path / "out.xlsx"
    assert cli(chat, "roster", "export", "--out", str(out)) == 0
    rows = list(load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("学号", "姓名", "班级", "教学点") and len(rows) == 1001


def test_dry_run_writes_nothing(chat, cli, tmp_path):
    path = write_csv(tmp_path / "r.csv", [["学号", "姓名", "班级", "教学点"], ["2024110001", "张三", "行管1班", "城区"]])
    assert cli(chat, "roster", "import", str(path), "--dry-run") == 0
    assert students(chat) == {}


# -- matching -------------------------------------------------------------------------------------------------------
def add_students(chat, *rows):
    with chat.db.tx() as s:
        for no, name, cls in rows:
            s.add(Student(student_no=no, name=name, class_name=cls, point="城区", phone="13800000000"))
    chat.services.roster._changed()


async def test_alias_convention_matches_silently(chat):
    add_students(chat, ("2024110001", "张三", "行管1班"), ("2024110002", "李四", "行管1班"))
    assert await chat.say("张三", "行管1班", "大家好") == []
    assert students(chat)["2024110001"].contact_id == "wxid_zs"


async def test_alias_conflicts_are_told_to_the_advisor_privately(chat):
    add_students(chat, ("2024110001", "张三", "行管1班"), ("2024110002", "李小四", "行管1班"))
    assert await chat.say("张三", "行管1班", "大家好") == []
    chat.rename("王五", alias="张三-2024110001")  # claims a 学号 that is already matched
    [taken] = await chat.say("王五", "行管1班", "大家好")
    assert await chat.advance("1m") == []
    [mismatch] = await chat.say("李四", "行管1班", "早上好")  # alias 李四-2024110002, but the roster says 李小四
    assert taken.to_name == mismatch.to_name == "王老师"  # privately, never in the group
    assert "已被另一位群成员认领" in taken.text and "姓名与学号" in mismatch.text
    assert students(chat)["2024110001"].contact_id == "wxid_zs"


async def test_bind_command(chat):
    add_students(chat, ("2024110003", "王五", "行管1班"), ("2024110004", "赵六", "行管2班"))
    [r] = await chat.private("王五", "/绑定 2024110003 王五")
    assert "绑定成功" in r.text and students(chat)["2024110003"].contact_id == "wxid_ww"
    [r] = await chat.say("王五", "行管1班", "/绑定 2024110004 赵六")
    assert "不在本班名单" in r.text
    [r] = await chat.private("王五", "/绑定 2024110099 王五")
    assert "没有找到" in r.text
    r, advisor = await chat.private("张三", "/绑定 2024110003 王五")
    assert r.to_name == "张三" and advisor.to_name == "王老师"
    assert "已经被其他微信号绑定" in r.text and "已被其他人绑定的学号" in advisor.text


async def test_members_view(chat):
    add_students(chat, ("2024110001", "张三", "行管1班"), ("2024110009", "赵六", "行管1班"))
    assert await chat.say("张三", "行管1班", "大家好") == []
    await chat.join("行管1班", {"name": "新同学", "id": "wxid_new"})
    private, told = await chat.say("王老师", "行管1班", "/成员")
    assert private.to_name == "王老师" and "已私聊" in told.text
    assert "群成员 4 人" in private.text and "花名册 2 人" in private.text and "已匹配 1 人" in private.text
    assert "未进群 1 人：赵六" in private.text and "新同学" in private.text
    await chat.leave("行管1班", "新同学")
    private, _told = await chat.say("王老师", "行管1班", "/成员 ")
    assert private.to_name == "王老师" and "群成员 3 人" in private.text


# -- staff by code --------------------------------------------------------------------------------------------------
async def test_grant_code_binds_by_contact_id(chat, cli, capsys):
    room = chat.room("行管1班")
    chat.add_member(room, {"name": "孙老师", "id": "wxid_sun"})
    [r] = await chat.say("孙老师", "行管1班", "/通知 明天停课")
    assert "只有" in r.text
    assert cli(chat, "grant", "teacher", "--name", "孙老师", "--classes", "行管1班") == 0
    code = capsys.readouterr().out.split("授权码：")[1].split()[0]
    [r] = await chat.private("孙老师", code.lower())
    assert "已确认您的老师身份" in r.text
    notice, private = await chat.say("孙老师", "行管1班", "/通知 明天停课")
    assert "【通知 #1】" in notice.text and private.to_name == "孙老师"
    [r] = await chat.private("张三", code)
    assert "已经用过" in r.text
    assert cli(chat, "staff", "list") == 0
    assert "孙老师\tteacher\t行管1班\tgrant\twxid_sun" in capsys.readouterr().out
    assert cli(chat, "revoke", "--name", "孙老师") == 0
    assert await chat.advance("1m") == []
    [r] = await chat.say("孙老师", "行管1班", "/通知 明天停课")
    assert "只有" in r.text


async def test_expired_code_is_refused(chat, cli, capsys):
    cli(chat, "grant", "coordinator", "--name", "周主任", "--points", "城区", "--ttl", "1h")
    code = capsys.readouterr().out.split("授权码：")[1].split()[0]
    sent = await chat.advance("2h")
    assert sent == []
    chat.clock.set(chat.clock.now() + timedelta(hours=1))
    [r] = await chat.private("张三", code)
    assert "已过期" in r.text


def test_grant_refuses_unknown_scope(chat, cli, capsys):
    assert cli(chat, "grant", "teacher", "--name", "x", "--classes", "火星班") == 2
    assert cli(chat, "grant", "teacher", "--name", "x") == 2


async def test_coordinator_scope_is_their_points(chat, cli, capsys):
    cli(chat, "grant", "coordinator", "--name", "周主任", "--points", "清苑")
    code = capsys.readouterr().out.split("授权码：")[1].split()[0]
    room = chat.room("行管1班")
    chat.add_member(room, {"name": "周主任", "id": "wxid_zhou"})
    [ok] = await chat.private("周主任", code)
    assert "教学点负责人身份（范围：清苑）" in ok.text
    [r] = await chat.say("周主任", "行管1班", "/通知 测试")  # 行管1班 is in 城区
    assert "不负责这个班级" in r.text


# -- audit and privacy ------------------------------------------------------------------------------------------------
async def test_audit_log_records_commands_grants_and_bindings(chat, cli, capsys):
    add_students(chat, ("2024110003", "王五", "行管1班"))
    assert len(await chat.say("王老师", "行管1班", "/通知 周五交表")) == 2
    [denied] = await chat.say("张三", "行管1班", "/通知 我也发")
    [bound] = await chat.private("王五", "/绑定 2024110003 王五")
    assert "只有" in denied.text and "绑定成功" in bound.text
    cli(chat, "grant", "admin", "--name", "新管理员")
    capsys.readouterr()
    assert cli(chat, "audit", "--since", "2026-09-01") == 0
    out = capsys.readouterr().out
    assert "王老师(wxid_wang)\t行管1班\t/通知\t周五交表\tok" in out
    assert "denied: role" in out and "/绑定" in out and "grant" in out
    with chat.db.tx() as s:
        assert len(s.exec(select(AuditLog)).all()) == 4


async def test_group_messages_never_show_student_numbers_or_phones(chat):
    add_students(chat, ("2024110001", "张三", "行管1班"))
    assert await chat.say("张三", "行管1班", "大家好") == []
    sent = list(await chat.say("王老师", "行管1班", "/通知 周五交表"))
    sent += await chat.say("王老师", "行管1班", "/未确认")
    sent += await chat.say("王老师", "行管1班", "/催")
    assert len(sent) == 4
    for s in sent:
        if s.room_topic:
            assert "2024110" not in s.text and "138" not in s.text, s.text


async def test_forget_removes_personal_data(chat, cli, capsys):
    add_students(chat, ("2024110001", "张三", "行管1班"))
    assert await chat.say("张三", "行管1班", "大家好") == []
    assert len(await chat.say("王老师", "行管1班", "/通知 周五交表")) == 2
    assert await chat.say("张三", "行管1班", "收到，张三") == []
    assert cli(chat, "forget", "2024110001") == 0
    with chat.db.tx() as s:
        assert s.get(Student, "2024110001") is None
        assert s.get(Contact, "wxid_zs").name == "（已删除）"
        [ack] = s.exec(select(Ack)).all()
        assert ack.name == "" and ack.text == ""
    assert cli(chat, "forget", "2024110001") == 1
