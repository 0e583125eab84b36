"""Interaction-log figures for ``make bench`` (or ``python -m scripts.bench_interaction_log``).

- **Write path**: events/s through the service's own ingest code (decode, buffer, one transaction
  per batch of 1,000 on the writer thread) into SQLite and PostgreSQL, for two traffic shapes:
  *grouped* (each interaction's five events together, as the SLA bench generates them: a batch
  touches ~200 interactions) and *interleaved* (2,000 interactions open at once, events in time
  order: a batch touches ~700 interactions, most with earlier history).
- **Through the broker**: events/s produced to an embedded broker of its own and written by a
  running interaction-log process (consumer, decode, writer thread, commit), on each database.
- **Search and export at scale**: a fresh database loaded with ``--stored`` synthetic interactions
  (default 1,000,000; COPY on PostgreSQL, executemany in one transaction on SQLite), then p50/p99
  of search pages of 100 for several filter mixes and export rows/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import statistics
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from prometheus_client import CollectorRegistry

from scripts._bench_results import Results
from scripts.bench_sla import traffic as grouped_traffic
from vaxel.events.v1 import events_pb2
from vaxel.types.v1 import types_pb2
from vaxel_common.broker import EmbeddedBroker
from vaxel_common.events import decode_event, encode_event, new_event
from vaxel_common.kafka import aio_producer
from vaxel_common.pgcluster import TemporaryPostgres, postgres_bin
from vaxel_common.provenance import producer_of
from vaxel_common.supervisor import SERVICES, Platform
from vaxel_common.topics import INTERACTION_EVENTS
from vaxel_interaction_log.adapters.export import csv_chunk
from vaxel_interaction_log.adapters.ingest import Ingest, WriterThread
from vaxel_interaction_log.adapters.store import SqlInteractionStore, open_store
from vaxel_interaction_log.domain import Outcome
from vaxel_interaction_log.domain.queries import InteractionQueries
from vaxel_interaction_log.domain.search import Filter
from vaxel_interaction_log.metrics import InteractionLogMetrics

__all__ = ["interleaved_traffic", "load_interactions", "measure_search", "measure_write", "report"]

BATCH = 1000
DAY_US = 86_400_000_000


# -- traffic -----------------------------------------------------------------------------------


def interleaved_traffic(
    interactions: int, tenants: int = 10, open_at_once: int = 2000
) -> list[events_pb2.Event]:
    """Five events per interaction, ``open_at_once`` interactions in progress, in time order."""
    rng = random.Random(11)  # noqa: S311  (reproducible load, not secrets)
    arrivals_per_second = open_at_once / 240.0
    start = datetime.now(UTC) - timedelta(seconds=interactions / arrivals_per_second + 3600)
    events = []
    for n in range(interactions):
        tenant = f"bench-t{n % tenants}"
        queue = f"{tenant}-q{rng.randrange(10)}"
        created = start + timedelta(seconds=n / arrivals_per_second)
        wait = rng.expovariate(1 / 25)
        talk = rng.uniform(120, 300)
        steps: list[tuple[Any, float]] = [
            (
                events_pb2.InteractionCreated(
                    queue_id=queue, channel=types_pb2.CHANNEL_VOICE, customer_ref=f"c{rng.randrange(50_000)}"
                ),
                0.0,
            ),
            (events_pb2.InteractionQueued(queue_id=queue, position=1), 0.001),
            (events_pb2.InteractionConnected(offer_id="o"), wait),
            (events_pb2.InteractionEnded(reason="done"), wait + talk),
            (events_pb2.InteractionWrappedUp(disposition="solved", tags=["billing"]), wait + talk + 30),
        ]
        for payload, offset in steps:
            events.append(
                new_event(
                    payload,
                    tenant_id=tenant,
                    producer=producer_of(payload),
                    interaction_id=f"bench-{n}",
                    agent_id=f"a{n % 500}",
                    occurred_at=created + timedelta(seconds=offset),
                )
            )
    events.sort(key=lambda e: (e.occurred_at.seconds, e.occurred_at.nanos))
    return events


# -- the write path ----------------------------------------------------------------------------


async def _write(url: str, encoded: list[bytes]) -> float:
    store = open_store(url)
    writer = WriterThread()
    ingest = Ingest(store, InteractionLogMetrics.create(CollectorRegistry()), writer)
    try:
        started = time.perf_counter()
        for n in range(0, len(encoded), BATCH):
            for raw in encoded[n : n + BATCH]:
                await ingest.handle(decode_event(raw))
            await ingest.flush()
        return len(encoded) / (time.perf_counter() - started)
    finally:
        writer.close()
        store.close()


def measure_write(new_url: Callable[[], str], encoded: list[bytes], runs: int = 2) -> float:
    """Best of ``runs`` (each into a fresh database): the machine is shared, the best run is the least disturbed."""
    return max(asyncio.run(_write(new_url(), encoded)) for _ in range(runs))


# -- through the broker ------------------------------------------------------------------------


def _written(metrics_url: str) -> float:
    with urllib.request.urlopen(metrics_url, timeout=5) as reply:  # noqa: S310  (loopback)
        text = reply.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("vaxel_interaction_log_events_written_total{")
    )


async def _produce(bootstrap: str, events: list[events_pb2.Event]) -> None:
    producer = aio_producer(bootstrap, "bench-interaction-log", linger_ms=5, max_batch_size=256 * 1024)
    await producer.start()
    try:
        for event in events:
            await producer.send(
                INTERACTION_EVENTS.name, encode_event(event), key=event.interaction_id.encode()
            )
        await producer.flush()
    finally:
        await producer.stop()


def measure_through_broker(database_url: str, events: list[events_pb2.Event], work: Path) -> float:
    """events/s written by a running service from a backlog on its own broker: produced first, then
    the service started; timed from its first write to its last (consumer, decode, writer thread,
    offsets committed after each transaction)."""
    spec = next(s for s in SERVICES if s.name == "interaction-log")
    work.mkdir(parents=True, exist_ok=True)
    with EmbeddedBroker(log_path=work / "broker.log") as broker:
        asyncio.run(_produce(broker.bootstrap, events))
        platform = Platform(
            work,
            kafka_bootstrap=broker.bootstrap,
            services=(spec,),
            extra_env={"VAXEL_INTERACTION_LOG_DATABASE_URL": database_url},
        )
        platform.start(timeout=90)
        try:
            url = platform.processes["interaction-log"].metrics_url
            deadline = time.monotonic() + 600
            while (first := _written(url)) == 0 and time.monotonic() < deadline:
                time.sleep(0.02)
            started = time.perf_counter()
            while (done := _written(url)) < len(events) and time.monotonic() < deadline:
                time.sleep(0.05)
            if first > len(events) / 2:
                return float("nan")  # mostly written before the first look: too small a backlog to time
            return (done - first) / (time.perf_counter() - started)
        finally:
            platform.stop()


# -- search and export at scale ----------------------------------------------------------------

_DISPOSITIONS = ("solved", "escalated", "callback", "refund", "info", "complaint", "sale", "other")
_TAGS = tuple(f"tag{n}" for n in range(20))
_TENANTS = 20
Synthetic = Iterator[tuple[tuple[Any, ...], list[tuple[str, str, str, int]]]]


def _synthetic(count: int, now_us: int) -> Synthetic:
    """Records over the last 365 days; tenant 0 holds 40 %, the rest share the remainder. Built a
    column at a time (``random.choices`` with ``k``): a million rows in seconds."""
    rng = random.Random(7)  # noqa: S311  (reproducible load)
    tenants = rng.choices(
        [f"load-t{t}" for t in range(_TENANTS)], [0.4 * (_TENANTS - 1)] + [0.6] * (_TENANTS - 1), k=count
    )
    starts = [now_us - int(x * 365 * DAY_US) for x in (rng.random() for _ in range(count))]
    outcomes = rng.choices(
        [Outcome.ANSWERED.value, Outcome.ABANDONED.value, Outcome.DEFLECTED.value], [14, 3, 1], k=count
    )
    queues = rng.choices([f"queue-{q}" for q in range(25)], k=count)
    channels = rng.choices([1, 1, 1, 2, 2, 3, 4, 5], k=count)
    customers = rng.choices([f"cust-{c}" for c in range(300_000)], k=count)
    agents = rng.choices([f"agent-{a}" for a in range(300)], k=count)
    waits = rng.choices(range(1, 120), k=count)
    talks = rng.choices(range(60, 900), k=count)
    combos = [(), ()] + [(t,) for t in _TAGS] * 2 + [tuple(sorted(rng.sample(_TAGS, 2))) for _ in range(40)]
    tag_sets = rng.choices(combos, k=count)
    dispositions = rng.choices(_DISPOSITIONS, k=count)
    scores = rng.choices([0, 0, 0, 3, 4, 5], k=count)
    tag_json = {c: json.dumps(list(c)) for c in combos}
    for n in range(count):
        tenant_id, started, outcome = tenants[n], starts[n], outcomes[n]
        answered = outcome == "answered"
        wait, talk = waits[n] * 1_000_000, talks[n] * 1_000_000
        connected = started + wait if answered else None
        ended = (connected or started + wait) + (talk if answered else 0)
        tags = tag_sets[n] if answered else ()
        interaction_id = f"i{n:08d}"
        record = (
            tenant_id,
            interaction_id,
            started,
            queues[n],
            channels[n],
            customers[n],
            "sv-SE",
            "",
            started,
            started + 1000,
            connected - 5_000_000 if connected else None,
            connected,
            ended if answered else None,
            None if answered else ended,
            ended + 30_000_000 if answered else None,
            agents[n] if answered else "",
            outcome,
            wait / 1e6,
            talk / 1e6 if answered else None,
            (talk + 30_000_000) / 1e6 if answered else None,
            dispositions[n] if answered else "",
            tag_json[tags],
            "",
            scores[n],
            "",
        )
        yield record, [(tenant_id, tag, interaction_id, started) for tag in tags]


_COLUMNS = (
    "tenant_id, interaction_id, started_us, queue_id, channel, customer_ref, language, subject,"
    " created_us, queued_us, offered_us, connected_us, ended_us, abandoned_us, wrapped_up_us,"
    " agent_id, outcome, waiting_seconds, talk_seconds, handle_seconds, disposition, tags, notes,"
    " survey_score, survey_comment"
)


def load_interactions(url: str, count: int, now_us: int) -> float:
    """Load ``count`` synthetic records (and their tags) into the fresh store at ``url``; seconds taken.
    The secondary indexes are dropped for the load and built again afterwards, as they were."""
    open_store(url).close()  # the schema, by the service's migrations
    started = time.perf_counter()
    if url.startswith("postgresql"):
        _load_postgres(url, _synthetic(count, now_us))
    else:
        _load_sqlite(url, _synthetic(count, now_us))
    store = open_store(url)
    store.maintain()  # the statistics the service keeps current (after each purge round)
    store.close()
    return time.perf_counter() - started


_TAG_COLUMNS = "tenant_id, tag, interaction_id, started_us"


def _load_postgres(url: str, rows: Synthetic) -> None:
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        indexes = cur.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('interactions', 'interaction_tags')"
            " AND indexname NOT LIKE '%%_pkey'"
        ).fetchall()
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        tags: list[tuple[str, str, str, int]] = []
        with cur.copy(f"COPY interactions ({_COLUMNS}) FROM STDIN") as copy:
            for record, its_tags in rows:
                copy.write_row(record)
                tags += its_tags
        with cur.copy(f"COPY interaction_tags ({_TAG_COLUMNS}) FROM STDIN") as copy:
            for tag in tags:
                copy.write_row(tag)
        for _, definition in indexes:
            cur.execute(definition)
        conn.commit()
        conn.autocommit = True
        cur.execute("ANALYZE")  # what autovacuum does after a load


def _load_sqlite(url: str, rows: Synthetic) -> None:
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            " AND tbl_name IN ('interactions', 'interaction_tags')"
        ).fetchall()
        records: list[tuple[Any, ...]] = []
        tags: list[tuple[str, str, str, int]] = []
        for record, its_tags in rows:
            records.append(record)
            tags += its_tags
        with conn:
            for name, _ in indexes:
                conn.execute(f'DROP INDEX "{name}"')
            conn.executemany(f"INSERT INTO interactions ({_COLUMNS}) VALUES ({', '.join('?' * 25)})", records)  # noqa: S608
            conn.executemany(f"INSERT INTO interaction_tags ({_TAG_COLUMNS}) VALUES (?, ?, ?, ?)", tags)  # noqa: S608
            for _, definition in indexes:
                conn.execute(definition)
    finally:
        conn.close()


def _mixes(rng: random.Random) -> dict[str, Callable[[], Filter]]:
    return {
        "period only": Filter,
        "queue": lambda: Filter(queue_id=f"queue-{rng.randrange(25)}"),
        "agent": lambda: Filter(agent_id=f"agent-{rng.randrange(300)}"),
        "outcome abandoned": lambda: Filter(outcome=Outcome.ABANDONED),
        "tag": lambda: Filter(tag=rng.choice(_TAGS)),
        "disposition": lambda: Filter(disposition=rng.choice(_DISPOSITIONS)),
        "queue+outcome+channel": lambda: Filter(
            queue_id=f"queue-{rng.randrange(25)}", outcome=Outcome.ANSWERED, channel=2
        ),
        "tag+agent": lambda: Filter(tag=rng.choice(_TAGS), agent_id=f"agent-{rng.randrange(300)}"),
    }


def measure_search(
    store: SqlInteractionStore, now: datetime, rounds: int = 40
) -> tuple[dict[str, tuple[float, float]], float, float]:
    """Per filter mix (p50, p99) ms of a first and a second page of 100 in the big tenant, over a
    random 30-day period (366 days for the customer's history); the overall p99; export rows/s."""
    rng = random.Random(5)  # noqa: S311
    queries = InteractionQueries(store)
    tenant = "load-t0"
    timings: dict[str, list[float]] = {}
    everything: list[float] = []
    mixes = _mixes(rng)
    for _ in range(rounds):
        for name, where in mixes.items():
            end = now - timedelta(days=rng.randrange(330))
            start = end - timedelta(days=30)
            began = time.perf_counter()
            _, token = queries.search(tenant, start, end, where(), 100, "")
            if token:
                queries.search(tenant, start, end, where(), 100, token)
            timings.setdefault(name, []).append((time.perf_counter() - began) * 1000)
        began = time.perf_counter()
        queries.customer_history(tenant, f"cust-{rng.randrange(300_000)}", 100, "")
        timings.setdefault("customer history", []).append((time.perf_counter() - began) * 1000)
    for values in timings.values():
        everything += values
    per_mix = {name: (_pct(v, 50), _pct(v, 99)) for name, v in timings.items()}
    end = now - timedelta(days=1)
    began = time.perf_counter()
    rows = 0
    for page in queries.export(tenant, end - timedelta(days=30), end, Filter()):
        csv_chunk(page, header=False)
        rows += len(page)
    export_rate = rows / (time.perf_counter() - began)
    return per_mix, _pct(everything, 99), export_rate


def _pct(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


# -- report ------------------------------------------------------------------------------------


def report(
    results: Results,
    platform: Platform | None = None,
    stored: int | None = None,
    interactions: int = 10_000,
) -> None:
    """Print and record the figures (the platform is not needed: each figure starts what it measures). ``stored``
    defaults to ``VAXEL_BENCH_STORED`` or 1,000,000 (loading takes about a minute per database here)."""
    if stored is None:
        stored = int(os.environ.get("VAXEL_BENCH_STORED", "1000000"))
    shapes = {
        "grouped": [encode_event(e) for e in grouped_traffic(interactions, tenants=10)],
        "interleaved": [encode_event(e) for e in interleaved_traffic(interactions)],
    }
    events = len(shapes["grouped"])
    has_postgres = postgres_bin() is not None
    with tempfile.TemporaryDirectory() as tmp:
        files = iter(range(1000))

        def sqlite_url() -> str:
            return f"sqlite:///{Path(tmp) / f'bench-{next(files)}.sqlite3'}"

        print(f"interaction-log write path ({events:,} events, batches of {BATCH:,}, best of 2):")
        for shape, encoded in shapes.items():
            rate = measure_write(sqlite_url, encoded)
            print(f"  {shape:<12} SQLite      {rate:>10,.0f} events/s")
            results.add("interaction-log", f"SQLite: write path, {shape} events", rate, "events/s")
        if has_postgres:
            with TemporaryPostgres() as cluster:
                for shape, encoded in shapes.items():
                    rate = measure_write(cluster.create_database, encoded)
                    print(f"  {shape:<12} PostgreSQL  {rate:>10,.0f} events/s (target >= 20,000)")
                    results.add(
                        "interaction-log", f"PostgreSQL: write path, {shape} events", rate, "events/s"
                    )
        else:
            results.add(
                "interaction-log", "PostgreSQL", None, "", "not measured: no PostgreSQL server binaries"
            )
        print(f"interaction-log service from a backlog on its own broker ({events:,} interleaved events):")
        traffic = interleaved_traffic(interactions)
        rate = measure_through_broker(sqlite_url(), traffic, Path(tmp) / "b1")
        print(f"  SQLite                   {rate:>10,.0f} events/s")
        results.add("interaction-log", "SQLite: the service from a backlog on the broker", rate, "events/s")
        if has_postgres:
            with TemporaryPostgres() as cluster:
                rate = measure_through_broker(cluster.create_database(), traffic, Path(tmp) / "b2")
                print(f"  PostgreSQL               {rate:>10,.0f} events/s")
                results.add(
                    "interaction-log",
                    "PostgreSQL: the service from a backlog on the broker",
                    rate,
                    "events/s",
                )
        report_search(results, stored, sqlite_url, has_postgres)


def report_search(results: Results, stored: int, sqlite_url: Callable[[], str], has_postgres: bool) -> None:
    """Search and export figures with ``stored`` interactions in a fresh database of each kind."""
    now = datetime.now(UTC)
    now_us = round(now.timestamp() * 1_000_000)
    targets: list[tuple[str, Callable[[], str]]] = [("SQLite", sqlite_url)]
    if has_postgres:
        cluster = TemporaryPostgres().start()
        targets.append(("PostgreSQL", cluster.create_database))
    try:
        for name, new_url in targets:
            url = new_url()
            seconds = load_interactions(url, stored, now_us)
            store = open_store(url)
            try:
                per_mix, p99, export_rate = measure_search(store, now)
            finally:
                store.close()
            print(
                f"interaction-log search, {name}, {stored:,} interactions stored (loaded in {seconds:.0f} s):"
                f" p99 {p99:.1f} ms over all mixes (target <= 50); export {export_rate:,.0f} rows/s"
            )
            results.add("interaction-log", f"{name}: search p99 at {stored:,} stored", p99, "ms")
            results.add("interaction-log", f"{name}: export at {stored:,} stored", export_rate, "rows/s")
            for mix, (p50, mix_p99) in per_mix.items():
                print(f"  {mix:<24} p50 {p50:>6.1f} ms   p99 {mix_p99:>6.1f} ms")
    finally:
        if has_postgres:
            cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--stored", type=int, default=1_000_000, help="interactions loaded for the search figures"
    )
    parser.add_argument(
        "--interactions", type=int, default=20_000, help="interactions (x5 events) for the write figures"
    )
    args = parser.parse_args()
    report(Results(), stored=args.stored, interactions=args.interactions)


if __name__ == "__main__":
    main()
