"""Kafka clients made one way: aiokafka and kafka-python factories, topic creation, readiness.

The session timeout defaults to 6 s: the embedded Tansu broker holds every JoinGroup
for half the session timeout, so Kafka's 45 s default would cost 23 s per join.
The consumer group of a service is the service's name.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.partitioner import murmur2
from aiokafka.producer.message_accumulator import MessageAccumulator
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from vaxel_common.retry import retry_sync
from vaxel_common.topics import ALL_TOPICS, TopicSpec

__all__ = [
    "KeyHashPartitioner",
    "aio_consumer",
    "aio_producer",
    "create_topics",
    "read_whole",
    "sync_consumer",
    "sync_producer",
]

SESSION_TIMEOUT_MS = 6000
HEARTBEAT_INTERVAL_MS = 2000
FETCH_MIN_BYTES = 64 * 1024
FETCH_MAX_WAIT_MS = 250


# A request costs the broker and the client more than the records in it: under load a producer sends
# what this many milliseconds gathered, every topic and partition in one request.
LINGER_MS = 10


class KeyHashPartitioner:
    """Kafka's default partitioning (murmur2 of the key, as the Java client and aiokafka do), with the
    hashes of recent keys remembered: a service sends many records under one key (a routing pool, an
    interaction's events), and aiokafka's murmur2 is pure Python."""

    def __init__(self, remembered: int = 65536) -> None:
        self._hashes: dict[bytes, int] = {}
        self._remembered = remembered

    def __call__(self, key: bytes | None, all_partitions: list[int], available: list[int]) -> int:
        if key is None:
            return random.choice(available or all_partitions)  # noqa: S311  (spreading, not security)
        hashed = self._hashes.get(key)
        if hashed is None:
            if len(self._hashes) >= self._remembered:
                self._hashes.clear()
            hashed = self._hashes[key] = murmur2(key) & 0x7FFFFFFF
        return all_partitions[hashed % len(all_partitions)]


class _BrokerWideLinger(MessageAccumulator):  # type: ignore[misc]
    """aiokafka sends a partition's batch when that batch's own linger is over: a producer writing to
    many partitions, each batch on its own clock, sends a request whenever any one is due, as often as
    the round trip allows, with a record or two in it. Kafka's Java producer sends with the batch that
    is due every other batch bound for the same broker; so does this (aiokafka 0.14's accumulator, the
    linger of its waiting batches ended early when a request goes out anyway)."""

    def drain_by_nodes(self, ignore_nodes: Any, muted_partitions: Any = frozenset()) -> Any:
        sendable = [
            (tp, queued[0]) for tp, queued in self._batches.items() if queued and tp not in muted_partitions
        ]
        due = {self._cluster.leader_for_partition(tp) for tp, b in sendable if b.remaining_linger() is None}
        if due:
            for tp, batch in sendable:
                if self._cluster.leader_for_partition(tp) in due:
                    batch._linger_time = 0  # the one attribute that holds a batch back
        return super().drain_by_nodes(ignore_nodes, muted_partitions)


def aio_producer(bootstrap: str, client_id: str, **overrides: Any) -> AIOKafkaProducer:
    """An aiokafka producer: acks=all, idempotent where the broker supports it, ``LINGER_MS`` linger
    counted from the first record waiting for a broker, not per partition."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "client_id": client_id,
        "acks": "all",
        "linger_ms": LINGER_MS,
        "request_timeout_ms": 15000,
        "partitioner": KeyHashPartitioner(),
    }
    options.update(overrides)
    producer = AIOKafkaProducer(**options)
    # The producer and its sender share this accumulator: change its class, not the object.
    producer._message_accumulator.__class__ = _BrokerWideLinger
    return producer


def aio_consumer(
    bootstrap: str,
    group_id: str | None,
    *topics: str,
    session_timeout_ms: int = SESSION_TIMEOUT_MS,
    **overrides: Any,
) -> AIOKafkaConsumer:
    """An aiokafka consumer with manual commits (commit after processing: at-least-once).

    A fetch is answered once ``FETCH_MIN_BYTES`` are there or after ``fetch_max_wait_ms``: under load
    that is one fetch per wait with everything that arrived, not one per record or two as fast as the
    round trip allows (each costs the broker and the client a request); idle, a fetch is held for the
    wait, as before. The wait is how late a consumer may see a record."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "group_id": group_id,
        "client_id": group_id or "vaxel-reader",
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": session_timeout_ms,
        "heartbeat_interval_ms": min(HEARTBEAT_INTERVAL_MS, session_timeout_ms // 3),
        "max_poll_records": 500,
        "fetch_min_bytes": FETCH_MIN_BYTES,
        "fetch_max_wait_ms": FETCH_MAX_WAIT_MS,
    }
    options.update(overrides)
    return AIOKafkaConsumer(*topics, **options)


_QUIET_MS = 300


async def read_whole(
    bootstrap: str, topic: str, *, timeout: float = 60.0, **overrides: Any
) -> list[ConsumerRecord[bytes, bytes]]:
    """Every record of ``topic``, from its beginning to its end, partition by partition
    in offset order (no consumer group, nothing committed). TimeoutError when the broker does not give
    it all within ``timeout`` seconds. Once at the ends reported at the start, it reads on until a
    fetch brings nothing for a moment (an end can be reported short); records written during the read
    may or may not be in it."""
    deadline = time.monotonic() + timeout
    consumer = aio_consumer(bootstrap, None, **overrides)
    await asyncio.wait_for(consumer.start(), timeout)
    try:
        await consumer.topics()  # metadata of every topic, so that the partitions are known
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        records: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]] = {tp: [] for tp in partitions}
        left = {tp for tp in partitions if ends[tp] > 0}
        while left:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic} not read whole within {timeout:.0f}s")
            for tp, batch in (await consumer.getmany(*left, timeout_ms=500)).items():
                records[tp].extend(batch)
            left = {tp for tp in left if await consumer.position(tp) < ends[tp]}
        # Past the ends as reported, until a fetch brings nothing: Tansu reports the end of records
        # produced in one batch short (three records gave end offset 1), and they are there.
        while time.monotonic() < deadline:
            more = await consumer.getmany(*partitions, timeout_ms=_QUIET_MS)
            if not any(more.values()):
                break
            for tp, batch in more.items():
                records[tp].extend(batch)
        return [r for tp in partitions for r in records[tp]]
    finally:
        await consumer.stop()


def sync_producer(bootstrap: str, client_id: str, **overrides: Any) -> KafkaProducer:
    """A kafka-python producer (scripts, CLI, tests)."""
    options: dict[str, Any] = {"bootstrap_servers": bootstrap, "client_id": client_id, "acks": "all"}
    options.update(overrides)
    return KafkaProducer(**options)


def sync_consumer(
    bootstrap: str,
    group_id: str | None,
    *topics: str,
    session_timeout_ms: int = SESSION_TIMEOUT_MS,
    **overrides: Any,
) -> KafkaConsumer:
    """A kafka-python consumer with the session timeout the embedded broker needs."""
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "group_id": group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "session_timeout_ms": session_timeout_ms,
        "heartbeat_interval_ms": min(HEARTBEAT_INTERVAL_MS, session_timeout_ms // 3),
    }
    options.update(overrides)
    return KafkaConsumer(*topics, **options)


def create_topics(
    bootstrap: str, specs: Iterable[TopicSpec] = ALL_TOPICS, timeout: float = 30.0
) -> list[str]:
    """Create the topics that do not exist yet (retrying until the broker answers); returns those created."""

    def connect() -> KafkaAdminClient:
        return KafkaAdminClient(
            bootstrap_servers=bootstrap, client_id="vaxel-admin", request_timeout_ms=10000
        )

    admin = retry_sync(f"Kafka at {bootstrap}", connect, timeout=timeout, retry_on=(KafkaError, OSError))
    try:
        existing = set(admin.list_topics())
        wanted = [s for s in specs if s.name not in existing]
        created = []
        for spec in wanted:
            topic = NewTopic(
                name=spec.name,
                num_partitions=spec.partitions,
                replication_factor=1 if _single_broker(admin) else 3,
                topic_configs=spec.config,
            )
            try:
                admin.create_topics([topic])
                created.append(spec.name)
            except TopicAlreadyExistsError:
                pass
        return created
    except KafkaError as exc:
        raise OSError(f"creating topics on {bootstrap} failed: {exc}") from exc
    finally:
        admin.close()


def _single_broker(admin: KafkaAdminClient) -> bool:
    return len(admin.describe_cluster().get("brokers", [])) < 3
