"""SLA figures for ``make bench``: events/s into the book in-process, and through the real broker into
the running SLA service (target >= 10,000 events/s), and the cost of a read."""

from __future__ import annotations

import asyncio
import random
import re
import time
import urllib.request
from datetime import UTC, datetime, timedelta

from scripts._bench_results import Results
from vaxel.events.v1 import events_pb2
from vaxel.types.v1 import types_pb2
from vaxel_common.events import decode_event, encode_event, new_event
from vaxel_common.kafka import aio_producer
from vaxel_common.provenance import producer_of
from vaxel_common.supervisor import Platform
from vaxel_common.topics import INTERACTION_EVENTS
from vaxel_sla.adapters.events import InteractionEventHandler
from vaxel_sla.domain.book import ServiceLevelBook
from vaxel_sla.domain.terms import ChannelTarget, QueueTerms
from vaxel_sla.metrics import SlaMetrics

__all__ = ["report"]


def traffic(interactions: int, tenants: int = 100, queues: int = 10) -> list[events_pb2.Event]:
    """Five events per interaction (created, queued, connected, ended, wrapped up) over one day."""
    rng = random.Random(11)  # noqa: S311  (reproducible load, not secrets)
    start = datetime.now(UTC) - timedelta(days=1)
    events = []
    for n in range(interactions):
        tenant = f"bench-t{n % tenants}"
        queue = f"{tenant}-q{rng.randrange(queues)}"
        created = start + timedelta(seconds=n * 86_400 / interactions)
        wait = rng.expovariate(1 / 25)
        steps: list[tuple[object, float]] = [
            (
                events_pb2.InteractionCreated(
                    queue_id=queue, channel=types_pb2.CHANNEL_VOICE, customer_ref=f"c{rng.randrange(50_000)}"
                ),
                0.0,
            ),
            (events_pb2.InteractionQueued(queue_id=queue, position=1), 0.001),
            (events_pb2.InteractionConnected(offer_id="o"), wait),
            (events_pb2.InteractionEnded(reason="done"), wait + 180),
            (events_pb2.InteractionWrappedUp(disposition="solved"), wait + 210),
        ]
        interaction_id = f"bench-{n}"
        for payload, offset in steps:
            events.append(
                new_event(
                    payload,  # type: ignore[arg-type]
                    tenant_id=tenant,
                    producer=producer_of(payload),
                    interaction_id=interaction_id,
                    agent_id=f"a{n % 500}",
                    occurred_at=created + timedelta(seconds=offset),
                )
            )
    return events


def bench_in_process(encoded: list[bytes]) -> tuple[float, float]:
    """Decode + fact + book per event (events/s); then one 30-minute interval read (ms)."""
    from prometheus_client import CollectorRegistry  # noqa: PLC0415

    book = ServiceLevelBook()
    handler = InteractionEventHandler(book, SlaMetrics.create(CollectorRegistry()))

    async def feed() -> None:
        for raw in encoded:
            await handler(decode_event(raw))

    started = time.perf_counter()
    asyncio.run(feed())
    rate = len(encoded) / (time.perf_counter() - started)
    terms = QueueTerms("bench-t0", "bench-t0-q0", "Europe/Stockholm", targets={1: ChannelTarget(0.8, 20)})
    at = datetime.now(UTC) - timedelta(hours=12)
    began = time.perf_counter()
    for _ in range(100):
        book.stats(terms, 1, at.replace(minute=0, second=0, microsecond=0), 30, time.time())
    return rate, (time.perf_counter() - began) * 10


def _consumed(url: str) -> float:
    with urllib.request.urlopen(url, timeout=5) as reply:  # noqa: S310  (loopback)
        text = reply.read().decode()
    total = 0.0
    for line in text.splitlines():
        if (
            line.startswith("vaxel_events_consumed_total{")
            and 'service="sla"' in line
            and re.search(rf'topic="{re.escape(INTERACTION_EVENTS.name)}"', line)
        ):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def _produce(bootstrap: str, encoded: list[tuple[bytes, bytes]]) -> float:
    producer = aio_producer(bootstrap, "bench-sla", linger_ms=5, max_batch_size=256 * 1024)
    await producer.start()
    started = time.perf_counter()
    try:
        for key, value in encoded:
            await producer.send(INTERACTION_EVENTS.name, value, key=key)
        await producer.flush()
    finally:
        await producer.stop()
    return time.perf_counter() - started


def bench_service(platform: Platform, events: list[events_pb2.Event]) -> tuple[float, float]:
    """Produce to the interaction-events topic; the SLA service's consumed counter tells when it is done."""
    url = platform.processes["sla"].metrics_url
    before = _consumed(url)
    encoded = [(e.interaction_id.encode(), encode_event(e)) for e in events]
    started = time.perf_counter()
    produce_seconds = asyncio.run(_produce(platform.kafka_bootstrap, encoded))
    while _consumed(url) < before + len(events):
        if time.perf_counter() - started > 300:
            break
        time.sleep(0.1)
    elapsed = time.perf_counter() - started
    return (_consumed(url) - before) / elapsed, produce_seconds


def report(results: Results, platform: Platform | None = None, interactions: int = 40_000) -> None:
    events = traffic(interactions)
    rate, read_ms = bench_in_process([encode_event(e) for e in events])
    print(f"SLA book, decode+apply in-process {rate:>12,.0f} events/s ({len(events):,} events)")
    print(f"  one 30-min interval read        {read_ms:>12.2f} ms")
    results.add("sla", "book decode + apply, in process", rate, "events/s")
    results.add("sla", "one 30-minute interval read", read_ms, "ms")
    if platform is not None:
        through, produce_seconds = bench_service(platform, events)
        print(
            f"SLA service through the broker    {through:>12,.0f} events/s (target >= 10,000;"
            f" producing took {produce_seconds:.1f} s)"
        )
        results.add("sla", "service through the broker", through, "events/s", "target >= 10,000")
