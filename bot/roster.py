"""The class roster (花名册): import/export, and matching room members to students by 群昵称 or /绑定.

Personal data kept: 学号, 姓名, 班级, 教学点, optional 手机/专业/年级, and the WeChat contact id once matched.
Phone numbers and 学号 are never shown in group messages.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import col, select

from bot.gateways.base import Member
from bot.models import Student

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger("banzhu.roster")

COLUMNS = {
    "student_no": ("学号", "学生学号", "学籍号", "student_no", "id"),
    "name": ("姓名", "学生姓名", "名字", "name"),
    "class_name": ("班级", "班级名称", "所在班级", "班", "class"),
    "point": ("教学点", "学习中心", "所属教学点", "point"),
    "phone": ("手机", "手机号", "手机号码", "电话", "联系电话", "phone"),
    "major": ("专业", "专业名称", "major"),
    "grade": ("年级", "入学年级", "grade"),
}
REQUIRED = ("student_no", "name", "class_name", "point")
STUDENT_NO = re.compile(r"^\d{6,13}$")


@dataclass
class RowError:
    row: int
    message: str
    fatal: bool = True

    def __str__(self) -> str:
        return f"第{self.row}行：{self.message}"


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(e.fatal for e in self.errors)


def _norm_header(h: object) -> str:
    return re.sub(r"\s+", "", str(h or "")).lower()


def read_table(path: Path) -> list[list[str]]:
    """Rows of a CSV (UTF-8 or GBK, as Excel saves it in China) or XLSX file, as stripped strings."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        ws = wb.worksheets[0]
        rows = [["" if v is None else str(v).strip() for v in row] for row in ws.iter_rows(values_only=True)]
        wb.close()
        return rows
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError(f"{path}: not UTF-8 or GBK text")
    return [[c.strip() for c in row] for row in csv.reader(io.StringIO(text))]


def parse_roster(rows: list[list[str]], known_classes: set[str] | None = None) -> tuple[list[Student], list[RowError]]:
    """Validate roster rows; every bad row is reported with its 1-based row number in the file."""
    errors: list[RowError] = []
    if not rows:
        return [], [RowError(1, "文件是空的")]
    header = [_norm_header(h) for h in rows[0]]
    index: dict[str, int] = {}
    for key, names in COLUMNS.items():
        for i, h in enumerate(header):
            if h in {_norm_header(n) for n in names}:
                index[key] = i
                break
    missing = [COLUMNS[k][0] for k in REQUIRED if k not in index]
    if missing:
        return [], [RowError(1, f"缺少列：{'、'.join(missing)}（表头需要 学号、姓名、班级、教学点）")]
    students: list[Student] = []
    seen: dict[str, int] = {}
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue

        def get(key: str, row: list[str] = row) -> str:
            i = index.get(key)
            return re.sub(r"\s+", "", row[i]) if i is not None and i < len(row) else ""

        no, name, cls = get("student_no"), get("name"), get("class_name")
        if no.endswith(".0"):  # Excel made the 学号 a number
            no = no[:-2]
        if not no:
            errors.append(RowError(n, "缺少学号"))
            continue
        if not STUDENT_NO.match(no):
            errors.append(RowError(n, f"学号格式不对：{no}（应为6—13位数字）"))
            continue
        if no in seen:
            errors.append(RowError(n, f"学号 {no} 重复（与第{seen[no]}行相同）"))
            continue
        seen[no] = n
        if not name:
            errors.append(RowError(n, "缺少姓名"))
            continue
        if not cls:
            errors.append(RowError(n, "缺少班级"))
            continue
        if known_classes is not None and cls not in known_classes:
            errors.append(RowError(n, f"班级“{cls}”不在配置里（config.yaml 的 groups.classes）"))
            continue
        students.append(Student(student_no=no, name=name, class_name=cls, point=get("point"), phone=get("phone"),
                                major=get("major"), grade=get("grade")))
    return students, errors


DEFAULT_ALIAS_PATTERNS = ("姓名-学号", "学号姓名", "姓名（学号后四位）")
_PLACEHOLDERS = {"姓名": r"(?P<name>[\u4e00-\u9fff·]{2,5})", "学号后四位": r"(?P<tail>\d{4})",
                 "学号": r"(?P<no>\d{6,13})"}


def compile_alias_pattern(pattern: str) -> re.Pattern[str]:
    """'姓名-学号' -> a regex; separators between the parts are forgiving (-, _, —, spaces, or none)."""
    out, i = "", 0
    while i < len(pattern):
        for key in ("学号后四位", "姓名", "学号"):
            if pattern.startswith(key, i):
                out += _PLACEHOLDERS[key]
                i += len(key)
                break
        else:
            ch = pattern[i]
            if ch in "-_—－ ":
                out += r"\s*[-_—－\s]?\s*"
            elif ch in "（(":
                out += r"\s*[（(]"
            elif ch in "）)":
                out += r"[)）]"
            else:
                out += re.escape(ch)
            i += 1
    if "(?P<name>" not in out or ("(?P<no>" not in out and "(?P<tail>" not in out):
        raise ValueError(f"alias pattern {pattern!r} needs 姓名 and 学号 (or 学号后四位)")
    return re.compile(r"^\s*" + out.replace(r"\s*\s*", r"\s*") + r"\s*$")


def parse_alias(alias: str, patterns: tuple[re.Pattern[str], ...] | None = None) -> tuple[str, str | None, str | None] | None:
    """(name, full 学号 or None, last four digits or None) from a conventional alias."""
    alias = alias.strip()
    for pattern in patterns or _DEFAULT_COMPILED:
        m = pattern.match(alias)
        if m:
            g = m.groupdict()
            return g["name"], g.get("no"), g.get("tail")
    return None


_DEFAULT_COMPILED = tuple(compile_alias_pattern(p) for p in DEFAULT_ALIAS_PATTERNS)


def clean_name(shown: str) -> str:
    """A name safe for group messages: 学号-like digit runs removed."""
    cleaned = re.sub(r"\d{4,13}", "", shown)
    cleaned = re.sub(r"^[\s\-_—－()（）]+|[\s\-_—－()（）]+$", "", cleaned)
    return cleaned or shown


class Roster:
    """Roster storage and member matching for one school."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.db = app.db
        self._names: dict[str, str] | None = None  # contact id -> roster name, for bound students
        self._tried: dict[tuple[str, str], str] = {}  # (class, contact) -> alias already matched against
        self._staff_names = frozenset(s.name for s in app.config.staff)
        self._patterns = tuple(compile_alias_pattern(p) for p in app.config.alias_patterns)

    def _changed(self) -> None:
        self._names = None
        self._tried.clear()

    def bound_names(self) -> dict[str, str]:
        if self._names is None:
            with self.db.tx() as s:
                rows = s.exec(select(Student.contact_id, Student.name).where(Student.contact_id != None)).all()  # noqa: E711
            self._names = {cid: name for cid, name in rows if cid}
        return self._names

    # -- import / export -----------------------------------------------------------------------------------------
    def import_file(self, path: Path, *, dry_run: bool = False,
                    progress: Callable[[int, int], None] | None = None) -> ImportReport:
        """Import a CSV/XLSX roster in one transaction; nothing is written when a fatal error is found."""
        rows = read_table(path)
        known = {c.name for c in self.app.config.groups.classes}
        students, errors = parse_roster(rows, known)
        report = ImportReport(errors=errors)
        if not report.ok or dry_run:
            return report
        self._changed()
        with self.db.tx() as s:
            existing = {st.student_no: st for st in s.exec(select(Student))}
            for i, st in enumerate(students, 1):
                old = existing.get(st.student_no)
                if old is None:
                    s.add(st)
                    report.added += 1
                else:
                    fields = ("name", "class_name", "point", "phone", "major", "grade")
                    if any(getattr(old, f) != getattr(st, f) for f in fields):
                        for f in fields:
                            setattr(old, f, getattr(st, f))
                        s.add(old)
                        report.updated += 1
                    else:
                        report.unchanged += 1
                if progress and (i % 200 == 0 or i == len(students)):
                    progress(i, len(students))
        return report

    def export_rows(self) -> list[list[str]]:
        with self.db.tx() as s:
            rows = s.exec(select(Student).order_by(Student.class_name, Student.student_no)).all()
        out = [["学号", "姓名", "班级", "教学点", "手机", "专业", "年级"]]
        out += [[r.student_no, r.name, r.class_name, r.point, r.phone, r.major, r.grade] for r in rows]
        return out

    def count(self) -> int:
        with self.db.tx() as s:
            return len(s.exec(select(Student.student_no)).all())

    def forget(self, student_no: str) -> bool:
        """Delete a student's personal data: the roster row, and for the matched WeChat contact its name, room
        aliases, unanswered questions and the words of its acknowledgements (the fact and time of an ack stay,
        anonymous, so class figures do not change)."""
        from bot.models import Ack, Contact, Question, RoomMember

        self._changed()
        with self.db.tx() as s:
            st = s.get(Student, student_no)
            if st is None:
                return False
            cid = st.contact_id
            s.delete(st)
            if cid:
                for ack in s.exec(select(Ack).where(Ack.contact_id == cid)):
                    ack.name, ack.text = "", ""
                    s.add(ack)
                for q in s.exec(select(Question).where(Question.contact_id == cid)):
                    s.delete(q)
                for m in s.exec(select(RoomMember).where(RoomMember.contact_id == cid)):
                    m.alias = ""
                    s.add(m)
                contact = s.get(Contact, cid)
                if contact:
                    contact.name = "（已删除）"
                    s.add(contact)
            return True

    # -- matching ------------------------------------------------------------------------------------------------
    def students_of(self, class_name: str) -> list[Student]:
        with self.db.tx() as s:
            return list(s.exec(select(Student).where(Student.class_name == class_name).order_by(Student.student_no)))

    def students_of_all(self) -> list[Student]:
        with self.db.tx() as s:
            return list(s.exec(select(Student).order_by(Student.class_name, Student.student_no)))

    def by_contact(self, contact_ids: Iterable[str]) -> dict[str, Student]:
        ids = list(contact_ids)
        if not ids:
            return {}
        with self.db.tx() as s:
            rows = s.exec(select(Student).where(col(Student.contact_id).in_(ids))).all()
        return {r.contact_id: r for r in rows if r.contact_id}

    def match_alias(self, class_name: str, member: Member) -> tuple[Student | None, str | None]:
        """(student, conflict message) for a member whose alias follows the convention; binds on success."""
        if self._tried.get((class_name, member.contact_id)) == member.alias:
            return None, None  # nothing new to learn from the same alias
        self._tried[(class_name, member.contact_id)] = member.alias
        parsed = parse_alias(member.alias, self._patterns) if member.alias else None
        if parsed is None:
            return None, None
        name, no, tail = parsed
        with self.db.tx() as s:
            if no:
                st = s.get(Student, no)
                candidates = [st] if st and st.class_name == class_name else []
            else:
                candidates = [st for st in s.exec(select(Student).where(Student.class_name == class_name,
                                                                       Student.name == name))
                              if tail and st.student_no.endswith(tail)]
            if not candidates:
                return None, None
            st = candidates[0]
            if st.name != name:
                return None, f"群昵称“{member.alias}”的姓名与学号 {st.student_no} 登记的姓名“{st.name}”不一致"
            if st.contact_id and st.contact_id != member.contact_id:
                return None, f"学号 {st.student_no}（{st.name}）已被另一位群成员认领，现在又被“{member.alias}”认领"
            if st.contact_id != member.contact_id:
                st.contact_id = member.contact_id
                s.add(st)
                self._names = None
            return st, None

    def bind(self, class_name: str | None, contact_id: str, student_no: str, name: str) -> tuple[Student | None, str]:
        """/绑定 学号 姓名: returns (student, '') or (None, a polite reason)."""
        with self.db.tx() as s:
            st = s.get(Student, student_no)
            if st is None:
                return None, "没有找到这个学号，请核对后再试。"
            if class_name and st.class_name != class_name:
                return None, "这个学号不在本班名单里，请核对。"
            if st.name != name:
                return None, "学号和姓名对不上，请核对后再试。"
            if st.contact_id and st.contact_id != contact_id:
                return None, "这个学号已经被其他微信号绑定，已转告导学教师核实。"
            for other in s.exec(select(Student).where(Student.contact_id == contact_id)):
                if other.student_no != student_no:
                    other.contact_id = None
                    s.add(other)
            st.contact_id = contact_id
            s.add(st)
            self._changed()
            return st, ""

    def display_names(self, room_id: str, members: list[Member]) -> dict[str, str]:
        """contact id -> a name fit for the group: the roster name when matched, else the alias without digits."""
        bound = self.bound_names()
        staff_names = self._staff_names
        out = {}
        for m in members:
            if m.contact_id in bound:
                out[m.contact_id] = bound[m.contact_id]
            else:
                shown = clean_name(m.shown)
                # Someone calling themselves 王老师 is shown by their WeChat name, so staff are not misled.
                out[m.contact_id] = f"{clean_name(m.name)}（群昵称：{shown}）" if shown in staff_names else shown
        return out
