"""Staffing maths figures for ``make bench``: week-long 15-minute plans for 1,000 queues (Erlang C and
Erlang A, on a synthetic daytime curve), the same as the service plans them (each queue's own simulated
history, forecast by the plans' method, then Erlang A), and the cost of one Erlang A interval at 1,000
Erlangs whatever the patience.

Run alone: ``python -m scripts.bench_staffing``.
"""

from __future__ import annotations

import math
import random
import time
from datetime import UTC, date, datetime, timedelta

import numpy as np
from vaxel_simulator.scenario import arrival_rate, demo_world

from scripts._bench_results import Results
from vaxel_sla.domain import erlang
from vaxel_sla.domain.erlang import agents_for
from vaxel_sla.domain.forecast import PLAN_METHOD, Traffic
from vaxel_sla.domain.planning import forecast_day, staff

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


PLAN_WEEK = date(2026, 11, 23)  # a Monday
PLAN_HISTORY_WEEKS = 12


def _zone_rates(weeks: int) -> list[tuple[str, np.ndarray, int]]:
    """Per demo tenant: its zone, the simulator's expected arrivals per UTC quarter hour (first queue,
    scale 0.05) over ``weeks`` weeks before the plan week and the plan week, and the first bucket."""
    start = datetime.combine(PLAN_WEEK - timedelta(weeks=weeks), datetime.min.time(), UTC)
    count = (weeks + 1) * 7 * 96
    out = []
    for tenant in demo_world().tenants:
        queue = tenant.queues[0]
        rates = np.array(
            [
                sum(
                    arrival_rate(queue, tenant, start + timedelta(minutes=15 * n + m), 0.05)
                    for m in (2.5, 7.5, 12.5)
                )
                * 300
                for n in range(count)
            ]
        )
        out.append((tenant.time_zone, rates, int(start.timestamp()) // 900))
    return out


def bench_forecast_plan(queues: int = 1000, weeks: int = PLAN_HISTORY_WEEKS) -> tuple[int, float, float]:
    """A week of 15-minute plans per queue as GetStaffingPlan makes them: each queue its own Poisson history
    (``weeks`` weeks of the simulator's curve in one of four zones, its own volume 0.2-4x and handle time),
    the queue's traffic read once, seven days forecast by the plans' method, Erlang A with the queue's
    patience; (intervals, seconds in all, of which forecasting)."""
    rng = np.random.default_rng(7)
    zones = _zone_rates(weeks)
    erlang._agents_for.cache_clear()
    total = forecasting = 0.0
    planned = 0
    for n in range(queues):
        zone, rates, first = zones[n % len(zones)]
        aht = float(rng.choice((180, 240, 300, 420)))
        patience = float(rng.choice((60, 90, 180, 300)))
        offered = rng.poisson(rates * rng.uniform(0.2, 4.0))
        arrivals = {
            first + int(i): (int(o), int(o), int(o) * round(aht * 1000)) for i, o in enumerate(offered) if o
        }
        started = time.perf_counter()
        traffic = Traffic.of(arrivals)
        for day in range(7):
            began = time.perf_counter()
            forecast = forecast_day(
                traffic, zone, PLAN_WEEK + timedelta(days=day), weeks=weeks, method=PLAN_METHOD
            )
            forecasting += time.perf_counter() - began
            plan = staff(forecast, minutes=15, target=0.8, threshold_seconds=20, patience_seconds=patience)
            planned += len(plan)
        total += time.perf_counter() - started
    return planned, total, forecasting


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
    planned, seconds, forecasting = bench_forecast_plan()
    print(
        f"staffing plan as the service makes it ({PLAN_METHOD} forecast from {PLAN_HISTORY_WEEKS} weeks of each"
        f" queue's history, Erlang A), 1,000 queues x a week ({planned:,} intervals): {seconds:.1f} s"
        f" (forecast {forecasting:.1f} s; target <= 10)"
    )
    results.add(
        "sla",
        "staffing plan as served (forecast + Erlang A), 1,000 queues x a week of 15-minute intervals",
        seconds,
        "s",
        f"target <= 10; forecasting {forecasting:.1f} s",
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
