"""Shared fixtures: a config, databases (SQLite always; PostgreSQL too — required on CI), a scripted chat that
fails the test when the bot sent something the test never read, and the command line against a real database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Config, load_config
from bot.db import Database
from bot.handbook.service import IndexCache
from bot.simulation import Chat, Replies

ROOT = Path(__file__).resolve().parent.parent
TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 9, 7, 8, 0, tzinfo=TZ)  # a Monday morning
PG_URL = os.environ.get("BANZHU_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
ON_CI = bool(os.environ.get("CI"))

CLASS1 = [
    {"name": "王老师", "id": "wxid_wang", "role": "teacher"},
    {"name": "张三", "id": "wxid_zs", "alias": "张三-2024110001"},
    {"name": "李四", "id": "wxid_ls", "alias": "李四-2024110002"},
    {"name": "王五", "id": "wxid_ww"},
]


def pg_available() -> str | None:
    """None when PostgreSQL is reachable, else the reason."""
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=2):
            return None
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_URL}: {exc}".strip()


_PG_REASON = pg_available()


def need_pg() -> None:
    """Skip (saying why) where no PostgreSQL answers; on CI that is a failure, not a skip."""
    if _PG_REASON:
        if ON_CI:
            pytest.fail(f"{_PG_REASON} (CI must run the PostgreSQL tests)")
        pytest.skip(_PG_REASON)


def make_pg_database() -> Database:
    """A fresh PostgreSQL schema for one test (dropped afterwards by the caller)."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    db = Database(f"{PG_URL}?options=-csearch_path%3D{schema}")
    db.pg_schema = schema  # type: ignore[attr-defined]
    return db


def drop_pg(db: Database) -> None:
    import psycopg

    db.close()
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {db.pg_schema} CASCADE")  # type: ignore[attr-defined]


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """Storage on both backends."""
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'banzhu.db'}")
        yield db
        db.close()
    else:
        need_pg()
        db = make_pg_database()
        yield db
        drop_pg(db)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    cfg = load_config(ROOT / "config.yaml")
    empty = tmp_path / "calendar.yaml"  # tests that want reminders write their own calendar
    empty.write_text("events: []\n", encoding="utf-8")
    files = cfg.files.model_copy(update={"exports": str(tmp_path / "exports"), "calendar": str(empty),
                                         "uploads": str(tmp_path / "uploads"),
                                         "collections": str(tmp_path / "collections")})
    # The admin has not bound WeChat yet, so no admin note about groups this little world lacks (see test_router).
    staff = [s.model_copy(update={"id": None}) if s.role == "admin" else s for s in cfg.staff]
    # Welcomes and the advisors' morning list of unmatched members are tested on their own (test_welcome.py);
    # elsewhere they would be messages every test has to read.
    welcome = cfg.welcome.model_copy(update={"enabled": False, "unmatched_report": None})
    return cfg.model_copy(update={"files": files, "staff": staff, "welcome": welcome})


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'banzhu.db'}")
    yield db
    db.close()


@pytest.fixture(scope="session")
def indexes() -> IndexCache:
    """One embedding cache and index per handbook for the whole run (building one embeds every section)."""
    return IndexCache()


_current: list[Callable[..., Chat]] = []  # the running test's make_chat, for helpers that build chats


@pytest.fixture(autouse=True)
def make_chat(indexes: IndexCache) -> Iterator[Callable[..., Chat]]:
    """Chat(config, start, db=…) that checks, at the end of the test, that every message the bot sent was read."""
    chats: list[Chat] = []

    def make(config: Config, start: datetime = START, **kw: object) -> Chat:
        chat = Chat(config, start, indexes=indexes, **kw)  # type: ignore[arg-type]
        chats.append(chat)
        return chat

    _current.append(make)
    yield make
    _current.pop()
    for c in chats:
        c.assert_all_read()


async def send_file(chat: Chat, who: str, path: Path, *, room: str | None = None, name: str | None = None,
                    kind: str = "file", message_id: str | None = None) -> Replies:
    """`who` sends a file (or, with kind="image", a photo) privately to the bot, or in `room`, as the gateway hands
    it over: saved locally, with its name as sent."""
    return await chat.say(who, room, "", kind=kind, file_path=str(path), file_name=name or path.name,
                          message_id=message_id)


def new_chat(config: Config, start: datetime = START, **kw: object) -> Chat:
    """A strict chat for the running test (see make_chat)."""
    return _current[-1](config, start, **kw)


@pytest.fixture
async def chat(config: Config, sqlite_db: Database, make_chat: Callable[..., Chat]) -> Chat:
    """行管1班 with its teacher and three students, on a virtual clock starting Monday 08:00."""
    c = make_chat(config, START, db=sqlite_db)
    c.add_room("2024秋行政管理1班", CLASS1)
    await c.start()
    return c


@pytest.fixture
async def pg_chat(config: Config, database: Database, make_chat: Callable[..., Chat]) -> Chat:
    """The same chat on each storage backend."""
    c = make_chat(config, START, db=database)
    c.add_room("2024秋行政管理1班", CLASS1)
    await c.start()
    return c


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Callable[..., int]:
    """`cli(chat, "roster", "import", path)`: the real command line, with the chat's config and clock, on its own
    connection to the chat's database (as a second process would be)."""
    from bot.cli.common import Env
    from bot.cli.main import main

    def run(chat: Chat, *argv: str) -> int:
        monkeypatch.setattr(Env, "config_factory", staticmethod(lambda path: chat.config))
        monkeypatch.setattr(Env, "clock_factory", staticmethod(lambda: chat.clock))
        monkeypatch.setattr(Env, "database_factory", staticmethod(lambda url: Database(chat.db.url)))
        return main(list(argv))

    return run
