"""The tenant's own event stream: one tenant's events from the topics, from a cursor.

Each call reads the topics with a consumer of its own (no group: the caller's cursor is the position).
The first message carries the starting cursor; each event comes with the cursor that resumes right
after it (every partition's next offset, including the records of other tenants passed over); when
nothing matched for a while, a message with only the cursor says how far the stream has read. Resuming
from the last cursor a client kept gives every later event once: no gap, no duplicate.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from vaxel.events.v1 import events_pb2
from vaxel_common.errors import DecodeError, ResourceExhausted
from vaxel_common.events import decode_event
from vaxel_common.kafka import aio_consumer
from vaxel_common.logging import get_logger
from vaxel_common.provenance import Provenance, Refused
from vaxel_common.topics import topic_by_name
from vaxel_integrations.domain.cursor import decode_cursor, encode_cursor
from vaxel_integrations.metrics import IntegrationsMetrics

__all__ = ["EventStreams", "StreamItem"]

_FETCH_TIMEOUT_MS = 250


@dataclass(frozen=True, slots=True)
class StreamItem:
    event: events_pb2.Event | None
    cursor: str


class EventStreams:
    def __init__(
        self,
        bootstrap: str,
        topics: Sequence[str],
        provenance: Provenance,
        metrics: IntegrationsMetrics,
        *,
        heartbeat_seconds: float,
        max_per_tenant: int,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        self._bootstrap = bootstrap
        self._topics = list(topics)
        self._provenance = provenance
        self._metrics = metrics
        self._heartbeat = heartbeat_seconds
        self._max_per_tenant = max_per_tenant
        self._options = dict(client_options or {})
        self._open: dict[str, int] = {}
        self._log = get_logger("vaxel.integrations.stream")

    async def stream(
        self, tenant_id: str, cursor: str, *, earliest: bool, types: frozenset[str]
    ) -> AsyncIterator[StreamItem]:
        positions = decode_cursor(cursor, frozenset(self._topics)) if cursor else None
        if self._open.get(tenant_id, 0) >= self._max_per_tenant:
            raise ResourceExhausted(f"at most {self._max_per_tenant} streams per tenant", 5)
        self._open[tenant_id] = self._open.get(tenant_id, 0) + 1
        self._metrics.streams_open.inc()
        consumer = aio_consumer(
            self._bootstrap, None, fetch_max_wait_ms=_FETCH_TIMEOUT_MS, fetch_min_bytes=1, **self._options
        )
        try:
            await consumer.start()
            at = await self._seek(consumer, positions, earliest=earliest)
            yield StreamItem(None, encode_cursor(at))
            async for item in self._read(consumer, at, tenant_id, types):
                yield item
        finally:
            self._open[tenant_id] -= 1
            self._metrics.streams_open.dec()
            await consumer.stop()

    async def _partitions(self, consumer: AIOKafkaConsumer) -> list[TopicPartition]:
        await consumer.topics()  # fetches the metadata
        found = []
        for topic in self._topics:
            numbers = consumer.partitions_for_topic(topic)
            if not numbers:
                spec = topic_by_name(topic)
                numbers = set(range(spec.partitions if spec else 1))
            found += [TopicPartition(topic, n) for n in sorted(numbers)]
        return found

    async def _seek(
        self, consumer: AIOKafkaConsumer, positions: dict[tuple[str, int], int] | None, *, earliest: bool
    ) -> dict[tuple[str, int], int]:
        partitions = await self._partitions(consumer)
        consumer.assign(partitions)
        if positions is None and not earliest:
            base = await consumer.end_offsets(partitions)
        else:  # from the start, or a partition the cursor does not name (added since)
            base = await consumer.beginning_offsets(partitions)
        at: dict[tuple[str, int], int] = {}
        for tp in partitions:
            key = (tp.topic, tp.partition)
            offset = positions.get(key) if positions is not None else None
            at[key] = int(base[tp]) if offset is None else max(offset, int(base[tp]))
            consumer.seek(tp, at[key])
        return at

    async def _read(
        self,
        consumer: AIOKafkaConsumer,
        at: dict[tuple[str, int], int],
        tenant_id: str,
        types: frozenset[str],
    ) -> AsyncIterator[StreamItem]:
        reported = time.monotonic()
        while True:
            batches = await consumer.getmany(timeout_ms=_FETCH_TIMEOUT_MS, max_records=500)
            for tp, records in batches.items():
                for record in records:
                    at[(tp.topic, tp.partition)] = record.offset + 1
                    event = self._event(record)
                    if event is None or event.tenant_id != tenant_id:
                        continue
                    if types and event.event_type not in types:
                        continue
                    self._metrics.stream_events.inc()
                    reported = time.monotonic()
                    yield StreamItem(event, encode_cursor(at))
            if time.monotonic() - reported >= self._heartbeat:
                reported = time.monotonic()
                yield StreamItem(None, encode_cursor(at))
            await asyncio.sleep(0)

    def _event(self, record: Any) -> events_pb2.Event | None:
        try:
            self._provenance.check_record(record)
            event = decode_event(record.value)
            self._provenance.check_event(record.topic, event)
        except (DecodeError, Refused):
            return None  # the delivery worker's consumer dead-letters it; a stream passes over it
        return event
