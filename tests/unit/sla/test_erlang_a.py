"""Erlang A against two second opinions: the exact truncated birth-death chain and a ciw simulation.

The closed forms in vaxel_sla.domain.erlang use incomplete gammas; here the same quantities come from
(1) the stationary distribution of the M/M/N+M chain solved numerically (numpy) and the tagged caller's
journey through the queue as a small Markov chain (scipy's matrix exponential), and (2) a discrete-event
simulation of the queue with reneging (ciw), judged by batch-means confidence intervals.
"""

from __future__ import annotations

import math
import statistics
import time

import ciw
import numpy as np
import pytest
from scipy.linalg import expm

from vaxel_sla.domain.erlang import (
    ImpossibleTargetError,
    StaffingInputError,
    agents_for,
    erlang_a,
    erlang_c_figures,
)


def _exact(
    agents: int, lam: float, aht: float, patience: float, threshold: float
) -> tuple[float, float, float, float]:
    """(P(wait), P(abandon), service level, ASA of answered) from the truncated chain, independently."""
    mu, theta = 1 / aht, 1 / patience
    size = agents + 1
    while True:  # grow the truncation until the last state's weight is negligible
        deaths = np.array([min(n, agents) * mu + max(0, n - agents) * theta for n in range(1, size)])
        generator = np.zeros((size, size))
        generator[np.arange(size - 1), np.arange(1, size)] = lam
        generator[np.arange(1, size), np.arange(size - 1)] = deaths
        generator -= np.diag(generator.sum(axis=1))
        system = np.vstack([generator.T, np.ones(size)])
        rhs = np.zeros(size + 1)
        rhs[-1] = 1.0
        p = np.linalg.lstsq(system, rhs, rcond=None)[0]
        if p[-1] < 1e-15 and size > agents + 20:
            break
        size *= 2
    p_wait = float(p[agents:].sum())
    p_abandon = float(sum(p[n] * (n - agents) for n in range(agents, size))) * theta / lam
    # tagged caller with j ahead: stages at rates Nμ + iθ (i = j..0), leaving at θ meanwhile
    within = float(p[:agents].sum())
    asa_weight = 0.0
    for j in range(size - agents):
        weight = float(p[agents + j])
        if weight < 1e-18:
            continue
        rates = [agents * mu + i * theta for i in range(j, -1, -1)]
        served = math.prod(r / (r + theta) for r in rates)
        asa_weight += weight * served * sum(1 / (r + theta) for r in rates)  # E[S·e^-θS]
        if threshold > 0:
            k = len(rates)
            q = np.zeros((k + 2, k + 2))  # stages 0..k-1, served k, abandoned k+1
            for i, r in enumerate(rates):
                q[i, i + 1] = r
                q[i, k + 1] = theta
                q[i, i] = -(r + theta)
            within += weight * float(expm(q * threshold)[0, k])
    answered = 1 - p_abandon
    return p_wait, p_abandon, within, asa_weight / answered


CASES = [
    (13, 100 / 1800, 180, 60, 20),
    (8, 100 / 1800, 180, 60, 20),  # below the offered 10 Erlangs
    (50, 45 / 240, 240, 120, 15),
    (30, 35 / 300, 300, 200, 0),
    (110, 100 / 300, 300, 600, 30),
    (3, 1 / 100, 100, 1000, 10),
]


@pytest.mark.parametrize(("agents", "lam", "aht", "patience", "threshold"), CASES)
def test_erlang_a_matches_the_exact_chain(
    agents: int, lam: float, aht: float, patience: float, threshold: float
) -> None:
    a = erlang_a(agents, lam, aht, patience, threshold)
    p_wait, p_abandon, within, asa = _exact(agents, lam, aht, patience, threshold)
    assert a.wait_probability == pytest.approx(p_wait, abs=1e-9)
    assert a.abandon_probability == pytest.approx(p_abandon, abs=1e-9)
    assert a.service_level == pytest.approx(within, abs=1e-6)
    assert a.asa_seconds == pytest.approx(asa, rel=1e-6)


def _batch_ci(values: list[float]) -> tuple[float, float]:
    mean = statistics.fmean(values)
    return mean, 4 * statistics.stdev(values) / math.sqrt(len(values))  # wide: the test must not flake


@pytest.mark.parametrize(
    ("agents", "traffic", "patience", "threshold"), [(9, 8.0, 2.0, 0.2), (6, 8.0, 0.5, 0.1)]
)
def test_erlang_a_within_the_simulations_confidence_intervals(
    agents: int, traffic: float, patience: float, threshold: float
) -> None:
    """Time in handle times: AHT 1, λ = traffic. The second case is below the offered load."""
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(traffic)],
        service_distributions=[ciw.dists.Exponential(1.0)],
        number_of_servers=[agents],
        reneging_time_distributions=[ciw.dists.Exponential(1 / patience)],
    )
    ciw.seed(18)
    simulation = ciw.Simulation(network)
    warmup, batches, length = 50.0, 20, 250.0
    simulation.simulate_until_max_time(warmup + batches * length)
    per_batch: list[list[object]] = [[] for _ in range(batches)]
    for record in simulation.get_all_records():
        batch = int((record.arrival_date - warmup) // length)
        if 0 <= batch < batches:
            per_batch[batch].append(record)
    abandon, level, asa = [], [], []
    for records in per_batch:
        served = [r for r in records if r.record_type == "service"]  # type: ignore[attr-defined]
        abandon.append(1 - len(served) / len(records))
        level.append(sum(r.waiting_time <= threshold for r in served) / len(records))  # type: ignore[attr-defined]
        asa.append(statistics.fmean(r.waiting_time for r in served))  # type: ignore[attr-defined]
    a = erlang_a(agents, traffic, 1.0, patience, threshold)
    for name, simulated, computed in [
        ("abandon", abandon, a.abandon_probability),
        ("service level", level, a.service_level),
        ("asa of answered", asa, a.asa_seconds),
    ]:
        mean, half = _batch_ci(simulated)
        assert abs(mean - computed) <= half, (
            f"{name}: simulated {mean:.4f} ± {half:.4f}, Erlang A {computed:.4f}"
        )


def test_long_patience_tends_to_erlang_c_at_a_thousand_erlangs_in_bounded_time() -> None:
    c = erlang_c_figures(1010, 1000.0, 300, 20)
    for patience in (1e9, 1e12, 1e15):
        started = time.perf_counter()
        a = erlang_a(1010, 1000 / 300, 300, patience, 20)
        assert time.perf_counter() - started < 1.0  # a hang guard, not a timing: bench_sla measures the cost
        assert a.wait_probability == pytest.approx(c.wait_probability, abs=1e-6 * 1e9 / patience + 1e-9)
    assert a.service_level == pytest.approx(c.service_level, abs=1e-6)
    assert a.asa_seconds == pytest.approx(c.asa_seconds, rel=1e-6)


def test_fewest_agents_can_be_below_the_offered_load() -> None:
    staffing = agents_for(3000, 900, 300, target_service_level=0.8, threshold_seconds=20, patience_seconds=60)
    assert staffing.agents < staffing.traffic  # 1,000 Erlangs offered
    assert staffing.service_level >= 0.8
    fewer = erlang_a(staffing.agents - 1, 3000 / 900, 300, 60, 20)
    assert fewer.service_level < 0.8


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"target_service_level": 1.0}, "target_service_level"),
        ({"target_service_level": 0.0}, "target_service_level"),
        ({"max_occupancy": 0.0}, "max_occupancy"),
        ({"max_occupancy": 1.2}, "max_occupancy"),
        ({"threshold_seconds": -1.0}, "threshold_seconds"),
        ({"max_asa_seconds": 0.0}, "max_asa_seconds"),
        ({"patience_seconds": -5.0}, "patience_seconds"),
    ],
)
def test_inputs_out_of_their_domain_name_the_field(kwargs: dict[str, float], field: str) -> None:
    with pytest.raises(StaffingInputError) as raised:
        agents_for(100, 900, 300, **kwargs)  # type: ignore[arg-type]
    assert raised.value.field == field
    with pytest.raises(StaffingInputError) as raised:
        agents_for(100, 900, 0.0)
    assert raised.value.field == "aht_seconds"


def test_an_impossible_target_is_reported_not_looped() -> None:
    with pytest.raises(ImpossibleTargetError) as raised:
        agents_for(100, 900, 300, max_occupancy=1e-9)
    assert raised.value.field == "max_occupancy"


def test_the_galloping_search_finds_the_fewest_agents_that_a_linear_scan_finds() -> None:
    """agents_for starts at A + sqrt(A) and gallops: the answer is the first head count a scan from 1
    finds, Erlang C and A, light and heavy loads, short and endless patience."""
    from vaxel_sla.domain import erlang  # noqa: PLC0415

    for calls, aht, patience, target, threshold in (
        (3, 300, None, 0.8, 20),
        (250, 240, None, 0.9, 10),
        (40, 180, 60.0, 0.8, 20),
        (400, 300, 30.0, 0.5, 60),  # heavy abandonment: fewer agents than the traffic
        (120, 420, 1e9, 0.95, 20),
    ):
        erlang._agents_for.cache_clear()
        got = erlang.agents_for(
            calls,
            900,
            aht,
            target_service_level=target,
            threshold_seconds=threshold,
            patience_seconds=patience,
        )
        scan = next(
            n
            for n in range(1, 10_000)
            if erlang._figures(n, calls, 900, aht, threshold, patience, False)[0] >= target
        )
        assert got.agents == scan, (calls, patience)
