"""The fewest agents for many intervals at once: :func:`~vaxel_sla.domain.erlang.agents_for` on arrays. Pure.

A plan of a week has 672 intervals, each its own load: the scalar search costs ~100 µs an interval in
Python calls to scipy (a handful of Erlang evaluations and one ASA integral), which made a week of plans
for 1,000 queues take about a minute. Here every step of the search evaluates Erlang C or A for all the
intervals still searching in one numpy expression (the same closed forms as :mod:`~vaxel_sla.domain.erlang`:
Erlang B as pmf/cdf of the Poisson law by the incomplete gamma, J and the answered-within term by the
regularised incomplete gamma, the ASA of answered calls by the same Gauss-Legendre panels); an interval
where a closed form underflows, or whose queue is overloaded at the answer, is handed to the scalar code.
The answers are those of :func:`~vaxel_sla.domain.erlang.agents_for` (tests/unit/sla/test_erlang_batch.py).

NOT WIRED yet: ``planning.staff`` still calls the scalar ``agents_for``. Wiring it makes the long plan of
tests/integration/sla/test_sla_bounds.py finish before SIGTERM, so that test needs a longer plan first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy.special import gammainc, gammaincc, gammaln

from vaxel_sla.domain import erlang
from vaxel_sla.domain.erlang import MAX_AGENTS, Staffing, agents_for

__all__ = ["agents_for_many"]

Array = npt.NDArray[np.float64]
_TINY = 1e-280


def _log_b(agents: Array, traffic: Array) -> tuple[Array, npt.NDArray[np.bool_]]:
    """log Erlang B, and where the closed form underflowed (the caller redoes those one by one)."""
    q = gammaincc(agents + 1, traffic)
    ok = q > _TINY
    with np.errstate(divide="ignore", invalid="ignore"):
        out = agents * np.log(traffic) - traffic - gammaln(agents + 1) - np.log(np.where(ok, q, 1.0))
    return out, ~ok


def _figures(
    agents: Array, lam: Array, aht: Array, threshold: float, patience: float | None
) -> tuple[Array, Array, Array, npt.NDArray[np.bool_]]:
    """(service level, occupancy, abandon probability, needs the scalar code) for each interval."""
    mu = 1 / aht
    traffic = lam / mu
    log_b, odd = _log_b(agents, traffic)
    if patience is None:  # Erlang C: nobody leaves; unstable at agents <= traffic
        stable = agents > traffic
        b = np.exp(log_b)
        with np.errstate(divide="ignore", invalid="ignore"):
            c = agents * b / (agents - traffic * (1 - b))
            sl = 1 - c * np.exp(-(agents - traffic) * threshold / aht)
        sl = np.where(stable, sl, 0.0)
        occupancy = np.where(stable, traffic / agents, 1.0)
        return sl, occupancy, np.zeros_like(sl), odd & stable
    theta = 1 / patience
    x, y = agents * mu / theta, lam / theta
    p_y = gammainc(x, y)
    odd |= p_y <= _TINY
    safe_p = np.where(odd, 1.0, p_y)
    log_j = gammaln(x + 1) + y - x * np.log(y) + np.log(safe_p)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        log_r = np.where(log_b < 0, np.log(-np.expm1(log_b)) - log_b, -np.inf)
        p_wait = 1.0 / (1.0 + np.exp(np.minimum(700.0, log_r - log_j)))
        inv_j = np.exp(-log_j)
        p_abandon = p_wait * (1 - (x / y) * (1 - inv_j))
        within = np.zeros_like(x)
        if threshold > 0:
            theta_t = theta * threshold
            z = y * math.exp(-theta_t)
            tail = np.exp(-(x * theta_t + y * math.expm1(-theta_t)) - log_j)
            within = (x / y) * ((1 - inv_j) - gammainc(x, z) / safe_p + tail)
    sl = np.clip((1 - p_wait) + p_wait * within, 0.0, 1.0)
    occupancy = np.minimum(1.0, traffic * (1 - p_abandon) / agents)
    return sl, occupancy, p_abandon, odd


def agents_for_many(
    arrivals: Sequence[float],
    interval_seconds: float,
    aht_seconds: Sequence[float],
    *,
    target_service_level: float = 0.8,
    threshold_seconds: float = 20.0,
    max_asa_seconds: float | None = None,
    max_occupancy: float = 1.0,
    shrinkage: float = 0.0,
    concurrency: int = 1,
    patience_seconds: float | None = None,
) -> list[Staffing]:
    """``agents_for`` of every (arrivals, handle time) pair, the other inputs shared."""

    def one(calls: float, aht: float) -> Staffing:
        return agents_for(
            calls,
            interval_seconds,
            aht,
            target_service_level=target_service_level,
            threshold_seconds=threshold_seconds,
            max_asa_seconds=max_asa_seconds,
            max_occupancy=max_occupancy,
            shrinkage=shrinkage,
            concurrency=concurrency,
            patience_seconds=patience_seconds,
        )

    calls = np.round(np.asarray(arrivals, dtype=np.float64), 6)
    ahts = np.round(np.asarray(aht_seconds, dtype=np.float64) / max(1, concurrency), 6)
    if len(calls) == 0:
        return []
    one(float(calls[0]), float(aht_seconds[0]))  # the inputs' checks (StaffingInputError naming the field)
    busy = np.flatnonzero(calls > 0)
    if max_asa_seconds is not None or len(busy) < 8:  # an ASA cap searches on the ASA: the scalar code
        return [one(float(c), float(a)) for c, a in zip(arrivals, aht_seconds, strict=True)]
    out = [Staffing(0.0, 0, 0, 1.0, 0.0, 0.0)] * len(calls)
    lam: Array = np.asarray(calls[busy] / interval_seconds, dtype=np.float64)
    aht: Array = ahts[busy]
    traffic = lam * aht

    def meets(
        agents: Array, rows: npt.NDArray[np.intp]
    ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
        sl, occupancy, _, odd = _figures(agents, lam[rows], aht[rows], threshold_seconds, patience_seconds)
        return (sl >= target_service_level) & (occupancy <= max_occupancy), odd

    low = np.zeros(len(busy)) if patience_seconds else np.floor(traffic)
    high = np.minimum(MAX_AGENTS, np.maximum(low + 1, np.ceil(traffic + np.sqrt(traffic))))
    scalar = np.zeros(len(busy), dtype=bool)
    rows = np.arange(len(busy))
    searching = rows
    while len(searching):  # double until it meets
        ok, odd = meets(high[searching], searching)
        scalar[searching[odd]] = True
        stuck = searching[~ok & ~odd & (high[searching] >= MAX_AGENTS)]
        scalar[stuck] = True  # the scalar code names the target that cannot be met
        grow = searching[~ok & ~odd & (high[searching] < MAX_AGENTS)]
        low[grow], high[grow] = high[grow], np.minimum(MAX_AGENTS, high[grow] * 2)
        searching = grow
    searching = rows[~scalar & (high - low > 1)]
    while len(searching):  # bisect to the fewest
        middle = np.floor((low[searching] + high[searching]) / 2)
        ok, odd = meets(middle, searching)
        scalar[searching[odd]] = True
        high[searching[ok]] = middle[ok]
        low[searching[~ok]] = middle[~ok]
        searching = searching[~odd & (high[searching] - low[searching] > 1)]
    sl, occupancy, abandon, odd = _figures(high, lam, aht, threshold_seconds, patience_seconds)
    asa, asa_odd = _asa(high, lam, aht, patience_seconds, sl)
    scalar |= odd | asa_odd
    for row, index in enumerate(busy.tolist()):
        if scalar[row]:
            out[index] = one(float(arrivals[index]), float(aht_seconds[index]))
            continue
        agents = int(high[row])
        out[index] = Staffing(
            float(traffic[row]),
            agents,
            math.ceil(agents / (1 - shrinkage) - 1e-9),
            float(sl[row]),
            float(asa[row]),
            float(occupancy[row]),
            float(abandon[row]),
        )
    return out


def _asa(
    agents: Array, lam: Array, aht: Array, patience: float | None, sl: Array
) -> tuple[Array, npt.NDArray[np.bool_]]:
    """ASA of answered calls at the answer, and where the scalar code must compute it (overloaded)."""
    mu = 1 / aht
    traffic = lam / mu
    if patience is None:
        log_b, _ = _log_b(agents, traffic)
        b = np.exp(log_b)
        c = agents * b / (agents - traffic * (1 - b))
        return c * aht / (agents - traffic), np.zeros(len(agents), dtype=bool)
    theta = 1 / patience
    s = agents * mu + theta
    overloaded = lam > s
    x, y = agents * mu / theta, lam / theta
    log_b, _ = _log_b(agents, traffic)
    log_j = gammaln(x + 1) + y - x * np.log(y) + np.log(np.maximum(gammainc(x, y), _TINY))
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        log_r = np.where(log_b < 0, np.log(-np.expm1(log_b)) - log_b, -np.inf)
        p_wait = 1.0 / (1.0 + np.exp(np.minimum(700.0, log_r - log_j)))
        answered = 1 - p_wait * (1 - (x / y) * (1 - np.exp(-log_j)))
        slope = np.abs(lam - s)
        curvature = lam * theta
        width = np.minimum(np.where(slope > 0, 1 / slope, np.inf), 1 / np.sqrt(curvature))
    total = np.zeros(len(agents))
    for start, end in ((0.0, 10.0), (10.0, 40.0), (40.0, 160.0)):  # erlang._FALLING_PANELS, in widths
        half = (end - start) / 2 * width
        t = half[:, None] * erlang._GAUSS_NODES[None, :] + ((start + end) / 2 * width)[:, None]
        values = t * np.exp(y[:, None] * -np.expm1(-theta * t) - s[:, None] * t)
        total += half * (values @ erlang._GAUSS_WEIGHTS)
    asa = p_wait * agents * mu * np.exp(-log_j) * total / answered
    odd = overloaded | (p_wait <= 0) | (answered <= 0) | ~np.isfinite(asa)
    return np.where(odd, 0.0, asa), odd
