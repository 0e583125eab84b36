"""Staffing maths figures for ``make bench``: week-long 15-minute plans for 1,000 queues (Erlang C and
Erlang A) and the cost of one Erlang A interval at 1,000 Erlangs whatever the patience.

Run alone: ``python -m scripts.bench_staffing``.
"""

from __future__ import annotations

import math
import random
import time

from scripts._bench_results import Results
from vaxel_sla.domain import erlang
from vaxel_sla.domain.erlang import agents_for

PATIENCES = (60.0, 3_600.0, 1e6, 1e9)


def bench_staffing_plan(queues: int = 1000, patience_seconds: float | None = None) -> tuple[int, float]:
    """Agents for a week of 15-minute intervals for ``queues`` queues, each with its own volume, handle
    time and a daytime arrival curve (Erlang A with ``patience_seconds``, else C); (intervals, seconds)."""
    rng = random.Random(3)  # noqa: S311  (reproducible load, not secrets)
    erlang._agents_for.cache_clear()
    started = time.perf_counter()
    planned = 0
    for _ in range(queues):
        base = rng.uniform(5, 200)
        aht = rng.choice((180, 240, 300, 420))
        for interval in range(7 * 96):
            hour = (interval // 4) % 24
            daytime = math.sin(math.pi * (hour - 7) / 13) if 7 <= hour <= 20 else 0.0
            calls = base * max(0.05, daytime)
            agents_for(
                round(calls),
                900,
                aht,
                target_service_level=0.8,
                threshold_seconds=20,
                patience_seconds=patience_seconds,
            )
            planned += 1
    return planned, time.perf_counter() - started


def bench_erlang_a_interval(patience_seconds: float, erlangs: float = 1000.0) -> float:
    """Milliseconds to staff one 15-minute interval of ``erlangs`` offered (cold cache), 80 % in 20 s."""
    aht = 300.0
    calls = erlangs * 900 / aht
    runs = []
    for _ in range(5):
        erlang._agents_for.cache_clear()
        started = time.perf_counter()
        agents_for(
            calls, 900, aht, target_service_level=0.8, threshold_seconds=20, patience_seconds=patience_seconds
        )
        runs.append(time.perf_counter() - started)
    return min(runs) * 1000


def report(results: Results) -> None:
    for model, patience in (("Erlang C", None), ("Erlang A, patience 3,600 s", 3_600.0)):
        planned, seconds = bench_staffing_plan(patience_seconds=patience)
        print(
            f"staffing plan, {model}, 1,000 queues x a week of 15-min intervals ({planned:,}): {seconds:.1f} s"
        )
        results.add(
            "sla",
            f"staffing plan ({model}), 1,000 queues x a week of 15-minute intervals",
            seconds,
            "s",
            "target <= 10",
        )
    for patience in PATIENCES:
        ms = bench_erlang_a_interval(patience)
        print(
            f"Erlang A, one interval at 1,000 Erlangs, patience {patience:>13,.0f} s: {ms:8.2f} ms (target <= 50)"
        )
        results.add(
            "sla", f"Erlang A interval at 1,000 Erlangs, patience {patience:,.0f} s", ms, "ms", "target <= 50"
        )


if __name__ == "__main__":
    report(Results())
