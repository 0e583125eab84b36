"""faust-streaming against plain aiokafka on the same stream job (``python -m scripts.bench_stream_job``).

The job is the shape of the SLA service's live figures: interaction events keyed by their queue
(``tenant/queue``), each decoded from the event envelope, a running count per queue and event type kept in
a table, the new count written to a sink topic and the table's change to a changelog topic (Faust's table
writes its changelog itself; the aiokafka job writes the same records), offsets committed. Both run in a
process of their own, one worker, on the same embedded broker, against the same backlog produced first;
each is timed from its first processed event to its last, so the consumer group's join is left out.

Prints events/s of each and their ratio. faust-streaming is a development dependency only: nothing in the
services runs it (docs/architecture.md, "Stream jobs", says why).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scripts._bench_results import Results
from vaxel.events.v1 import events_pb2
from vaxel.types.v1 import types_pb2
from vaxel_common.broker import EmbeddedBroker
from vaxel_common.events import decode_event, encode_event, new_event
from vaxel_common.kafka import aio_consumer, aio_producer, create_topics
from vaxel_common.provenance import producer_of
from vaxel_common.topics import TopicSpec

__all__ = ["main", "measure"]

PARTITIONS = 4
SOURCE = "bench.stream-job.source"
SINK = "bench.stream-job.sink"
CHANGELOG = "bench.stream-job.changelog"
DAY = timedelta(days=1)


def backlog(count: int, queues: int = 200) -> list[tuple[bytes, bytes]]:
    """``count`` encoded interaction events (created, queued, connected, ended in turn), keyed by queue."""
    start = datetime.now(UTC) - DAY
    payloads = (
        events_pb2.InteractionCreated(channel=types_pb2.CHANNEL_CHAT),
        events_pb2.InteractionQueued(position=1),
        events_pb2.InteractionConnected(offer_id="o"),
        events_pb2.InteractionEnded(reason="done"),
    )
    records = []
    for n in range(count):
        tenant, queue = f"bench-t{n % 20}", f"q{n % queues}"
        event = new_event(
            payloads[n % len(payloads)],
            tenant_id=tenant,
            producer=producer_of(payloads[n % len(payloads)]),
            interaction_id=f"i{n // len(payloads)}",
            occurred_at=start + n * DAY / count,
        )
        records.append((f"{tenant}/{queue}".encode(), encode_event(event)))
    return records


async def _produce(bootstrap: str, records: list[tuple[bytes, bytes]]) -> None:
    producer = aio_producer(bootstrap, "bench-stream-job", linger_ms=5, max_batch_size=256 * 1024)
    await producer.start()
    try:
        for key, value in records:
            await producer.send(SOURCE, value, key=key)
        await producer.flush()
    finally:
        await producer.stop()


def _report(first: float, last: float, processed: int) -> None:
    print(json.dumps({"first": first, "last": last, "processed": processed}), flush=True)


# -- the job on plain aiokafka --------------------------------------------------------------------


async def run_aiokafka(bootstrap: str, expected: int) -> None:
    consumer = aio_consumer(bootstrap, "bench-stream-job-aiokafka", SOURCE)
    producer = aio_producer(bootstrap, "bench-stream-job-aiokafka")
    await consumer.start()
    await producer.start()
    counts: dict[str, int] = {}
    processed, first = 0, 0.0
    try:
        while processed < expected:
            batches = await consumer.getmany(timeout_ms=500, max_records=2000)
            for records in batches.values():
                for record in records:
                    if not processed:
                        first = time.perf_counter()
                    event = decode_event(record.value)
                    slot = f"{record.key.decode()}|{event.event_type}"
                    counts[slot] = count = counts.get(slot, 0) + 1
                    value = str(count).encode()
                    await producer.send(CHANGELOG, value, key=slot.encode())
                    await producer.send(SINK, value, key=record.key)
                    processed += 1
            if batches:
                await producer.flush()
                await consumer.commit()
        _report(first, time.perf_counter(), processed)
    finally:
        await producer.stop()
        await consumer.stop()


# -- the same job on faust-streaming --------------------------------------------------------------


def run_faust(bootstrap: str, expected: int, workdir: Path) -> None:
    import faust  # noqa: PLC0415  (a development dependency, imported only by this job)

    app = faust.App(
        "bench-stream-job-faust",
        broker=f"kafka://{bootstrap}",
        store="memory://",
        topic_partitions=PARTITIONS,
        broker_session_timeout=10,
        web_enabled=False,
        datadir=str(workdir),
    )
    source = app.topic(SOURCE, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
    sink = app.topic(SINK, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
    counts = app.Table("counts", default=int, partitions=PARTITIONS)
    state: dict[str, Any] = {"processed": 0, "first": 0.0}

    @app.agent(source)
    async def tally(stream: Any) -> None:
        async for key, value in stream.items():
            if not state["processed"]:
                state["first"] = time.perf_counter()
            event = decode_event(value)
            slot = f"{key.decode()}|{event.event_type}"
            counts[slot] += 1
            await sink.send(key=key, value=str(counts[slot]).encode())
            state["processed"] += 1
            if state["processed"] == expected:
                _report(state["first"], time.perf_counter(), expected)

    worker = faust.Worker(app, loglevel="warning", quiet=True, redirect_stdouts=False)
    with contextlib.suppress(SystemExit):
        worker.execute_from_commandline()


# -- the comparison --------------------------------------------------------------------------------


def _timed(job: str, bootstrap: str, expected: int, workdir: Path) -> float:
    """events/s of ``job`` in a process of its own, from its first event to its last."""
    command = [sys.executable, "-m", "scripts.bench_stream_job", "--job", job, "--bootstrap", bootstrap]
    command += ["--events", str(expected), "--workdir", str(workdir)]
    # Faust's worker does not stop from inside its own agent: the figures line ends the process.
    with subprocess.Popen(  # noqa: S603  (this script, this interpreter)
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as job_process:
        line = ""
        for line in job_process.stdout or ():
            if "{" in line:
                break
        job_process.kill()
    if "{" not in line:
        raise RuntimeError(f"{job} job gave no figures")
    figures = json.loads(line[line.index("{") :])
    return float(figures["processed"]) / (float(figures["last"]) - float(figures["first"]))


def measure(events: int) -> dict[str, float]:
    """events/s of each job on one backlog of ``events`` in a fresh broker per job."""
    records = backlog(events)
    rates = {}
    for job in ("aiokafka", "faust"):
        with (
            tempfile.TemporaryDirectory() as work,
            EmbeddedBroker(log_path=Path(work) / "broker.log") as broker,
        ):
            create_topics(
                broker.bootstrap,
                [TopicSpec(name, PARTITIONS, "tenant/queue", "bench") for name in (SOURCE, SINK, CHANGELOG)],
            )
            asyncio.run(_produce(broker.bootstrap, records))
            rates[job] = _timed(job, broker.bootstrap, events, Path(work))
    return rates


def report(results: Results, events: int) -> None:
    rates = measure(events)
    for job, rate in rates.items():
        print(f"stream job on {job:<9}            {rate:>12,.0f} events/s")
        results.add("stream jobs", f"queue tally on {job}", rate, "events/s")
    ratio = rates["aiokafka"] / rates["faust"]
    print(f"aiokafka / faust                    {ratio:>12.1f} x")
    results.add("stream jobs", "aiokafka / faust", ratio, "x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=40_000)
    parser.add_argument("--job", choices=("aiokafka", "faust"))
    parser.add_argument("--bootstrap")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    if args.job == "aiokafka":
        asyncio.run(run_aiokafka(args.bootstrap, args.events))
    elif args.job == "faust":
        run_faust(args.bootstrap, args.events, args.workdir)
    else:
        report(Results(), args.events)


if __name__ == "__main__":
    main()
