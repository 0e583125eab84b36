"""``make bench``: the platform's figures (not a test; numbers vary with the machine and its load).

First every service's own figures: event envelope encode+decode rate, raw produce rate into
the embedded broker with a plain aiokafka client, seconds from launch to all services
SERVING, SubmitInteraction through the routing API, tenant reads, a noisy tenant's effect on
another's submit latency (:mod:`scripts.bench_noisy_tenant`), routing decisions, SLA and
interaction-log ingest, the staffing plans and the forecast backtest
(:mod:`scripts.bench_forecast`), FAQ matching (precision and recall per language, µs per match:
:mod:`scripts.bench_faq`), webhook deliveries with one endpoint slow and the tenant stream
(:mod:`scripts.bench_webhooks`), chat messages through the conversation service
(:mod:`scripts.bench_chat`). Then the end-to-end load (:mod:`scripts.bench_e2e`) on a platform of
its own. Results go to ``results/bench/`` (bench.json, bench.md, latency_vs_load.png; see
docs/bench.md); the markdown is printed at the end. ``--quick`` shortens the end-to-end steps.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import statistics
import struct
import subprocess
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from time import perf_counter

import grpc
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from grpc import aio

from scripts import (
    bench_chat,
    bench_faq,
    bench_forecast,
    bench_interaction_log,
    bench_noisy_tenant,
    bench_routing,
    bench_sla,
    bench_staffing,
    bench_stream_job,
    bench_webhooks,
)
from scripts._bench_results import Results
from scripts.bench_e2e import E2eSettings, run_load
from vaxel.events.v1 import events_pb2
from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.events import decode_event, encode_event, new_event
from vaxel_common.kafka import aio_producer
from vaxel_common.pgcluster import TemporaryPostgres, postgres_bin
from vaxel_common.signing import RecordSigner, RecordVerifier
from vaxel_common.supervisor import Platform
from vaxel_vocabulary.business_hours import Shift, business_hours, is_open

RESULTS = Path("results/bench")


def bench_business_hours(n: int = 100_000) -> float:
    """is_open evaluations per second: split shifts, Swedish holidays, instants spread over weeks."""
    hours = business_hours(
        "Europe/Stockholm",
        {
            d: [Shift(time_of_day(8), time_of_day(12)), Shift(time_of_day(13), time_of_day(17))]
            for d in range(5)
        },
        "SE",
    )
    start = datetime(2026, 11, 25, tzinfo=UTC)
    instants = [start + timedelta(seconds=37 * i) for i in range(n)]
    began = perf_counter()
    for at in instants:
        is_open(hours, at)
    return n / (perf_counter() - began)


def bench_codec(n: int = 50_000) -> float:
    event = new_event(
        events_pb2.InteractionCreated(queue_id="q", channel=types_pb2.CHANNEL_CHAT, language="sv-SE"),
        tenant_id="t",
        producer="bench",
        interaction_id="i",
    )
    started = time.perf_counter()
    for _ in range(n):
        decode_event(encode_event(event))
    return n / (time.perf_counter() - started)


def bench_signing(n: int = 5_000) -> tuple[float, float]:
    """Microseconds per Ed25519 signature and per check of one event record (vaxel_common.signing):
    what signing every hot-path event would cost its producer and each of its consumers."""
    private = Ed25519PrivateKey.generate()
    signer, verifier = RecordSigner(private), RecordVerifier([private.public_key()])
    event = new_event(
        events_pb2.InteractionCreated(queue_id="q", channel=types_pb2.CHANNEL_CHAT, language="sv-SE"),
        tenant_id="t",
        producer="routing",
        interaction_id="i",
    )
    value, key = encode_event(event), b"i"
    started = time.perf_counter()
    headers = [signer.headers("t", key, value) for _ in range(n)][-1]
    signed = time.perf_counter()
    for _ in range(n):
        verifier.verify("t", key, value, headers)
    checked = time.perf_counter()
    return (signed - started) / n * 1e6, (checked - signed) / n * 1e6


async def bench_raw_produce(bootstrap: str, n: int = 100_000) -> float:
    producer = aio_producer(bootstrap, "bench", linger_ms=5, max_batch_size=256 * 1024)
    await producer.start()
    payload = b"x" * 200
    started = time.perf_counter()
    futures = [await producer.send("bench.raw", payload, key=str(i % 64).encode()) for i in range(n)]
    await asyncio.gather(*futures)
    elapsed = time.perf_counter() - started
    await producer.stop()
    return n / elapsed


async def bench_submit(platform: Platform, n: int = 3000, concurrency: int = 16) -> tuple[float, list[float]]:
    async with aio.insecure_channel(platform.processes["client-tenant"].grpc_target) as channel:
        admin = tenant_pb2_grpc.AdminServiceStub(channel)
        tenant = (
            await admin.CreateTenant(
                tenant_pb2.CreateTenantRequest(
                    name="Bench", country="SE", time_zone="Europe/Stockholm", languages=["sv-SE"]
                ),
                metadata=platform.admin_metadata,
            )
        ).tenant
        queue = (
            await tenant_pb2_grpc.TenantServiceStub(channel).CreateQueue(
                tenant_pb2.CreateQueueRequest(
                    tenant_id=tenant.tenant_id, name="Q", channels=[types_pb2.CHANNEL_CHAT], language="sv-SE"
                ),
                metadata=platform.admin_metadata,
            )
        ).queue
    async with aio.insecure_channel(platform.processes["routing"].grpc_target) as channel:
        routing = routing_pb2_grpc.RoutingServiceStub(channel)
        request = routing_pb2.SubmitInteractionRequest(
            tenant_id=tenant.tenant_id,
            queue_id=queue.queue_id,
            channel=types_pb2.CHANNEL_CHAT,
            language="sv-SE",
        )
        deadline = time.monotonic() + 30
        while True:  # until routing's replica has the queue
            try:
                await routing.SubmitInteraction(request, metadata=platform.admin_metadata)
                break
            except aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.NOT_FOUND or time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)
        latencies: list[float] = []

        async def worker(count: int) -> None:
            for _ in range(count):
                t0 = time.perf_counter()
                await routing.SubmitInteraction(request, metadata=platform.admin_metadata)
                latencies.append(time.perf_counter() - t0)

        started = time.perf_counter()
        await asyncio.gather(*(worker(n // concurrency) for _ in range(concurrency)))
        return len(latencies) / (time.perf_counter() - started), latencies


async def _reading_tenant(target: str, ops: tuple[tuple[str, str], ...]) -> tuple[str, bytes]:
    """A tenant with a read key and one queue; the key and a serialised GetQueueRequest."""
    async with aio.insecure_channel(target) as channel:
        admin = tenant_pb2_grpc.AdminServiceStub(channel)
        tenants = tenant_pb2_grpc.TenantServiceStub(channel)
        tenant = (
            await admin.CreateTenant(
                tenant_pb2.CreateTenantRequest(
                    name="Reads", country="US", time_zone="America/New_York", languages=["en-US"]
                ),
                metadata=ops,
            )
        ).tenant
        key = await admin.IssueApiKey(
            tenant_pb2.IssueApiKeyRequest(tenant_id=tenant.tenant_id, scopes=["config:read", "config:write"]),
            metadata=ops,
        )
        md = (("authorization", f"Bearer {key.api_key}"),)
        queue = (
            await tenants.CreateQueue(
                tenant_pb2.CreateQueueRequest(name="Q", channels=[types_pb2.CHANNEL_VOICE], language="en-US"),
                metadata=md,
            )
        ).queue
        return key.api_key, tenant_pb2.GetQueueRequest(queue_id=queue.queue_id).SerializeToString()


async def bench_tenant_reads(
    target: str, api_key: str, request: bytes, n: int = 6000, concurrency: int = 32
) -> tuple[float, list[float]]:
    """GetQueue with a tenant's own API key from a Python client (client and server share the cores)."""
    async with aio.insecure_channel(target) as channel:
        tenants = tenant_pb2_grpc.TenantServiceStub(channel)
        md = (("authorization", f"Bearer {api_key}"),)
        message = tenant_pb2.GetQueueRequest.FromString(request)
        latencies: list[float] = []

        async def worker(count: int) -> None:
            for _ in range(count):
                t0 = time.perf_counter()
                await tenants.GetQueue(message, metadata=md)
                latencies.append(time.perf_counter() - t0)

        started = time.perf_counter()
        await asyncio.gather(*(worker(n // concurrency) for _ in range(concurrency)))
        return len(latencies) / (time.perf_counter() - started), latencies


def h2load_reads(
    target: str, path: str, api_key: str, request: bytes, connections: int, streams: int, n: int = 20_000
) -> tuple[float, float] | None:
    """Rate and mean latency (ms) from h2load, a C HTTP/2 load generator that leaves the CPU to the server."""
    binary = shutil.which("h2load")
    if binary is None:
        return None
    with tempfile.NamedTemporaryFile(suffix=".bin") as body:
        body.write(b"\x00" + struct.pack(">I", len(request)) + request)
        body.flush()
        argv = [binary, "-n", str(n), "-c", str(connections), "-m", str(streams), "-d", body.name]
        argv += ["-H", "content-type: application/grpc", "-H", "te: trailers"]
        argv += ["-H", f"authorization: Bearer {api_key}", f"http://{target}{path}"]
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=300)  # noqa: S603
        out = done.stdout
    rate = re.search(r"finished in [\d.]+s, ([\d.]+) req/s", out)
    mean = re.search(r"time for request:\s+\S+\s+\S+\s+(\S+)", out)
    if rate is None or mean is None or " 0 failed" not in out:
        return None
    value = float(mean.group(1)[:-2]) / (1000 if mean.group(1).endswith("us") else 1)
    return float(rate.group(1)), value


def report_tenant_reads(results: Results, platform: Platform, store: str) -> None:
    target = platform.processes["client-tenant"].grpc_target
    api_key, request = asyncio.run(_reading_tenant(target, platform.admin_metadata))
    qps, lat = asyncio.run(bench_tenant_reads(target, api_key, request))
    print(
        f"tenant API GetQueue, {store:<10} {qps:>10,.0f} /s   Python client, 32 concurrent (target >= 5,000)"
    )
    print(
        f"  latency p50 / p99               {pct(lat, 50):>8.1f} / {pct(lat, 99):.1f} ms (target p99 <= 20)"
    )
    section = f"client-tenant ({store})"
    results.add(section, "GetQueue, Python client, 32 concurrent", qps, "/s", "target >= 5,000")
    results.add(section, "GetQueue latency p50", pct(lat, 50), "ms")
    results.add(section, "GetQueue latency p99", pct(lat, 99), "ms", "target <= 20")
    ceiling = h2load_reads(target, "/grpc.health.v1.Health/Check", "", b"", 16, 4)
    if ceiling is not None:
        print(f"  ceiling: health Check, no handler {ceiling[0]:>8,.0f} /s   (the Python gRPC server alone)")
        results.add(section, "health Check, h2load (the gRPC server alone)", ceiling[0], "/s")
    for connections, streams in ((16, 4), (4, 2)):
        measured = h2load_reads(
            target, "/vaxel.tenant.v1.TenantService/GetQueue", api_key, request, connections, streams
        )
        if measured is None:
            print("  h2load not installed (apt-get install nghttp2-client): server-side rate not measured")
            results.add(section, "GetQueue, h2load", None, "/s", "h2load not installed")
            return
        print(
            f"  h2load {connections * streams:>3} in flight          {measured[0]:>10,.0f} /s   mean {measured[1]:.1f} ms"
        )
        results.add(section, f"GetQueue, h2load {connections * streams} in flight", measured[0], "/s")
        results.add(section, f"GetQueue, h2load {connections * streams} in flight, mean", measured[1], "ms")


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=1000)[int(q * 10) - 1] * 1000


def in_process(results: Results) -> None:
    """The figures measured without a platform: encoding, signing, business hours, staffing, FAQ."""
    codec = bench_codec()
    print(f"event envelope encode+decode      {codec:>12,.0f} /s")
    results.add("common", "event envelope encode + decode", codec, "/s")
    sign_us, verify_us = bench_signing()
    print(f"Ed25519 sign / verify per event   {sign_us:>8.0f} / {verify_us:.0f} µs")
    results.add("common", "Ed25519 record signature, sign", sign_us, "µs")
    results.add("common", "Ed25519 record signature, verify", verify_us, "µs")
    hours = bench_business_hours()
    print(f"business hours is_open           {hours:>12,.0f} /s")
    results.add("client-tenant", "business hours is_open", hours, "/s")
    bench_staffing.report(results)
    bench_faq.report(results)


def foundation(results: Results, quick: bool) -> None:
    """Every service's own figures (each on a platform of its own where it needs one)."""
    in_process(results)
    bench_forecast.report(results, quick)
    with tempfile.TemporaryDirectory() as tmp:
        platform = Platform(Path(tmp))
        started = time.monotonic()
        platform.start()
        launch = time.monotonic() - started
        print(f"launch to {len(platform.services)} services SERVING      {launch:>12.1f} s")
        results.add("platform", f"launch to {len(platform.services)} services SERVING", launch, "s")
        try:
            rate = asyncio.run(bench_raw_produce(platform.kafka_bootstrap))
            print(f"raw aiokafka produce (200 B)      {rate:>12,.0f} msg/s")
            results.add("broker", "raw aiokafka produce, 200 B", rate, "records/s")
            qps, lat = asyncio.run(bench_submit(platform))
            print(f"SubmitInteraction (16 concurrent) {qps:>12,.0f} /s")
            print(f"  latency p50 / p99               {pct(lat, 50):>8.1f} / {pct(lat, 99):.1f} ms")
            results.add("routing", "SubmitInteraction, 16 concurrent, no agents", qps, "/s")
            results.add("routing", "SubmitInteraction latency p50", pct(lat, 50), "ms")
            results.add("routing", "SubmitInteraction latency p99", pct(lat, 99), "ms")
            report_tenant_reads(results, platform, "SQLite")
            bench_noisy_tenant.report(results, platform, seconds=8 if quick else 15)
            bench_routing.report(results)
            bench_sla.report(results, platform, interactions=10_000 if quick else 40_000)
            bench_interaction_log.report(results, platform)
            bench_chat.report(results, platform, chats=(100,) if quick else (100, 1000))
            bench_stream_job.report(results, events=10_000 if quick else 40_000)
            bench_webhooks.report(
                results, platform, seconds=8 if quick else 15, burst=2000 if quick else 5000
            )
        finally:
            platform.stop()
        if postgres_bin() is None:
            print("tenant API on PostgreSQL: not measured (no PostgreSQL server binaries)")
            results.add("client-tenant (PostgreSQL)", "GetQueue", None, "/s", "no PostgreSQL server binaries")
            return
        with TemporaryPostgres() as postgres:
            platform = Platform(
                Path(tmp) / "pg",
                extra_env={"VAXEL_CLIENT_TENANT_DATABASE_URL": postgres.create_database()},
            )
            platform.start()
            try:
                report_tenant_reads(results, platform, "PostgreSQL")
            finally:
                platform.stop()


def end_to_end(results: Results, settings: E2eSettings, out: Path) -> None:
    """The end-to-end load on a platform of its own (nothing else's backlog in the way)."""
    print("\nend to end through the whole platform (scripts/bench_e2e.py)")
    with tempfile.TemporaryDirectory() as tmp:
        platform = Platform(Path(tmp))
        platform.start()
        try:
            results.e2e = run_load(platform, settings, out)
        finally:
            platform.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Växel benchmark: every service, then end-to-end load.")
    parser.add_argument("--quick", action="store_true", help="short end-to-end steps (a smoke run)")
    parser.add_argument("--e2e-only", action="store_true", help="only the end-to-end load")
    parser.add_argument("--profile", choices=("routing", "interaction-log", "sla", "client-tenant"))
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"where the results go ({RESULTS})")
    args = parser.parse_args(argv)
    results = Results(quick=args.quick)
    print("Växel benchmark\n")
    if not args.e2e_only:
        foundation(results, args.quick)
    settings = replace(E2eSettings.quick() if args.quick else E2eSettings(), profile=args.profile)
    args.out.mkdir(parents=True, exist_ok=True)
    end_to_end(results, settings, args.out)
    text = results.write(args.out)
    print("\n" + text)
    print(f"written: {args.out / 'bench.json'}, {args.out / 'bench.md'}, {args.out / 'latency_vs_load.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
