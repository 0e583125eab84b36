"""One soak run: its own platform, its own load, faults at seeded random moments, then the history check.

The platform is the launcher's (embedded broker and the four services, :class:`Platform`) with the
launcher's supervision in a thread, so a killed service is restarted the way ``make run`` restarts it.
The load is the end-to-end bench's (:mod:`scripts._e2e_load`): chats submitted through routing at a
fixed rate over several tenants, desk agents who accept, end and wrap up; a prober reads from every
service four times a second, so an outage of any service shows up as client errors. One extra tenant
gets no load: the forged records name it.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import Counter
from collections.abc import Awaitable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from grpc import aio

from scripts._e2e_load import BenchQueue, DeskAgent, Stamps, onboard, submit_at_rate
from tests.soak import history as check
from tests.soak.faults import KINDS, Fault, Injector, Outage, plan
from vaxel.interactions.v1 import interactions_pb2, interactions_pb2_grpc
from vaxel.routing.v1 import routing_pb2_grpc
from vaxel.sla.v1 import sla_pb2, sla_pb2_grpc
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel_common.supervisor import Platform

__all__ = ["SoakSettings", "run_soak", "soak"]

_SETTLE = 2.0  # seconds after a recovery whose client errors still count against the fault


@dataclass(frozen=True, slots=True)
class SoakSettings:
    seed: int
    seconds: float = 240.0  # of load; the faults are spread over it
    rate: float = 15.0  # chats submitted per second
    tenants: int = 4
    agents_per_tenant: int = 6  # one chat at a time each
    kinds: tuple[str, ...] = KINDS
    drain_seconds: float = 120.0  # for the desks to finish what was acknowledged


def _supervise(platform: Platform, stop: threading.Event) -> None:
    """The launcher's loop: restart a service that exited, with its backoff."""
    while not stop.is_set():
        platform.supervise()
        stop.wait(0.1)


async def _read(stamps: Stamps, service: str, began: float, call: Awaitable[object]) -> None:
    try:
        await call
    except grpc.RpcError as err:
        stamps.fail(f"read {service}:{err.code().name}", began)


async def _probe(platform: Platform, queue: BenchQueue, stamps: Stamps) -> None:
    """A client reading from client-tenant, the interaction log and SLA, four times a second."""
    async with (
        aio.insecure_channel(platform.processes["client-tenant"].grpc_target) as tenant_ch,
        aio.insecure_channel(platform.processes["interaction-log"].grpc_target) as log_ch,
        aio.insecure_channel(platform.processes["sla"].grpc_target) as sla_ch,
    ):
        tenants = tenant_pb2_grpc.TenantServiceStub(tenant_ch)
        log = interactions_pb2_grpc.InteractionLogServiceStub(log_ch)
        sla = sla_pb2_grpc.SlaServiceStub(sla_ch)
        while True:
            now = datetime.now(UTC)
            start, end = Timestamp(), Timestamp()
            start.FromDatetime(now - timedelta(hours=1))
            end.FromDatetime(now)
            search = interactions_pb2.SearchInteractionsRequest(to=end, page_size=1)
            getattr(search, "from").CopyFrom(start)  # "from" is a Python keyword
            began = time.perf_counter()
            await _read(
                stamps,
                "client-tenant",
                began,
                tenants.GetQueue(
                    tenant_pb2.GetQueueRequest(queue_id=queue.queue_id), metadata=queue.key, timeout=2
                ),
            )
            await _read(
                stamps,
                "interaction-log",
                began,
                log.SearchInteractions(search, metadata=queue.key, timeout=2),
            )
            status = sla_pb2.GetQueueStatisticsRequest(queue_id=queue.queue_id)
            await _read(stamps, "sla", began, sla.GetQueueStatistics(status, metadata=queue.key, timeout=2))
            await asyncio.sleep(0.25)


async def _faults(
    injector: Injector, faults: list[Fault], started: float, victim: BenchQueue
) -> list[Outage]:
    done = []
    for fault in faults:
        await asyncio.sleep(max(0.0, started + fault.at - time.perf_counter()))
        print(f"  {time.perf_counter() - started:6.1f}s  {fault.name}", flush=True)
        outage = await asyncio.to_thread(injector.do, fault, (victim.tenant_id, victim.queue_id))
        slow = {name: s for name, s in outage.waited.items() if s >= 0.5}
        print(f"          recovered in {outage.recovery_seconds} s; waited for SERVING: {slow}", flush=True)
        done.append(outage)
    return done


async def _drained(stamps: Stamps, seconds: float, quiet: float = 15.0) -> int:
    """Wait until the desks confirmed every acknowledged submission's wrap-up, or nothing changed for
    ``quiet`` seconds (a reply lost with a killed routing is never confirmed: the events tell), or
    ``seconds``; returns how many are not confirmed."""
    deadline = time.perf_counter() + seconds
    last, since = -1, time.perf_counter()
    while (left := sum(1 for i in stamps.at["submitted"] if i not in stamps.at["wrapped_up"])) > 0:
        now = time.perf_counter()
        if left != last:
            last, since = left, now
        if now > deadline or now - since > quiet:
            break
        await asyncio.sleep(0.5)
    return left


def _attribute(outages: list[Outage], stamps: Stamps) -> Counter[str]:
    """Each client error to the fault whose window holds its start: from the fault until every service
    serves again, plus ``_SETTLE`` (but not into the next fault); the rest are returned."""
    outside: Counter[str] = Counter()
    windows = [
        (o, o.started, min(o.ended + _SETTLE, after.started if after else float("inf")))
        for o, after in zip(outages, [*outages[1:], None], strict=True)
    ]
    for at, label in stamps.failures:
        for outage, start, end in windows:
            if start <= at <= end:
                outage.errors[label] = outage.errors.get(label, 0) + 1
                break
        else:
            outside[label] += 1
    return outside


async def soak(platform: Platform, settings: SoakSettings) -> dict[str, Any]:
    """The whole run on a started platform; a JSON-ready report (see docs/operations.md, Soak)."""
    rng = random.Random(settings.seed)  # noqa: S311  (a reproducible plan, not a secret)
    faults = plan(rng, settings.kinds, settings.seconds)
    print(f"soak: seed {settings.seed}, {settings.seconds:g} s at {settings.rate:g} chats/s", flush=True)
    began = datetime.now(UTC)
    since = began - timedelta(minutes=15)
    queues = await onboard(platform, settings.tenants + 1, settings.agents_per_tenant, capacity=1)
    loaded, victim = queues[:-1], queues[-1]
    stamps = Stamps()
    routing_target = platform.processes["routing"].grpc_target
    channels = [aio.insecure_channel(routing_target) for _ in range(len(loaded) + 1)]
    agents = [
        DeskAgent(routing_pb2_grpc.AgentDeskServiceStub(channels[1 + n]), a, platform.admin_metadata, stamps)
        for n, queue in enumerate(loaded)
        for a in queue.agent_ids
    ]
    tasks = [asyncio.create_task(agent.run()) for agent in agents]
    injector = Injector(platform)
    try:
        await asyncio.wait_for(asyncio.gather(*(a.ready.wait() for a in agents)), timeout=60)
        tasks.append(asyncio.create_task(_probe(platform, loaded[0], stamps)))
        started = time.perf_counter()
        faulting = asyncio.create_task(_faults(injector, faults, started, victim))
        await submit_at_rate(
            routing_pb2_grpc.RoutingServiceStub(channels[0]),
            loaded,
            stamps,
            settings.rate,
            settings.seconds,
            give_up=1e9,
        )
        outages = await faulting
        unconfirmed = await _drained(stamps, settings.drain_seconds)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for channel in channels:
            await channel.close(None)
        injector.close()
    outside = _attribute(outages, stamps)
    counts = check.Counts()
    found = await asyncio.to_thread(check.history, platform, {q.tenant_id for q in queues})
    check.check_events(found, stamps.order, counts)
    await check.compare_log(platform, loaded, found, counts)
    await check.compare_sla(platform, loaded, found, since, counts)
    await asyncio.to_thread(check.dead_lettered, platform, injector.injected, counts)
    await check.check_forgeries(platform, injector.forgeries, victim, since, counts)
    print(f"  history: {counts.line()}", flush=True)
    return {
        "seed": settings.seed,
        "settings": {**asdict(settings), "kinds": list(settings.kinds)},
        "started_at": began.isoformat(timespec="seconds"),
        "unconfirmed_at_desks": unconfirmed,
        "submitted": len(stamps.order),
        "wrapped_up_at_desks": stamps.count("wrapped_up"),
        "faults": [
            {
                "fault": o.fault.name,
                "at_seconds": round(o.started - started, 2),  # as done (planned: o.fault.at)
                "hold_seconds": o.fault.hold,
                "recovery_seconds": o.recovery_seconds,
                "injecting_seconds": o.injecting_seconds,
                "waited_for_serving_seconds": o.waited,
                "client_errors": dict(sorted(o.errors.items())),
            }
            for o in outages
        ],
        "client_errors_outside_faults": dict(sorted(outside.items())),
        "injected_records": len(injector.injected),
        "history": {
            **{k: v for k, v in asdict(counts).items() if k != "examples"},
            "mismatched": counts.mismatched,
            "defects": counts.defects,
            "examples": counts.examples,
        },
    }


def run_soak(settings: SoakSettings, data_dir: Path) -> dict[str, Any]:
    """Start a platform in ``data_dir``, supervise it as the launcher does, soak it, stop it."""
    platform = Platform(data_dir)
    platform.start(timeout=90)
    stop = threading.Event()
    supervisor = threading.Thread(target=_supervise, args=(platform, stop), daemon=True)
    supervisor.start()
    try:
        return asyncio.run(soak(platform, settings))
    finally:
        stop.set()
        supervisor.join(timeout=5)
        platform.stop()
