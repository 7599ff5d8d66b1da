"""Where a student stands (pure): behind on which items, at risk, the targets in force."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import Milestone, ProgressConfig, ProgressTargets
from bot.models import ProgressState, Student
from bot.progress.status import Level, assess, matches, next_target, target_at, wanted

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 6, 9, 0, tzinfo=TZ)
DUE = {"hw-1": datetime(2026, 10, 11, 23, 59, tzinfo=TZ), "hw-2": datetime(2026, 11, 8, 23, 59, tzinfo=TZ),
       "hw-3": datetime(2026, 11, 29, 23, 59, tzinfo=TZ)}
CFG = ProgressConfig(targets=ProgressTargets(online_days=[Milestone(by=date(2026, 11, 5), value=10),
                                                          Milestone(by=date(2027, 1, 5), value=26)]))


def st(no: str, name: str) -> Student:
    return Student(student_no=no, name=name, class_name="行管1班", point="城区")


def row(no: str, kind: str, item: str, *, done: bool | None = None, value: float | None = None, ref: str = "",
        note: str = "", as_of: date = date(2026, 11, 5)) -> ProgressState:
    return ProgressState(student_no=no, kind=kind, course="行政管理学" if kind == "形考" else "", item=item,
                         class_name="行管1班", ref=ref, as_of=as_of, done=done, value=value, note=note)


def test_milestones():
    schedule = CFG.targets.online_days
    assert target_at(schedule, date(2026, 11, 4)) is None and target_at(schedule, date(2026, 11, 5)) == 10
    assert next_target(schedule, date(2026, 11, 5)) == Milestone(by=date(2027, 1, 5), value=26)
    assert target_at(CFG.targets.homework, date(2026, 1, 1)) == 0.92  # one figure: in force from the start


def test_statuses():
    students = [st("1", "甲"), st("2", "乙"), st("3", "丙"), st("4", "丁")]
    rows = [
        row("1", "形考", "形考作业1", done=True, ref="hw-1"), row("1", "形考", "形考作业2", done=True, ref="hw-2"),
        row("1", "网检", "在线天数", value=12), row("1", "网检", "登录次数", value=20),
        row("2", "形考", "形考作业2", done=False, ref="hw-2"), row("2", "形考", "形考作业3", done=False, ref="hw-3"),
        row("2", "网检", "在线天数", value=6), row("2", "网检", "登录次数", value=9),
        row("3", "形考", "形考作业1", done=False, ref="hw-1"), row("3", "网检", "在线天数", value=0),
        row("3", "网检", "登录次数", value=0), row("3", "形考", "形考作业2", done=False, ref="hw-2"),
        row("4", "预警", "预警", note="连续四周未登录"), row("4", "形考", "形考作业2", done=True),
        *(row("1", "直播", f"直播 11月{d}日", done=True, ref=f"live@{d}", as_of=date(2026, 11, d)) for d in (3, 5)),
        *(row("2", "直播", f"直播 11月{d}日", done=d == 5, ref=f"live@{d}", as_of=date(2026, 11, d)) for d in (3, 5)),
    ]
    p = assess(students, rows, DUE, CFG, NOW, "行管1班")
    by = {s.student.name: s for s in p.students}
    assert by["甲"].level == Level.ON_TRACK and by["甲"].live == (2, 2)
    assert by["乙"].level == Level.AT_RISK  # three items behind
    assert [(b.label, b.figure) for b in by["乙"].behind] == [
        ("行政管理学 形考作业2", ""), ("在线天数", "在线 6 天（要求 10 天）"), ("直播课", "本月参加 1/2 场")]
    assert [b.label for b in by["乙"].later] == ["行政管理学 形考作业3"]  # due in 23 days: not behind yet
    assert by["丙"].level == Level.AT_RISK and [b.label for b in by["丙"].behind] == [
        "行政管理学 形考作业1", "行政管理学 形考作业2", "未登录学习网"]
    assert by["丁"].level == Level.AT_RISK and by["丁"].warning == "连续四周未登录"
    assert [(i.label, i.done, i.total) for i in p.items] == [("行政管理学 形考作业1", 1, 2), ("行政管理学 形考作业2", 2, 4),
                                                            ("行政管理学 形考作业3", 0, 1)]
    assert (p.logged_in, p.online_counted) == (2, 3)
    assert [b.label for b in wanted(by["乙"], "形考作业3")] == ["行政管理学 形考作业3"]  # named: asked for
    assert [b.label for b in wanted(by["乙"], "")] == ["行政管理学 形考作业2", "在线天数", "直播课"]
    assert [b.label for b in wanted(by["乙"], "直播")] == ["直播课"]
    assert matches(by["乙"].behind[0], "行政管理学") and not matches(by["乙"].behind[0], "网检")
    assert NOW + timedelta(days=7) > DUE["hw-2"]
