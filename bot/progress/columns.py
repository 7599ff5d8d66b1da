"""What platform exports carry: the fields of a progress file, their header aliases, the kinds of file, and how a
cell's text reads as a value. Pure: no config, no database (tables in tests/unit/test_progress_reader.py).

No public specification of 国开学习网 exports exists, so the aliases are what such files are seen to use; anything
else is mapped in config.yaml (`progress.columns: {学员编号: student_no}`).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from bot.kernel.dates import cn_number
from bot.kernel.durations import parse_duration
from bot.kernel.tables import norm_header


class Kind(enum.StrEnum):
    """The kinds of progress file (the values are what people type: --kind 形考)."""

    HOMEWORK = "形考"
    ONLINE = "网检"
    LIVE = "直播"
    SELECTION = "选课"
    REGISTRATION = "报考"
    WARNING = "预警"

    @property
    def deadline_type(self) -> str | None:
        """The calendar event type whose deadline an item of this kind is due by."""
        return {Kind.HOMEWORK: "作业", Kind.SELECTION: "选课", Kind.REGISTRATION: "报考"}.get(self)


KINDS = tuple(k.value for k in Kind)

# field -> header aliases (compared by norm_header: no spaces, full width folded, a unit in brackets dropped)
FIELDS: dict[str, tuple[str, ...]] = {
    "student_no": ("学号", "学生学号", "学员学号", "用户名", "学籍号", "账号", "登录账号", "学生编号"),
    "name": ("姓名", "学生姓名", "学员姓名", "真实姓名", "名字"),
    "class_name": ("班级", "班级名称", "所在班级", "行政班", "教学班"),
    "point": ("教学点", "学习中心", "所属教学点"),
    "course": ("课程", "课程名称", "课程名", "课程代码"),
    "task": ("作业", "作业名称", "形考任务", "任务名称", "形考项目", "测验名称", "形考名称"),
    "score": ("形考成绩", "成绩", "分数", "得分", "作业成绩", "形考分数"),
    "status": ("已提交", "未提交", "完成情况", "提交情况", "提交状态", "完成状态", "是否提交", "是否完成", "状态"),
    "final_score": ("终考成绩", "期末成绩", "终结性考试成绩", "终考"),
    "total_score": ("综合成绩", "总成绩", "总评成绩", "总评"),
    "online_days": ("在线天数", "上线天数", "登录天数", "学习天数"),
    "actions": ("行为次数", "学习行为次数", "在线行为次数", "学习行为数", "行为数"),
    "logins": ("登录次数", "上线次数"),
    "last_login": ("最近登录时间", "最后登录时间", "最近登录", "最后登录"),
    "forum": ("回帖数", "发帖数", "论坛回帖数", "发帖回帖数", "讨论区发帖数", "论坛发帖数"),
    "live_planned": ("直播场次", "直播次数", "应参加场次", "安排场次"),
    "live_attended": ("参与场次", "参加场次", "观看场次", "出勤场次"),
    "watch_time": ("观看时长", "观看时长(分钟)", "累计观看时长"),
    "warning": ("预警原因", "预警类型", "预警内容", "预警说明"),
    "selected": ("已选课", "未选课", "选课状态", "是否选课", "选课情况"),
    "registered": ("已报考", "未报考", "报考状态", "是否报考", "报考情况"),
    "failed_courses": ("不及格课程", "需补考课程", "补考课程"),
    "nickname": ("参会者昵称", "用户昵称", "入会昵称", "参会者", "昵称", "参会者名称"),
    "joined_at": ("入会时间", "首次入会时间", "加入时间"),
    "left_at": ("退会时间", "最后退会时间", "离开时间"),
    "duration": ("参会时长", "参会时长(分钟)", "在会时长", "累计参会时长", "参会时长(分)"),
}
# What each field means, for the refusal that suggests config lines.
FIELD_NAMES: dict[str, str] = {
    "student_no": "学号", "name": "姓名", "class_name": "班级", "point": "教学点", "course": "课程",
    "task": "作业名称（一行一个作业时）", "score": "成绩", "status": "是否完成", "final_score": "终考成绩",
    "total_score": "综合成绩", "online_days": "在线天数", "actions": "学习行为次数", "logins": "登录次数",
    "last_login": "最近登录时间", "forum": "回帖数", "live_planned": "直播场次", "live_attended": "参与场次",
    "watch_time": "观看时长", "warning": "预警原因", "selected": "是否选课", "registered": "是否报考",
    "failed_courses": "不及格课程", "nickname": "参会者昵称", "joined_at": "入会时间", "left_at": "退会时间",
    "duration": "参会时长", "item": "一个作业或课程（每列一个）", "ignore": "不导入这一列",
}
CONFIG_FIELDS = tuple(FIELD_NAMES)
NEGATIVE_HEADERS = {norm_header(h) for h in ("未提交", "未选课", "未报考")}  # 是 in such a column means not done

# Columns that are neither a field nor an item: identity details and totals a platform adds.
IGNORED = {norm_header(h) for h in (
    "序号", "编号", "性别", "专业", "专业名称", "年级", "层次", "学生类别", "手机", "手机号", "手机号码", "电话", "联系电话",
    "备注", "说明", "身份证号", "身份证", "入学时间", "入学年级", "学籍状态", "分部", "辅导教师", "导学教师", "班主任",
    "责任教师", "排名", "名次", "合计", "总计", "完成率", "完成数", "已完成数", "未完成数", "提交率", "平均分", "学期",
    "邮箱", "会议号", "会议主题", "用户角色", "角色", "终端类型", "设备", "ip", "入会方式", "所在地",
)}

# Words in a sheet name, a title row or a file name that say what the file is.
KIND_WORDS: tuple[tuple[str, Kind], ...] = (
    ("预警", Kind.WARNING), ("报考", Kind.REGISTRATION), ("选课", Kind.SELECTION), ("参会", Kind.LIVE),
    ("腾讯会议", Kind.LIVE), ("直播", Kind.LIVE), ("网检", Kind.ONLINE), ("学习行为", Kind.ONLINE),
    ("在线学习", Kind.ONLINE), ("登录", Kind.ONLINE), ("形考", Kind.HOMEWORK), ("作业", Kind.HOMEWORK),
)

# Which fields make a sheet which kind (first match wins; an explicit --kind or a title word can decide too).
KIND_FIELDS: tuple[tuple[Kind, tuple[str, ...]], ...] = (
    (Kind.LIVE, ("nickname", "live_planned", "live_attended", "watch_time")),
    (Kind.WARNING, ("warning",)),
    (Kind.SELECTION, ("selected",)),
    (Kind.REGISTRATION, ("registered",)),
    (Kind.ONLINE, ("online_days", "actions", "logins", "forum")),
    (Kind.HOMEWORK, ("score", "status", "task", "final_score", "total_score")),
)

# An assignment column: 形考作业2, 形考任务2, 作业2, 形考2, 第2次作业, 行政管理学形考作业2, 形成性考核二.
_ITEM = re.compile(r"^(?P<course>.*?)(?:第(?P<n1>\d{1,2}|[一二三四五六七八九十]{1,3})次)?"
                   r"(?P<word>形考作业|形考任务|形成性考核|形考|作业|任务|测验|实验|专题讨论)"
                   r"(?P<n2>\d{1,2}|[一二三四五六七八九十]{1,3})?$")


@dataclass(frozen=True)
class ItemName:
    course: str  # the course written in the header, if any ("行政管理学形考作业2" -> 行政管理学)
    label: str  # as shown: 形考作业2
    number: int | None


def item_name(header: str) -> ItemName | None:
    """An assignment header read as (course, label, number), or None when it does not name an assignment."""
    text = re.sub(r"\s+", "", header).replace("（", "(").replace("）", ")")
    text = re.sub(r"\((分|分数|成绩)\)$", "", text)
    m = _ITEM.match(text)
    if not m:
        return None
    raw = m.group("n1") or m.group("n2")
    if raw is None and m.group("word") in ("作业", "任务", "形考"):
        return None  # a bare 作业/形考 column is a field (task, score), not an item
    number = int(raw) if raw and raw.isdigit() else (cn_number(raw) if raw else None)
    label = f"{m.group('word')}{number}" if number is not None else m.group("word")
    return ItemName(m.group("course").strip(" -_·"), label, number)


def item_key(label: str) -> str:
    """A label compared across files and the calendar: 形考任务2, 作业2, 第2次形考 -> 形考#2."""
    found = item_name(label)
    if found is None or found.number is None:
        return norm_header(label)
    return f"形考#{found.number}"


# Fields kept as written for staff to see; they never decide a status.
INDICATORS = {"online_days": "在线天数", "actions": "行为次数", "logins": "登录次数", "forum": "回帖数"}
INFO = {"final_score": "终考成绩", "total_score": "综合成绩", "last_login": "最近登录", "watch_time": "观看时长"}
LIVE_STATS = "直播"  # the item of a platform's per-student live statistics


# -- cells -----------------------------------------------------------------------------------------------------------
DONE_WORDS = {"已提交", "已完成", "完成", "提交", "已交", "是", "√", "✓", "✔", "y", "yes", "已选课", "已选", "已报考", "已报",
              "已报名", "已参加", "参加", "出勤", "通过", "合格", "true"}
NOT_DONE_WORDS = {"未提交", "未完成", "未交", "否", "×", "✗", "✘", "n", "no", "未选课", "未选", "未报考", "未报", "未报名",
                  "未参加", "缺勤", "false", "未做", "没交"}
UNREADABLE = {"", "-", "--", "---", "—", "——", "/", "缺考", "无成绩", "待定", "null", "none", "n/a", "#n/a"}


class Unreadable(ValueError):
    """A cell whose text decides nothing: 缺考, --, empty."""


def read_number(text: str) -> float:
    """'85', '85.5', '85分', '1,234', '45%' -> a number; Unreadable otherwise."""
    t = text.strip().replace(",", "").replace("，", "")
    t = re.sub(r"(分|次|天|人|场|门)$", "", t)
    try:
        return float(t[:-1]) / 100 if t.endswith("%") else float(t)
    except ValueError:
        raise Unreadable(text) from None


def read_done(text: str, *, inverted: bool = False) -> tuple[bool, float | None]:
    """A completion cell: (done, score or None). Words (已提交/未提交, 是/否, √/×) or a score (done when above 0).
    Under a 未提交 header, 是 means not done. Unreadable for 缺考, --, empty and other text."""
    t = text.strip().lower()
    if t in UNREADABLE:
        raise Unreadable(text)
    if t in DONE_WORDS or t in NOT_DONE_WORDS:
        done = t in DONE_WORDS
        if inverted and t in ("是", "√", "✓", "✔", "y", "yes", "否", "×", "✗", "✘", "n", "no", "true", "false"):
            done = not done
        return done, None
    value = read_number(t)
    return value > 0, value


def read_minutes(text: str) -> float:
    """A duration cell as minutes: '85', '85分钟', '1小时25分', '01:25:30', '25:30' (mm:ss)."""
    t = text.strip().replace(" ", "")
    if not t or t.lower() in UNREADABLE:
        raise Unreadable(text)
    if m := re.fullmatch(r"(\d{1,3}):(\d{2}):(\d{2})", t):
        return int(m.group(1)) * 60 + int(m.group(2)) + int(m.group(3)) / 60
    if m := re.fullmatch(r"(\d{1,3}):(\d{2})", t):
        return int(m.group(1)) + int(m.group(2)) / 60
    if re.fullmatch(r"\d+(\.\d+)?", t):
        return float(t)
    try:
        return parse_duration(t.replace("分钟", "分").replace("分", "分钟").replace("秒钟", "秒")).total_seconds() / 60
    except ValueError:
        raise Unreadable(text) from None


def guess_field(header: str) -> str | None:
    """For the refusal of an unknown layout: the field a header probably means, to suggest a config line."""
    h = norm_header(header)
    for word, name in (("学号", "student_no"), ("账号", "student_no"), ("编号", "student_no"), ("姓名", "name"),
                       ("名字", "name"), ("班", "class_name"), ("课程", "course"), ("天数", "online_days"),
                       ("行为", "actions"), ("登录", "logins"), ("帖", "forum"), ("预警", "warning"),
                       ("选课", "selected"), ("报考", "registered"), ("昵称", "nickname"), ("时长", "duration"),
                       ("入会", "joined_at"), ("退会", "left_at"), ("提交", "status"), ("完成", "status"),
                       ("成绩", "score"), ("分数", "score"), ("作业", "item"), ("形考", "item"), ("任务", "item")):
        if word in h:
            return name
    return None
