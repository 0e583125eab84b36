"""Figures of one load step from its stamps and samples: per-stage throughput and latency percentiles,
consumer lag, CPU and memory per process, and whether the rate was sustained (the definition is
:data:`SUSTAINED`)."""

from __future__ import annotations

import bisect
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scripts._e2e_load import Stamps
from scripts._e2e_watch import CLIENT, Watch

__all__ = ["LATENCIES", "STAGES", "SUSTAINED", "StepWindow", "analyse", "percentiles"]

# Throughput stages: the first five stamped at the client, `logged` from the interaction log's
# consumed wrap-ups, `sla_counted` from SLA's answered counter of the bench tenants.
STAGES = ("submitted", "offered", "accepted", "ended", "wrapped_up", "logged", "sla_counted")
LATENCIES = (
    "submit",
    "submit_to_offer",
    "offer_to_accept",
    "submit_to_wrapped_up",
    "submit_to_logged",
    "submit_to_sla_counted",
)
THROUGHPUT_SHARE = 0.95
FAILURE_SHARE = 0.001
GROWTH = 2.0
GROWTH_SLACK_S = 0.05
SUSTAINED = (
    "A rate is sustained when, over the measuring window (the step after its warm-up): (1) every stage "
    f"(submitted, offered, accepted, ended, wrapped_up, logged, sla_counted) completed at least "
    f"{THROUGHPUT_SHARE:.0%} of the offered rate per second; (2) at most {FAILURE_SHARE:.1%} of requests "
    "failed; (3) the step ran its full length (it is cut short when more than the give-up backlog is in "
    "flight) and, within the drain time after it, every submitted interaction was wrapped up, every "
    "sampled one was visible in the interaction log and SLA counted them all; (4) latency did not grow: "
    f"the median submit_to_wrapped_up of interactions submitted in the last third of the window is at "
    f"most {GROWTH:g} x that of the first third + {GROWTH_SLACK_S * 1000:.0f} ms; (5) lag did not build "
    "up: no service's consumer lag in the last third of the window exceeds one second of the step's "
    "records (records per interaction x offered rate)."
)


@dataclass(frozen=True, slots=True)
class StepWindow:
    rate: float
    started: float  # perf_counter when submitting began
    ended: float  # when it stopped (early when cut short)
    planned_seconds: float
    warmup: float
    drained: bool
    drain_seconds: float  # how long the drain took (or the limit)
    answered_before: float  # SLA's answered counter of the bench tenants when the step began
    records: dict[str, int]  # records written to each topic during the step, drain included
    log_sampled: int

    @property
    def window(self) -> tuple[float, float]:
        return self.started + min(self.warmup, (self.ended - self.started) / 3), self.ended


def percentiles(values: Sequence[float]) -> dict[str, float | int | None]:
    """p50, p95, p99 in milliseconds (nearest rank) and the count."""
    ordered = sorted(values)
    if not ordered:
        return {"p50": None, "p95": None, "p99": None, "n": 0}

    def rank(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)

    return {"p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99), "n": len(ordered)}


def _at(curve: Sequence[tuple[float, float]], t: float) -> float:
    """The value of a sampled counter at ``t`` (linear between samples, clamped at the ends)."""
    if not curve:
        return 0.0
    times = [c[0] for c in curve]
    i = bisect.bisect_left(times, t)
    if i == 0:
        return curve[0][1]
    if i >= len(curve):
        return curve[-1][1]
    (t0, v0), (t1, v1) = curve[i - 1], curve[i]
    return v0 + (v1 - v0) * (t - t0) / (t1 - t0) if t1 > t0 else v1


def _crossings(curve: Sequence[tuple[float, float]], base: float, count: int) -> list[float | None]:
    """When the counter reached base + 1, base + 2, ... base + count (linear between samples)."""
    out: list[float | None] = []
    i = 1
    for k in range(1, count + 1):
        target = base + k
        while i < len(curve) and curve[i][1] < target:
            i += 1
        if i >= len(curve):
            out.extend([None] * (count - k + 1))
            break
        (t0, v0), (t1, v1) = curve[i - 1], curve[i]
        out.append(t0 + (t1 - t0) * (target - v0) / (v1 - v0) if v1 > v0 else t1)
    return out


def _latencies(stamps: Stamps, step: StepWindow, watch: Watch) -> dict[str, list[float]]:
    start, end = step.window
    at = stamps.at
    ids = {i for i, t in at["submit_sent"].items() if start <= t <= end}

    def between(first: str, last: str) -> list[float]:
        return [at[last][i] - at[first][i] for i in ids if i in at[last] and i in at[first]]

    # SLA has no per-interaction read: the k-th answer it counted is matched with the k-th submission
    # (first come, first served) on its answered counter, sampled every 250 ms.
    by_submit = sorted(at["submit_sent"].items(), key=lambda item: item[1])
    answered = _crossings(watch.answered, step.answered_before, len(by_submit))
    sla = [t - sent for (i, sent), t in zip(by_submit, answered, strict=True) if t is not None and i in ids]
    return {
        "submit": between("submit_sent", "submitted"),
        "submit_to_offer": between("submit_sent", "offered"),
        "offer_to_accept": between("offered", "accepted"),
        "submit_to_wrapped_up": between("submit_sent", "wrapped_up"),
        "submit_to_logged": between("submit_sent", "logged"),
        "submit_to_sla_counted": sla,
    }


def _median(values: list[float]) -> float | None:
    return sorted(values)[len(values) // 2] if values else None


def _growth(stamps: Stamps, step: StepWindow) -> tuple[float | None, float | None]:
    """Median submit_to_wrapped_up (s) of the first and the last third of the window."""
    start, end = step.window
    third = (end - start) / 3
    at = stamps.at

    def median_of(lo: float, hi: float) -> float | None:
        return _median(
            [
                at["wrapped_up"][i] - t
                for i, t in at["submit_sent"].items()
                if lo <= t < hi and i in at["wrapped_up"]
            ]
        )

    return median_of(start, start + third), median_of(end - third, end + 1e-9)


def _throughput(stamps: Stamps, step: StepWindow, watch: Watch) -> dict[str, float]:
    start, end = step.window
    measured = max(end - start, 1e-9)
    ours = stamps.at["submit_sent"]
    throughput: dict[str, float] = {}
    for stage in ("submitted", "offered", "accepted", "ended", "wrapped_up"):
        done = sum(1 for i, t in stamps.at[stage].items() if i in ours and start <= t <= end)
        throughput[stage] = done / measured
    logged = [(s.at, s.wrapped_consumed.get("interaction-log", 0.0)) for s in watch.samples]
    throughput["logged"] = (_at(logged, end) - _at(logged, start)) / measured
    throughput["sla_counted"] = (_at(watch.answered, end) - _at(watch.answered, start)) / measured
    return throughput


def _lag(step: StepWindow, watch: Watch) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Max lag per service and topic over the window; max summed lag per service in its last third."""
    start, end = step.window
    third = (end - start) / 3
    lag_max: dict[str, dict[str, float]] = {}
    lag_late: dict[str, float] = {}
    for sample in watch.samples:
        if not start <= sample.at <= end + 1e-9:
            continue
        for service, topics in sample.lag.items():
            held = lag_max.setdefault(service, {})
            for topic, behind in topics.items():
                held[topic] = max(held.get(topic, 0.0), behind)
            if sample.at >= end - third:
                lag_late[service] = max(lag_late.get(service, 0.0), sum(topics.values()))
    return lag_max, lag_late


def _processes(
    step: StepWindow, watch: Watch, idle: dict[str, float], done: float
) -> dict[str, dict[str, float]]:
    """CPU, CPU per interaction (above the process's idle use; ``done``: interactions' worth of work in
    the window) and peak RSS."""
    start, end = step.window
    measured = max(end - start, 1e-9)
    processes: dict[str, dict[str, float]] = {}
    for name, cpu in watch.cpu.items():
        used = _at(cpu, end) - _at(cpu, start)
        peak = max((v for t, v in watch.rss.get(name, []) if t >= step.started), default=0.0)
        above_idle = max(0.0, used - idle.get(name, 0.0) / 100 * measured)
        processes[name] = {
            "cpu_seconds": round(used, 2),
            "cpu_percent": round(100 * used / measured, 1),
            "cpu_ms_per_interaction": round(1000 * above_idle / done, 2) if done else 0.0,
            "rss_peak_mb": round(peak / 1e6, 1),
        }
    busy = _at(watch.machine, end) - _at(watch.machine, start)
    ours = sum(p["cpu_seconds"] for p in processes.values())
    # Everything else on the machine in the window (other work on the shared cores; py-spy if profiling).
    processes["others"] = {
        "cpu_seconds": round(busy - ours, 2),
        "cpu_percent": round(100 * (busy - ours) / measured, 1),
    }
    processes["machine"] = {"cpu_seconds": round(busy, 2), "cpu_percent": round(100 * busy / measured, 1)}
    return processes


def _verdict(
    stamps: Stamps,
    step: StepWindow,
    throughput: dict[str, float],
    lag_late: dict[str, float],
    per_interaction: float,
) -> list[str]:
    """Why the rate was not sustained (empty: it was); see :data:`SUSTAINED`."""
    submitted = len(stamps.at["submit_sent"])
    failures = sum(stamps.failed.values())
    first, last = _growth(stamps, step)
    reasons: list[str] = []
    for stage, value in throughput.items():
        if value < THROUGHPUT_SHARE * step.rate:
            reasons.append(f"{stage} {value:.0f}/s < {THROUGHPUT_SHARE:.0%} of {step.rate:g}/s")
    if failures > FAILURE_SHARE * max(submitted, 1):
        reasons.append(f"{failures} failed requests ({dict(stamps.failed)})")
    if step.ended - step.started < step.planned_seconds - 0.5:
        reasons.append(
            f"cut short after {step.ended - step.started:.1f} s: the backlog passed the give-up limit"
        )
    if not step.drained:
        reasons.append(f"not drained {step.drain_seconds:.0f} s after the step")
    if first is not None and last is not None and last > GROWTH * first + GROWTH_SLACK_S:
        reasons.append(
            f"latency grew: median submit_to_wrapped_up {first * 1000:.0f} -> {last * 1000:.0f} ms"
        )
    one_second = per_interaction * step.rate
    for service, behind in lag_late.items():
        if behind > max(one_second, 1.0):
            reasons.append(f"{service} lag {behind:.0f} records > one second of records ({one_second:.0f})")
    return reasons


def _cpu_cost(processes: dict[str, dict[str, float]], cpus: int) -> dict[str, float | None]:
    """CPU ms per interaction of the platform (services and broker) and of the load generator, and the
    rate at which that cost would fill every core."""
    platform = sum(
        p["cpu_ms_per_interaction"] for n, p in processes.items() if n not in (CLIENT, "others", "machine")
    )
    client = processes.get(CLIENT, {}).get("cpu_ms_per_interaction", 0.0)
    return {
        "platform_cpu_ms_per_interaction": round(platform, 2),
        "client_cpu_ms_per_interaction": round(client, 2),
        "cores_full_at_per_s": round(cpus * 1000 / (platform + client)) if platform + client else None,
        "cores_full_at_per_s_without_client": round(cpus * 1000 / platform) if platform else None,
    }


def analyse(stamps: Stamps, step: StepWindow, watch: Watch, idle: dict[str, float]) -> dict[str, Any]:
    """The step's figures as a JSON-ready dict (fields: docs/bench.md); ``idle``: each process's CPU
    percent with no load."""
    start, end = step.window
    throughput = _throughput(stamps, step, watch)
    # Work done in the window in interactions' worth: the mean of the stages' completions (an overloaded
    # step submits more than it wraps up; each stage is a share of the work).
    done = sum(throughput.values()) / len(throughput) * (end - start)
    processes = _processes(step, watch, idle, done)
    lag_max, lag_late = _lag(step, watch)
    submitted = len(stamps.at["submit_sent"])
    per_interaction = sum(step.records.values()) / submitted if submitted else 0.0
    reasons = _verdict(stamps, step, throughput, lag_late, per_interaction)
    return {
        "rate": step.rate,
        "seconds": round(step.ended - step.started, 2),
        "measured_seconds": round(end - start, 2),
        "submitted": submitted,
        "failed": dict(stamps.failed),
        "throughput_per_s": {k: round(v, 1) for k, v in throughput.items()},
        "latency_ms": {name: percentiles(values) for name, values in _latencies(stamps, step, watch).items()},
        "log_sampled": step.log_sampled,
        "consumer_lag_max": lag_max,
        "processes": processes,
        "cpu_cost": _cpu_cost(processes, os.cpu_count() or 1),
        "broker_records": step.records,
        "records_per_interaction": round(per_interaction, 2),
        "drained": step.drained,
        "drain_seconds": round(step.drain_seconds, 1),
        "sustained": not reasons,
        "reasons": reasons,
    }
