"""Erlang C and Erlang A: service levels and the agents a target needs. Pure, stable for hundreds of Erlangs.

Erlang C (M/M/N): calls arrive at rate λ, take AHT on average, nobody hangs up. Erlang B is
computed by its recursion B(n) = A·B(n-1) / (n + A·B(n-1)), which never overflows (no A^N/N!),
and C(N, A) = N·B / (N - A·(1 - B)).

Erlang A (M/M/N+M): callers abandon after an exponential patience with the given mean. Its
state probabilities come from the birth-death chain (arrivals λ; departures min(n, N)/AHT +
max(0, n - N)/patience), normalised in log space; the share answered within T follows the
tagged caller through the queue ahead of them (each step: a service ends or someone ahead
leaves, or the caller gives up).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "ErlangA",
    "ErlangC",
    "Staffing",
    "agents_for",
    "erlang_a",
    "erlang_b",
    "erlang_c",
]


def erlang_b(agents: int, traffic: float) -> float:
    """Blocking probability of Erlang B with ``agents`` servers and ``traffic`` Erlangs."""
    if agents < 0 or traffic < 0:
        raise ValueError("agents and traffic must be non-negative")
    b = 1.0
    for n in range(1, agents + 1):
        b = traffic * b / (n + traffic * b)
    return b


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that a call waits (1.0 when the agents cannot keep up: traffic ≥ agents)."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    b = erlang_b(agents, traffic)
    return agents * b / (agents - traffic * (1 - b))


@dataclass(frozen=True, slots=True)
class ErlangC:
    agents: int
    traffic: float
    wait_probability: float
    service_level: float
    asa_seconds: float
    occupancy: float


def erlang_c_figures(agents: int, traffic: float, aht_seconds: float, threshold_seconds: float) -> ErlangC:
    """Service level within ``threshold_seconds``, average speed of answer and occupancy."""
    if agents <= traffic:
        return ErlangC(agents, traffic, 1.0, 0.0, math.inf, 1.0 if agents else 0.0)
    c = erlang_c(agents, traffic)
    sl = 1 - c * math.exp(-(agents - traffic) * threshold_seconds / aht_seconds)
    asa = c * aht_seconds / (agents - traffic)
    return ErlangC(agents, traffic, c, sl, asa, traffic / agents if agents else 0.0)


@dataclass(frozen=True, slots=True)
class ErlangA:
    agents: int
    wait_probability: float
    abandon_probability: float
    service_level: float  # answered within T over all offered
    asa_seconds: float  # mean wait of those answered
    occupancy: float


def erlang_a(
    agents: int,
    arrivals_per_second: float,
    aht_seconds: float,
    patience_seconds: float,
    threshold_seconds: float,
) -> ErlangA:
    """Erlang A figures for ``agents``; patience is the callers' mean time before abandoning."""
    if agents < 1 or arrivals_per_second <= 0:
        return ErlangA(agents, 0.0, 0.0, 1.0, 0.0, 0.0)
    lam, mu, theta = arrivals_per_second, 1 / aht_seconds, 1 / patience_seconds
    # log of the unnormalised state probabilities, up to where they stop mattering
    logs = [0.0]
    n = 0
    while True:
        n += 1
        rate = min(n, agents) * mu + max(0, n - agents) * theta
        logs.append(logs[-1] + math.log(lam / rate))
        if n > agents and logs[-1] < max(logs) - 40:
            break
    top = max(logs)
    weights = [math.exp(v - top) for v in logs]
    total = sum(weights)
    p = [w / total for w in weights]
    p_wait = sum(p[agents:])
    busy = sum(min(k, agents) * pk for k, pk in enumerate(p))
    served_rate = busy * mu
    p_abandon = max(0.0, 1 - served_rate / lam)
    # Mean queue length over the arrival rate gives the mean wait of all callers (Little).
    queue = sum((k - agents) * pk for k, pk in enumerate(p) if k > agents)
    mean_wait_all = queue / lam
    answered = 1 - p_abandon
    within = sum(p[:agents])  # no wait
    for k in range(agents, len(p)):  # k in system on arrival: k - agents ahead in the queue
        within += p[k] * _served_within(k - agents, agents * mu, theta, threshold_seconds)
    asa = mean_wait_all * (1 - p_abandon) / answered if answered > 0 else math.inf
    return ErlangA(agents, p_wait, p_abandon, within, asa, busy / agents)


def _served_within(ahead: int, service_rate: float, theta: float, t: float) -> float:
    """P(a caller with ``ahead`` callers before them reaches an agent within ``t`` and before giving up).

    While j are ahead, the queue moves at service_rate + j·θ and the caller leaves at θ; each
    stage is exponential, so this is a phase-type CDF, evaluated by uniformisation.
    """
    stages = [service_rate + j * theta for j in range(ahead, -1, -1)]  # forward rates, stage by stage
    leave = theta
    big = max(stages) + leave
    # state i: at stage i (0..ahead); state ahead+1: served; abandoned is dropped.
    size = ahead + 2
    state = [0.0] * size
    state[0] = 1.0
    served = 0.0
    rate_t = big * t
    if rate_t > 700:  # for long thresholds the walk has long finished: the chance to reach service at all
        return math.prod(r / (r + leave) for r in stages)
    poisson = math.exp(-rate_t)
    k = 0
    cumulative = poisson
    while True:
        served += poisson * state[-1]
        if 1 - cumulative < 1e-12 or k > 10_000:
            served += (1 - cumulative) * state[-1]
            return min(1.0, served)
        nxt = [0.0] * size
        for i in range(size - 1):
            forward = stages[i] / big
            stay = 1 - forward - leave / big
            nxt[i] += state[i] * stay
            nxt[i + 1] += state[i] * forward
        nxt[-1] += state[-1]
        state = nxt
        k += 1
        poisson *= rate_t / k
        cumulative += poisson


@dataclass(frozen=True, slots=True)
class Staffing:
    """Agents needed on the floor and scheduled (with shrinkage), and the figures they give."""

    traffic: float
    agents: int
    scheduled: int
    service_level: float
    asa_seconds: float
    occupancy: float
    abandon_probability: float = 0.0


def agents_for(
    arrivals_per_interval: float,
    interval_seconds: float,
    aht_seconds: float,
    *,
    target_service_level: float = 0.8,
    threshold_seconds: float = 20.0,
    max_asa_seconds: float | None = None,
    max_occupancy: float = 1.0,
    shrinkage: float = 0.0,
    concurrency: int = 1,
    patience_seconds: float | None = None,
) -> Staffing:
    """The fewest agents meeting every given target (Erlang A when a patience is given, else Erlang C).

    ``concurrency`` > 1 (chat) divides the handle time an interaction occupies an agent;
    shrinkage (breaks, training, absence) scales the scheduled head count up.
    """
    if not 0 <= shrinkage < 1:
        raise ValueError("shrinkage must be in [0, 1)")
    if arrivals_per_interval <= 0:
        return Staffing(0.0, 0, 0, 1.0, 0.0, 0.0)
    aht = aht_seconds / max(1, concurrency)
    return _agents_for(
        round(arrivals_per_interval, 6),
        interval_seconds,
        round(aht, 6),
        target_service_level,
        threshold_seconds,
        max_asa_seconds,
        max_occupancy,
        shrinkage,
        patience_seconds,
    )


@lru_cache(maxsize=65_536)
def _agents_for(
    arrivals: float,
    interval: float,
    aht: float,
    target: float,
    threshold: float,
    max_asa: float | None,
    max_occupancy: float,
    shrinkage: float,
    patience: float | None,
) -> Staffing:
    traffic = arrivals * aht / interval
    agents = max(1, math.floor(traffic) + (0 if patience else 1))
    # Erlang B carried along as agents grow: each step costs O(1).
    b = erlang_b(agents, traffic)
    while True:
        if patience:
            a = erlang_a(agents, arrivals / interval, aht, patience, threshold)
            figures = (a.service_level, a.asa_seconds, a.occupancy, a.abandon_probability)
        elif agents > traffic:
            c = agents * b / (agents - traffic * (1 - b))
            sl = 1 - c * math.exp(-(agents - traffic) * threshold / aht)
            figures = (sl, c * aht / (agents - traffic), traffic / agents, 0.0)
        else:
            figures = (0.0, math.inf, 1.0, 0.0)
        sl, asa, occ, abandon = figures
        if sl >= target and (max_asa is None or asa <= max_asa) and occ <= max_occupancy:
            scheduled = math.ceil(agents / (1 - shrinkage) - 1e-9)
            return Staffing(traffic, agents, scheduled, sl, asa, occ, abandon)
        agents += 1
        b = traffic * b / (agents + traffic * b)
