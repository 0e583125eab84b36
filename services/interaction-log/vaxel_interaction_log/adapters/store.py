"""The append-only event store (SQLite in the embedded default; idempotent by event id).

First cut for the walking skeleton; the interaction-log issue adds PostgreSQL,
the projection tables and migrations.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from vaxel.events.v1 import events_pb2
from vaxel_interaction_log.domain import StoredEvent

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    interaction_id TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    occurred_at TEXT NOT NULL,
    queue_id TEXT NOT NULL,
    channel INTEGER NOT NULL,
    payload BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_interaction ON events (tenant_id, interaction_id);
"""


class EventStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._pending: list[tuple[object, ...]] = []

    def add(self, event: events_pb2.Event) -> None:
        created = event.interaction_created if event.HasField("interaction_created") else None
        self._pending.append(
            (
                event.event_id,
                event.tenant_id,
                event.interaction_id,
                event.agent_id,
                event.event_type,
                event.occurred_at.ToDatetime(UTC).isoformat(),
                created.queue_id if created else "",
                int(created.channel) if created else 0,
                event.SerializeToString(),
            )
        )

    def flush(self) -> None:
        """Write the pending events in one transaction; a duplicate event id is ignored."""
        if not self._pending:
            return
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR IGNORE INTO events VALUES (?,?,?,?,?,?,?,?,?)", self._pending)
        self._pending.clear()

    def events_of(self, tenant_id: str, interaction_id: str) -> list[StoredEvent]:
        rows = self._db.execute(
            "SELECT event_id, event_type, tenant_id, interaction_id, agent_id, occurred_at, queue_id, channel "
            "FROM events WHERE tenant_id = ? AND interaction_id = ?",
            (tenant_id, interaction_id),
        ).fetchall()
        return [
            StoredEvent(r[0], r[1], r[2], r[3], r[4], datetime.fromisoformat(r[5]), r[6], int(r[7]))
            for r in rows
        ]

    def close(self) -> None:
        self._db.close()
