"""Forecast backtest for ``make bench``: each forecast method's WAPE (rolling origin, one day ahead) on the
simulator's traffic, over all days, the DST weeks and the rest, and the cost of each method.

The traffic: the demo world's five queues in four zones (vaxel_simulator.scenario: Stockholm, Berlin,
New York, Sydney), arrivals per quarter hour drawn from a Poisson law with the simulator's own rate
(its daily curve in the queue's local time, half on weekends) scaled by ``SCALE``, so the busiest queue
peaks at ~54 arrivals a quarter hour. Handle times are the queue's AHT. History from 2025-10-01, origins
every day of 2026-01-01..2026-11-30 (four DST changes in Europe and New York, two in Sydney).

Run alone: ``python -m scripts.bench_forecast`` (``--quick``: three months of origins).
"""

from __future__ import annotations

import argparse
import math
import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from vaxel_simulator.scenario import arrival_rate, demo_world

from scripts._bench_results import Results
from vaxel_sla.domain.backtest import BacktestRow, QueueSeries, backtest, best
from vaxel_sla.domain.forecast import METHODS, PLAN_METHOD

__all__ = ["report", "simulated_queues"]

SCALE = 0.05  # the simulator's peak rates (per real second) to a mid-sized centre's
HISTORY_FROM = date(2025, 10, 1)
FIRST, LAST = date(2026, 1, 1), date(2026, 11, 30)
WEEKS = (4, 8, 12)
SLOW = {"holt_winters"}  # fitted per origin (~0.1 s): 8 weeks only, every 5th day, beside two others
SLOW_STEP = 5  # every weekday in turn


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth for small means, a rounded normal above 60: plenty for counts)."""
    if mean <= 0:
        return 0
    if mean > 60:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def simulated_queues(first: date, last: date, seed: int = 18) -> list[QueueSeries]:
    """Every demo queue's arrivals per UTC quarter hour from ``first`` to ``last`` (UTC days)."""
    rng = random.Random(seed)  # noqa: S311  (reproducible traffic, not secrets)
    world = demo_world()
    start = datetime.combine(first, datetime.min.time(), UTC)
    buckets = int((last - first).days + 1) * 96
    out = []
    for tenant in world.tenants:
        for queue in tenant.queues:
            arrivals: dict[int, tuple[int, int, int]] = {}
            for n in range(buckets):
                at = start + timedelta(minutes=15 * n)
                rate = sum(
                    arrival_rate(queue, tenant, at + timedelta(minutes=m), SCALE) for m in (2.5, 7.5, 12.5)
                )
                offered = _poisson(rng, rate / 3 * 900)
                if offered:
                    arrivals[int(at.timestamp()) // 900] = (
                        offered,
                        offered,
                        round(offered * queue.aht_seconds * 1000),
                    )
            out.append(QueueSeries(f"{tenant.name}/{queue.name}", tenant.time_zone, arrivals))
    return out


def _table(rows: list[BacktestRow]) -> str:
    lines = [
        "| method | weeks of history | WAPE all days | WAPE DST weeks | WAPE other weeks | ms per forecast |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in sorted(rows, key=lambda r: (r.wape, r.method, r.weeks)):
        per = r.seconds / r.forecasts * 1000
        lines.append(
            f"| {r.method} | {r.weeks} | {r.wape:.2%} | {r.wape_dst:.2%} | {r.wape_other:.2%} | {per:.2f} |"
        )
    return "\n".join(lines)


def run(quick: bool = False) -> tuple[list[BacktestRow], int]:
    """The backtest rows of every fast method and history length, and the queue-days forecast; then the
    slow methods and the baseline again on every ``SLOW_STEP``-th day (marked in the method name)."""
    last = date(2026, 3, 31) if quick else LAST
    queues = simulated_queues(HISTORY_FROM, last)
    rows: list[BacktestRow] = []
    for weeks in WEEKS:
        rows.extend(backtest(queues, FIRST, last, methods=[m for m in METHODS if m not in SLOW], weeks=weeks))
    sampled = backtest(
        queues, FIRST, last, methods=[*SLOW, "seasonal_mean", PLAN_METHOD], weeks=8, step_days=SLOW_STEP
    )
    rows.extend(replace(r, method=f"{r.method} (every {SLOW_STEP}th day)") for r in sampled)
    return rows, len(queues) * ((last - FIRST).days + 1)


def noise_floor(quick: bool = False) -> float:
    """WAPE of the simulator's own expected arrivals: what no forecast can beat on Poisson traffic."""
    last = date(2026, 3, 31) if quick else LAST
    rng = random.Random(18)  # noqa: S311  (the same draws as simulated_queues)
    world = demo_world()
    start = datetime.combine(HISTORY_FROM, datetime.min.time(), UTC)
    first_bucket = int(datetime.combine(FIRST, datetime.min.time(), UTC).timestamp()) // 900
    buckets = ((last - HISTORY_FROM).days + 1) * 96
    error = actual = 0.0
    for tenant in world.tenants:
        for queue in tenant.queues:
            for n in range(buckets):
                at = start + timedelta(minutes=15 * n)
                rate = sum(
                    arrival_rate(queue, tenant, at + timedelta(minutes=m), SCALE) for m in (2.5, 7.5, 12.5)
                )
                expected = rate / 3 * 900
                offered = _poisson(rng, expected)
                if int(at.timestamp()) // 900 >= first_bucket:
                    error += abs(offered - expected)
                    actual += offered
    return error / actual


def report(results: Results, quick: bool = False) -> None:
    rows, days = run(quick)
    print(f"forecast backtest, {days:,} queue-days (rolling origin, one day ahead, simulator traffic):")
    print(_table(rows))
    floor = noise_floor(quick)
    print(f"noise floor (the simulator's own expected arrivals as the forecast): {floor:.2%}")
    results.add("sla", "forecast WAPE noise floor (simulator's expected arrivals)", floor * 100, "%")
    winner = best([r for r in rows if "every" not in r.method])  # the sampled rows are not comparable
    plan = min((r for r in rows if r.method == PLAN_METHOD), key=lambda r: r.wape)
    print(f"best: {winner.method} over {winner.weeks} weeks; plans use {PLAN_METHOD} ({plan.wape:.2%})")
    for r in rows:
        name = f"forecast WAPE, {r.method}, {r.weeks} weeks"
        results.add("sla", name, r.wape * 100, "%", f"DST weeks {r.wape_dst:.2%}, other {r.wape_other:.2%}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    report(Results(), parser.parse_args().quick)
