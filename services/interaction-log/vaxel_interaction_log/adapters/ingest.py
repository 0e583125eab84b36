"""The consumer's handler and flush hook: events buffered on the event loop, written on the writer thread.

Each consumed batch is written by :meth:`SqlInteractionStore.write` in one transaction on the
store's write connection, in :class:`WriterThread` (one thread: every write of the process goes
through it, so writes never run at once and the event loop keeps serving reads meanwhile). The
consumer commits the Kafka offsets only after the flush returns, i.e. after the database commit:
a crash in between redelivers the batch, and the store ignores what it already holds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from vaxel.events.v1 import events_pb2
from vaxel_interaction_log.adapters.store import PendingEvent, SqlInteractionStore
from vaxel_interaction_log.metrics import InteractionLogMetrics

__all__ = ["Ingest", "WriterThread"]

P = ParamSpec("P")
R = TypeVar("R")


class WriterThread:
    """One thread for the store's writes (ingest, erasure, purge)."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="interaction-log-writer")

    async def run(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    def close(self) -> None:
        self._executor.shutdown(wait=True)


class Ingest:
    def __init__(
        self, store: SqlInteractionStore, metrics: InteractionLogMetrics, writer: WriterThread
    ) -> None:
        self._store = store
        self._metrics = metrics
        self._writer = writer
        self._database = store.dialect
        self._batch: list[PendingEvent] = []

    async def handle(self, event: events_pb2.Event) -> None:
        pending = PendingEvent.of(event)
        if pending is None:
            self._metrics.events_skipped.inc()
            return
        self._batch.append(pending)

    async def flush(self) -> None:
        """Write the batch; returns after the database commit (the consumer then commits offsets).
        On an error the consumer redelivers the whole batch, so this one is dropped here."""
        batch, self._batch = self._batch, []
        if not batch:
            return
        started = time.perf_counter()
        written = await self._writer.run(self._store.write, batch)
        self._metrics.flush_seconds.labels(self._database).observe(time.perf_counter() - started)
        self._metrics.events_stored.labels(self._database).inc(written.events)
        self._metrics.records_written.labels(self._database).inc(written.interactions)
        if written.dropped:
            self._metrics.events_dropped.inc(written.dropped)
