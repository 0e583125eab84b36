"""The store on real SQLite and real PostgreSQL, for every test of this package that asks for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vaxel_interaction_log.adapters.store import SqlInteractionStore, open_store


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'log.sqlite3'}"
    return str(request.getfixturevalue("postgres_database"))


@pytest.fixture
def store(store_url: str) -> Iterator[SqlInteractionStore]:
    """The store as the service opens it: a read connection and a write connection."""
    opened = open_store(store_url, timeout=10)
    yield opened
    opened.close()
