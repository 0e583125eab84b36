"""Interaction-log figures for ``make bench``: events/s written into SQLite and PostgreSQL through the
store (batches of 1,000 as the consumer hands them, records recomputed per batch), and search p99."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scripts.bench_sla import traffic
from vaxel_common.db import connect
from vaxel_common.pgcluster import TemporaryPostgres, postgres_bin
from vaxel_common.supervisor import Platform
from vaxel_interaction_log.adapters.store import SqlInteractionStore
from vaxel_interaction_log.domain.queries import InteractionQueries
from vaxel_interaction_log.domain.search import Filter

__all__ = ["measure", "report"]

BATCH = 1000


def measure(url: str, interactions: int = 10_000) -> tuple[float, float, float]:
    """(events/s written, search p50 ms, search p99 ms) on the database at ``url``."""
    events = traffic(interactions, tenants=10)
    store = SqlInteractionStore(connect(url))
    started = time.perf_counter()
    for n in range(0, len(events), BATCH):
        for event in events[n : n + BATCH]:
            store.add(event)
        store.flush()
    rate = len(events) / (time.perf_counter() - started)
    queries = InteractionQueries(store)
    end = datetime.now(UTC)
    timings = []
    for i in range(200):
        where = Filter(queue_id=f"bench-t{i % 10}-q{i % 10}") if i % 2 else Filter()
        began = time.perf_counter()
        queries.search(f"bench-t{i % 10}", end - timedelta(days=2), end, where, 100, "")
        timings.append((time.perf_counter() - began) * 1000)
    store.close()
    timings.sort()
    return rate, timings[len(timings) // 2], timings[int(len(timings) * 0.99) - 1]


def report(platform: Platform | None = None) -> None:
    """Print the figures (like bench_sla.report; the platform is not needed: the store is measured directly)."""
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        rate, p50, p99 = measure(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}")
        lines.append(
            f"interaction-log SQLite: {rate:,.0f} events/s written; search page of 100 p50 {p50:.1f} ms, p99 {p99:.1f} ms"
        )
    if postgres_bin() is not None:
        with TemporaryPostgres() as cluster:
            rate, p50, p99 = measure(cluster.create_database())
            lines.append(
                f"interaction-log PostgreSQL: {rate:,.0f} events/s written; search page of 100 p50 {p50:.1f} ms, p99 {p99:.1f} ms"
            )
    for line in lines:
        print(line)


if __name__ == "__main__":
    report()
