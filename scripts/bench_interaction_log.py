"""Interaction-log figures for ``make bench``: events/s written into SQLite and PostgreSQL through the
store (batches of 1,000 as the consumer hands them, records recomputed per batch), and search p99."""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scripts._bench_results import Results
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


def _add(results: Results, database: str, rate: float, p50: float, p99: float) -> None:
    print(
        f"interaction-log {database}: {rate:,.0f} events/s written; search page of 100 p50 {p50:.1f} ms, p99 {p99:.1f} ms"
    )
    results.add("interaction-log", f"{database}: events written", rate, "events/s")
    results.add("interaction-log", f"{database}: search page of 100, p50", p50, "ms")
    results.add("interaction-log", f"{database}: search page of 100, p99", p99, "ms")


def report(results: Results, platform: Platform | None = None) -> None:
    """Print and record the figures (the platform is not needed: the store is measured directly)."""
    with tempfile.TemporaryDirectory() as tmp:
        _add(results, "SQLite", *measure(f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"))
    if postgres_bin() is not None:
        with TemporaryPostgres() as cluster:
            _add(results, "PostgreSQL", *measure(cluster.create_database()))
    else:
        results.add("interaction-log", "PostgreSQL", None, "", "not measured: no PostgreSQL server binaries")


if __name__ == "__main__":
    report(Results())
