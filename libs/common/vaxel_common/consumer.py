"""The at-least-once event consumer every service uses on its hot path (plain aiokafka).

For each batch: check and decode every record (an undecodable one, or one refused
as not genuine by :mod:`vaxel_common.provenance`, goes to the dead-letter topic with
the reason), give the batch's events to ``prepare`` (where a service fetches what the
batch needs in one round trip), hand each event to the service's handler with its ids bound
to the log context, call ``flush`` (where a handler buffers writes), then commit.
A crash before the commit replays the batch, so handlers must be idempotent by
event id. A handler that rejects one event raises :class:`RejectedEvent`: that
event is dead-lettered and the rest go on. Any other error (the handler's, the
broker's, a dead letter that could not be produced) is retried with backoff without
committing, so nothing is skipped; after a few failures in a row the consumer is
reported stalled (:mod:`vaxel_common.progress`: gRPC health NOT_SERVING and
``vaxel_consumer_stalled``) until a batch goes through again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord, TopicPartition

from vaxel.events.v1 import events_pb2
from vaxel_common.deadletter import DeadLetterPublisher
from vaxel_common.errors import DecodeError
from vaxel_common.events import decode_event
from vaxel_common.kafka import aio_consumer
from vaxel_common.logging import get_logger
from vaxel_common.metrics import PlatformMetrics
from vaxel_common.progress import ProgressMonitor
from vaxel_common.provenance import REFUSAL_REASONS, Provenance, Refused
from vaxel_common.retry import Backoff, retry_async

__all__ = ["BatchHook", "EventConsumer", "EventHandler", "RejectedEvent"]

EventHandler = Callable[[events_pb2.Event], Awaitable[None]]
BatchHook = Callable[[Sequence[events_pb2.Event]], Awaitable[None]]


class RejectedEvent(Exception):  # noqa: N818  (an outcome, not a failure of the consumer)
    """Raised by a handler for a decodable event it can never process; it is dead-lettered."""


class EventConsumer:
    """Consume ``topics`` in consumer group ``group_id`` and feed ``handler``."""

    def __init__(
        self,
        *,
        service: str,
        bootstrap: str,
        topics: Sequence[str],
        handler: EventHandler,
        producer: AIOKafkaProducer,
        metrics: PlatformMetrics,
        group_id: str | None = None,
        flush: Callable[[], Awaitable[None]] | None = None,
        prepare: BatchHook | None = None,
        session_timeout_ms: int = 6000,
        commit: bool = True,
        dependency_timeout: float = 60.0,
        monitor: ProgressMonitor | None = None,
        provenance: Provenance | None = None,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.service = service
        self.topics = list(topics)
        self.name = ",".join(self.topics)  # the ``consumer`` label: bounded by the service's code
        self._monitor = monitor or ProgressMonitor(service, metrics)
        self._monitor.register(self.name)
        self._handler = handler
        self._provenance = provenance or Provenance(None)
        self._flush = flush
        self._prepare = prepare
        self._metrics = metrics
        self._dead_letters = DeadLetterPublisher(producer, service, metrics, service, self.topics)
        for topic in self.topics:  # at 0 from the start: increase() sees the first refusal too
            for reason in REFUSAL_REASONS:
                metrics.records_refused.labels(service, topic, reason)
        # commit=False: no group, every partition read from the start on each start (replicas of
        # compacted topics, which every instance needs whole).
        self._commit = commit
        self._consumer: AIOKafkaConsumer = aio_consumer(
            bootstrap,
            (group_id or service) if commit else None,
            *self.topics,
            session_timeout_ms=session_timeout_ms,
            **(client_options or {}),
        )
        self._stopping = asyncio.Event()
        self._log = get_logger("vaxel.consumer")
        self.bootstrap = bootstrap
        # Set once the consumer has read up to the end offsets it found on its first assignment:
        # a replica is complete, so the service may report SERVING.
        self.caught_up = asyncio.Event()
        self._end_offsets: dict[TopicPartition, int] | None = None
        self._ends_settled: set[TopicPartition] = set()
        self._dependency_timeout = dependency_timeout
        self._lag: dict[TopicPartition, int] = {}

    async def start(self) -> None:
        await retry_async(
            f"Kafka at {self.bootstrap}",
            self._consumer.start,
            timeout=self._dependency_timeout,
            retry_on=(KafkaError, OSError),
        )

    async def run(self) -> None:
        """Consume until :meth:`stop`; never lets one bad record stop the loop."""
        backoff: Backoff | None = None
        fetch_failing = False
        try:
            while not self._stopping.is_set():
                try:
                    batches = await self._consumer.getmany(timeout_ms=200, max_records=1000)
                except KafkaError as exc:  # a fetch the client cannot make or read: reported, retried
                    self._monitor.failed(self.name, exc)
                    fetch_failing = True
                    backoff = backoff or Backoff(f"{self.service} fetching", timeout=float("inf"))
                    await asyncio.sleep(backoff.failed(exc))
                    continue
                if fetch_failing:
                    fetch_failing, backoff = False, None
                    self._monitor.progressed(self.name)
                # Caught up once these records are processed, not before: whoever waits for it (the
                # SLA monitor, the readiness check) must see the state they make.
                reaches_end = not self.caught_up.is_set() and await self._reaches_end(batches)
                if not batches:
                    if reaches_end:
                        self.caught_up.set()
                    continue
                try:
                    await self._process(batches)
                    backoff = None
                    self._monitor.progressed(self.name)
                    if reaches_end:
                        self.caught_up.set()
                except Exception as exc:
                    self._monitor.failed(self.name, exc)
                    backoff = backoff or Backoff(f"{self.service} event processing", timeout=float("inf"))
                    delay = backoff.failed(exc)
                    for tp, records in batches.items():
                        self._consumer.seek(tp, records[0].offset)
                    await asyncio.sleep(delay)
        finally:
            await self._consumer.stop()

    async def _reaches_end(self, batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]) -> bool:
        """Whether these records take every partition to the end offsets of the first assignment."""
        assignment = self._consumer.assignment()
        # Without a group, partitions are assigned topic by topic as metadata arrives: wait until
        # every subscribed topic is in, or a small topic would pass for the whole subscription.
        if not assignment or {tp.topic for tp in assignment} < set(self.topics):
            return False
        if self._end_offsets is None:
            self._end_offsets = dict(await self._consumer.end_offsets(list(assignment)))
        # The embedded Tansu broker answers a partition's last batch's base offset + 1 as its end
        # offset; the high watermark of the first fetch answer is the true end, taken once (a later one
        # would chase live traffic).
        for tp in self._end_offsets.keys() - self._ends_settled:
            highwater = self._consumer.highwater(tp)
            if highwater is not None:
                self._end_offsets[tp] = max(self._end_offsets[tp], highwater)
                self._ends_settled.add(tp)
        for tp, end in self._end_offsets.items():
            records = batches.get(tp)
            position = records[-1].offset + 1 if records else await self._consumer.position(tp)
            if position < end:
                return False
        return True

    async def _process(self, batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]) -> None:
        started = time.perf_counter()
        decoded = [
            (record, event)
            for records in batches.values()
            for record in records
            if (event := await self._decoded(record)) is not None
        ]
        if self._prepare is not None and decoded:
            await self._prepare([event for _, event in decoded])
        for record, event in decoded:
            await self._one(record, event)
        if self._flush is not None:
            await self._flush()
        if self._commit:
            await self._consumer.commit({tp: records[-1].offset + 1 for tp, records in batches.items()})
        lag: dict[str, int] = {}
        for tp, records in batches.items():
            self._metrics.event_processing_latency.labels(self.service, tp.topic).observe(
                time.perf_counter() - started
            )
            self._lag[tp] = max(0, (self._consumer.highwater(tp) or 0) - (records[-1].offset + 1))
        for tp, behind in self._lag.items():
            lag[tp.topic] = lag.get(tp.topic, 0) + behind
        for topic, behind in lag.items():
            self._metrics.consumer_lag.labels(self.service, topic).set(behind)

    async def _decoded(self, record: ConsumerRecord[bytes, bytes]) -> events_pb2.Event | None:
        """The record's event, or None once it is dead-lettered (undecodable or refused)."""
        try:
            self._provenance.check_record(record)
            event = decode_event(record.value)
            self._provenance.check_event(record.topic, event)
        except DecodeError as exc:
            await self._dead_letter(record, f"undecodable: {exc}")
            return None
        except Refused as exc:
            self._metrics.records_refused.labels(self.service, record.topic, exc.reason).inc()
            await self._dead_letter(record, f"refused ({exc.reason}): {exc}")
            return None
        return event

    async def _one(self, record: ConsumerRecord[bytes, bytes], event: events_pb2.Event) -> None:
        structlog.contextvars.bind_contextvars(
            event_id=event.event_id, tenant_id=event.tenant_id, interaction_id=event.interaction_id
        )
        try:
            await self._handler(event)
        except RejectedEvent as exc:
            await self._dead_letter(record, f"rejected by {self.service}: {exc}")
            return
        finally:
            structlog.contextvars.unbind_contextvars("event_id", "tenant_id", "interaction_id")
        self._metrics.events_consumed.labels(self.service, record.topic, event.event_type).inc()

    async def _dead_letter(self, record: ConsumerRecord[bytes, bytes], reason: str) -> None:
        self._log.warning(
            "event_dead_lettered",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason=reason,
        )
        await self._dead_letters.publish(record, reason)

    async def close(self) -> None:
        """Release the client when :meth:`run` never ran (start-up failed)."""
        await self._consumer.stop()

    def stop(self) -> None:
        """Ask :meth:`run` to finish its batch, leave the group and return."""
        self._stopping.set()
