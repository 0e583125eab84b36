"""Erlang C and Erlang A: service levels and the agents a target needs. Pure, stable for hundreds of Erlangs.

Erlang C (M/M/N): calls arrive at rate λ, take AHT on average, nobody hangs up. Erlang B is
computed by its recursion B(n) = A·B(n-1) / (n + A·B(n-1)), which never overflows (no A^N/N!),
and C(N, A) = N·B / (N - A·(1 - B)).

Erlang A (M/M/N+M): callers abandon after an exponential patience with the given mean. Its
figures come from the closed forms with incomplete-gamma functions (scipy), so one interval
costs the same whatever the patience; a long patience tends to Erlang C.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

import numpy as np
from scipy.integrate import quad
from scipy.special import gammainc, gammaincc, gammaln

__all__ = [
    "ErlangA",
    "ErlangC",
    "ImpossibleTargetError",
    "Staffing",
    "StaffingInputError",
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


def _log_j(x: float, y: float) -> float:
    """log J(x, y), J = Σ_j Π_{i≤j} y / (x + i) = Γ(x+1)·e^y·y^-x·P(x, y): the queue's weight over π_N.

    The closed form with the regularised incomplete gamma P is O(1) at any size; where P underflows
    (y far below x) it is integrated instead: J = x·∫exp(y(1 - e^-v) - xv) dv.
    """
    p = float(gammainc(x, y))
    if p > 1e-280:
        return float(gammaln(x + 1)) + y - x * math.log(y) + math.log(p)

    # here y < x: with d = x - y and w = d·v the integrand is exp(-w - y·φ(w/d)) ≤ e^-w, φ(u) = u - 1 + e^-u
    d = x - y

    def integrand(w: float) -> float:
        u = w / d
        return math.exp(-w - y * (math.expm1(-u) + u))

    value = float(quad(integrand, 0.0, math.inf, epsabs=0.0, epsrel=1e-12, limit=200)[0])
    return math.log(x / d) + math.log(value)


def _log_b(agents: int, traffic: float) -> float:
    """log of Erlang B: the Poisson law's pmf(N) / cdf(N) with cdf(N) = Q(N + 1, A), the regularised upper
    incomplete gamma (O(1) at any size); where Q underflows, :func:`_log_b_recursion`."""
    q = float(gammaincc(agents + 1, traffic))
    if q > 1e-280:
        return agents * math.log(traffic) - traffic - float(gammaln(agents + 1)) - math.log(q)
    return _log_b_recursion(agents, traffic)


def _log_b_recursion(agents: int, traffic: float) -> float:
    """log of Erlang B by its recursion carried in log space (no underflow when agents ≫ traffic)."""
    log_b = 0.0
    log_a = math.log(traffic)
    for n in range(1, agents + 1):
        # B(n) = A·B / (n + A·B)  ->  log B(n) = log(A·B) - log(n + A·B)
        ab = log_a + log_b
        log_b = ab - math.log(n + math.exp(ab)) if ab < 700 else -math.log1p(n * math.exp(-ab))
    return log_b


def erlang_a(
    agents: int,
    arrivals_per_second: float,
    aht_seconds: float,
    patience_seconds: float,
    threshold_seconds: float,
    *,
    with_asa: bool = True,
) -> ErlangA:
    """Erlang A (M/M/N+M, Palm) figures for ``agents``; patience is the callers' mean time before abandoning.

    Closed forms (Mandelbaum & Zeltyn) in x = Nμ/θ and y = λ/θ: P(wait) = J/(1/B - 1 + J) with B
    Erlang B; P(abandon | wait) = 1 - (x/y)(1 - 1/J); the virtual wait V has density
    λπ_{N-1}·exp(y(1 - e^-θt) - Nμt) and a caller is answered when V comes before their patience,
    so P(answered within T) integrates e^-θt over [0, T]: incomplete gammas again. Cost is O(N)
    for B plus a few special functions, whatever the patience. ASA (of answered calls) is
    E[V·e^-θV]/P(answered), one smooth, log-concave integral.
    """
    if agents < 1 or arrivals_per_second <= 0:
        return ErlangA(agents, 0.0, 0.0, 1.0, 0.0, 0.0)
    lam, mu, theta = arrivals_per_second, 1 / aht_seconds, 1 / patience_seconds
    traffic = lam / mu
    x, y = agents * mu / theta, lam / theta
    log_b = _log_b(agents, traffic)
    log_j = _log_j(x, y)
    # P(wait) = J / (1/B - 1 + J) = 1 / (1 + (1/B - 1)/J)
    log_r = math.log(-math.expm1(log_b)) - log_b if log_b < 0 else -math.inf  # log(1/B - 1)
    p_wait = 1.0 / (1.0 + math.exp(min(700.0, log_r - log_j)))
    inv_j = math.exp(-log_j)
    served_given_wait = (x / y) * (1 - inv_j)
    p_abandon = p_wait * (1 - served_given_wait)
    # answered after waiting, within T: (x/y)·[(1 - 1/J) - P(x, z)/P(x, y) + e^(y - z - xθT)/J], z = y·e^-θT
    within = 0.0
    if threshold_seconds > 0:
        theta_t = theta * threshold_seconds
        z = y * math.exp(-theta_t)
        tail = math.exp(-(x * theta_t + y * math.expm1(-theta_t)) - log_j)
        p_y = float(gammainc(x, y))
        if p_y > 1e-280:
            later = float(gammainc(x, z)) / p_y if z > 0 else 0.0
        else:  # the ratio through J (the closed form underflows): P(x, z)/P(x, y) = J_z/J_y·e^(y - z - xθT)
            later = math.exp(_log_j(x, z) + math.log(tail)) if z > 0 and tail > 0 else 0.0
        within = (x / y) * ((1 - inv_j) - later + tail)
    service_level = min(1.0, max(0.0, (1 - p_wait) + p_wait * within))
    answered = 1 - p_abandon
    occupancy = min(1.0, traffic * answered / agents)
    asa = _asa_answered(agents, lam, mu, theta, log_j, p_wait, answered) if with_asa else math.nan
    return ErlangA(agents, p_wait, p_abandon, service_level, asa, occupancy)


def _asa_answered(
    agents: int, lam: float, mu: float, theta: float, log_j: float, p_wait: float, answered: float
) -> float:
    """Mean wait of answered calls: λπ_{N-1}∫ t·exp(g(t)) dt / P(answered), g(t) = y(1-e^-θt) - (Nμ+θ)t."""
    if p_wait <= 0 or answered <= 0:
        return 0.0 if answered > 0 else math.inf
    y, s = lam / theta, agents * mu + theta

    def g(t: float) -> float:
        return y * -math.expm1(-theta * t) - s * t

    peak = math.log(lam / s) / theta if lam > s else 0.0  # g is concave: one maximum
    slope = abs(lam * math.exp(-theta * peak) - s)
    curvature = lam * theta * math.exp(-theta * peak)
    width = min(1 / slope if slope > 0 else math.inf, 1 / math.sqrt(curvature) if curvature > 0 else math.inf)
    top = g(peak)

    def integrand(t: float) -> float:
        return t * math.exp(g(t) - top)

    total = 0.0
    if peak == 0.0:  # the integrand falls from 0 (every staffed plan): fixed Gauss-Legendre panels
        total = _falling_integral(y, s, theta, width)
    else:  # overloaded: a peak inside, adaptive quadrature around it
        ends = [0.0, peak, peak + 10 * width, peak + 80 * width]
        for a, b in pairwise(ends):
            if b > a:
                total += float(quad(integrand, a, b, epsabs=0.0, epsrel=1e-10, limit=200)[0])
        total += float(quad(integrand, ends[-1], math.inf, epsabs=0.0, epsrel=1e-9, limit=200)[0])
    # λπ_{N-1} = π_N·Nμ and π_N = P(wait)/J
    mean_times_answered = p_wait * agents * mu * math.exp(top - log_j) * total
    return mean_times_answered / answered


_GAUSS_NODES, _GAUSS_WEIGHTS = np.polynomial.legendre.leggauss(64)
_FALLING_PANELS = (0.0, 10.0, 40.0, 160.0)  # in widths: past 160 the integrand is below e^-160 of its top


def _falling_integral(y: float, s: float, theta: float, width: float) -> float:
    """∫ t·exp(g(t)) dt over [0, ∞) for g(0) = 0 its maximum (g concave, falling at least as fast as
    one e-fold per ``width`` beyond it): 64-point Gauss-Legendre on panels of 10, 30 and 120 widths.
    Equal to the adaptive quadrature to 1e-10 relative over 10^-1..10^3 Erlangs and patience 3 s to
    10^9 s, at a fifth of its cost (the plans' ASA was most of their time)."""
    total = 0.0
    for a, b in pairwise(w * width for w in _FALLING_PANELS):
        t = (b - a) / 2 * _GAUSS_NODES + (a + b) / 2
        values = t * np.exp(y * -np.expm1(-theta * t) - s * t)
        total += (b - a) / 2 * float(np.dot(_GAUSS_WEIGHTS, values))
    return total


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


class StaffingInputError(ValueError):
    """An input outside its domain; ``field`` names it (the API answers INVALID_ARGUMENT with it)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class ImpossibleTargetError(StaffingInputError):
    """No number of agents (up to ``MAX_AGENTS``) meets the targets; ``field`` names the one that cannot be met."""


MAX_AGENTS = 100_000


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
    shrinkage (breaks, training, absence) scales the scheduled head count up. With abandonment
    the fewest can be below the offered traffic. Raises StaffingInputError naming a field out of
    its domain, ImpossibleTargetError when no head count meets the targets.
    """
    _validate(
        arrivals_per_interval,
        interval_seconds,
        aht_seconds,
        target_service_level,
        threshold_seconds,
        max_asa_seconds,
        max_occupancy,
        shrinkage,
        patience_seconds,
    )
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


def _validate(
    arrivals: float,
    interval: float,
    aht: float,
    target: float,
    threshold: float,
    max_asa: float | None,
    max_occupancy: float,
    shrinkage: float,
    patience: float | None,
) -> None:
    checks = [
        ("arrivals", math.isfinite(arrivals) and arrivals >= 0, "must be a finite number >= 0"),
        ("interval_seconds", math.isfinite(interval) and interval > 0, "must be > 0"),
        ("aht_seconds", math.isfinite(aht) and aht > 0, "handle time must be > 0"),
        ("target_service_level", 0 < target < 1, "must be in (0, 1)"),
        ("threshold_seconds", math.isfinite(threshold) and threshold >= 0, "must be >= 0"),
        ("max_asa_seconds", max_asa is None or max_asa > 0, "must be > 0 when given"),
        ("max_occupancy", 0 < max_occupancy <= 1, "must be in (0, 1]"),
        ("shrinkage", 0 <= shrinkage < 1, "must be in [0, 1)"),
        ("patience_seconds", patience is None or (math.isfinite(patience) and patience > 0), "must be > 0"),
    ]
    for field, ok, reason in checks:
        if not ok:
            raise StaffingInputError(field, reason)


def _figures(
    agents: int,
    arrivals: float,
    interval: float,
    aht: float,
    threshold: float,
    patience: float | None,
    asa: bool,
) -> tuple[float, float, float, float]:
    """(service level, ASA of answered, occupancy, abandon probability) with ``agents``."""
    traffic = arrivals * aht / interval
    if patience:
        a = erlang_a(agents, arrivals / interval, aht, patience, threshold, with_asa=asa)
        return a.service_level, a.asa_seconds, a.occupancy, a.abandon_probability
    c = erlang_c_figures(agents, traffic, aht, threshold)
    return c.service_level, c.asa_seconds, c.occupancy, 0.0


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
    need_asa = max_asa is not None

    def meets(agents: int) -> bool:
        sl, asa, occ, _ = _figures(agents, arrivals, interval, aht, threshold, patience, need_asa)
        return sl >= target and (max_asa is None or asa <= max_asa) and occ <= max_occupancy

    # Every figure improves with agents. Start at the square-root staffing guess A + √A (usually within
    # a few of the answer), gallop down while it meets or up until it does, then bisect to the fewest
    # (Erlang A may need fewer than the traffic; Erlang C needs more): a handful of evaluations.
    floor_ = 0 if patience else max(0, math.floor(traffic))  # known not to meet (or 0 agents)
    guess = min(MAX_AGENTS, max(floor_ + 1, math.ceil(traffic + math.sqrt(traffic))))
    step = 1
    if meets(guess):
        low, high = floor_, guess
        while high - step > floor_:
            if not meets(high - step):
                low = high - step
                break
            high, step = high - step, step * 2
    else:
        low = guess
        while True:
            if low >= MAX_AGENTS:
                raise ImpossibleTargetError(
                    _unmet(low, arrivals, interval, aht, threshold, patience, target, max_asa),
                    f"cannot be met with up to {MAX_AGENTS:,} agents",
                )
            candidate = min(MAX_AGENTS, low + step)
            if meets(candidate):
                high = candidate
                break
            low, step = candidate, step * 2
    while high - low > 1:
        middle = (low + high) // 2
        if meets(middle):
            high = middle
        else:
            low = middle
    sl, asa, occ, abandon = _figures(high, arrivals, interval, aht, threshold, patience, True)
    scheduled = math.ceil(high / (1 - shrinkage) - 1e-9)
    return Staffing(traffic, high, scheduled, sl, asa, occ, abandon)


def _unmet(
    agents: int,
    arrivals: float,
    interval: float,
    aht: float,
    threshold: float,
    patience: float | None,
    target: float,
    max_asa: float | None,
) -> str:
    sl, asa, _, _ = _figures(agents, arrivals, interval, aht, threshold, patience, max_asa is not None)
    if sl < target:
        return "target_service_level"
    if max_asa is not None and asa > max_asa:
        return "max_asa_seconds"
    return "max_occupancy"
