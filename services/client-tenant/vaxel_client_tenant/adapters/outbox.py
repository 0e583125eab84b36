"""The transactional outbox of the configuration topic, and its relay.

A write RPC stores its change and the change's event (a row of ``config_outbox``) in one database
transaction, so a crash between commit and publish loses nothing: the relay publishes the rows in order
(``seq``), marks each published, and at start resumes with the first row not yet marked. A crash between
publishing and marking publishes that row again: the event has the same id (consumers deduplicate by id)
and carries its entity's version, so a replica applies it once.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from datetime import UTC, datetime

from vaxel.events.v1 import events_pb2
from vaxel_client_tenant.metrics import ClientTenantMetrics
from vaxel_common.db import Database, Migration
from vaxel_common.logging import get_logger
from vaxel_common.publisher import EventPublisher, key_of
from vaxel_common.topics import TENANT_CONFIG

__all__ = ["OUTBOX_MIGRATIONS", "ConfigOutbox", "OutboxRelay"]

OUTBOX_MIGRATIONS = (
    # Numbered apart from store.py's steps so that steps added there meanwhile never collide.
    Migration(
        20,
        "outbox of the configuration topic; idempotency keys of write RPCs",
        (
            "CREATE TABLE config_outbox ("
            " seq INTEGER PRIMARY KEY, event TEXT NOT NULL, created_at TEXT NOT NULL, published_at TEXT)",
            "CREATE INDEX config_outbox_pending ON config_outbox (published_at, seq)",
            "CREATE TABLE idempotency_keys ("
            " scope TEXT NOT NULL, method TEXT NOT NULL, idempotency_key TEXT NOT NULL,"
            " request_sha256 TEXT NOT NULL, response TEXT NOT NULL, created_at TEXT NOT NULL,"
            " PRIMARY KEY (scope, method, idempotency_key))",
        ),
    ),
)

_log = get_logger("vaxel.client-tenant.outbox")


def _now() -> str:
    return datetime.now(UTC).isoformat()


class ConfigOutbox:
    """Rows waiting for the relay; :meth:`add` runs inside the write's transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self.last_added = 0

    def add(self, event: events_pb2.Event) -> int:
        """Queue ``event``; its sequence number (the writer holds the database, so max + 1 is free)."""
        row = self._db.fetchone("SELECT COALESCE(MAX(seq), 0) FROM config_outbox", ())
        seq = int(row[0] if row else 0) + 1
        self._db.execute(
            "INSERT INTO config_outbox (seq, event, created_at) VALUES (?, ?, ?)",
            (seq, base64.b64encode(event.SerializeToString()).decode(), _now()),
        )
        self.last_added = seq
        return seq

    def pending(self, limit: int = 500) -> list[tuple[int, events_pb2.Event]]:
        rows = self._db.fetchall(
            "SELECT seq, event FROM config_outbox WHERE published_at IS NULL ORDER BY seq LIMIT ?", (limit,)
        )
        return [(int(seq), events_pb2.Event.FromString(base64.b64decode(raw))) for seq, raw in rows]

    def latest_published(self) -> list[events_pb2.Event]:
        """The last event of every entity (by record key), in outbox order, where that last event is
        published (one not yet published is the relay's): the state the configuration topic had."""
        latest: dict[bytes, tuple[events_pb2.Event, bool]] = {}
        for raw, published_at in self._db.fetchall(
            "SELECT event, published_at FROM config_outbox ORDER BY seq", ()
        ):
            event = events_pb2.Event.FromString(base64.b64decode(raw))
            key = key_of(TENANT_CONFIG, event)
            latest.pop(key, None)  # re-inserted: the dict keeps the order of each entity's last change
            latest[key] = (event, published_at is not None)
        return [event for event, published in latest.values() if published]

    def count_pending(self) -> int:
        row = self._db.fetchone("SELECT COUNT(*) FROM config_outbox WHERE published_at IS NULL", ())
        return int(row[0]) if row else 0

    def mark_published(self, up_to: int) -> None:
        with self._db.transaction():
            self._db.execute(
                "UPDATE config_outbox SET published_at = ? WHERE published_at IS NULL AND seq <= ?",
                (_now(), up_to),
            )


class OutboxRelay:
    """Publishes the outbox in order; :meth:`flush` lets a write wait for its events."""

    def __init__(
        self,
        outbox: ConfigOutbox,
        publisher: EventPublisher,
        metrics: ClientTenantMetrics,
        *,
        paused: bool = False,
        retry: float = 1.0,
    ) -> None:
        self._outbox = outbox
        self._publisher = publisher
        self._metrics = metrics
        self._paused = paused
        self._retry = retry
        self._wake = asyncio.Event()
        self._published = asyncio.Condition()
        self._published_seq = 0
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Publish what a previous run committed but did not publish, then keep relaying."""
        if self._paused:
            self._count_pending()
        else:
            await self._drain()
        self._task = asyncio.create_task(self._run(), name="config-outbox-relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def flush(self, seq: int, timeout: float) -> bool:
        """Wake the relay and wait up to ``timeout`` until ``seq`` is published; False when not yet
        (it stays committed and is published later)."""
        self._wake.set()
        async with self._published:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._published.wait_for(lambda: self._published_seq >= seq), timeout=timeout
                )
            return self._published_seq >= seq

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            if self._paused:
                self._count_pending()
                continue  # a test-only setting: commits pile up unpublished, as in a crash before publish
            try:
                await self._drain()
            except Exception:
                _log.warning("config_outbox_publish_failed", exc_info=True)
                self._metrics.outbox_failures.inc()
                self._count_pending()
                await asyncio.sleep(self._retry)
                self._wake.set()

    async def _drain(self) -> None:
        while batch := self._outbox.pending():
            await self._publisher.publish(TENANT_CONFIG, *(event for _, event in batch))
            last = batch[-1][0]
            self._outbox.mark_published(last)
            async with self._published:
                self._published_seq = last
                self._published.notify_all()
        self._metrics.outbox_pending.set(0)  # drained: nothing committed is left unpublished

    def _count_pending(self) -> None:
        try:
            pending = self._outbox.count_pending()
        except Exception:  # the store fails too: the gauge keeps its last value, the relay goes on
            _log.warning("config_outbox_count_failed", exc_info=True)
            return
        self._metrics.outbox_pending.set(pending)
