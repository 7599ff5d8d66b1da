"""Reading progress exports: cells, assignment headers, layouts (title rows, course bands, wide and long, 腾讯会议
lists), unknown layouts; the star formula; students' replies to reminders."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.kernel.tables import Sheet
from bot.progress import replies
from bot.progress.columns import Kind, Unreadable, item_key, item_name, read_done, read_minutes, read_number
from bot.progress.formula import compile_formula
from bot.progress.reader import Layout, Problem, find_day, read_layout

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=TZ)
COURSES = ["行政管理学", "公共政策概论", "基础会计", "经济法学"]


def sheet(rows: list[list[str]], name: str = "Sheet1") -> Sheet:
    return Sheet(name, rows, list(range(1, len(rows) + 1)))


def layout(rows: list[list[str]], *, name: str = "Sheet1", file_name: str = "export.xlsx", hint: Kind | None = None,
           columns: dict[str, str] | None = None) -> Layout | Problem | None:
    return read_layout(sheet(rows, name), file_name=file_name, hint=hint, columns=columns or {}, courses=COURSES,
                       now=NOW)


@pytest.mark.parametrize(("text", "done", "score"), [
    ("已提交", True, None), ("未提交", False, None), ("√", True, None), ("×", False, None), ("是", True, None),
    ("否", False, None), ("85", True, 85.0), ("0", False, 0.0), ("85.5分", True, 85.5), ("已选课", True, None),
    ("未报考", False, None),
])
def test_completion_cells(text, done, score):
    assert read_done(text) == (done, score)


def test_a_negative_header_inverts_yes_and_no_but_not_words():
    assert read_done("是", inverted=True) == (False, None)
    assert read_done("已提交", inverted=True) == (True, None)


@pytest.mark.parametrize("text", ["", "--", "-", "缺考", "待定", "良好", "/"])
def test_unreadable_cells(text):
    with pytest.raises(Unreadable):
        read_done(text)


@pytest.mark.parametrize(("text", "minutes"), [
    ("85", 85), ("85分钟", 85), ("1小时25分", 85), ("01:25:00", 85), ("25:30", 25.5), ("90分30秒", 90.5),
])
def test_durations(text, minutes):
    assert read_minutes(text) == pytest.approx(minutes)


def test_numbers():
    assert read_number("1,234") == 1234 and read_number("45%") == 0.45 and read_number("12天") == 12
    with pytest.raises(Unreadable):
        read_number("--")


@pytest.mark.parametrize(("header", "course", "label", "key"), [
    ("形考作业2", "", "形考作业2", "形考#2"), ("形考任务2", "", "形考任务2", "形考#2"), ("作业2", "", "作业2", "形考#2"),
    ("第2次形考", "", "形考2", "形考#2"), ("行政管理学形考作业2", "行政管理学", "形考作业2", "形考#2"),
    ("形成性考核二", "", "形成性考核2", "形考#2"), ("形考作业2（分）", "", "形考作业2", "形考#2"),
])
def test_assignment_headers(header, course, label, key):
    found = item_name(header)
    assert found is not None and (found.course, found.label) == (course, label) and item_key(header) == key


def test_bare_field_words_are_not_assignments():
    assert item_name("作业") is None and item_name("形考") is None and item_name("学号") is None


def test_a_wide_sheet_under_a_merged_title_with_its_course_and_day():
    got = layout([["2026秋 行政管理学 形考完成情况（截至2026年11月1日）", "", "", "", ""],
                  ["序号", "学号", "姓名", "形考作业1", "形考作业2", "备注"],
                  ["1", "2024110001", "张三", "85", "未提交", ""]])
    assert isinstance(got, Layout)
    assert got.kind == Kind.HOMEWORK and not got.long and got.header.row == 2
    assert got.course == "行政管理学" and got.as_of == date(2026, 11, 1)
    assert [(c.course, c.label) for c in got.items] == [("行政管理学", "形考作业1"), ("行政管理学", "形考作业2")]


def test_a_course_band_above_the_header_names_the_course_of_each_column():
    got = layout([["会计1班 形考 统计日期：2026-11-01", "", "", "", "", ""],
                  ["", "", "基础会计", "", "经济法学", ""],
                  ["学号", "姓名", "形考任务1", "形考任务2", "形考作业1", "形考作业2"]])
    assert isinstance(got, Layout)
    assert [(c.course, c.label) for c in got.items] == [("基础会计", "形考任务1"), ("基础会计", "形考任务2"),
                                                         ("经济法学", "形考作业1"), ("经济法学", "形考作业2")]


def test_a_long_sheet_one_row_per_student_and_task():
    got = layout([["学号", "学生姓名", "课程名称", "形考任务", "完成情况"]])
    assert isinstance(got, Layout) and got.kind == Kind.HOMEWORK and got.long


def test_course_columns_hold_a_score_each():
    got = layout([["学号", "姓名", "行政管理学", "公共政策概论"]], hint=Kind.HOMEWORK)
    assert isinstance(got, Layout) and [(c.course, c.label) for c in got.items] == [
        ("行政管理学", "形考成绩"), ("公共政策概论", "形考成绩")]


@pytest.mark.parametrize(("header", "kind"), [
    (["学号", "姓名", "在线天数", "学习行为次数"], Kind.ONLINE), (["学号", "姓名", "预警原因"], Kind.WARNING),
    (["学号", "姓名", "选课状态"], Kind.SELECTION), (["学号", "姓名", "报考状态", "不及格课程"], Kind.REGISTRATION),
    (["学号", "姓名", "课程", "直播场次", "参与场次"], Kind.LIVE),
    (["序号", "参会者昵称", "入会时间", "退会时间", "参会时长"], Kind.LIVE),
])
def test_the_kind_is_read_from_the_columns(header, kind):
    got = layout([header])
    assert isinstance(got, Layout) and got.kind == kind


def test_an_attendance_list_below_its_meeting_details():
    got = layout([["会议主题：行政管理学 直播课"], ["会议开始时间：2026-11-10 19:30"],
                  ["序号", "参会者昵称", "入会时间", "退会时间", "参会时长（分钟）"]])
    assert isinstance(got, Layout) and got.attendance and "行政管理学 直播课" in got.title
    assert got.as_of == date(2026, 11, 10)


def test_no_student_number_column_is_a_problem_listing_the_headers():
    got = layout([["姓名", "在线天数"], ["张三", "3"]])
    assert isinstance(got, Problem) and got.reason == "no student_no" and got.headers == ("姓名", "在线天数")


def test_unknown_headers_are_a_problem_unless_mapped_in_config():
    rows = [["学员编号", "学员姓名", "累计学习天数"], ["2024110001", "张三", "5"]]
    got = layout(rows)
    assert isinstance(got, Problem) and got.reason == "no student_no"
    mapped = layout(rows, columns={"学员编号": "student_no", "累计学习天数": "online_days"})
    assert isinstance(mapped, Layout) and mapped.kind == Kind.ONLINE


def test_a_roster_is_not_a_progress_export():
    got = layout([["学号", "姓名", "班级", "教学点"], ["2024110001", "张三", "行管1班", "城区"]])
    assert isinstance(got, Problem) and got.reason == "unknown kind"


def test_an_empty_sheet_is_nothing():
    assert layout([]) is None and layout([["", ""], ["", ""]]) is None


def test_the_day_needs_a_year_not_a_weekday():
    assert find_day(NOW, "周五直播") is None
    assert find_day(NOW, "截至2026年11月1日") == date(2026, 11, 1)
    assert find_day(NOW, "统计日期：2026-11-30") == date(2026, 11, 30)


def test_the_star_formula():
    f = compile_formula("在线天数 + 行为次数 / 20 + 形考完成率 * 10 + max(直播参与率, 0.5)")
    assert f({"在线天数": 10, "行为次数": 200, "形考完成率": 1.0}) == pytest.approx(30.5)
    assert compile_formula("在线天数 / 0")({"在线天数": 3}) == 0


@pytest.mark.parametrize(("formula", "needle"), [
    ("在线天数 + 身高", "unknown name"), ("__import__('os')", "only numbers"), ("在线天数 +", "not arithmetic"),
])
def test_a_bad_star_formula_is_refused(formula, needle):
    with pytest.raises(ValueError, match=needle):
        compile_formula(formula)


@pytest.mark.parametrize(("text", "meaning"), [
    ("交了", "done"), ("已经交了", "done"), ("做完了", "done"), ("已提交，谢谢老师", "done"), ("提交了", "done"),
    ("明天交", "promise"), ("周五前补交", "promise"), ("马上就交", "promise"), ("今晚做", "promise"),
    ("交了吗", None), ("没交", None), ("我不会做", None), ("怎么交作业？", None), ("好的", None), ("收到", None),
])
def test_replies_to_a_reminder(text, meaning):
    assert replies.classify(text, NOW) == meaning
