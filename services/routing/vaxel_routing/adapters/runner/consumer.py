"""The routing-inputs log as this process reads and appends it: replay from the beginning, the
replayed/live boundary, and the records appended here that are applied without waiting for the fetch.

On every partition assignment the log is read again from the beginning: records below the group's
committed offset rebuild state silently (replayed), records after it were not acknowledged before the
last stop and are live (their events are published again, with the same ids). A record this process
appended to a partition it owns is handed over as soon as the broker acknowledges it, at the offset
the broker gave it, when it is the partition's next record; the fetch brings it too and it is skipped.

Appends keep the order of the calls (FIFO): :meth:`InputLog.append` queues the record at once and one
task hands the queue to the producer a record at a time, so the log holds this process's requests in
the order they were received. (Concurrent ``producer.send`` calls do not: when a partition's batch is
full they wait for it to drain, and a call made after them can take the next batch first. A hang-up
received before an accept was then logged after it, and the accept won.)
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterator, Mapping
from typing import Any, TypeAlias

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord, RecordMetadata, TopicPartition

from vaxel.routing.v1 import inputs_pb2
from vaxel_common.errors import Unavailable
from vaxel_common.kafka import aio_consumer
from vaxel_common.logging import get_logger
from vaxel_common.progress import ProgressMonitor
from vaxel_common.topics import ROUTING_INPUTS

__all__ = ["CONSUMER", "GROUP", "INPUT_SCHEMA_VERSION", "Batches", "InputLog"]

GROUP = "vaxel-routing-engine"
CONSUMER = ROUTING_INPUTS.name  # the engine's ``consumer`` label in the progress metrics
INPUT_SCHEMA_VERSION = 1

Record: TypeAlias = ConsumerRecord[bytes, bytes]
Batches: TypeAlias = dict[TopicPartition, list[Record]]
Outgoing: TypeAlias = tuple[bytes, bytes, "asyncio.Future[RecordMetadata]"]


def _relay(result: asyncio.Future[RecordMetadata], delivery: asyncio.Future[RecordMetadata]) -> None:
    """The broker's answer to a record, to the caller that appended it (unless it stopped waiting)."""
    if result.done():
        return
    if delivery.cancelled():
        result.cancel()
    elif (error := delivery.exception()) is not None:
        result.set_exception(error)
    else:
        result.set_result(delivery.result())


class InputLog:
    def __init__(
        self,
        *,
        bootstrap: str,
        producer: AIOKafkaProducer,
        progress: ProgressMonitor,
        session_timeout_ms: int,
        fetch_wait_ms: int,
        kafka_options: Mapping[str, Any],
    ) -> None:
        self._bootstrap = bootstrap
        self._producer = producer
        self._progress = progress
        self._session_timeout_ms = session_timeout_ms
        self._fetch_wait_ms = fetch_wait_ms
        self._kafka_options = kafka_options
        self._consumer: AIOKafkaConsumer | None = None
        self._fetch: asyncio.Future[Batches] | None = None
        self._replay_below: dict[TopicPartition, int] = {}
        self._catch_up_to: dict[TopicPartition, int] = {}
        self._ends_settled: set[TopicPartition] = set()  # end taken from a fetch answer
        self._next_offset: dict[TopicPartition, int] = {}
        # Records this process appended, acknowledged, not applied yet; the read's wake-up.
        self._own: Batches = {}
        self._own_arrived: asyncio.Future[None] | None = None
        # Records appended and not yet handed to the producer, in call order; the task handing them over.
        self._outgoing: deque[Outgoing] = deque()
        self._sending: asyncio.Task[None] | None = None
        self._log = get_logger("vaxel.routing.engine")

    @property
    def started(self) -> bool:
        return self._consumer is not None

    async def start(self, listener: ConsumerRebalanceListener) -> None:
        self._consumer = aio_consumer(
            self._bootstrap,
            GROUP,
            session_timeout_ms=self._session_timeout_ms,
            max_poll_records=1000,
            # Records appended here are applied on their acknowledgement; those appended by other
            # replicas wait up to this long for the fetch.
            fetch_max_wait_ms=self._fetch_wait_ms,
            **self._kafka_options,
        )
        self._consumer.subscribe([ROUTING_INPUTS.name], listener=listener)
        await self._consumer.start()

    async def append(self, pool: str, record: inputs_pb2.RoutingInput) -> None:
        """Write ``record`` to the pool's partition and wait for the broker; records reach the log in
        the order of the calls (queued before this coroutine first waits)."""
        key, value = pool.encode(), record.SerializeToString()
        result: asyncio.Future[RecordMetadata] = asyncio.get_running_loop().create_future()
        self._outgoing.append((key, value, result))
        if self._sending is None:
            self._sending = asyncio.create_task(self._send_in_order(), name="routing-log-append")
        try:
            written = await result
        except KafkaError as exc:
            raise Unavailable(f"routing log unavailable: {type(exc).__name__}") from exc
        if written.topic_partition in self._next_offset:  # a partition this process owns
            own = ConsumerRecord(
                written.topic, written.partition, written.offset, written.timestamp,
                written.timestamp_type, key, value, None, len(key), len(value), (),
            )  # fmt: skip
            self._own.setdefault(written.topic_partition, []).append(own)
            if self._own_arrived is not None and not self._own_arrived.done():
                self._own_arrived.set_result(None)

    async def _send_in_order(self) -> None:
        """Hand the queued records to the producer one at a time (each waits only to enter a batch),
        so the producer's batches, and the log, keep their order."""
        try:
            while self._outgoing:
                key, value, result = self._outgoing.popleft()
                try:
                    delivery = await self._producer.send(ROUTING_INPUTS.name, value, key=key)
                except Exception as exc:  # the caller's error: it raises it, the queue goes on
                    if not result.done():
                        result.set_exception(exc)
                    continue
                delivery.add_done_callback(lambda d, r=result: _relay(r, d))
        finally:
            self._sending = None
            while self._outgoing:  # cancelled (stopping): nothing more is sent, nobody waits for ever
                _, _, result = self._outgoing.popleft()
                if not result.done():
                    result.set_exception(Unavailable("routing is stopping"))

    async def reset(self, assigned: list[TopicPartition]) -> None:
        """New partitions: read them again from the beginning, replaying up to the committed offsets."""
        consumer = self._consumer
        if consumer is None:
            return
        self._own.clear()  # the replay brings them
        self._replay_below.clear()
        self._catch_up_to.clear()
        self._ends_settled.clear()
        self._next_offset = dict.fromkeys(assigned, 0)
        if assigned:
            ends = await consumer.end_offsets(assigned)
            for tp in assigned:
                self._replay_below[tp] = await consumer.committed(tp) or 0
                self._catch_up_to[tp] = ends[tp]
            await consumer.seek_to_beginning(*assigned)
        self._log.info(
            "routing_partitions_assigned",
            partitions=sorted(tp.partition for tp in assigned),
            replay_records=sum(self._catch_up_to.values()),
        )

    def caught_up(self) -> bool:
        """Whether every assigned partition was read up to its end at assignment: the end offset, or
        the high watermark of the first fetch answer when higher (the embedded Tansu broker answers
        the last batch's base offset + 1 as the end offset)."""
        if self._consumer is not None:
            for tp in self._catch_up_to.keys() - self._ends_settled:
                highwater = self._consumer.highwater(tp)
                if highwater is not None:
                    self._catch_up_to[tp] = max(self._catch_up_to[tp], highwater)
                    self._ends_settled.add(tp)
        return all(self._next_offset.get(tp, 0) >= end for tp, end in self._catch_up_to.items())

    async def read(self) -> Batches | None:
        """The next records: what the fetch brought and what was appended here, or none yet; None
        when the fetch failed (logged and reported, after a pause)."""
        consumer = self._consumer
        if consumer is None:
            raise RuntimeError("start() first")
        if self._fetch is None:
            self._fetch = asyncio.ensure_future(consumer.getmany(timeout_ms=200))
        if not self._own:  # wait for the fetch or for a record appended here
            self._own_arrived = asyncio.get_running_loop().create_future()
            await asyncio.wait((self._fetch, self._own_arrived), return_when=asyncio.FIRST_COMPLETED)
        batches: Batches = {}
        if self._fetch.done():
            try:
                batches = self._fetch.result()
                self._progress.progressed(CONSUMER)
            except KafkaError as exc:
                self._log.warning("routing_log_read_failed", error_type=type(exc).__name__)
                self._progress.failed(CONSUMER, exc)
                await asyncio.sleep(1)
                return None
            finally:
                self._fetch = None
        return self._with_own(batches)

    def stop_reading(self) -> None:
        if self._fetch is not None:
            self._fetch.cancel()
            self._fetch = None

    def _with_own(self, batches: Batches) -> Batches:
        """The fetched records followed by those appended here that come right after them: a record
        with one not here yet before it waits for the fetch, which brings both in order."""
        own, self._own = self._own, {}
        for tp, records in own.items():
            if tp not in self._next_offset:  # revoked since
                continue
            fetched = batches.get(tp, [])
            expected = fetched[-1].offset + 1 if fetched else self._next_offset[tp]
            following = []
            for record in sorted(records, key=lambda r: r.offset):
                if record.offset < expected:  # fetched or applied already
                    continue
                if record.offset > expected:
                    break
                following.append(record)
                expected += 1
            if following:
                batches[tp] = fetched + following
        return batches

    def unapplied(self, batches: Batches) -> Iterator[tuple[TopicPartition, Record, bool]]:
        """Each record of ``batches`` not applied yet, in order, with whether it is live (after the
        committed offset); each counts as applied once yielded."""
        for tp, records in batches.items():
            for record in records:
                if record.offset < self._next_offset.get(tp, 0):
                    continue  # applied already: appended here and applied on its acknowledgement
                self._next_offset[tp] = record.offset + 1
                yield tp, record, record.offset >= self._replay_below.get(tp, 0)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if self._consumer is not None:
            await self._consumer.commit(offsets)

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
