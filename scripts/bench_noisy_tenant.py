"""A noisy tenant's effect on another tenant's submit p99 (issue 17, fault 11), for ``make bench``.

A quiet tenant submits chats at a modest steady rate (open loop: one call every 1/rate s, however
long the last took) and its SubmitInteraction latencies are recorded, in three phases of equal length:

1. **alone**: nobody else submits;
2. **noisy, limited**: a second tenant floods from another process (many calls in flight, retrying
   a refusal at once, as a client that ignores the retry delay would) under a contract limit
   (:data:`NOISY_LIMITS`); its refused share is recorded;
3. **noisy, unlimited**: the same flood with the limits raised out of reach (the platform as it was
   before per-tenant limits), to show what the limit buys.

Run alone: ``python -m scripts.bench_noisy_tenant`` (starts a platform of its own).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import grpc
from grpc import aio

from scripts._bench_results import Results
from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.supervisor import Platform

__all__ = ["NoisyFigures", "measure", "report"]

QUIET_RATE = 20.0  # submissions per second
FLOOD_IN_FLIGHT = 32
NOISY_LIMITS = tenant_pb2.TenantLimits(submissions_per_second=50, burst=50, max_in_flight=16)
UNLIMITED = tenant_pb2.TenantLimits(submissions_per_second=100_000, burst=1_000_000, max_in_flight=100_000)
SECTION = "routing: noisy tenant"


@dataclass(frozen=True, slots=True)
class Phase:
    name: str
    quiet_sent: int
    quiet_failed: int
    quiet_p50_ms: float
    quiet_p99_ms: float
    noisy_attempts: int = 0
    noisy_refused: int = 0

    @property
    def refused_share(self) -> float:
        return self.noisy_refused / self.noisy_attempts if self.noisy_attempts else 0.0


@dataclass(frozen=True, slots=True)
class NoisyFigures:
    seconds: float
    phases: tuple[Phase, ...]


@dataclass(frozen=True, slots=True)
class _Tenant:
    tenant_id: str
    queue_id: str


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))] * 1000 if ordered else 0.0


def _request(tenant: _Tenant) -> routing_pb2.SubmitInteractionRequest:
    return routing_pb2.SubmitInteractionRequest(
        tenant_id=tenant.tenant_id, queue_id=tenant.queue_id, channel=types_pb2.CHANNEL_CHAT, language="sv-SE"
    )


async def _tenant(platform: Platform, name: str) -> _Tenant:
    async with aio.insecure_channel(platform.processes["client-tenant"].grpc_target) as channel:
        created = await tenant_pb2_grpc.AdminServiceStub(channel).CreateTenant(
            tenant_pb2.CreateTenantRequest(
                name=name, country="SE", time_zone="Europe/Stockholm", languages=["sv-SE"]
            ),
            metadata=platform.admin_metadata,
        )
        queue = await tenant_pb2_grpc.TenantServiceStub(channel).CreateQueue(
            tenant_pb2.CreateQueueRequest(
                tenant_id=created.tenant.tenant_id,
                name="Chat",
                channels=[types_pb2.CHANNEL_CHAT],
                language="sv-SE",
            ),
            metadata=platform.admin_metadata,
        )
    return _Tenant(created.tenant.tenant_id, queue.queue.queue_id)


async def _set_limits(platform: Platform, tenant: _Tenant, limits: tenant_pb2.TenantLimits) -> None:
    version = tenant_pb2.ContractVersion(
        effective_from=datetime.now(ZoneInfo("Europe/Stockholm")).date().isoformat(),
        currency="SEK",
        target_percent=80,
        limits=limits,
    )
    version.threshold.FromSeconds(20)
    async with aio.insecure_channel(platform.processes["client-tenant"].grpc_target) as channel:
        await tenant_pb2_grpc.AdminServiceStub(channel).SetContractVersion(
            tenant_pb2.SetContractVersionRequest(tenant_id=tenant.tenant_id, version=version),
            metadata=platform.admin_metadata,
        )


async def _until_routed(platform: Platform, tenant: _Tenant) -> None:
    """Until routing's replica has the tenant's queue (and, a moment later, its contract)."""
    async with aio.insecure_channel(platform.processes["routing"].grpc_target) as channel:
        routing = routing_pb2_grpc.RoutingServiceStub(channel)
        deadline = time.monotonic() + 30
        while True:
            try:
                await routing.SubmitInteraction(_request(tenant), metadata=platform.admin_metadata)
                break
            except aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.NOT_FOUND or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # the contract follows the queue on the configuration topic


async def _quiet(
    target: str, metadata: tuple[tuple[str, str], ...], tenant: _Tenant, seconds: float
) -> Phase:
    latencies: list[float] = []
    failed = 0
    async with aio.insecure_channel(target) as channel:
        routing = routing_pb2_grpc.RoutingServiceStub(channel)
        request = _request(tenant)

        async def one() -> None:
            nonlocal failed
            started = time.perf_counter()
            try:
                await routing.SubmitInteraction(request, metadata=metadata, timeout=10)
                latencies.append(time.perf_counter() - started)
            except aio.AioRpcError:
                failed += 1

        calls = []
        began = time.perf_counter()
        for n in range(round(seconds * QUIET_RATE)):
            await asyncio.sleep(max(0.0, began + n / QUIET_RATE - time.perf_counter()))
            calls.append(asyncio.create_task(one()))
        await asyncio.gather(*calls)
    return Phase("", len(calls), failed, _pct(latencies, 50), _pct(latencies, 99))


async def _flood(
    target: str, metadata: tuple[tuple[str, str], ...], tenant: _Tenant, seconds: float
) -> tuple[int, int]:
    attempts = refused = 0
    async with aio.insecure_channel(target) as channel:
        routing = routing_pb2_grpc.RoutingServiceStub(channel)
        request = _request(tenant)
        until = time.monotonic() + seconds

        async def worker() -> None:
            nonlocal attempts, refused
            while time.monotonic() < until:
                attempts += 1
                try:
                    await routing.SubmitInteraction(request, metadata=metadata, timeout=10)
                except aio.AioRpcError as exc:
                    if exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                        refused += 1

        await asyncio.gather(*(worker() for _ in range(FLOOD_IN_FLIGHT)))
    return attempts, refused


def _flood_process(
    target: str,
    metadata: tuple[tuple[str, str], ...],
    tenant: _Tenant,
    seconds: float,
    out: multiprocessing.Queue[tuple[int, int]],
) -> None:
    out.put(asyncio.run(_flood(target, metadata, tenant, seconds)))


async def _phase(
    platform: Platform, quiet: _Tenant, noisy: _Tenant | None, seconds: float, name: str
) -> Phase:
    target = platform.processes["routing"].grpc_target
    metadata = tuple(platform.admin_metadata)
    if noisy is None:
        phase = await _quiet(target, metadata, quiet, seconds)
        return Phase(name, phase.quiet_sent, phase.quiet_failed, phase.quiet_p50_ms, phase.quiet_p99_ms)
    context = multiprocessing.get_context("spawn")
    out: multiprocessing.Queue[tuple[int, int]] = context.Queue()
    flood = context.Process(target=_flood_process, args=(target, metadata, noisy, seconds + 2, out))
    flood.start()
    await asyncio.sleep(2)  # the flood at full speed before the quiet tenant's phase starts
    phase = await _quiet(target, metadata, quiet, seconds)
    attempts, refused = await asyncio.to_thread(out.get, True, seconds + 60)
    flood.join(timeout=30)
    return Phase(
        name, phase.quiet_sent, phase.quiet_failed, phase.quiet_p50_ms, phase.quiet_p99_ms, attempts, refused
    )


async def measure(platform: Platform, seconds: float = 15.0) -> NoisyFigures:
    quiet = await _tenant(platform, "Quiet Bench")
    noisy = await _tenant(platform, "Noisy Bench")
    await _set_limits(platform, noisy, NOISY_LIMITS)
    await _until_routed(platform, quiet)
    await _until_routed(platform, noisy)
    alone = await _phase(platform, quiet, None, seconds, "alone")
    limited = await _phase(platform, quiet, noisy, seconds, "noisy tenant flooding, limited")
    await _set_limits(platform, noisy, UNLIMITED)
    await asyncio.sleep(1.0)
    unlimited = await _phase(platform, quiet, noisy, seconds, "noisy tenant flooding, no limit")
    return NoisyFigures(seconds, (alone, limited, unlimited))


def report(results: Results, platform: Platform, seconds: float = 15.0) -> NoisyFigures:
    """Print and record the figures."""
    load_before = os.getloadavg()[0]
    figures = asyncio.run(measure(platform, seconds))
    limits = NOISY_LIMITS
    print(
        f"noisy tenant (quiet tenant {QUIET_RATE:.0f}/s; flood {FLOOD_IN_FLIGHT} in flight; limit "
        f"{limits.submissions_per_second:g}/s, burst {limits.burst}, {limits.max_in_flight} in flight; "
        f"{seconds:.0f} s a phase; machine load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}):"
    )
    for phase in figures.phases:
        noisy = (
            f"; noisy {phase.noisy_attempts / seconds:,.0f} attempts/s, {phase.refused_share:.1%} refused"
            if phase.noisy_attempts
            else ""
        )
        print(
            f"  {phase.name:<34} quiet p50 {phase.quiet_p50_ms:6.1f} ms, p99 {phase.quiet_p99_ms:6.1f} ms,"
            f" {phase.quiet_failed} failed of {phase.quiet_sent}{noisy}"
        )
        results.add(SECTION, f"quiet tenant submit p50, {phase.name}", phase.quiet_p50_ms, "ms")
        results.add(SECTION, f"quiet tenant submit p99, {phase.name}", phase.quiet_p99_ms, "ms")
        results.add(SECTION, f"quiet tenant submissions failed, {phase.name}", phase.quiet_failed, "calls")
        if phase.noisy_attempts:
            results.add(SECTION, f"noisy tenant attempts, {phase.name}", phase.noisy_attempts / seconds, "/s")
            results.add(SECTION, f"noisy tenant refused share, {phase.name}", phase.refused_share * 100, "%")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each phase")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        platform = Platform(Path(tmp))
        platform.start()
        try:
            report(Results(), platform, args.seconds)
        finally:
            platform.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
