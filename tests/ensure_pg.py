"""Create the PostgreSQL test database if the server answers and it is missing (run by `make test`).

The tests then decide: on CI (CI set) an unreachable server fails them; elsewhere they skip, saying why.
"""

from __future__ import annotations

import os
import sys

URL = os.environ.get("BANZHU_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def main() -> int:
    import psycopg
    from psycopg import sql

    base, _, name = URL.rpartition("/")
    name = name.split("?", 1)[0]
    try:
        with psycopg.connect(f"{base}/postgres", connect_timeout=3, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"created the PostgreSQL test database {name!r}")
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL not reachable ({str(exc).strip()}); its tests will skip (or fail on CI)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
