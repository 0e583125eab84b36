"""``python -m vaxel_interaction_log replay``: rebuild the store from the Kafka topics.

Reads ``vaxel.interactions.events.v1`` and ``vaxel.tenants.config.v1`` from their beginning up to
the end offsets found at start, without a consumer group (the service's committed offsets are
untouched), and writes every interaction event through the service's own write path (batches,
one transaction each): events kept by event id, records recomputed from each interaction's
history, ``interaction.erased`` events erasing again, events of interactions purged before
dropped. Then it purges what the tenants' retention expired (their settings come from the
configuration topic) and, when the database held events before, recomputes every record from
the stored events (so history older than the topics' retention is rebuilt too). It prints counts.

Into a fresh database (``--database-url``) the result equals the live store for everything the
topics still hold; into the configured one, stop the service first: the store assumes it is the
database's only writer.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord, TopicPartition

from vaxel.events.v1 import events_pb2
from vaxel_common.errors import ConfigurationError, DecodeError, Unavailable
from vaxel_common.events import decode_event
from vaxel_common.kafka import aio_consumer
from vaxel_common.logging import configure_logging
from vaxel_common.provenance import Provenance, Refused
from vaxel_common.retry import retry_async
from vaxel_common.settings import load_settings
from vaxel_common.signing import RecordVerifier
from vaxel_common.topics import INTERACTION_EVENTS, TENANT_CONFIG
from vaxel_interaction_log import SERVICE_NAME
from vaxel_interaction_log.adapters.ingest import WriterThread
from vaxel_interaction_log.adapters.retention import Purger, apply_retention_change
from vaxel_interaction_log.adapters.routing_client import EventOpener, RoutingClient
from vaxel_interaction_log.adapters.store import PendingEvent, SqlInteractionStore, open_store
from vaxel_interaction_log.domain.retention import RetentionPolicy
from vaxel_interaction_log.settings import InteractionLogSettings

__all__ = ["ReplayCounts", "main", "replay"]


@dataclass
class ReplayCounts:
    read: dict[str, int] = field(default_factory=dict)
    undecodable: int = 0
    refused: int = 0
    stored: int = 0
    dropped: int = 0
    purged_interactions: int = 0
    purged_events: int = 0
    recomputed: int = 0
    interactions: int = 0
    events: int = 0
    erased: int = 0

    def lines(self) -> list[str]:
        read = ", ".join(f"{topic} {n}" for topic, n in sorted(self.read.items()))
        return [
            f"records read: {read} (undecodable, skipped: {self.undecodable};"
            f" refused as not genuine, skipped: {self.refused})",
            f"events new to the store: {self.stored}",
            f"events of interactions purged before, dropped: {self.dropped}",
            f"purged by retention now: {self.purged_interactions} interactions, {self.purged_events} events",
            f"records recomputed from stored events: {self.recomputed}",
            f"store now: {self.interactions} interactions ({self.erased} erased), {self.events} events",
        ]


async def replay(
    store: SqlInteractionStore,
    bootstrap: str,
    policy: RetentionPolicy,
    provenance: Provenance,
    timeout: float = 60.0,
    opener: EventOpener | None = None,
    kafka_options: Mapping[str, Any] | None = None,
) -> ReplayCounts:
    """Replay the topics into ``store`` up to their current end; the counts. Records the service would
    refuse (unsigned configuration, an event from the wrong producer) are skipped and counted. An
    unreachable broker is retried for ``timeout`` seconds, then :class:`~vaxel_common.errors.Unavailable`.
    ``opener`` opens routing's sealed fields (without it, or with their key destroyed, they are stored
    empty)."""
    counts = ReplayCounts()
    rebuild_all = store.fetch_count() > 0
    consumer = aio_consumer(bootstrap, None, max_poll_records=1000, **(kafka_options or {}))
    try:
        await retry_async(
            f"Kafka at {bootstrap}", consumer.start, timeout=timeout, retry_on=(KafkaError, OSError)
        )
    except Unavailable:
        await consumer.stop()
        raise
    writer = WriterThread()
    try:
        await _read_topics(consumer, store, writer, policy, provenance, counts, opener)
        purged = await Purger(store, writer, policy, None).purge()
        counts.purged_interactions, counts.purged_events = purged.interactions, purged.events
        if rebuild_all:
            counts.recomputed = await writer.run(store.recompute_all)
        stored = await writer.run(store.counts)
        counts.interactions, counts.events, counts.erased = (
            stored["interactions"],
            stored["events"],
            stored["erased"],
        )
    finally:
        await consumer.stop()
        writer.close()
        if opener is not None:
            await opener.close()
    return counts


async def _read_topics(
    consumer: AIOKafkaConsumer,
    store: SqlInteractionStore,
    writer: WriterThread,
    policy: RetentionPolicy,
    provenance: Provenance,
    counts: ReplayCounts,
    opener: EventOpener | None,
) -> None:
    """Every partition from its beginning to its end, one store transaction per fetched batch."""
    await consumer.topics()  # metadata for every topic
    partitions = [
        TopicPartition(topic, p)
        for topic in (TENANT_CONFIG.name, INTERACTION_EVENTS.name)
        for p in sorted(consumer.partitions_for_topic(topic) or ())
    ]
    consumer.assign(partitions)
    await consumer.seek_to_beginning(*partitions)
    ends = await consumer.end_offsets(partitions)
    # The end of a partition: its end offset at start, or the high watermark of the first fetch
    # answer when that is higher (the embedded Tansu broker reports the last batch's base offset
    # + 1 as the end offset; fetch answers carry the true high watermark).
    targets: dict[TopicPartition, int] = {}
    remaining = {tp for tp in partitions if ends[tp] > 0}
    while remaining:
        batches = await consumer.getmany(*remaining, timeout_ms=500, max_records=1000)
        events: list[events_pb2.Event] = []
        for tp, records in batches.items():
            end = targets.get(tp, max(ends[tp], consumer.highwater(tp) or 0))
            for record in records:
                if record.offset >= end:
                    break
                counts.read[tp.topic] = counts.read.get(tp.topic, 0) + 1
                event = _decoded(record, provenance, counts)
                if event is None:
                    continue
                if tp.topic == TENANT_CONFIG.name:
                    apply_retention_change(policy, event)
                    continue
                events.append(event)
        if opener is not None:
            await opener.prefetch(events)  # one call to routing for the batch's keys
            for event in events:
                await opener.open(event)
        batch = [pending for event in events if (pending := PendingEvent.of(event)) is not None]
        for tp in list(remaining):  # positions, not record offsets: compaction leaves gaps
            highwater = consumer.highwater(tp)
            if tp not in targets and highwater is not None:
                targets[tp] = max(ends[tp], highwater)
            if tp in targets and await consumer.position(tp) >= targets[tp]:
                remaining.discard(tp)
        written = await writer.run(store.write, batch)
        counts.stored += written.stored
        counts.dropped += written.dropped


def _decoded(
    record: ConsumerRecord[bytes, bytes], provenance: Provenance, counts: ReplayCounts
) -> events_pb2.Event | None:
    try:
        provenance.check_record(record)
        event = decode_event(record.value)
        provenance.check_event(record.topic, event)
    except DecodeError:
        counts.undecodable += 1
        return None
    except Refused:
        counts.refused += 1
        return None
    return event


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m vaxel_interaction_log replay",
        description="Rebuild the interaction log's store from the Kafka topics (see docs/interaction-log.md).",
    )
    parser.add_argument(
        "--database-url",
        help="the store to write (sqlite:///PATH or postgresql://...; a fresh one is migrated first);"
        " default: the configured VAXEL_INTERACTION_LOG_DATABASE_URL / SQLITE_PATH",
    )
    parser.add_argument("--kafka-bootstrap", help="default: VAXEL_INTERACTION_LOG_KAFKA_BOOTSTRAP")
    parser.add_argument(
        "--routing-target",
        help="routing's gRPC address, for the keys of its sealed fields (with the ops key,"
        " VAXEL_INTERACTION_LOG_ADMIN_API_KEY); default: VAXEL_INTERACTION_LOG_ROUTING_TARGET",
    )
    args = parser.parse_args(argv)
    try:
        settings = load_settings(InteractionLogSettings)
        bootstrap = args.kafka_bootstrap or settings.kafka_bootstrap
        if not bootstrap:
            raise ConfigurationError("VAXEL_INTERACTION_LOG_KAFKA_BOOTSTRAP or --kafka-bootstrap: required")
        verify_keys = settings.config_verify_key_file
        if verify_keys is None:
            raise ConfigurationError("VAXEL_CONFIG_VERIFY_KEY_FILE: required to read the configuration topic")
    except ConfigurationError as exc:
        print(f"{SERVICE_NAME} replay: {exc}", file=sys.stderr)
        return 2
    configure_logging(f"{SERVICE_NAME}-replay", settings.log_level, settings.log_format)
    try:
        store = open_store(
            args.database_url or settings.store_url, timeout=settings.dependency_timeout_seconds
        )
        try:
            policy = RetentionPolicy(settings.retention_days)
            admin_key = settings.admin_api_key.get_secret_value() if settings.admin_api_key else None
            target = args.routing_target or settings.routing_target
            opener = EventOpener(RoutingClient(target, admin_key)) if target else None
            if opener is None:
                print(
                    f"{SERVICE_NAME} replay: no routing target: routing's sealed fields stay empty",
                    file=sys.stderr,
                )
            counts = asyncio.run(
                replay(
                    store,
                    bootstrap,
                    policy,
                    Provenance(RecordVerifier.load(verify_keys)),
                    settings.dependency_timeout_seconds,
                    opener,
                    settings.kafka_security().aiokafka(),
                )
            )
        finally:
            store.close()
    except Unavailable as exc:
        print(f"{SERVICE_NAME} replay: {exc}", file=sys.stderr)
        return 3
    for line in counts.lines():
        print(line)
    return 0
