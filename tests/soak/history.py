"""The independent history check: what the topics say happened, compared with what clients were told
and with what the interaction log and SLA answer.

The truth is read from ``vaxel.interactions.events.v1`` (routing's events of the soak's tenants, each
event once by id), never from a service's own answer. Then:

- **lost**: a submission acknowledged to its client (an interaction id returned) with no
  ``interaction.created`` event;
- **duplicated**: an interaction with two different events (two event ids) of a step that happens
  once: created, connected, ended, wrapped up, abandoned;
- **double-assigned**: an interaction accepted by two agents, or an agent holding two chats at once
  (each has room for one), replaying the events in decision-time order;
- **unfinished**: an acknowledged interaction that did not end in exactly one final state (wrapped up
  or abandoned);
- **mismatched**: an interaction whose interaction-log record differs from its events (times, agent,
  disposition, or missing), or a queue whose SLA counts (offered, answered, abandoned) differ from the
  events' counts;
- **not dead-lettered**: a poison or forged record some consuming service did not send to
  ``vaxel.deadletter.v1``; **forged accepted**: a forged key that a service took, or a stranger's
  interaction that the interaction log or SLA counted.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import grpc
from google.protobuf.timestamp_pb2 import Timestamp
from grpc import aio

from scripts._e2e_load import BenchQueue
from tests.fixtures.platform import tenant_events
from tests.soak.faults import Forgery, Injected
from vaxel.events.v1 import events_pb2
from vaxel.interactions.v1 import interactions_pb2, interactions_pb2_grpc
from vaxel.sla.v1 import sla_pb2, sla_pb2_grpc
from vaxel_common.kafka import sync_consumer
from vaxel_common.supervisor import Platform
from vaxel_common.topics import DEAD_LETTER, INTERACTION_EVENTS

__all__ = ["Counts", "History", "check_forgeries", "compare_log", "compare_sla", "dead_lettered", "history"]

ONCE = ("interaction_created", "interaction_connected", "interaction_ended", "interaction_wrapped_up",
        "interaction_abandoned")  # fmt: skip
FINAL = ("interaction_wrapped_up", "interaction_abandoned")
_RELEASES = ("interaction_wrapped_up", "offer_rejected", "offer_timed_out", "interaction_abandoned")
_EXAMPLES = 5


@dataclass
class Counts:
    """The check's result; every count must be zero. ``examples`` names interaction ids, never content."""

    acknowledged: int = 0
    interactions: int = 0
    lost: int = 0
    duplicated: int = 0
    double_assigned: int = 0
    unfinished: int = 0
    log_mismatched: int = 0
    sla_mismatched: int = 0
    not_dead_lettered: int = 0
    forged_accepted: int = 0
    examples: dict[str, list[str]] = field(default_factory=dict)

    @property
    def mismatched(self) -> int:
        return self.log_mismatched + self.sla_mismatched

    @property
    def defects(self) -> int:
        return (
            self.lost
            + self.duplicated
            + self.double_assigned
            + self.unfinished
            + self.mismatched
            + self.not_dead_lettered
            + self.forged_accepted
        )

    def note(self, kind: str, example: str) -> None:
        listed = self.examples.setdefault(kind, [])
        if len(listed) < _EXAMPLES:
            listed.append(example)

    def line(self) -> str:
        return (
            f"lost {self.lost}, duplicated {self.duplicated}, double-assigned {self.double_assigned}, "
            f"unfinished {self.unfinished}, mismatched {self.mismatched} (log {self.log_mismatched}, "
            f"SLA {self.sla_mismatched}), not dead-lettered {self.not_dead_lettered}, forged accepted "
            f"{self.forged_accepted} ({self.acknowledged} acknowledged, {self.interactions} in the events)"
        )


@dataclass
class History:
    """The interaction events of the soak's tenants, once each by event id, grouped by interaction."""

    by_interaction: dict[str, list[events_pb2.Event]]

    def of(self, interaction_id: str, payload: str) -> list[events_pb2.Event]:
        return [e for e in self.by_interaction.get(interaction_id, []) if e.WhichOneof("payload") == payload]

    def first(self, interaction_id: str, payload: str) -> events_pb2.Event | None:
        found = self.of(interaction_id, payload)
        return min(found, key=_when) if found else None


def _when(event: events_pb2.Event) -> tuple[int, str]:
    return event.occurred_at.ToNanoseconds(), event.event_id


def history(platform: Platform, tenant_ids: set[str]) -> History:
    """Read the interaction events from the start of the topic (routing's only: the survey events of the
    interaction log and anything forged are not the history)."""
    unique = {
        e.event_id: e
        for e in tenant_events(platform, INTERACTION_EVENTS.name, tenant_ids)
        if e.producer == "routing" and e.interaction_id
    }
    grouped: dict[str, list[events_pb2.Event]] = defaultdict(list)
    for event in unique.values():
        grouped[event.interaction_id].append(event)
    return History(dict(grouped))


def check_events(found: History, acknowledged: Iterable[str], counts: Counts) -> None:
    """lost, duplicated, double-assigned and unfinished, from the events alone."""
    acked = set(acknowledged)
    counts.acknowledged = len(acked)
    counts.interactions = len(found.by_interaction)
    for interaction_id in sorted(acked):
        if not found.of(interaction_id, "interaction_created"):
            counts.lost += 1
            counts.note("lost", interaction_id)
        finals = sum(1 for kind in FINAL if found.of(interaction_id, kind))
        if finals != 1:
            counts.unfinished += 1
            counts.note("unfinished", interaction_id)
    holding: Counter[str] = Counter()
    events = sorted((e for es in found.by_interaction.values() for e in es), key=_when)
    for interaction_id in found.by_interaction:
        if any(len(found.of(interaction_id, kind)) > 1 for kind in ONCE):
            counts.duplicated += 1
            counts.note("duplicated", interaction_id)
        if len({e.agent_id for e in found.of(interaction_id, "offer_accepted")}) > 1:
            counts.double_assigned += 1
            counts.note("double_assigned", interaction_id)
    for event in events:
        payload = event.WhichOneof("payload")
        if payload == "interaction_offered":
            holding[event.agent_id] += 1
            if holding[event.agent_id] > 1:
                counts.double_assigned += 1
                counts.note("double_booked", f"{event.agent_id} at {event.interaction_id}")
        elif payload in _RELEASES and event.agent_id:
            holding[event.agent_id] = max(0, holding[event.agent_id] - 1)


def _same_time(stamp: Timestamp, event: events_pb2.Event | None) -> bool:
    if event is None:
        return stamp.ToNanoseconds() == 0
    return abs(stamp.ToNanoseconds() - event.occurred_at.ToNanoseconds()) < 1_000_000  # stored in ms


def log_differences(record: interactions_pb2.Interaction, found: History) -> list[str]:
    """The fields of an interaction-log record that differ from its events (names only)."""
    iid = record.interaction_id
    connected = found.first(iid, "interaction_connected")
    wrapped = found.first(iid, "interaction_wrapped_up")
    checks = {
        "created_at": _same_time(record.created_at, found.first(iid, "interaction_created")),
        "connected_at": _same_time(record.connected_at, connected),
        "ended_at": _same_time(record.ended_at, found.first(iid, "interaction_ended")),
        "wrapped_up_at": _same_time(record.wrapped_up_at, wrapped),
        "abandoned_at": _same_time(record.abandoned_at, found.first(iid, "interaction_abandoned")),
        "agent_id": connected is None or record.agent_id == connected.agent_id,
        "disposition": record.disposition == (wrapped.interaction_wrapped_up.disposition if wrapped else ""),
    }
    return [name for name, ok in checks.items() if not ok]


async def compare_log(
    platform: Platform, queues: list[BenchQueue], found: History, counts: Counts, timeout: float = 60.0
) -> None:
    """Every interaction of the events read back from the interaction log (retried until it agrees or
    ``timeout``: the log follows the topic)."""
    key_of = {q.tenant_id: q.key for q in queues}
    pending = set(found.by_interaction)
    deadline = asyncio.get_running_loop().time() + timeout
    async with aio.insecure_channel(platform.processes["interaction-log"].grpc_target) as channel:
        log = interactions_pb2_grpc.InteractionLogServiceStub(channel)
        gate = asyncio.Semaphore(16)
        differing: dict[str, list[str]] = {}

        async def one(interaction_id: str) -> None:
            tenant = found.by_interaction[interaction_id][0].tenant_id
            async with gate:
                try:
                    reply = await log.GetInteraction(
                        interactions_pb2.GetInteractionRequest(interaction_id=interaction_id),
                        metadata=key_of[tenant],
                        timeout=10,
                    )
                except grpc.RpcError as err:
                    differing[interaction_id] = [err.code().name]
                    return
            wrong = log_differences(reply.interaction, found)
            if wrong:
                differing[interaction_id] = wrong
            else:
                differing.pop(interaction_id, None)

        while pending:
            await asyncio.gather(*(one(i) for i in sorted(pending)))
            pending = set(differing)
            if not pending or asyncio.get_running_loop().time() > deadline:
                break
            await asyncio.sleep(2.0)
    counts.log_mismatched = len(pending)
    for interaction_id in sorted(pending)[:_EXAMPLES]:
        counts.note("log_mismatched", f"{interaction_id}: {', '.join(differing[interaction_id])}")


def expected_sla(found: History) -> dict[str, tuple[int, int, int]]:
    """(offered, answered, abandoned) per queue, as the events say."""
    figures: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for interaction_id in found.by_interaction:
        created = found.first(interaction_id, "interaction_created")
        if created is None:
            continue
        row = figures[created.interaction_created.queue_id]
        row[0] += 1
        row[1] += bool(found.of(interaction_id, "interaction_connected"))
        row[2] += bool(found.of(interaction_id, "interaction_abandoned"))
    return {q: (r[0], r[1], r[2]) for q, r in figures.items()}


async def sla_counts(
    sla: sla_pb2_grpc.SlaServiceAsyncStub, queue: BenchQueue, since: datetime
) -> tuple[int, int, int]:
    """(offered, answered, abandoned) SLA gives ``queue`` from ``since`` until an hour from now."""
    start, end = Timestamp(), Timestamp()
    start.FromDatetime(since)
    end.FromDatetime(datetime.now(UTC) + timedelta(hours=1))
    request = sla_pb2.ListIntervalsRequest(queue_id=queue.queue_id, to=end)
    getattr(request, "from").CopyFrom(start)  # "from" is a Python keyword
    reply = await sla.ListIntervals(request, metadata=queue.key, timeout=30)
    return (
        sum(i.offered for i in reply.intervals),
        sum(i.answered for i in reply.intervals),
        sum(i.abandoned for i in reply.intervals),
    )


async def compare_sla(
    platform: Platform,
    queues: list[BenchQueue],
    found: History,
    since: datetime,
    counts: Counts,
    timeout: float = 60.0,
) -> None:
    """Each queue's SLA counts against the events' (retried until they agree or ``timeout``)."""
    expected = expected_sla(found)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    async with aio.insecure_channel(platform.processes["sla"].grpc_target) as channel:
        sla = sla_pb2_grpc.SlaServiceStub(channel)
        while True:
            wrong: dict[str, str] = {}
            for queue in queues:
                want = expected.get(queue.queue_id, (0, 0, 0))
                try:
                    got = await sla_counts(sla, queue, since)
                except grpc.RpcError as err:
                    wrong[queue.queue_id] = err.code().name
                    continue
                if got != want:
                    wrong[queue.queue_id] = f"SLA {got} events {want} (offered, answered, abandoned)"
            if not wrong or loop.time() > deadline:
                break
            await asyncio.sleep(2.0)
    counts.sla_mismatched = len(wrong)
    for queue_id, why in sorted(wrong.items())[:_EXAMPLES]:
        counts.note("sla_mismatched", f"{queue_id}: {why}")


def dead_lettered(platform: Platform, injected: list[Injected], counts: Counts) -> None:
    """Every injected record dead-lettered by every service that consumes its topic."""
    consumer = sync_consumer(platform.kafka_bootstrap, None, DEAD_LETTER.name, consumer_timeout_ms=3000)
    by_where: dict[tuple[str, int, int], set[str]] = defaultdict(set)
    try:
        for record in consumer:
            letter = events_pb2.DeadLetter()
            with contextlib.suppress(Exception):  # only the soak's coordinates matter here
                letter.ParseFromString(record.value)
                by_where[(letter.source_topic, letter.source_partition, letter.source_offset)].add(
                    letter.consumer
                )
    finally:
        consumer.close()
    for item in injected:
        took = by_where.get((item.topic, item.partition, item.offset), set())
        missing = [s for s in item.consumers if not any(s in c for c in took)]
        if missing:
            counts.not_dead_lettered += 1
            counts.note("not_dead_lettered", f"{item.what} on {item.topic}: not by {', '.join(missing)}")


async def check_forgeries(
    platform: Platform, forgeries: list[Forgery], victim: BenchQueue, since: datetime, counts: Counts
) -> None:
    """A forged key must be refused (UNAUTHENTICATED) by SLA and the interaction log; an interaction a
    stranger created must be in neither the log nor SLA's counts."""
    async with (
        aio.insecure_channel(platform.processes["sla"].grpc_target) as sla_channel,
        aio.insecure_channel(platform.processes["interaction-log"].grpc_target) as log_channel,
    ):
        sla = sla_pb2_grpc.SlaServiceStub(sla_channel)
        log = interactions_pb2_grpc.InteractionLogServiceStub(log_channel)
        for forged in forgeries:
            minted: BenchQueue = BenchQueue(
                forged.tenant_id, forged.queue_id, (("authorization", f"Bearer {forged.key_plaintext}"),), ()
            )
            try:
                await sla_counts(sla, minted, since)
                counts.forged_accepted += 1
                counts.note("forged_accepted", "a key minted on the configuration topic: SLA took it")
            except grpc.RpcError as err:
                if err.code() != grpc.StatusCode.UNAUTHENTICATED:
                    counts.forged_accepted += 1
                    counts.note("forged_accepted", f"minted key: SLA answered {err.code().name}")
            try:
                await log.GetInteraction(
                    interactions_pb2.GetInteractionRequest(interaction_id=forged.interaction_id),
                    metadata=victim.key,
                    timeout=10,
                )
                counts.forged_accepted += 1
                counts.note("forged_accepted", f"{forged.interaction_id}: the interaction log stored it")
            except grpc.RpcError as err:
                if err.code() != grpc.StatusCode.NOT_FOUND:
                    counts.forged_accepted += 1
                    counts.note("forged_accepted", f"{forged.interaction_id}: log answered {err.code().name}")
        if forgeries and (await sla_counts(sla, victim, since))[0] > 0:
            counts.forged_accepted += 1
            counts.note("forged_accepted", f"{victim.queue_id}: SLA counted a stranger's interaction")
