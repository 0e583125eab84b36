"""The database layer behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vaxel_common.db import Database, Migration, connect, migrate
from vaxel_common.errors import ConfigurationError

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
