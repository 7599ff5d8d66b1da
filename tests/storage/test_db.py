"""Storage on SQLite and PostgreSQL: WAL, schema version, zones, locking, nested transactions, retention."""

import threading
from datetime import timedelta

from sqlmodel import select

from bot.db import SCHEMA_VERSION, Database
from bot.models import Revision, SchemaInfo
from tests.conftest import START


def test_sqlite_is_in_wal_mode(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    db.close()


def test_schema_version_recorded(database):
    with database.tx() as s:
        assert s.get(SchemaInfo, 1).version == SCHEMA_VERSION


def test_datetimes_keep_their_zone(database):
    from datetime import UTC, datetime

    from bot.models import AuditLog

    when = datetime(2026, 9, 7, 8, 0, tzinfo=UTC) + timedelta(hours=8)
    with database.tx() as s:
        s.add(AuditLog(at=when, actor_id="x", action="t"))
    with database.tx() as s:
        [row] = s.exec(select(AuditLog)).all()
    assert row.at == when and row.at.tzinfo is not None


def test_concurrent_read_then_write_transactions_do_not_lock(tmp_path):
    """Two writers that read first: BEGIN IMMEDIATE makes them queue instead of failing with 'database is locked'."""
    db = Database(f"sqlite:///{tmp_path / 'lock.db'}")
    with db.tx() as s:
        s.add(Revision(topic="calendar", revision=0))
    errors: list[Exception] = []

    def bump() -> None:
        try:
            for _ in range(50):
                with db.tx() as s:
                    row = s.get(Revision, "calendar")
                    row.revision += 1
                    s.add(row)
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.tx() as s:
        assert s.get(Revision, "calendar").revision == 200
    assert errors == []
    db.close()




def test_migration_from_schema_1(database):
    """An old database (meta drawer, no delivery.group_name, notice.nudge_offsets, question.in_private,
    noticemember, inbound journal columns, outbox accounts) is upgraded at start, keeping what it held."""
    from sqlalchemy import inspect, text

    from bot.models import Delivery, Notice, NoticeMember, Room, RoomMember, SenderState

    with database.tx() as s:  # an old notice, posted before anyone kept who it was posted to
        s.add(Room(room_id="r1", topic="2024秋行政管理1班", group_name="行管1班", updated_at=START))
        s.add_all(RoomMember(room_id="r1", contact_id=c, alias="", active=c != "gone", joined_at=START)
                  for c in ("a", "b", "gone"))
        s.add(Notice(id=7, group_name="行管1班", room_id="r1", author_id="t", author_name="王老师", text="旧通知",
                     created_at=START))
    with database.engine.begin() as conn:
        for table in ("noticemember", "schemainfo", "senderstate", "gatewaystate",
                      "pendingconfirmation", "revision", "contactreach"):
            conn.execute(text(f"DROP TABLE {table}"))
        conn.execute(text("DROP INDEX ix_delivery_group_name"))
        conn.execute(text("DROP INDEX ix_inbound_status"))
        conn.execute(text("DROP INDEX ix_outboxitem_account"))
        conn.execute(text("DROP INDEX ix_room_account"))
        conn.execute(text("DROP INDEX ix_delivery_outbox_id"))
        for column in ("expected_count", "ack_count", "late_count", "kind"):
            conn.execute(text(f"ALTER TABLE notice DROP COLUMN {column}"))
        for table, column in (("delivery", "group_name"), ("notice", "nudge_offsets"), ("question", "in_private"),
                              ("inbound", "payload"), ("inbound", "status"), ("inbound", "processed_at"),
                              ("outboxitem", "account"), ("room", "account"), ("delivery", "outbox_id"),
                              ("outboxitem", "repeat_marked")):
            conn.execute(text(f"ALTER TABLE {table} DROP COLUMN {column}"))
        conn.execute(text("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)"))
        conn.execute(text("INSERT INTO meta VALUES ('schema_version', '1'), ('calendar_version', '4'), "
                          "('outbox_throttle', '{\"slowdown\": 2, \"strikes\": 1, \"last\": null, "
                          "\"paused_until\": null}')"))
    again = Database(str(database.engine.url.render_as_string(hide_password=False)))
    columns = {t: {c["name"] for c in inspect(again.engine).get_columns(t)}
               for t in ("delivery", "notice", "question", "inbound", "outboxitem")}
    assert "group_name" in columns["delivery"] and "nudge_offsets" in columns["notice"]
    assert "in_private" in columns["question"] and {"payload", "status"} <= columns["inbound"]
    assert "account" in columns["outboxitem"] and "meta" not in inspect(again.engine).get_table_names()
    with again.tx() as s:
        assert s.get(SchemaInfo, 1).version == SCHEMA_VERSION == 10
        assert sorted(s.exec(select(NoticeMember.contact_id).where(NoticeMember.notice_id == 7))) == ["a", "b"]
        assert s.get(Notice, 7).expected_count == 2 and s.get(Notice, 7).ack_count == 0
        assert s.get(Notice, 7).kind == "notice"  # v8: an old notice is a notice, not a collection
        assert s.get(Revision, "calendar").revision == 4 and s.get(SenderState, "").slowdown == 2
        s.add(Delivery(key="k", kind="reminder", group_name="行管1班", due_at=START, claimed_at=START))
    again.close()


def test_nested_transactions_commit_together_or_not_at_all(database):
    """A message and everything it causes: the inner tx() joins the outer one; a savepoint fails alone."""
    import pytest

    with pytest.raises(RuntimeError), database.tx():
        with database.tx() as s:
            s.add(Revision(topic="calendar", revision=1))
        raise RuntimeError("crash before the outer commit")
    with database.tx() as s:
        assert s.get(Revision, "calendar") is None
    undone = []
    with database.tx() as s:
        s.add(Revision(topic="calendar", revision=1))
        with pytest.raises(ValueError), database.savepoint() as inner:
            database.on_rollback(lambda: undone.append("cache"))
            inner.add(SchemaInfo(id=2, version=99))
            raise ValueError("this message fails")
    with database.tx() as s:
        assert s.get(Revision, "calendar").revision == 1 and s.get(SchemaInfo, 2) is None
    assert undone == ["cache"]


def test_retention_deletes_old_working_records_but_never_pending_messages(database):
    from datetime import UTC, datetime

    from bot.audit import Audit
    from bot.clock import VirtualClock
    from bot.config import OutboxConfig, RetentionConfig
    from bot.inbox import Inbox
    from bot.models import AuditLog, Delivery, Inbound, OutboxItem
    from bot.outbox import Outbox
    from bot.retention import Retention

    old, now = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 9, 1, tzinfo=UTC)
    clock = VirtualClock(old)
    from bot.accounts import Accounts
    from bot.config import load_config
    from bot.people import People
    from tests.conftest import ROOT

    config = load_config(ROOT / "config.yaml")
    outbox = Outbox(database, clock, OutboxConfig(), Accounts(database, config, clock), People(database, config, clock))
    with database.tx() as s:
        for when, tag in ((old, "old"), (now - timedelta(days=1), "new")):
            s.add(Inbound(message_id=tag, fingerprint=tag, at=when, status="done"))
            s.add(Delivery(key=tag, kind="reminder", due_at=when, claimed_at=when))
            s.add(AuditLog(at=when, actor_id="x", action=tag))
            s.add(OutboxItem(text=tag, room_id="r", status="sent", not_before=when, created_at=when))
        s.add(OutboxItem(text="still waiting", room_id="r", status="pending", not_before=old, created_at=old))
    clock.set(now)
    retention = Retention(database, clock, RetentionConfig(days=timedelta(days=180)), Inbox(database, clock), outbox,
                          Audit(database, clock))
    assert retention.next_due(now) == now
    pruned = retention.prune(now)
    assert (pruned.inbound, pruned.outbox, pruned.deliveries, pruned.audit) == (1, 1, 1, 1)
    with database.tx() as s:
        assert sorted(r.text for r in s.exec(select(OutboxItem))) == ["new", "still waiting"]
        assert [r.message_id for r in s.exec(select(Inbound))] == ["new"]
    assert retention.next_due(now) == now + timedelta(days=1)
