"""A city's processes start together on an empty database: each sets the schema up, one at a time, and none fails
(found by bench/crash_bench.py: three processes racing on CREATE TABLE, one died)."""

import subprocess
import sys

from tests.conftest import ROOT, drop_pg, make_pg_database, need_pg

OPEN = "import sys; from bot.db import Database; Database(sys.argv[1]).close()"


def start_together(url: str, n: int = 4) -> list[subprocess.CompletedProcess]:
    procs = [subprocess.Popen([sys.executable, "-c", OPEN, url], cwd=ROOT, stderr=subprocess.PIPE, text=True)
             for _ in range(n)]
    return [subprocess.CompletedProcess(p.args, p.wait(timeout=120), stderr=p.stderr.read() if p.stderr else "")
            for p in procs]


def test_processes_starting_together_on_an_empty_postgresql_schema():
    need_pg()
    db = make_pg_database()  # an empty schema of its own (the tables are made in it by this handle first) …
    url = db.url.replace("postgresql+psycopg://", "postgresql://")
    drop_pg(db)  # … so drop it and start from nothing
    import psycopg

    from tests.conftest import PG_URL

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {db.pg_schema}")  # type: ignore[attr-defined]
    try:
        for done in start_together(url):
            assert done.returncode == 0, done.stderr[-2000:]
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {db.pg_schema} CASCADE")  # type: ignore[attr-defined]


def test_processes_starting_together_on_a_new_sqlite_file(tmp_path):
    for done in start_together(f"sqlite:///{tmp_path / 'city.db'}"):
        assert done.returncode == 0, done.stderr[-2000:]
