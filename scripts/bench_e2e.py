"""End-to-end load for ``make bench``: interactions through the whole platform at fixed rates, then the
highest rate sustained, with the raw broker throughput of a plain client as the ceiling.

Fresh tenants, each with a chat queue and agents on desk streams who take every offer and end and wrap
it up at once (:mod:`scripts._e2e_load`). At each rate, chats are submitted through routing's gRPC API
for a fixed time; every stage an interaction reaches is stamped: submitted (the gRPC reply), offered
(at the desk), accepted, ended, wrapped up (each confirmed by routing), logged (a sample read back from
the interaction log until the record shows the wrap-up) and counted by SLA (its answered counter).
Meanwhile each service's ``/metrics`` (consumer lag) and every process's CPU and memory are sampled
(:mod:`scripts._e2e_watch`). :mod:`scripts._e2e_analysis` turns that into figures and says whether the
rate was sustained. Run alone: ``python -m scripts.bench_e2e [--quick] [--profile routing]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import uvloop
from grpc import aio

from scripts._e2e_analysis import SUSTAINED, StepWindow, analyse
from scripts._e2e_load import BenchQueue, DeskAgent, LogSampler, Stamps, onboard, submit_at_rate
from scripts._e2e_watch import Watch, broker_records, profile, raw_ceiling, record_bytes
from vaxel.interactions.v1 import interactions_pb2_grpc
from vaxel.routing.v1 import routing_pb2_grpc
from vaxel_common.service import tune_collector
from vaxel_common.supervisor import Platform

__all__ = ["RATIO", "E2eSettings", "run_e2e", "run_load"]

RATIO = (
    "ratio = highest sustained interactions/s x broker records written per interaction (all topics, "
    "measured in that step) / raw records/s (one plain aiokafka producer and one plain consumer at once, "
    "records of the same mean size, same broker, same run). It is the share of the broker's plain "
    "throughput the platform turns into work; each platform record is also read by one to three consumers."
)


@dataclass(frozen=True, slots=True)
class E2eSettings:
    rates: tuple[float, ...] = (100, 300, 1000)
    seconds: float = 20.0  # each step
    warmup: float = 4.0  # left out of the measuring window
    drain_seconds: float = 15.0  # after a step: everything in by then, or not sustained
    settle_seconds: float = 90.0  # further wait for a backlog to clear before the next step
    search_steps: int = 3  # steps spent looking for the highest rate sustained
    tenants: int = 4
    agents_per_tenant: int = 100
    capacity: int = 1  # chats at once per agent (a desk stream applies its requests one by one)
    give_up_seconds: float = 2.0  # cut a step short when this many seconds of the rate are in flight
    give_up_cap: int = 2000  # ... or this many interactions
    log_samples_per_second: float = 5.0  # each read back every 50 ms until logged
    idle_seconds: float = 5.0  # CPU of every process with the desks connected and no load
    raw_records: int = 100_000
    profile: str | None = None  # a service to sample with py-spy during each fixed-rate step

    @classmethod
    def quick(cls) -> E2eSettings:
        return cls(
            idle_seconds=2.0,
            seconds=6.0,
            warmup=1.5,
            drain_seconds=10.0,
            settle_seconds=30.0,
            search_steps=1,
            raw_records=30_000,
        )


@dataclass
class _Run:
    platform: Platform
    settings: E2eSettings
    queues: list[BenchQueue]
    agents: list[DeskAgent]
    routing: routing_pb2_grpc.RoutingServiceAsyncStub
    log: interactions_pb2_grpc.InteractionLogServiceAsyncStub
    watch: Watch
    out_dir: Path | None
    idle: dict[str, float]


async def _until(done: Callable[[], bool], seconds: float) -> bool:
    """Poll ``done()`` every 0.1 s for up to ``seconds``."""
    deadline = time.perf_counter() + seconds
    while not done():
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(0.1)
    return True


def _behind(run: _Run) -> dict[str, float]:
    """Each service's consumer lag in the latest sample (records), where there is any."""
    latest = run.watch.samples[-1].lag if run.watch.samples else {}
    behind = {name: sum(topics.values()) for name, topics in latest.items()}
    return {name: n for name, n in behind.items() if n > 0}


async def _step(run: _Run, rate: float, kind: str) -> dict[str, Any]:
    settings = run.settings
    # A step starts on a quiet platform: what an overloaded step left behind must not count against
    # the next one.
    if not await _until(lambda: not _behind(run), settings.settle_seconds):
        print(f"     (starting {rate:g}/s with consumers still behind: {_behind(run)})", flush=True)
    stamps = Stamps()
    for agent in run.agents:
        agent.stamps = stamps
    sampler = LogSampler(run.log, stamps, every=round(rate / settings.log_samples_per_second))
    following = asyncio.create_task(sampler.run())
    await asyncio.to_thread(run.watch.tick, True)
    answered_before = run.watch.answered[-1][1]
    records_before = await broker_records(run.platform.kafka_bootstrap)
    profiling: asyncio.Future[dict[str, object] | None] | None = None
    if settings.profile and kind == "fixed" and run.out_dir is not None:
        pid = run.watch.processes[settings.profile].pid
        out = run.out_dir / f"profile-{settings.profile}-{rate:g}.txt"
        profiling = asyncio.ensure_future(asyncio.to_thread(profile, pid, settings.seconds, out))

    started, ended = await submit_at_rate(
        run.routing,
        run.queues,
        stamps,
        rate,
        settings.seconds,
        give_up=max(200.0, min(settings.give_up_cap, rate * settings.give_up_seconds)),
    )

    def everything_in() -> bool:
        wrapped = stamps.at["wrapped_up"]
        submitted = stamps.at["submitted"]
        return (
            all(i in wrapped for i in submitted)
            and sampler.pending() == 0
            and run.watch.answered[-1][1] >= answered_before + len(submitted)
        )

    drained = await _until(everything_in, settings.drain_seconds)
    drain_took = time.perf_counter() - ended
    if not drained:
        await _until(everything_in, settings.settle_seconds)
    following.cancel()
    await sampler.stop()
    await asyncio.to_thread(run.watch.final)
    records_after = await broker_records(run.platform.kafka_bootstrap)
    window = StepWindow(
        rate=rate,
        started=started,
        ended=ended,
        planned_seconds=settings.seconds,
        warmup=settings.warmup,
        drained=drained,
        drain_seconds=drain_took,
        answered_before=answered_before,
        records={
            t: n - records_before.get(t, 0) for t, n in records_after.items() if n > records_before.get(t, 0)
        },
        log_sampled=len(sampler.sampled),
    )
    figures = {"kind": kind, **analyse(stamps, window, run.watch, run.idle)}
    if profiling is not None:
        figures["profile"] = {"service": settings.profile, **(await profiling or {"samples": 0})}
    _print_step(figures)
    return figures


def _print_step(step: dict[str, Any]) -> None:
    through = step["throughput_per_s"]
    latency = step["latency_ms"]
    offer = latency["submit_to_offer"]
    logged = latency["submit_to_logged"]
    print(
        f"  {step['rate']:>6g}/s {step['kind']:<6} submitted {through['submitted']:>6.0f}/s "
        f"wrapped up {through['wrapped_up']:>6.0f}/s logged {through['logged']:>6.0f}/s "
        f"SLA {through['sla_counted']:>6.0f}/s; submit->offer p50 {offer['p50']} p99 {offer['p99']} ms, "
        f"submit->logged p99 {logged['p99']} ms: {'sustained' if step['sustained'] else 'NOT sustained'}",
        flush=True,
    )
    for reason in step["reasons"]:
        print(f"           {reason}", flush=True)


def _next_rate(results: dict[float, bool], budget_left: int) -> float | None:
    """Bisect between the highest rate sustained and the lowest above it that was not (or go 1.5x up
    when every rate so far was sustained); None when close enough or out of steps."""
    if budget_left <= 0:
        return None
    lo = max((r for r, ok in results.items() if ok), default=0.0)
    above = [r for r, ok in results.items() if not ok and r > lo]
    if not above:
        return float(round(lo * 1.5 / 10) * 10) if lo else None
    hi = min(above)
    if hi - lo <= max(20.0, 0.1 * lo):
        return None
    step = 10 if hi - lo > 40 else 5
    return float(round((lo + hi) / 2 / step) * step)


async def _ceiling(run: _Run, best: dict[str, Any] | None) -> dict[str, Any]:
    sizes = await record_bytes(run.platform.kafka_bootstrap)
    weights = best["broker_records"] if best else {}
    counted = {t: weights.get(t, 1) for t in sizes}
    mean = sum(sizes[t] * counted[t] for t in sizes) / max(1, sum(counted.values()))
    raw = await raw_ceiling(run.platform.kafka_bootstrap, round(mean) or 200, run.settings.raw_records)
    return {"record_bytes_by_topic": {t: round(v, 1) for t, v in sizes.items()}, **raw}


def run_load(platform: Platform, settings: E2eSettings, out: Path | None) -> dict[str, Any]:
    """:func:`run_e2e` on the event loop and collector settings of the services: the load shares the
    platform's cores, so it should cost them no more than a client has to."""
    tune_collector()
    return uvloop.run(run_e2e(platform, settings, out))


async def run_e2e(platform: Platform, settings: E2eSettings, out_dir: Path | None = None) -> dict[str, Any]:
    """The whole end-to-end measurement on a running platform; a JSON-ready dict (docs/bench.md)."""
    print(
        f"end to end: {settings.tenants} tenants x {settings.agents_per_tenant} agents on desk streams, "
        f"{settings.seconds:g} s per rate",
        flush=True,
    )
    queues = await onboard(platform, settings.tenants, settings.agents_per_tenant, settings.capacity)
    routing_target = platform.processes["routing"].grpc_target
    channels = [aio.insecure_channel(routing_target) for _ in range(len(queues) + 1)]
    log_channel = aio.insecure_channel(platform.processes["interaction-log"].grpc_target)
    stamps = Stamps()
    agents = [
        DeskAgent(
            routing_pb2_grpc.AgentDeskServiceStub(channels[1 + n]), agent_id, platform.admin_metadata, stamps
        )
        for n, queue in enumerate(queues)
        for agent_id in queue.agent_ids
    ]
    desks = [asyncio.create_task(agent.run()) for agent in agents]
    watch = Watch(platform, {q.tenant_id for q in queues})
    watching = asyncio.create_task(watch.run())
    run = _Run(
        platform,
        settings,
        queues,
        agents,
        routing_pb2_grpc.RoutingServiceStub(channels[0]),
        interactions_pb2_grpc.InteractionLogServiceStub(log_channel),
        watch,
        out_dir,
        {},
    )
    try:
        await asyncio.wait_for(asyncio.gather(*(a.ready.wait() for a in agents)), timeout=60)
        since = time.perf_counter()
        await asyncio.sleep(settings.idle_seconds)
        await asyncio.to_thread(watch.tick, True)
        run.idle = watch.idle_cpu(since)
        steps = [await _step(run, rate, "fixed") for rate in settings.rates]
        results = {float(s["rate"]): bool(s["sustained"]) for s in steps}
        for left in range(settings.search_steps, 0, -1):
            rate = _next_rate(results, left)
            if rate is None or rate in results:
                break
            steps.append(await _step(run, rate, "search"))
            results[rate] = bool(steps[-1]["sustained"])
        highest = max((r for r, ok in results.items() if ok), default=0.0)
        best = next((s for s in steps if s["rate"] == highest and s["sustained"]), None)
        raw = await _ceiling(run, best)
    finally:
        for task in (*desks, watching):
            task.cancel()
        await asyncio.gather(*desks, watching, return_exceptions=True)
        for channel in (*channels, log_channel):
            await channel.close(None)
    per_interaction = float(best["records_per_interaction"]) if best else 0.0
    raw_rate = float(raw["produce_and_consume_per_s"])
    ratio = highest * per_interaction / raw_rate if highest and raw_rate else None
    print(
        f"  highest sustained {highest:g} interactions/s; raw broker {raw_rate:,.0f} records/s "
        f"({raw['record_bytes']:.0f} B); ratio {ratio if ratio is None else round(ratio, 4)}",
        flush=True,
    )
    return {
        "settings": asdict(settings),
        "definitions": {"sustained": SUSTAINED, "ratio": RATIO},
        "idle_cpu_percent": run.idle,
        "steps": sorted(steps, key=lambda s: float(s["rate"])),
        "highest_sustained_per_s": highest,
        "raw_broker": raw,
        "ratio": None
        if ratio is None
        else {
            "value": round(ratio, 4),
            "interactions_per_s": highest,
            "records_per_interaction": per_interaction,
            "platform_records_per_s": round(highest * per_interaction, 1),
            "raw_records_per_s": round(raw_rate, 1),
        },
    }


def main() -> int:
    from scripts._bench_results import Results  # noqa: PLC0415  (matplotlib only when writing)

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short steps (a smoke run, not figures)")
    parser.add_argument("--profile", choices=("routing", "interaction-log", "sla", "client-tenant"))
    parser.add_argument("--out", type=Path, default=Path("results/bench"))
    parser.add_argument("--rates", help="comma-separated fixed rates (interactions/s), e.g. 100,300")
    parser.add_argument("--seconds", type=float, help="length of each step")
    parser.add_argument("--agents", type=int, help="agents per tenant")
    parser.add_argument("--capacity", type=int, help="chats at once per agent")
    parser.add_argument("--search-steps", type=int, help="steps spent looking for the highest rate sustained")
    args = parser.parse_args()
    settings = E2eSettings.quick() if args.quick else E2eSettings()
    settings = replace(settings, profile=args.profile)
    if args.rates:
        settings = replace(settings, rates=tuple(float(r) for r in args.rates.split(",")))
    for name, value in (
        ("seconds", args.seconds),
        ("agents_per_tenant", args.agents),
        ("capacity", args.capacity),
        ("search_steps", args.search_steps),
    ):
        if value is not None:
            settings = replace(settings, **{name: value})
    results = Results(quick=args.quick)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        platform = Platform(Path(tmp))
        platform.start()
        stack.callback(platform.stop)
        results.e2e = run_load(platform, settings, args.out)
    print(results.write(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
