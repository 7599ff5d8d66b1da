"""Writing snapshots: the history (one row per student, item and day), the latest value of each item, and the
class aggregates the 数据通报 reads. Bulk statements in the caller's transaction, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import bindparam, text
from sqlmodel import Session, SQLModel

from bot.models import ProgressFigure, ProgressState, ProgressValue
from bot.progress.columns import Kind

CHUNK = 5000


def upsert(session: Session, model: type[SQLModel], rows: Sequence[Mapping[str, Any]], keys: Sequence[str],
           *, newer_only: bool = False) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE every other column; with `newer_only`, only where the new row's
    as_of is not older than the stored one (an old export imported late never hides a newer one).

    Straight to the driver with one prepared statement (like Database.insert_ignore): an import writes tens of
    thousands of rows, and the ORM's per-row cost would be most of the import's time."""
    if not rows:
        return
    table = model.__table__  # type: ignore[attr-defined]  # SQLModel sets it on table models
    sqlite_ = session.get_bind().dialect.name == "sqlite"
    cols = list(rows[0])
    names = ", ".join(f'"{c}"' for c in cols)
    sets = ", ".join(f'"{c}" = excluded."{c}"' for c in cols if c not in keys)
    where = f' WHERE excluded.as_of >= "{table.name}".as_of' if newer_only else ""
    tail = f'ON CONFLICT ({", ".join(keys)}) DO UPDATE SET {sets}{where}'
    conn = session.connection()
    if sqlite_:  # one prepared statement, executemany (a C loop in sqlite3)
        sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("?" for _ in cols)}) {tail}'
        for start in range(0, len(rows), CHUNK):
            conn.exec_driver_sql(sql, [tuple(_bind(r[c], True) for c in cols) for r in rows[start:start + CHUNK]])
        return
    # PostgreSQL: one statement per chunk, each column sent as one array and unnested on the server (a statement
    # per row is a round trip each, and a long multi-row VALUES list costs more to build than to run).
    types = {c: table.c[c].type.compile(dialect=conn.dialect) for c in cols}
    arrays = ", ".join(f"%s::{types[c]}[]" for c in cols)
    sql = f'INSERT INTO "{table.name}" ({names}) SELECT * FROM unnest({arrays}) AS x({names}) {tail}'
    for start in range(0, len(rows), CHUNK):
        batch = rows[start:start + CHUNK]
        conn.exec_driver_sql(sql, tuple([r[c] for r in batch] for c in cols))


def _bind(value: Any, sqlite_: bool) -> Any:
    if sqlite_ and isinstance(value, date):
        return value.isoformat()  # how SQLAlchemy's Date stores it on SQLite
    return value


VALUE_KEYS = ("kind", "student_no", "course", "item", "as_of")
STATE_KEYS = ("student_no", "kind", "course", "item")
FIGURE_KEYS = ("kind", "class_name", "course", "item", "as_of")

_CLASSES: Any = bindparam("classes", expanding=True)

# A class's figures on one day: per item, the latest value of each student on or before that day.
FIGURES = text("""
WITH latest AS (
  SELECT student_no, course, item, MAX(as_of) AS a FROM progressvalue
  WHERE kind = :kind AND class_name IN :classes AND as_of <= :day
  GROUP BY student_no, course, item)
SELECT v.class_name, v.course, v.item, COUNT(*),
       SUM(CASE WHEN v.done = :t THEN 1 ELSE 0 END),
       SUM(CASE WHEN v.value > 0 THEN 1 ELSE 0 END),
       COALESCE(SUM(v.value), 0), COALESCE(SUM(v.total), 0),
       SUM(CASE WHEN v.done IS NULL THEN 0 ELSE 1 END)
FROM progressvalue v
JOIN latest l ON l.student_no = v.student_no AND l.course = v.course AND l.item = v.item AND l.a = v.as_of
WHERE v.kind = :kind AND v.class_name IN :classes
GROUP BY v.class_name, v.course, v.item""").bindparams(_CLASSES)

LATER_DAYS = text("""
SELECT DISTINCT as_of FROM progressfigure WHERE kind = :kind AND class_name IN :classes AND as_of > :day
""").bindparams(_CLASSES)


def recompute_figures(session: Session, kind: Kind, classes: Collection[str], day: date,
                      roster_sizes: Mapping[str, int], points: Mapping[str, str]) -> None:
    """The class aggregates of `kind` on `day` (and on any later snapshot day, which an older import can change)."""
    if not classes or kind == Kind.WARNING:
        return
    conn = session.connection()
    names = sorted(classes)
    days = [day, *sorted(r[0] if isinstance(r[0], date) else date.fromisoformat(str(r[0]))
                         for r in conn.execute(LATER_DAYS, {"kind": kind.value, "classes": names, "day": day}))]
    for d in days:
        rows = []
        for cls, course, item, n, done, positive, value_sum, total_sum, decided in conn.execute(
                FIGURES, {"kind": kind.value, "classes": names, "day": d, "t": True}):
            indicator = kind == Kind.ONLINE
            students = max(roster_sizes.get(cls, 0), n) if indicator else (decided or n)
            rows.append({"kind": kind.value, "class_name": cls, "course": course, "item": item, "as_of": d,
                         "point": points.get(cls, ""), "students": students,
                         "done": int(positive if indicator or not decided else done or 0),
                         "value_sum": float(value_sum or 0), "total_sum": float(total_sum or 0)})
        upsert(session, ProgressFigure, rows, FIGURE_KEYS)


def value_rows(values: Sequence[Any], *, kind: Kind, as_of: date, import_id: int) -> list[dict[str, Any]]:
    return [{"import_id": import_id, "kind": kind.value, "as_of": as_of, "class_name": v.class_name,
             "student_no": v.student_no, "course": v.course, "item": v.item, "ref": v.ref, "done": v.done,
             "value": v.value, "total": v.total, "note": v.note} for v in values]


def state_rows(values: Sequence[Any], *, kind: Kind, as_of: date, import_id: int) -> list[dict[str, Any]]:
    return [{"student_no": v.student_no, "kind": kind.value, "course": v.course, "item": v.item,
             "class_name": v.class_name, "ref": v.ref, "as_of": as_of, "done": v.done, "value": v.value,
             "total": v.total, "note": v.note, "import_id": import_id} for v in values]


def store_values(session: Session, values: Sequence[Any], *, kind: Kind, as_of: date, import_id: int) -> None:
    upsert(session, ProgressValue, value_rows(values, kind=kind, as_of=as_of, import_id=import_id), VALUE_KEYS)
    upsert(session, ProgressState, state_rows(values, kind=kind, as_of=as_of, import_id=import_id), STATE_KEYS,
           newer_only=True)
