"""The session's PostgreSQL is real: psycopg and asyncpg talk to it; each test gets its own database."""

from __future__ import annotations

import asyncpg
import psycopg
import pytest

pytestmark = pytest.mark.integration


class TestPostgres:
    def test_psycopg_round_trip(self, postgres_database: str) -> None:
        with psycopg.connect(postgres_database) as conn:
            conn.execute("CREATE TABLE queue (id text PRIMARY KEY, time_zone text NOT NULL)")
            conn.execute("INSERT INTO queue VALUES ('q1', 'Europe/Stockholm')")
            row = conn.execute("SELECT time_zone FROM queue WHERE id = 'q1'").fetchone()
        assert row == ("Europe/Stockholm",)

    def test_each_test_gets_a_fresh_database(self, postgres_database: str) -> None:
        with psycopg.connect(postgres_database) as conn:
            row = conn.execute("SELECT count(*) FROM pg_tables WHERE tablename = 'queue'").fetchone()
        assert row == (0,)

    async def test_asyncpg_pool(self, postgres_database: str) -> None:
        pool = await asyncpg.create_pool(postgres_database, min_size=1, max_size=2)
        try:
            assert await pool.fetchval("SELECT 40 + 2") == 42
            assert await pool.fetchval("SHOW server_encoding") == "UTF8"
        finally:
            await pool.close()
