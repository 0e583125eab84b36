"""One small database layer for SQLite (the embedded default) and PostgreSQL (production).

Services write portable SQL with ``?`` placeholders; the PostgreSQL adapter turns
them into ``%s``. Schemas evolve through numbered :class:`Migration` steps applied
once each, inside a transaction, recorded in ``schema_migrations``.

URLs: ``sqlite:///var/x.sqlite3``, ``sqlite://:memory:``, ``postgresql://user@host:port/db``.

A SQLite store holds personal data: its file is created (or tightened) 0600, so SQLite's ``-wal`` and
``-shm`` files, which take the database file's mode, are 0600 too, and a directory created for it is 0700.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import psycopg

from vaxel_common.errors import ConfigurationError
from vaxel_common.retry import retry_sync

__all__ = ["Database", "Migration", "connect", "migrate"]

Row = tuple[Any, ...]


class Database(Protocol):
    dialect: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the affected row count."""
        ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None: ...

    def transaction(self) -> Any:
        """Context manager: everything inside commits together or not at all."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


def _private_file(path: Path) -> None:
    """``path``'s missing directories created 0700, the file created or tightened to 0600 (whatever the
    umask); ``-wal`` and ``-shm`` files already there tightened too."""
    missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    for directory in missing:
        directory.chmod(0o700)
    os.close(os.open(path, os.O_CREAT | os.O_RDWR, 0o600))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists():
            file.chmod(0o600)


class _Sqlite:
    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        if path != ":memory:":
            _private_file(Path(path))
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._depth = 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._db.execute(sql, tuple(params)).rowcount

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self._db.executemany(sql, [tuple(r) for r in rows])

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._db.execute(sql, tuple(params)).fetchall()

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        row: Row | None = self._db.execute(sql, tuple(params)).fetchone()
        return row

    @contextmanager
    def transaction(self) -> Iterator[None]:
        if self._depth:
            yield
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._depth += 1
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")
        finally:
            self._depth -= 1

    def close(self) -> None:
        self._db.close()


class _Postgres:
    dialect = "postgresql"

    def __init__(self, url: str, timeout: float) -> None:
        self._db = retry_sync(
            "PostgreSQL",
            lambda: psycopg.connect(url, autocommit=True, connect_timeout=5),
            timeout=timeout,
            retry_on=(psycopg.OperationalError,),
        )
        self._tx: Any = None

    @staticmethod
    def _sql(sql: str) -> str:
        return sql.replace("%", "%%").replace("?", "%s")

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self._db.execute(self._sql(sql), tuple(params)).rowcount

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._db.cursor() as cur:
            cur.executemany(self._sql(sql), [tuple(r) for r in rows])

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self._db.execute(self._sql(sql), tuple(params)).fetchall()

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        return self._db.execute(self._sql(sql), tuple(params)).fetchone()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._db.transaction():
            yield

    def close(self) -> None:
        self._db.close()


def connect(url: str, timeout: float = 60.0) -> Database:
    """Open ``url``; an unreachable PostgreSQL is retried with backoff, then Unavailable."""
    if url == "sqlite://:memory:":
        return _Sqlite(":memory:")
    if url.startswith("sqlite:///"):
        return _Sqlite(url.removeprefix("sqlite:///"))
    if url.startswith(("postgresql://", "postgres://")):
        return _Postgres(url, timeout)
    scheme = url.split(":", maxsplit=1)[0]
    raise ConfigurationError(f"database URL must start with sqlite:/// or postgresql://, got {scheme}:")


def migrate(db: Database, migrations: Sequence[Migration]) -> list[int]:
    """Apply the migrations not yet applied, in order; returns the versions applied now."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = {int(r[0]) for r in db.fetchall("SELECT version FROM schema_migrations")}
    applied = []
    for step in sorted(migrations, key=lambda m: m.version):
        if step.version in done:
            continue
        with db.transaction():
            for statement in step.statements:
                db.execute(statement)
            db.execute(
                "INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)",
                (step.version, step.description, _now()),
            )
        applied.append(step.version)
    return applied


def _now() -> str:
    return datetime.now(UTC).isoformat()
