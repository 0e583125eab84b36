"""The database layer behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from vaxel_common.db import Database, Migration, connect, migrate
from vaxel_common.errors import ConfigurationError
from vaxel_common.supervisor import Platform

pytestmark = pytest.mark.integration

STEPS = (
    Migration(1, "items", ("CREATE TABLE items (id TEXT PRIMARY KEY, n INTEGER NOT NULL)",)),
    Migration(2, "index", ("CREATE INDEX items_by_n ON items (n)",)),
)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_database")
    database = connect(url)
    yield database
    database.close()


class TestDatabase:
    def test_migrations_apply_once(self, db: Database) -> None:
        assert migrate(db, STEPS) == [1, 2]
        assert migrate(db, STEPS) == []
        assert [r[0] for r in db.fetchall("SELECT version FROM schema_migrations ORDER BY version")] == [1, 2]

    def test_transaction_rolls_back_as_a_whole(self, db: Database) -> None:
        migrate(db, STEPS)

        def insert_then_fail() -> None:
            with db.transaction():
                db.execute("INSERT INTO items VALUES (?, ?)", ("a", 1))
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            insert_then_fail()
        assert db.fetchone("SELECT count(*) FROM items") == (0,)

    def test_placeholders_and_percent_signs(self, db: Database) -> None:
        migrate(db, STEPS)
        db.executemany("INSERT INTO items VALUES (?, ?)", [("50%", 1), ("b", 2)])
        assert db.fetchall("SELECT id FROM items WHERE id LIKE '%\\%' ESCAPE '\\' ORDER BY id") == [("50%",)]
        assert db.fetchone("SELECT n FROM items WHERE id = ?", ("b",)) == (2,)


def test_unknown_url_scheme_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="mysql:"):
        connect("mysql://x")


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


class TestSqlitePermissions:
    """A SQLite store holds personal data: 0600 files in a 0700 directory, whatever the umask."""

    def test_a_new_store_is_private(self, tmp_path: Path) -> None:
        path = tmp_path / "shared" / "data" / "store.sqlite3"
        old = os.umask(0o022)  # a usual umask: world-readable files and directories
        try:
            database = connect(f"sqlite:///{path}")
            migrate(database, STEPS)
            database.execute("INSERT INTO items VALUES (?, ?)", ("a", 1))
            files = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
            assert all(f.exists() for f in files)
            assert [_mode(f) for f in files] == [0o600, 0o600, 0o600]
            assert (_mode(path.parent), _mode(path.parent.parent)) == (0o700, 0o700)
            database.close()
        finally:
            os.umask(old)

    def test_an_existing_world_readable_store_is_tightened(self, tmp_path: Path) -> None:
        path = tmp_path / "old.sqlite3"
        database = connect(f"sqlite:///{path}")
        migrate(database, STEPS)
        database.close()
        path.chmod(0o644)
        connect(f"sqlite:///{path}").close()
        assert _mode(path) == 0o600

    def test_the_running_services_stores_are_private(self, platform: Platform) -> None:
        stores = [platform.data_dir / "interaction-log.sqlite3", platform.data_dir / "client-tenant.sqlite3"]
        for store in stores:
            assert store.exists(), store
            assert _mode(store) == 0o600, store
            # The write-ahead log comes and goes with the connections and checkpoints: checked when present.
            wal = store.with_name(store.name + "-wal")
            with contextlib.suppress(FileNotFoundError):
                assert _mode(wal) == 0o600, wal
