"""Runs the routing engines over the routing-inputs log: the one writer of each pool's state.

Requests (submissions, desk actions) and timers become records on ``vaxel.routing.inputs.v1``
keyed by pool; this runner reads them in order and applies each to its pool's engine. At
start (and on every partition assignment) it replays its partitions from the beginning:
records below the group's committed offset rebuild state silently, records after it were
not acknowledged before the last stop, so their events are published again, with the same
ids. Per batch: apply, publish the events and wait for the broker, then commit. A crash at
any point therefore loses nothing, and what it repeats is recognisable by event id.

The front door waits for its own record to be applied (:meth:`EngineRunner.execute`) and
answers with the engine's reply or error. A record this process appended to a partition it
owns is applied as soon as the broker acknowledges it, at the offset the broker gave it, when
it is the partition's next record: the log's order and contents are the same as if the fetch
had brought it, without waiting for the fetch. The fetch brings it too and it is skipped; the
fetch is what brings records appended elsewhere (other replicas' front doors) and fills gaps.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, timedelta

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord, TopicPartition
from google.protobuf.message import DecodeError as ProtobufDecodeError
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from vaxel.events.v1 import events_pb2
from vaxel.routing.v1 import inputs_pb2, routing_pb2
from vaxel_common.deadletter import DeadLetterPublisher
from vaxel_common.errors import Unavailable, VaxelError
from vaxel_common.events import PROVIDER_TENANT_ID, deterministic_id, new_event
from vaxel_common.kafka import aio_consumer
from vaxel_common.logging import get_logger
from vaxel_common.progress import ProgressMonitor
from vaxel_common.publisher import EventPublisher
from vaxel_common.topics import AGENT_EVENTS, INTERACTION_EVENTS, ROUTING_INPUTS
from vaxel_routing import SERVICE_NAME
from vaxel_routing.adapters.converters import (
    command_of,
    notice_payload,
    offer_to_pb,
    presence_pb,
    seconds_of,
    timer_input,
    ts,
    work_item_to_pb,
)
from vaxel_routing.adapters.desk_hub import DeskHub
from vaxel_routing.domain import notices as n
from vaxel_routing.domain.commands import Notice, Outcome, Timer
from vaxel_routing.domain.engine import RoutingEngine
from vaxel_routing.domain.model import Presence, RoutingPolicy
from vaxel_routing.domain.replica import ConfigReplica

GROUP = "vaxel-routing-engine"
CONSUMER = ROUTING_INPUTS.name  # the engine's ``consumer`` label in the progress metrics
INPUT_SCHEMA_VERSION = 1


@dataclass(slots=True)
class RoutingMetrics:
    decisions: Histogram
    offers: Counter
    waiting: Gauge
    agents: Gauge
    replayed: Counter

    @classmethod
    def create(cls, registry: CollectorRegistry) -> RoutingMetrics:
        return cls(
            decisions=Histogram(
                "vaxel_routing_decision_duration_seconds",
                "Time the engine takes to apply one input (match, offer, re-queue).",
                buckets=(0.00001, 0.00003, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1),
                registry=registry,
            ),
            offers=Counter(
                "vaxel_routing_offers_total",
                "Offers made and how they closed (offered, accepted, rejected, timed_out).",
                ["outcome"],
                registry=registry,
            ),
            waiting=Gauge(
                "vaxel_routing_waiting_interactions",
                "Interactions waiting for an agent, by routing pool.",
                ["pool"],
                registry=registry,
            ),
            agents=Gauge(
                "vaxel_routing_agents",
                "Agents by routing pool and presence as routing sees it.",
                ["pool", "presence"],
                registry=registry,
            ),
            replayed=Counter(
                "vaxel_routing_inputs_replayed_total",
                "Routing inputs applied again at start to rebuild state.",
                registry=registry,
            ),
        )


# The gauges count every agent and waiting interaction of every pool: at most this often, not per batch.
GAUGE_SECONDS = 0.5
# Offsets are committed at most this often (in the background, once their batch's events are acknowledged).
COMMIT_SECONDS = 0.1

# The presences an agent shows (WRAP_UP is not one routing shows): a bounded label set.
_GAUGED_PRESENCES = (Presence.OFFLINE, Presence.AVAILABLE, Presence.BUSY, Presence.BREAK, Presence.NOT_READY)

_OFFER_OUTCOMES: dict[type[n.Notice], str] = {
    n.InteractionOffered: "offered",
    n.OfferAccepted: "accepted",
    n.OfferRejected: "rejected",
    n.OfferTimedOut: "timed_out",
}


def _expire(future: asyncio.Future[Outcome]) -> None:
    if not future.done():
        future.set_exception(
            Unavailable("routing did not apply the request in time; retry with the same key")
        )


class _Assignments(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, runner: EngineRunner) -> None:
        self._runner = runner

    async def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        self._runner.ready.clear()

    async def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        await self._runner.reset(list(assigned))


class EngineRunner:
    def __init__(
        self,
        *,
        bootstrap: str,
        producer: AIOKafkaProducer,
        publisher: EventPublisher,
        replica: ConfigReplica,
        hub: DeskHub,
        policy: RoutingPolicy,
        metrics: RoutingMetrics,
        dead_letters: DeadLetterPublisher,
        progress: ProgressMonitor,
        session_timeout_ms: int,
        reply_timeout_seconds: float = 10.0,
        fetch_wait_ms: int = 100,
    ) -> None:
        self._bootstrap = bootstrap
        self._producer = producer
        self._publisher = publisher
        self._replica = replica
        self._hub = hub
        self._policy = policy
        self._metrics = metrics
        self._dead_letters = dead_letters
        self._progress = progress
        progress.register(CONSUMER)
        self._session_timeout_ms = session_timeout_ms
        self._reply_timeout = reply_timeout_seconds
        self._fetch_wait_ms = fetch_wait_ms
        self.engines: dict[str, RoutingEngine] = {}
        self.ready = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self._pending: dict[str, asyncio.Future[Outcome]] = {}
        self._armed: dict[str, asyncio.TimerHandle] = {}
        self._replay_below: dict[TopicPartition, int] = {}
        self._catch_up_to: dict[TopicPartition, int] = {}
        self._next_offset: dict[TopicPartition, int] = {}
        self._stopping = False
        self._gauges_due = 0.0
        self._to_commit: dict[TopicPartition, int] = {}  # not committed yet
        self._applied: dict[TopicPartition, int] = {}  # the latest offsets to commit, committed or not
        self._committing: asyncio.Task[None] | None = None
        # Records this process appended, acknowledged, not applied yet; the run loop's wake-up.
        self._own: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]] = {}
        self._own_arrived: asyncio.Future[None] | None = None
        self._log = get_logger("vaxel.routing.engine")

    def engine(self, pool: str) -> RoutingEngine:
        engine = self.engines.get(pool)
        if engine is None:
            engine = self.engines[pool] = RoutingEngine(pool, self._policy)
        return engine

    # ------------------------------------------------------------------ the front door's side

    async def execute(self, pool: str, record: inputs_pb2.RoutingInput) -> Outcome:
        """Append ``record`` to the pool's log and wait until the engine applied it: its outcome,
        or the engine's error (InvalidArgument, NotFound, ...) raised here."""
        record.input_id = record.input_id or str(uuid.uuid4())
        record.pool = pool
        record.schema_version = INPUT_SCHEMA_VERSION
        if not record.HasField("occurred_at"):
            record.occurred_at.CopyFrom(ts(time.time()))
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Outcome] = loop.create_future()
        self._pending[record.input_id] = future
        expiry: asyncio.TimerHandle | None = None
        try:
            await self._append(pool, record)
            # A timer handle, not asyncio.timeout(): cheaper, and this wait is on every request.
            expiry = loop.call_later(self._reply_timeout, _expire, future)
            return await future
        finally:
            if expiry is not None:
                expiry.cancel()
            self._pending.pop(record.input_id, None)

    async def _append(self, pool: str, record: inputs_pb2.RoutingInput) -> None:
        key, value = pool.encode(), record.SerializeToString()
        try:
            written = await self._producer.send_and_wait(ROUTING_INPUTS.name, value, key=key)
        except KafkaError as exc:
            raise Unavailable(f"routing log unavailable: {type(exc).__name__}") from exc
        if written.topic_partition in self._next_offset:  # a partition this process owns
            own = ConsumerRecord(
                written.topic, written.partition, written.offset, written.timestamp,
                written.timestamp_type, key, value, None, len(key), len(value), (),
            )  # fmt: skip
            self._own.setdefault(written.topic_partition, []).append(own)
            if self._own_arrived is not None and not self._own_arrived.done():
                self._own_arrived.set_result(None)

    # ------------------------------------------------------------------ the log's side

    async def start(self) -> None:
        self._consumer = aio_consumer(
            self._bootstrap,
            GROUP,
            session_timeout_ms=self._session_timeout_ms,
            max_poll_records=1000,
            # Records appended here are applied on their acknowledgement; those appended by other
            # replicas wait up to this long for the fetch.
            fetch_max_wait_ms=self._fetch_wait_ms,
        )
        self._consumer.subscribe([ROUTING_INPUTS.name], listener=_Assignments(self))
        await self._consumer.start()

    async def reset(self, assigned: list[TopicPartition]) -> None:
        """New partitions: rebuild every engine from the start of the log."""
        consumer = self._consumer
        if consumer is None:
            return
        for handle in self._armed.values():
            handle.cancel()
        self._armed.clear()
        self._to_commit.clear()  # a new generation: records past the committed offsets replay live
        self._own.clear()  # the replay brings them
        self._applied.clear()
        self.engines.clear()
        self._replay_below.clear()
        self._catch_up_to.clear()
        self._next_offset = dict.fromkeys(assigned, 0)
        if assigned:
            ends = await consumer.end_offsets(assigned)
            for tp in assigned:
                self._replay_below[tp] = await consumer.committed(tp) or 0
                self._catch_up_to[tp] = ends[tp]
            await consumer.seek_to_beginning(*assigned)
        self._log.info(
            "routing_partitions_assigned",
            partitions=sorted(tp.partition for tp in assigned),
            replay_records=sum(self._catch_up_to.values()),
        )
        self._check_caught_up()

    def _check_caught_up(self) -> None:
        if self.ready.is_set() or self._consumer is None:
            return
        if all(self._position(tp) >= end for tp, end in self._catch_up_to.items()):
            for pool, engine in self.engines.items():
                for timer in engine.pending_timers():
                    self._arm(pool, timer)
            self._publish_gauges()
            self.ready.set()
            self._log.info("routing_state_rebuilt", pools=len(self.engines))

    def _position(self, tp: TopicPartition) -> int:
        return self._next_offset.get(tp, 0)

    async def run(self) -> None:
        consumer = self._consumer
        if consumer is None:
            raise RuntimeError("start() first")
        loop = asyncio.get_running_loop()
        fetch: asyncio.Future[dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]] | None = None
        try:
            while not self._stopping:
                if fetch is None:
                    fetch = asyncio.ensure_future(consumer.getmany(timeout_ms=200))
                if not self._own:  # wait for the fetch or for a record appended here
                    self._own_arrived = loop.create_future()
                    await asyncio.wait((fetch, self._own_arrived), return_when=asyncio.FIRST_COMPLETED)
                batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]] = {}
                if fetch.done():
                    try:
                        batches = fetch.result()
                        self._progress.progressed(CONSUMER)
                    except KafkaError as exc:
                        self._log.warning("routing_log_read_failed", error_type=type(exc).__name__)
                        self._progress.failed(CONSUMER, exc)
                        await asyncio.sleep(1)
                        continue
                    finally:
                        fetch = None
                batches = self._with_own(batches)
                if batches:
                    await self._process(batches)
                    continue
                self._check_caught_up()
                if self.ready.is_set() and time.monotonic() >= self._gauges_due:
                    self._publish_gauges()  # the last changes before a quiet spell
        finally:
            if fetch is not None:
                fetch.cancel()

    def _with_own(
        self, batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]
    ) -> dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]:
        """The fetched records followed by those appended here that come right after them: a record
        with one not here yet before it waits for the fetch, which brings both in order."""
        own, self._own = self._own, {}
        for tp, records in own.items():
            if tp not in self._next_offset:  # revoked since
                continue
            fetched = batches.get(tp, [])
            expected = fetched[-1].offset + 1 if fetched else self._next_offset[tp]
            following = []
            for record in sorted(records, key=lambda r: r.offset):
                if record.offset < expected:  # fetched or applied already
                    continue
                if record.offset > expected:
                    break
                following.append(record)
                expected += 1
            if following:
                batches[tp] = fetched + following
        return batches

    async def _process(self, batches: dict[TopicPartition, list[ConsumerRecord[bytes, bytes]]]) -> None:
        events: list[tuple[str, events_pb2.Event]] = []
        hub_work: list[tuple[str, Notice]] = []
        resolved: list[tuple[str, Outcome | VaxelError]] = []
        commits: dict[TopicPartition, int] = {}
        for tp, records in batches.items():
            for record in records:
                if record.offset < self._next_offset.get(tp, 0):
                    continue  # applied already: appended here and applied on its acknowledgement
                live = record.offset >= self._replay_below.get(tp, 0)
                self._next_offset[tp] = record.offset + 1
                await self._apply(record, live, events, hub_work, resolved)
                if live:
                    commits[tp] = record.offset + 1
        if events:
            await self._publish(events)
        if commits:
            self._commit_later(commits)
        for pool, notice in hub_work:
            self._notify_desks(pool, notice)
        for input_id, result in resolved:
            future = self._pending.get(input_id)
            if future is not None and not future.done():
                if isinstance(result, VaxelError):
                    future.set_exception(result)
                else:
                    future.set_result(result)
        self._check_caught_up()
        if self.ready.is_set() and time.monotonic() >= self._gauges_due:
            self._publish_gauges()

    async def _apply(
        self,
        record: ConsumerRecord[bytes, bytes],
        live: bool,
        events: list[tuple[str, events_pb2.Event]],
        hub_work: list[tuple[str, Notice]],
        resolved: list[tuple[str, Outcome | VaxelError]],
    ) -> None:
        message = inputs_pb2.RoutingInput()
        try:
            message.ParseFromString(record.value or b"")
            if not message.input_id or not message.pool:
                raise ValueError("missing input_id or pool")
            command = command_of(message)
        except (ProtobufDecodeError, ValueError, VaxelError) as exc:
            reason = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            if live:
                letter = f"undecodable routing input: {reason}"
                await self._progress.until_done(CONSUMER, lambda: self._dead_letters.publish(record, letter))
            return
        engine = self.engine(message.pool)
        started = time.perf_counter()
        try:
            outcome = engine.apply(command, seconds_of(message.occurred_at))
        except VaxelError as exc:
            resolved.append((message.input_id, exc))
            return
        finally:
            self._metrics.decisions.observe(time.perf_counter() - started)
        if not live:
            self._metrics.replayed.inc()
            return
        resolved.append((message.input_id, outcome))
        for index, notice in enumerate(outcome.notices):
            events.append(self._event(message, index, notice))
            hub_work.append((message.pool, notice))
            outcome_label = _OFFER_OUTCOMES.get(type(notice))
            if outcome_label:
                self._metrics.offers.labels(outcome_label).inc()
        for timer in outcome.timers:
            self._arm(message.pool, timer)

    def _event(
        self, record: inputs_pb2.RoutingInput, index: int, notice: Notice
    ) -> tuple[str, events_pb2.Event]:
        if isinstance(notice, n.InteractionCreated):
            event_id = deterministic_id(notice.interaction_id, "created")
        else:
            event_id = deterministic_id(record.input_id, str(index))
        event = new_event(
            notice_payload(notice, record),
            tenant_id=notice.tenant_id or PROVIDER_TENANT_ID,
            producer=SERVICE_NAME,
            interaction_id=notice.interaction_id,
            agent_id=notice.agent_id,
            event_id=event_id,
            correlation_id=record.input_id,
            # The events of one decision happen at one instant; a microsecond per step keeps their
            # order for every consumer that orders by time.
            occurred_at=record.occurred_at.ToDatetime(UTC) + timedelta(microseconds=index),
        )
        topic = INTERACTION_EVENTS.name if notice.interaction_id else AGENT_EVENTS.name
        return topic, event

    async def _publish(self, events: list[tuple[str, events_pb2.Event]]) -> None:
        interaction = [e for t, e in events if t == INTERACTION_EVENTS.name]
        agent = [e for t, e in events if t == AGENT_EVENTS.name]

        async def publish() -> None:
            # Both topics' records go out together (one produce request), then wait for the acks.
            await self._publisher.publish_batches((INTERACTION_EVENTS, interaction), (AGENT_EVENTS, agent))

        # Kept uncommitted and tried again until the broker takes it: nothing is skipped; a failure
        # that lasts reports the engine stalled (health NOT_SERVING).
        await self._progress.until_done(CONSUMER, publish)

    def _commit_later(self, offsets: dict[TopicPartition, int]) -> None:
        """Commit ``offsets`` (their events are already acknowledged) without holding up the next batch:
        one commit at a time, each with the latest offsets. A commit that is lost in a crash only means
        more records replay their events again, with the same ids."""
        self._to_commit.update(offsets)
        self._applied.update(offsets)
        if self._committing is None or self._committing.done():
            self._committing = asyncio.create_task(self._commit_loop(), name="routing-commit")

    async def _commit_loop(self) -> None:
        while self._to_commit and self._consumer is not None:
            offsets, self._to_commit = self._to_commit, {}
            started = time.monotonic()
            try:
                await self._consumer.commit(offsets)
            except KafkaError as exc:  # a rebalance or a broker hiccup: the next batch commits again
                self._log.warning("routing_commit_failed", error_type=type(exc).__name__)
                return
            if not self._stopping:
                # At most one commit per COMMIT_SECONDS: a request to the broker per batch costs both
                # sides CPU, and a crash only replays (republishes, same ids) the last moment's records.
                await asyncio.sleep(max(0.0, started + COMMIT_SECONDS - time.monotonic()))

    # ------------------------------------------------------------------ timers

    def _arm(self, pool: str, timer: Timer) -> None:
        timer_id = timer.command.timer_id
        if timer_id in self._armed:
            return
        delay = max(0.0, timer.due - time.time())
        loop = asyncio.get_running_loop()
        self._armed[timer_id] = loop.call_later(delay, lambda: loop.create_task(self._fire(pool, timer)))

    async def _fire(self, pool: str, timer: Timer) -> None:
        self._armed.pop(timer.command.timer_id, None)
        engine = self.engines.get(pool)
        if engine is not None and not engine.timer_armed(timer.command.timer_id):
            # Cancelled by what was applied since (an accepted offer's expiry, a wrap-up's timer):
            # its record would change nothing, so it costs the log nothing. Were it armed again by a
            # record not applied yet, applying that record arms it here again.
            return
        record = inputs_pb2.RoutingInput(
            input_id=timer.command.timer_id,
            pool=pool,
            occurred_at=ts(timer.due),
            schema_version=INPUT_SCHEMA_VERSION,
            timer=timer_input(timer.command),
        )
        for attempt in range(30):
            try:
                await self._append(pool, record)
                return
            except Unavailable:
                await asyncio.sleep(min(5.0, 0.2 * 2**attempt))
        self._log.error("routing_timer_lost", timer_kind=record.timer.kind)

    # ------------------------------------------------------------------ desks and gauges

    def _notify_desks(self, pool: str, notice: Notice) -> None:
        engine = self.engines.get(pool)
        if engine is None or not notice.agent_id:
            return
        agent_id = notice.agent_id
        match notice:
            case n.InteractionOffered():
                offer = engine.offer(notice.offer_id)
                work = engine.work(notice.interaction_id)
                if offer is not None and work is not None:
                    message = offer_to_pb(
                        offer,
                        work,
                        self._replica.guidelines(work.queue_id),
                        engine.history(work.tenant_id, work.customer_ref) if work.customer_ref else [],
                    )
                    self._hub.send(agent_id, routing_pb2.ConnectResponse(offer=message))
            case n.OfferAccepted() | n.OfferRejected() | n.OfferTimedOut():
                how = "expired" if isinstance(notice, n.OfferTimedOut) else _OFFER_OUTCOMES[type(notice)]
                closed = routing_pb2.OfferClosed(offer_id=notice.offer_id, how=how)
                self._hub.send(agent_id, routing_pb2.ConnectResponse(offer_closed=closed))
            case n.InteractionAbandoned():
                left = routing_pb2.CustomerLeft(interaction_id=notice.interaction_id)
                self._hub.send(agent_id, routing_pb2.ConnectResponse(customer_left=left))
            case n.InteractionEnded(reason="customer_left"):
                left = routing_pb2.CustomerLeft(interaction_id=notice.interaction_id)
                self._hub.send(agent_id, routing_pb2.ConnectResponse(customer_left=left))
            case n.AgentPresenceChanged():
                self._hub.send(agent_id, routing_pb2.ConnectResponse(state=self.agent_state(pool, agent_id)))

    def agent_state(self, pool: str, agent_id: str) -> routing_pb2.AgentState:
        """What a desk shows: presence, held work, open offers with their context."""
        engine = self.engine(pool)
        agent = engine.agent(agent_id)
        work = engine.agent_work(agent_id)
        state = routing_pb2.AgentState(
            agent_id=agent_id,
            presence=presence_pb(agent.shown_presence()),
            reason=agent.reason,
            work=[work_item_to_pb(w) for w in work],
        )
        for item in work:
            if item.offer is not None:
                history = engine.history(item.tenant_id, item.customer_ref) if item.customer_ref else []
                state.offers.append(
                    offer_to_pb(item.offer, item, self._replica.guidelines(item.queue_id), history)
                )
        return state

    def _publish_gauges(self) -> None:
        self._gauges_due = time.monotonic() + GAUGE_SECONDS
        for pool, engine in self.engines.items():
            counts = engine.snapshot()
            self._metrics.waiting.labels(pool).set(counts.waiting)
            for presence in _GAUGED_PRESENCES:
                self._metrics.agents.labels(pool, presence.name.lower()).set(counts.agents_in(presence))

    async def stop(self) -> None:
        self._stopping = True
        for handle in self._armed.values():
            handle.cancel()
        if self._committing is not None:  # the last offsets, without the pause between commits
            self._committing.cancel()
            await asyncio.gather(self._committing, return_exceptions=True)
            self._committing = None
        if self._applied and self._consumer is not None:
            with contextlib.suppress(KafkaError):
                await self._consumer.commit(self._applied)
            self._to_commit = {}
        if self._consumer is not None:
            await self._consumer.stop()

    def pool_of_agent(self, agent_id: str) -> str | None:
        for pool, engine in self.engines.items():
            try:
                engine.agent(agent_id)
            except VaxelError:
                continue
            return pool
        return None


__all__ = ["EngineRunner", "RoutingMetrics"]
