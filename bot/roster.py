"""The class roster (花名册): import/export, and matching room members to students by 群昵称 or /绑定.

Personal data kept: 学号, 姓名, 班级, 教学点, optional 手机/专业/年级, and the WeChat contact id once matched.
Phone numbers and 学号 are never shown in group messages.
"""

from __future__ import annotations

import enum
import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import col, select

from bot import revisions
from bot.clock import Clock
from bot.config import Config
from bot.db import Database
from bot.gateways.base import Member
from bot.kernel.aliases import clean_name, compile_alias_pattern, parse_alias
from bot.kernel.tables import Sheet, find_header, norm_header, read_table
from bot.models import Ack, Contact, Question, RoomMember, Student
from bot.revisions import Watcher
from bot.texts import files
from bot.texts import people as texts

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
# Columns a school's roster often has that the bot does not keep: a file of roster columns and these is a roster.
IDENTITY = frozenset(norm_header(h) for h in (
    "序号", "编号", "性别", "民族", "出生日期", "身份证号", "身份证", "证件号码", "备注", "邮箱", "层次", "学籍状态",
    "入学时间", "政治面貌", "籍贯", "微信号", "QQ", "工作单位", "地址", "家庭住址"))


def roster_fit(sheets: list[Sheet]) -> str | None:
    """How a file looks as a roster (for the chat's importer registry): "exact" when its first table has the
    roster's columns and nothing else but identity details, "columns" when it has them among other columns (a
    platform export with 学号/姓名/班级/教学点 and figures), None otherwise."""
    sheet = next((s for s in sheets if s.rows), None)
    header = find_header(sheet, COLUMNS, REQUIRED) if sheet else None
    if header is None:
        return None
    return "columns" if any(norm_header(c) not in IDENTITY for c in header.unknown) else "exact"


@dataclass
class RowError:
    row: int
    message: str
    fatal: bool = True

    def __str__(self) -> str:
        return files.ROW.format(row=self.row, message=self.message)


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(e.fatal for e in self.errors)


def parse_roster(sheet: Sheet, known_classes: set[str] | None = None) -> tuple[list[Student], list[RowError]]:
    """Validate roster rows; every bad row is reported with its 1-based row number in the file."""
    errors: list[RowError] = []
    if not sheet.rows:
        return [], [RowError(1, files.EMPTY_FILE)]
    header = find_header(sheet, COLUMNS, REQUIRED)
    if header is None:
        best = find_header(sheet, COLUMNS)
        have = set(best.columns) if best else set()
        missing = [COLUMNS[k][0] for k in REQUIRED if k not in have]
        required = "、".join(COLUMNS[k][0] for k in REQUIRED)
        return [], [RowError(best.row if best else 1, files.MISSING_COLUMNS.format(columns="、".join(missing),
                                                                                 required=required))]
    students: list[Student] = []
    seen: dict[str, int] = {}
    for n, row in header.data():
        def get(key: str, row: list[str] = row) -> str:
            return re.sub(r"\s+", "", header.get(row, key))

        no, name, cls = get("student_no"), get("name"), get("class_name")
        no = no[:-2] if no.endswith(".0") else no  # a 学号 Excel made a number, saved as CSV
        if not no:
            errors.append(RowError(n, files.NO_STUDENT_NO))
            continue
        if not STUDENT_NO.match(no):
            errors.append(RowError(n, files.BAD_STUDENT_NO.format(no=no)))
            continue
        if no in seen:
            errors.append(RowError(n, files.DUPLICATE_NO.format(no=no, first=seen[no])))
            continue
        seen[no] = n
        if not name:
            errors.append(RowError(n, files.NO_NAME))
            continue
        if not cls:
            errors.append(RowError(n, files.NO_CLASS))
            continue
        if known_classes is not None and cls not in known_classes:
            errors.append(RowError(n, files.UNKNOWN_CLASS.format(name=cls)))
            continue
        students.append(Student(student_no=no, name=name, class_name=cls, point=get("point"), phone=get("phone"),
                                major=get("major"), grade=get("grade")))
    return students, errors


class Bind(enum.Enum):
    """The outcome of /绑定; the handler chooses the words."""

    OK = "ok"
    UNKNOWN_NUMBER = "unknown number"
    OTHER_CLASS = "other class"
    NAME_MISMATCH = "name mismatch"
    TAKEN = "claimed by another contact"


@dataclass(frozen=True)
class Comparison:
    """A class group's members against its roster (/成员)."""

    present: int  # members, without staff and the bot
    roster: int
    bound: int
    unmatched: list[str]  # how members without a roster match are shown
    missing: list[str]  # roster names not in the group (未进群)


class Roster:
    """Roster storage and member matching for one school."""

    def __init__(self, db: Database, config: Config, clock: Clock) -> None:
        self.db = db
        self.config = config
        self._names: dict[str, str] | None = None  # contact id -> roster name, for bound students
        self._tried: dict[tuple[str, str], str] = {}  # (class, contact) -> alias already matched against
        self._staff_names = frozenset(s.name for s in config.staff)
        self._patterns = tuple(compile_alias_pattern(p) for p in config.alias_patterns)
        self._lock = threading.RLock()
        self._changes = Watcher(db, clock, "roster")  # imports and bindings by other processes

    def _changed(self) -> None:
        """The roster or a binding changed: forget caches here, and tell other processes."""
        self.invalidate_caches()
        revisions.bump(self.db, "roster")

    def invalidate_caches(self) -> None:
        with self._lock:
            self._names = None
            self._tried.clear()

    def bound_names(self) -> dict[str, str]:
        if self._changes.changed():
            self.invalidate_caches()
        names = self._names
        if names is None:
            with self.db.tx() as s:
                rows = s.exec(select(Student.contact_id, Student.name).where(Student.contact_id != None)).all()  # noqa: E711
            names = self._names = {cid: name for cid, name in rows if cid}
        return names

    # -- import / export -----------------------------------------------------------------------------------------
    def import_file(self, path: Path, *, dry_run: bool = False,
                    progress: Callable[[int, int], None] | None = None) -> ImportReport:
        """Import a CSV/XLSX roster in one transaction; nothing is written when a fatal error is found, or with
        `dry_run` (which still counts what would be added and updated). Raises TableError when the file cannot be
        read at all."""
        known = {c.name for c in self.config.groups.classes}
        students, errors = parse_roster(read_table(path), known)
        report = ImportReport(errors=errors)
        if not report.ok:
            return report
        if not dry_run:
            self._changed()
        with self.db.tx() as s:
            existing = {st.student_no: st for st in s.exec(select(Student))}
            for i, st in enumerate(students, 1):
                old = existing.get(st.student_no)
                if old is None:
                    if not dry_run:
                        s.add(st)
                    report.added += 1
                else:
                    fields = ("name", "class_name", "point", "phone", "major", "grade")
                    if any(getattr(old, f) != getattr(st, f) for f in fields):
                        if not dry_run:
                            for f in fields:
                                setattr(old, f, getattr(st, f))
                            s.add(old)
                        report.updated += 1
                    else:
                        report.unchanged += 1
                if progress and (i % 200 == 0 or i == len(students)):
                    progress(i, len(students))
        return report

    def export(self, out: Path) -> int:
        """Write the roster to .xlsx or .csv (UTF-8 with BOM, as Excel opens it); returns how many students."""
        rows = self.export_rows()
        if out.suffix.lower() == ".xlsx":
            from bot.exports import write_sheet

            write_sheet(out, "花名册", rows)
        else:
            import csv

            with out.open("w", newline="", encoding="utf-8-sig") as f:
                csv.writer(f).writerows(rows)
        return len(rows) - 1

    def export_rows(self) -> list[list[str]]:
        with self.db.tx() as s:
            rows = s.exec(select(Student).order_by(col(Student.class_name), col(Student.student_no))).all()
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
                    contact.name = texts.FORGOTTEN
                    s.add(contact)
            return True

    # -- matching ------------------------------------------------------------------------------------------------
    def students_of(self, class_name: str) -> list[Student]:
        with self.db.tx() as s:
            return list(s.exec(select(Student).where(Student.class_name == class_name).order_by(col(Student.student_no))))

    def student(self, student_no: str) -> Student | None:
        with self.db.tx() as s:
            return s.get(Student, student_no)

    def student_of_contact(self, contact_id: str) -> Student | None:
        with self.db.tx() as s:
            return s.exec(select(Student).where(Student.contact_id == contact_id)).first()

    def students_of_all(self) -> list[Student]:
        with self.db.tx() as s:
            return list(s.exec(select(Student).order_by(col(Student.class_name), col(Student.student_no))))

    def by_contact(self, contact_ids: Iterable[str]) -> dict[str, Student]:
        ids = list(contact_ids)
        if not ids:
            return {}
        with self.db.tx() as s:
            rows = s.exec(select(Student).where(col(Student.contact_id).in_(ids))).all()
        return {r.contact_id: r for r in rows if r.contact_id}

    def compare(self, class_name: str, members: list[Member], not_members: set[str]) -> Comparison:
        present = [m for m in members if m.contact_id not in not_members]
        bound = self.by_contact(m.contact_id for m in present)
        roster = self.students_of(class_name)
        ids = {m.contact_id for m in present}
        return Comparison(len(present), len(roster), len(bound), [m.shown for m in present if m.contact_id not in bound],
                          [s.name for s in roster if not s.contact_id or s.contact_id not in ids])

    def match_alias(self, class_name: str, member: Member) -> tuple[Student | None, str | None]:
        """(student, conflict message) for a member whose alias follows the convention; binds on success."""
        if self._tried.get((class_name, member.contact_id)) == member.alias:
            return None, None  # nothing new to learn from the same alias
        with self._lock:
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
                return None, texts.ALIAS_NAME_MISMATCH.format(alias=member.alias, no=st.student_no, name=st.name)
            if st.contact_id and st.contact_id != member.contact_id:
                return None, texts.ALIAS_TAKEN.format(no=st.student_no, name=st.name, alias=member.alias)
            if st.contact_id != member.contact_id:
                st.contact_id = member.contact_id
                s.add(st)
                self._changed()
                self.db.on_rollback(self.invalidate_caches)
            return st, None

    def relinked(self, old: str, new: str) -> None:
        """A bound student's contact id changed (a re-login): the roster follows them."""
        with self.db.tx() as s:
            for st in s.exec(select(Student).where(Student.contact_id == old)).all():
                st.contact_id = new
                s.add(st)
        self._changed()
        self.db.on_rollback(self.invalidate_caches)

    def bind(self, class_name: str | None, contact_id: str, student_no: str, name: str) -> tuple[Bind, Student | None]:
        """/绑定 学号 姓名: bind this contact to the roster row, if the number, name and class agree."""
        with self.db.tx() as s:
            st = s.get(Student, student_no)
            if st is None:
                return Bind.UNKNOWN_NUMBER, None
            if class_name and st.class_name != class_name:
                return Bind.OTHER_CLASS, st
            if st.name != name:
                return Bind.NAME_MISMATCH, st
            if st.contact_id and st.contact_id != contact_id:
                return Bind.TAKEN, st
            for other in s.exec(select(Student).where(Student.contact_id == contact_id)):
                if other.student_no != student_no:
                    other.contact_id = None
                    s.add(other)
            st.contact_id = contact_id
            s.add(st)
        self._changed()
        self.db.on_rollback(self.invalidate_caches)
        return Bind.OK, st

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
                out[m.contact_id] = texts.IMPERSONATOR.format(name=clean_name(m.name), alias=shown) \
                    if shown in staff_names else shown
        return out
