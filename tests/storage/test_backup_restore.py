"""The README's backup and restore, done for real: `pg_dump` of a live bot database, restored with `psql` into a
new database, and the bot's services read the restored data (a notice with its acknowledgements, queued sends)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import VirtualClock
from bot.db import Database
from bot.services import build_services
from tests.conftest import CLASS1, ON_CI, PG_URL, START, drop_pg, make_pg_database, need_pg


def dump_and_restore(schema: str, dump: Path, restored_db: str) -> str:
    """The README's commands: pg_dump the bot's schema, create an empty database, psql the dump into it."""
    import psycopg

    subprocess.run(["pg_dump", "--no-owner", "--schema", schema, "--file", str(dump), PG_URL], check=True)
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {restored_db}")
    target = PG_URL.rsplit("/", 1)[0] + f"/{restored_db}"
    subprocess.run(["psql", "--quiet", "-v", "ON_ERROR_STOP=1", "--file", str(dump), target], check=True,
                   capture_output=True)
    return target


async def test_pg_dump_restores_into_a_working_bot_database(config, tmp_path: Path, make_chat):
    need_pg()
    if not (shutil.which("pg_dump") and shutil.which("psql")):
        if ON_CI:
            pytest.fail("pg_dump/psql are missing (Debian: postgresql-client)", pytrace=False)
        pytest.skip("pg_dump/psql are missing (Debian: postgresql-client)")
    import psycopg

    db = make_pg_database()
    schema = db.pg_schema  # type: ignore[attr-defined]
    restored_db = f"restore_{uuid.uuid4().hex[:10]}"
    try:
        chat = make_chat(config, START, db=db)
        chat.add_room("2024秋行政管理1班", CLASS1)
        await chat.start()
        notice, confirmation = await chat.say("王老师", "行管1班", "/通知 周五前完成形考作业2")
        assert "需确认 3 人" in confirmation.text and "【通知 #1】" in notice.text
        await chat.say("张三", "行管1班", "收到")
        chat.services.outbox.enqueue(text="排队中的提醒", contact_id="wxid_wang", not_before=START + timedelta(days=1))
        target = await asyncio.to_thread(dump_and_restore, schema, tmp_path / "banzhu.sql", restored_db)
        back = Database(f"{target}?options=-csearch_path%3D{schema}")
        try:
            again = build_services(config, back, VirtualClock(START))
            notice = again.notices.latest("行管1班")
            assert notice is not None and notice.text == "周五前完成形考作业2"
            status = again.notices.status(notice)
            assert list(status.acked) == ["wxid_zs"] and len(status.expected) == 3
            assert again.outbox.pending_count() == 1
        finally:
            back.close()
    finally:
        drop_pg(db)
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {restored_db} WITH (FORCE)")
