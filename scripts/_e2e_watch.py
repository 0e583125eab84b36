"""What the end-to-end bench watches while the load runs (each service's ``/metrics``, CPU and memory of
every process, the records on the broker), the raw broker ceiling measured with a plain client, and an
optional py-spy profile of one service."""

from __future__ import annotations

import asyncio
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psutil
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition
from prometheus_client.parser import text_string_to_metric_families

from vaxel_common.kafka import aio_consumer, aio_producer, create_topics
from vaxel_common.supervisor import Platform
from vaxel_common.topics import AGENT_EVENTS, ALL_TOPICS, INTERACTION_EVENTS, ROUTING_INPUTS, TopicSpec
from vaxel_routing.adapters.runner import GROUP as ROUTING_GROUP

__all__ = [
    "BROKER",
    "CLIENT",
    "Watch",
    "broker_records",
    "profile",
    "raw_ceiling",
    "record_bytes",
]

BROKER = "broker"
_PROFILE_RATE = 100  # samples per second
_ROOT = Path(__file__).resolve().parents[1]  # where ``python -m scripts...`` runs
CLIENT = "bench-client"
WRAPPED_UP = "interaction.wrapped_up"


def _scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as reply:  # noqa: S310  (loopback metrics URL)
        return str(reply.read().decode())


def _processes(platform: Platform) -> dict[str, psutil.Process]:
    """The four services, the broker (a child of this process running Tansu) and this process."""
    found = {
        name: psutil.Process(p.process.pid) for name, p in platform.processes.items() if p.process is not None
    }
    port = platform.kafka_bootstrap.rsplit(":", 1)[-1]
    for child in psutil.Process().children(recursive=True):
        try:
            if "tansu" in child.name() and any(port in arg for arg in child.cmdline()):
                found[BROKER] = child
        except psutil.Error:
            continue
    found[CLIENT] = psutil.Process()
    return found


@dataclass
class Sample:
    at: float  # perf_counter
    lag: dict[str, dict[str, float]]  # service -> topic -> records behind
    wrapped_consumed: dict[str, float]  # service -> interaction.wrapped_up events consumed (counter)


@dataclass
class Watch:
    """Samples while the load runs: SLA's answered counter of the bench tenants every ``fast`` seconds
    (for the submit -> counted-by-SLA curve), the other services' metrics and the processes every
    ``slow`` seconds."""

    platform: Platform
    tenant_ids: set[str]
    fast: float = 0.25
    slow: float = 1.0
    answered: list[tuple[float, float]] = field(default_factory=list)  # (perf_counter, answered)
    samples: list[Sample] = field(default_factory=list)
    cpu: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # name -> (at, cpu seconds)
    machine: list[tuple[float, float]] = field(default_factory=list)  # (at, busy CPU seconds, all CPUs)
    rss: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # name -> (at, bytes)

    def __post_init__(self) -> None:
        self.processes = _processes(self.platform)

    def _sla_answered(self) -> float:
        text = _scrape(self.platform.processes["sla"].metrics_url)
        total = 0.0
        for line in text.splitlines():
            if line.startswith("vaxel_sla_answered_total{"):
                tenant = re.search(r'tenant="([^"]*)"', line)
                if tenant is not None and tenant.group(1) in self.tenant_ids:
                    total += float(line.rsplit(" ", 1)[1])
        return total

    def _services(self) -> Sample:
        lag: dict[str, dict[str, float]] = {}
        wrapped: dict[str, float] = {}
        for name, proc in self.platform.processes.items():
            lag[name] = {}
            for family in text_string_to_metric_families(_scrape(proc.metrics_url)):
                for s in family.samples:
                    if s.name == "vaxel_consumer_lag_records":
                        lag[name][s.labels["topic"]] = s.value
                    elif s.name == "vaxel_events_consumed_total" and s.labels.get("event_type") == WRAPPED_UP:
                        wrapped[name] = wrapped.get(name, 0.0) + s.value
        return Sample(time.perf_counter(), lag, wrapped)

    def _processes_now(self) -> None:
        at = time.perf_counter()
        total = psutil.cpu_times()
        self.machine.append(
            (at, total.user + total.nice + total.system + total.irq + total.softirq + total.steal)
        )
        for name, proc in self.processes.items():
            try:
                times = proc.cpu_times()
                rss = proc.memory_info().rss
            except psutil.Error:
                continue
            self.cpu.setdefault(name, []).append((at, times.user + times.system))
            self.rss.setdefault(name, []).append((at, float(rss)))

    def tick(self, slow: bool) -> None:
        """One round of sampling (blocking: run it in a thread)."""
        self.answered.append((time.perf_counter(), self._sla_answered()))
        if slow:
            self.samples.append(self._services())
            self._processes_now()

    async def _routing_lag(self, consumer: AIOKafkaConsumer) -> None:
        """Routing's engine reads its inputs log with a consumer of its own (not in /metrics): its lag
        from the broker, end offsets less the group's committed offsets."""
        partitions = [TopicPartition(ROUTING_INPUTS.name, p) for p in range(ROUTING_INPUTS.partitions)]
        ends = await consumer.end_offsets(partitions)
        behind = 0
        for tp in partitions:
            if ends[tp]:
                behind += max(0, ends[tp] - (await consumer.committed(tp) or 0))
        if self.samples:
            self.samples[-1].lag.setdefault("routing", {})[ROUTING_INPUTS.name] = float(behind)

    async def run(self) -> None:
        """Sample until cancelled."""
        rounds = 0
        every = max(1, round(self.slow / self.fast))
        groups = aio_consumer(self.platform.kafka_bootstrap, ROUTING_GROUP)  # never joins: reads offsets
        await groups.start()
        try:
            while True:
                started = time.perf_counter()
                slow = rounds % every == 0
                await asyncio.to_thread(self.tick, slow)
                if slow:
                    await self._routing_lag(groups)
                rounds += 1
                await asyncio.sleep(max(0.0, self.fast - (time.perf_counter() - started)))
        finally:
            await groups.stop()

    def idle_cpu(self, since: float) -> dict[str, float]:
        """Each process's CPU percent since ``since`` (``perf_counter``)."""
        out: dict[str, float] = {}
        for name, cpu in self.cpu.items():
            held = [(t, v) for t, v in cpu if t >= since]
            if len(held) >= 2 and held[-1][0] > held[0][0]:
                out[name] = round(100 * (held[-1][1] - held[0][1]) / (held[-1][0] - held[0][0]), 1)
        return out

    def final(self) -> None:
        """A last round of every sample (after the drain)."""
        self.tick(slow=True)


async def broker_records(bootstrap: str) -> dict[str, int]:
    """Records written so far to each of the platform's topics (the sum of the partitions' end offsets)."""
    consumer = aio_consumer(bootstrap, None)
    await consumer.start()
    try:
        partitions = [TopicPartition(t.name, p) for t in ALL_TOPICS for p in range(t.partitions)]
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    totals: Counter[str] = Counter()
    for tp, end in ends.items():
        totals[tp.topic] += end
    return dict(totals)


async def record_bytes(bootstrap: str, per_partition: int = 200) -> dict[str, float]:
    """Mean key + value size of the latest records of the topics the load writes."""
    consumer = aio_consumer(bootstrap, None)
    await consumer.start()
    sizes: dict[str, list[int]] = {}
    try:
        topics = (ROUTING_INPUTS, INTERACTION_EVENTS, AGENT_EVENTS)
        partitions = [TopicPartition(t.name, p) for t in topics for p in range(t.partitions)]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        wanted = 0
        for tp in partitions:
            start = max(0, ends[tp] - per_partition)
            consumer.seek(tp, start)
            wanted += ends[tp] - start
        deadline = time.monotonic() + 20
        got = 0
        while got < wanted and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500, max_records=5000)
            for tp, records in batches.items():
                for record in records:
                    if record.offset < ends[tp]:
                        sizes.setdefault(tp.topic, []).append(
                            len(record.key or b"") + len(record.value or b"")
                        )
                        got += 1
    finally:
        await consumer.stop()
    return {topic: statistics.fmean(values) for topic, values in sizes.items() if values}


def _consume(bootstrap: str, topic: str, partitions: int, records: int) -> None:
    """Run in its own process (``python -m scripts._e2e_watch``): prints ``ready`` once assigned, then
    the monotonic time when ``records`` records of ``topic`` have been read from the start."""

    async def consume() -> float:
        consumer = aio_consumer(bootstrap, None, max_poll_records=5000)
        await consumer.start()
        try:
            assigned = [TopicPartition(topic, p) for p in range(partitions)]
            consumer.assign(assigned)
            await consumer.seek_to_beginning(*assigned)
            print("ready", flush=True)
            seen = 0
            while seen < records:
                batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
                seen += sum(len(r) for r in batches.values())
            return time.monotonic()
        finally:
            await consumer.stop()

    print(asyncio.run(consume()), flush=True)


async def raw_ceiling(bootstrap: str, size: int, records: int) -> dict[str, float]:
    """One plain aiokafka producer (this process) and one plain consumer (its own process, as each
    service has its own) at once on a fresh 6-partition topic: ``records`` records of ``size`` bytes
    (a 36-byte key and the rest value)."""
    spec = TopicSpec(f"bench.raw.{uuid.uuid4().hex[:8]}", 6, "record number", "make bench: raw ceiling")
    await asyncio.to_thread(create_topics, bootstrap, [spec])
    value = b"x" * max(1, size - 36)
    keys = [f"{n:036d}".encode() for n in range(records)]
    consumer = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "scripts._e2e_watch",
        bootstrap,
        spec.name,
        str(spec.partitions),
        str(records),
        stdout=asyncio.subprocess.PIPE,
        cwd=_ROOT,
    )
    assert consumer.stdout is not None  # noqa: S101  (PIPE asked for)
    producer = aio_producer(bootstrap, "bench-raw", linger_ms=5, max_batch_size=256 * 1024)
    await producer.start()
    try:
        if (await asyncio.wait_for(consumer.stdout.readline(), timeout=60)).strip() != b"ready":
            raise RuntimeError("the raw consumer did not start")
        started = time.monotonic()
        futures = [await producer.send(spec.name, value, key=key) for key in keys]
        await asyncio.gather(*futures)
        produced = time.monotonic()
        consumed = float(await asyncio.wait_for(consumer.stdout.readline(), timeout=180))
    finally:
        await producer.stop()
        if consumer.returncode is None:
            consumer.kill()
        await consumer.wait()
    return {
        "record_bytes": float(size),
        "records": float(records),
        "produce_per_s": records / (produced - started),
        "produce_and_consume_per_s": records / (consumed - started),
    }


def profile(pid: int, seconds: float, out: Path) -> dict[str, object] | None:
    """py-spy samples of ``pid`` for ``seconds`` (collapsed stacks written to ``out``; idle time is not
    sampled, so ``busy_share`` is the share of the time the process ran): the functions with the most
    samples of their own and on the stack. None when py-spy is missing or may not attach."""
    binary = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(binary).exists():
        return None
    argv = [
        binary,
        "record",
        "--pid",
        str(pid),
        "--duration",
        str(max(1, round(seconds))),
        "--rate",
        str(_PROFILE_RATE),
    ]
    argv += ["--format", "raw", "--nonblocking", "--output", str(out)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=seconds + 60)  # noqa: S603
    if done.returncode != 0 or not out.exists():
        return None
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]  # a function, not a line
        total += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)
    if total == 0:
        return None
    # Frames on nearly every sample are the event loop and the entry point: left out of "on stack".
    busy = [(f, n) for f, n in inclusive.most_common() if n < 0.7 * total]
    return {
        "samples": total,
        "busy_share": round(total / (seconds * _PROFILE_RATE), 3),
        "top_own": [{"function": f, "share": round(n / total, 3)} for f, n in own.most_common(12)],
        "top_on_stack": [{"function": f, "share": round(n / total, 3)} for f, n in busy[:15]],
    }


if __name__ == "__main__":  # the raw ceiling's consumer process
    _consume(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
