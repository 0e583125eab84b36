"""Webhook figures for ``make bench``: deliveries per second to one tenant's endpoint while another
tenant's endpoint never answers in time, latency from the event to its arrival (target: >= 500/s and
p99 <= 1 s after the event), and the tenant stream's events per second.

Two tenants on the running platform; a real aiohttp server on loopback receives the POSTs: ``/slow``
(tenant S) holds every request longer than the service's timeout, ``/fast`` (tenant F) answers at once.
Paced: F's events produced at ``rate``/s for ``seconds`` while S gets 50/s; latency = arrival minus the
event's occurred-at. Burst: ``burst`` events of F at once, first to last arrival. Stream: F's events read
from the start of the topics (every tenant's records passed over), first to last.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from aiohttp import web
from grpc import aio

from scripts._bench_results import Results
from vaxel.events.v1 import events_pb2
from vaxel.integrations.v1 import integrations_pb2 as pb
from vaxel.integrations.v1 import integrations_pb2_grpc as pb_grpc
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.events import encode_event, new_event
from vaxel_common.kafka import aio_producer
from vaxel_common.supervisor import Platform
from vaxel_common.topics import INTERACTION_EVENTS

__all__ = ["report"]

SECTION = "integrations"
_SLOW_HOLD_SECONDS = 60.0  # longer than any attempt timeout: every attempt to /slow times out


@dataclass
class _Arrivals:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {"/fast": [], "/slow": []})
    times: dict[str, list[float]] = field(default_factory=lambda: {"/fast": [], "/slow": []})


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def _receiver(arrivals: _Arrivals) -> tuple[web.AppRunner, int]:
    async def handle(request: web.Request) -> web.Response:
        body = await request.json()
        if request.path == "/slow":
            await asyncio.sleep(_SLOW_HOLD_SECONDS)
        now = time.time()
        occurred = datetime.fromisoformat(body["occurred_at"].replace("Z", "+00:00")).timestamp()
        arrivals.latencies[request.path].append(now - occurred)
        arrivals.times[request.path].append(now)
        return web.Response(status=204)

    app = web.Application()
    app.router.add_post("/fast", handle)
    app.router.add_post("/slow", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]  # started above
    return runner, port


async def _tenant(platform: Platform, channel: aio.Channel, name: str) -> str:
    created = await tenant_pb2_grpc.AdminServiceStub(channel).CreateTenant(
        tenant_pb2.CreateTenantRequest(
            name=name, country="SE", time_zone="Europe/Stockholm", languages=["sv"]
        ),
        metadata=platform.admin_metadata,
    )
    return created.tenant.tenant_id


async def _register(
    platform: Platform, stub: pb_grpc.WebhookServiceAsyncStub, tenant_id: str, url: str
) -> None:
    deadline = time.monotonic() + 60
    while True:  # the tenant reaches integrations through the configuration topic
        try:
            await stub.CreateEndpoint(
                pb.CreateEndpointRequest(tenant_id=tenant_id, url=url, event_types=["interaction.created"]),
                metadata=platform.admin_metadata,
                timeout=10,
            )
            return
        except aio.AioRpcError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.2)


def _event(tenant_id: str) -> events_pb2.Event:
    return new_event(
        events_pb2.InteractionCreated(queue_id="q", channel=types_pb2.CHANNEL_CHAT, language="sv"),
        tenant_id=tenant_id,
        producer="routing",
        interaction_id=str(uuid.uuid4()),
    )


async def _paced(bootstrap: str, fast: str, slow: str, rate: float, seconds: float) -> int:
    """F's events at ``rate``/s and S's at 50/s for ``seconds``; returns how many of F's were sent."""
    producer = aio_producer(bootstrap, "bench-webhooks")
    await producer.start()
    sent = 0
    try:
        began = time.monotonic()
        tick = 0.02
        while (elapsed := time.monotonic() - began) < seconds:
            due = int(elapsed * rate) - sent
            for _ in range(due):
                event = _event(fast)
                await producer.send(
                    INTERACTION_EVENTS.name, encode_event(event), key=event.interaction_id.encode()
                )
            if int(elapsed / tick) % 25 == 0:
                event = _event(slow)
                await producer.send(
                    INTERACTION_EVENTS.name, encode_event(event), key=event.interaction_id.encode()
                )
            sent += due
            await asyncio.sleep(tick)
        await producer.flush()
    finally:
        await producer.stop()
    return sent


async def _burst(bootstrap: str, fast: str, n: int) -> None:
    producer = aio_producer(bootstrap, "bench-webhooks")
    await producer.start()
    try:
        for _ in range(n):
            event = _event(fast)
            await producer.send(
                INTERACTION_EVENTS.name, encode_event(event), key=event.interaction_id.encode()
            )
        await producer.flush()
    finally:
        await producer.stop()


async def _until(arrivals: _Arrivals, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while len(arrivals.times["/fast"]) < count and time.monotonic() < deadline:  # noqa: ASYNC110  (a count, polled)
        await asyncio.sleep(0.1)


async def _stream_rate(platform: Platform, channel: aio.Channel, tenant_id: str, expected: int) -> float:
    stub = pb_grpc.TenantEventsServiceStub(channel)
    call = stub.StreamEvents(
        pb.StreamEventsRequest(tenant_id=tenant_id, start=pb.STREAM_START_EARLIEST),
        metadata=platform.admin_metadata,
        timeout=300,
    )
    seen, began = 0, 0.0
    async for reply in call:
        if not reply.HasField("event"):
            continue
        if seen == 0:
            began = time.perf_counter()
        seen += 1
        if seen == expected:
            break
    call.cancel()
    elapsed = time.perf_counter() - began
    return (seen - 1) / elapsed if elapsed > 0 else float("nan")


async def measure(platform: Platform, *, rate: float, seconds: float, burst: int) -> dict[str, float]:
    arrivals = _Arrivals()
    runner, port = await _receiver(arrivals)
    try:
        async with (
            aio.insecure_channel(platform.processes["client-tenant"].grpc_target) as tenants,
            aio.insecure_channel(platform.processes["integrations"].grpc_target) as integrations,
        ):
            fast = await _tenant(platform, tenants, f"Fast {uuid.uuid4().hex[:5]}")
            slow = await _tenant(platform, tenants, f"Slow {uuid.uuid4().hex[:5]}")
            hooks = pb_grpc.WebhookServiceStub(integrations)
            await _register(platform, hooks, slow, f"http://127.0.0.1:{port}/slow")
            await _register(platform, hooks, fast, f"http://127.0.0.1:{port}/fast")
            sent = await _paced(platform.kafka_bootstrap, fast, slow, rate, seconds)
            await _until(arrivals, sent, 60)
            paced = list(arrivals.latencies["/fast"])
            times = arrivals.times["/fast"]
            paced_rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else float("nan")
            before = len(times)
            started = time.time()
            await _burst(platform.kafka_bootstrap, fast, burst)
            await _until(arrivals, before + burst, 120)
            burst_times = arrivals.times["/fast"][before:]
            burst_rate = len(burst_times) / (burst_times[-1] - started) if burst_times else float("nan")
            stream = await _stream_rate(platform, integrations, fast, len(arrivals.times["/fast"]))
    finally:
        await runner.cleanup()
    return {
        "sent": sent,
        "paced_delivered": len(paced),
        "paced_rate": paced_rate,
        "p50": _pct(paced, 50),
        "p99": _pct(paced, 99),
        "mean": statistics.fmean(paced) if paced else float("nan"),
        "burst_rate": burst_rate,
        "stream_rate": stream,
        "slow_delivered": len(arrivals.times["/slow"]),
    }


def report(
    results: Results, platform: Platform, *, rate: float = 600, seconds: float = 15, burst: int = 5000
) -> dict[str, float]:
    figures = asyncio.run(measure(platform, rate=rate, seconds=seconds, burst=burst))
    print(
        f"webhooks, one endpoint slow: {figures['paced_delivered']:,.0f}/{figures['sent']:,.0f} delivered at"
        f" {figures['paced_rate']:,.0f}/s (offered {rate:,.0f}/s), after the event p50"
        f" {figures['p50'] * 1000:.0f} ms, p99 {figures['p99'] * 1000:.0f} ms"
    )
    print(
        f"  burst of {burst:,}: {figures['burst_rate']:,.0f} deliveries/s; tenant stream {figures['stream_rate']:,.0f} events/s"
    )
    results.add(
        SECTION,
        f"webhook deliveries, one endpoint slow, offered {rate:.0f}/s",
        figures["paced_rate"],
        "/s",
        "target >= 500",
    )
    results.add(SECTION, "webhook delivery after the event, p50", figures["p50"] * 1000, "ms")
    results.add(
        SECTION, "webhook delivery after the event, p99", figures["p99"] * 1000, "ms", "target <= 1,000"
    )
    results.add(
        SECTION, f"webhook deliveries, burst of {burst}, one endpoint slow", figures["burst_rate"], "/s"
    )
    results.add(SECTION, "tenant event stream, from the start", figures["stream_rate"], "events/s")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=600.0, help="fast tenant's events per second")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of the paced phase")
    parser.add_argument("--burst", type=int, default=5000, help="events of the burst")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        platform = Platform(Path(tmp))
        platform.start()
        try:
            report(Results(), platform, rate=args.rate, seconds=args.seconds, burst=args.burst)
        finally:
            platform.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
