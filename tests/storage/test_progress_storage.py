"""Progress snapshots on both databases: history, the latest state, class aggregates per day; a re-import of the
same day replaces, a newer one updates, an older one fills in history without hiding the newer; forget."""

from datetime import date

from sqlmodel import select

from bot.audit import CLI
from bot.models import ProgressContact, ProgressFigure, ProgressState, ProgressValue
from tests.progress_files import HOMEWORK, add_roster, homework


def rows(chat, model):
    with chat.db.tx() as s:
        return list(s.exec(select(model)))


def figure(chat, cls: str, item: str, day: date) -> tuple[int, int]:
    with chat.db.tx() as s:  # the course is "": this calendar names none
        f = s.get(ProgressFigure, ("形考", cls, "", item, day))
        return (f.done, f.students) if f else (-1, -1)


def changed(hw2: dict[str, str]) -> list[list[object]]:
    out = [list(r) for r in HOMEWORK]
    for r in out[1:]:
        if r[0] in hw2:
            r[3] = hw2[r[0]]
    return out


async def test_snapshots_by_day(pg_chat, tmp_path):
    chat = pg_chat
    add_roster(chat.db)
    progress = chat.services.progress
    first = progress.import_file(homework(tmp_path), actor=CLI)
    assert first.ok and first.parts[0].as_of == date(2026, 11, 1)
    assert len(rows(chat, ProgressValue)) == len(rows(chat, ProgressState)) == 12
    assert figure(chat, "行管1班", "形考作业2", date(2026, 11, 1)) == (2, 4)
    again = progress.import_file(homework(tmp_path, name="again.xlsx"), actor=CLI)  # the same day: replaces
    assert len(rows(chat, ProgressValue)) == 12
    assert {v.import_id for v in rows(chat, ProgressValue)} == set(again.import_ids)
    newer = progress.import_file(homework(tmp_path, changed({"2024110001": "88"}), "newer.xlsx"), actor=CLI,
                                 as_of=date(2026, 11, 5))
    assert newer.ok and len(rows(chat, ProgressValue)) == 24
    state = {(r.student_no, r.item): r for r in rows(chat, ProgressState)}
    assert state[("2024110001", "形考作业2")].done is True and state[("2024110001", "形考作业2")].as_of == date(2026, 11, 5)
    assert figure(chat, "行管1班", "形考作业2", date(2026, 11, 5)) == (3, 4)
    older = progress.import_file(homework(tmp_path, changed({"2024110002": "未提交"}), "older.xlsx"), actor=CLI,
                                 as_of=date(2026, 10, 15))
    assert older.ok
    state = {(r.student_no, r.item): r for r in rows(chat, ProgressState)}
    assert state[("2024110002", "形考作业2")].done is True  # an old export imported late hides nothing newer
    assert figure(chat, "行管1班", "形考作业2", date(2026, 10, 15)) == (1, 4)
    assert figure(chat, "行管1班", "形考作业2", date(2026, 11, 5)) == (3, 4)
    now, before = progress.months(["行管1班", "行管2班"], date(2026, 11, 1), date(2026, 12, 1))
    assert now.classes["行管1班"].homework.rate == 6 / 8 and before.classes["行管1班"].homework.rate == 4 / 8
    assert progress.forget("2024110001") > 0
    assert not [r for m in (ProgressValue, ProgressState, ProgressContact) for r in rows(chat, m)
                if r.student_no == "2024110001"]
    assert figure(chat, "行管1班", "形考作业2", date(2026, 11, 5)) == (3, 4)  # aggregates hold no one's figures


async def test_a_student_is_chased_once_a_day_on_both_databases(pg_chat, tmp_path):
    chat = pg_chat
    add_roster(chat.db)
    progress = chat.services.progress
    assert progress.import_file(homework(tmp_path), actor=CLI).ok
    teacher = chat.services.people.person("wxid_wang", "王老师")
    first = progress.chase(teacher, ["行管1班"], "形考作业2", chat.clock.now())
    assert [(r.student.name, r.how) for r in first.reminded] == [("张三", "group"), ("王五", "none")]
    second = progress.chase(teacher, ["行管1班"], "形考作业2", chat.clock.now())
    assert [(r.student.name, r.how) for r in second.reminded] == [("张三", "today"), ("王五", "none")]
    [nudge] = await chat.settle()
    assert nudge.mention_names == ("张三",)
    progress.forget("2024110001")
    with chat.db.tx() as s:
        from bot.models import Delivery

        assert not [d for d in s.exec(select(Delivery)) if "2024110001" in d.key]
