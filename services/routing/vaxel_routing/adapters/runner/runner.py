"""Runs the routing engines over the routing-inputs log: the one writer of each pool's state.

Requests (submissions, desk actions) and timers become records on ``vaxel.routing.inputs.v1``
keyed by pool; this runner reads them in order and applies each to its pool's engine. At
start (and on every partition assignment) it replays its partitions from the beginning
(:mod:`.consumer`): records below the group's committed offset rebuild state silently, records
after it were not acknowledged before the last stop, so their events are published again, with
the same ids (:mod:`.events`). Per batch: apply, publish the events and wait for the broker, then
commit (:mod:`.commits`). A crash at any point therefore loses nothing, and what it repeats is
recognisable by event id. Timers (:mod:`.timers`), desk notices (:mod:`.notices`) and gauges
(:mod:`.gauges`) follow what was applied.

The front door waits for its own record to be applied (:meth:`EngineRunner.execute`) and
answers with the engine's reply or error.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.abc import ConsumerRebalanceListener
from aiokafka.structs import ConsumerRecord, TopicPartition
from google.protobuf.message import DecodeError as ProtobufDecodeError

from vaxel.routing.v1 import inputs_pb2, routing_pb2
from vaxel_common.deadletter import DeadLetterPublisher
from vaxel_common.errors import Unavailable, VaxelError
from vaxel_common.logging import get_logger
from vaxel_common.progress import ProgressMonitor
from vaxel_common.publisher import EventPublisher
from vaxel_routing.adapters.converters import command_of, seconds_of, ts
from vaxel_routing.adapters.desk_hub import DeskHub
from vaxel_routing.adapters.personal import PersonalData
from vaxel_routing.adapters.runner.commits import OffsetCommits
from vaxel_routing.adapters.runner.consumer import CONSUMER, INPUT_SCHEMA_VERSION, Batches, InputLog
from vaxel_routing.adapters.runner.drops import DeskDrops
from vaxel_routing.adapters.runner.events import TopicEvent, notice_event, publish_events
from vaxel_routing.adapters.runner.gauges import PoolGauges
from vaxel_routing.adapters.runner.notices import DeskNotices
from vaxel_routing.adapters.runner.replies import Replies, Result
from vaxel_routing.adapters.runner.timers import Timers
from vaxel_routing.domain.commands import EraseCustomer, Notice, Outcome
from vaxel_routing.domain.engine import RoutingEngine
from vaxel_routing.domain.model import RoutingPolicy
from vaxel_routing.domain.notices import InteractionOffered
from vaxel_routing.domain.replica import ConfigReplica
from vaxel_routing.metrics import RoutingMetrics

__all__ = ["EngineRunner"]


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
        personal: PersonalData,
        session_timeout_ms: int,
        reply_timeout_seconds: float = 10.0,
        desk_grace_seconds: float = 30.0,
        fetch_wait_ms: int = 100,
        kafka_options: Mapping[str, Any] | None = None,
    ) -> None:
        self._publisher = publisher
        self._policy = policy
        self._metrics = metrics
        self._dead_letters = dead_letters
        self._progress = progress
        self._personal = personal
        progress.register(CONSUMER)
        self._replies = Replies(reply_timeout_seconds)
        self.engines: dict[str, RoutingEngine] = {}
        self.ready = asyncio.Event()
        self._stopping = False
        self._inputs = InputLog(
            bootstrap=bootstrap,
            producer=producer,
            progress=progress,
            session_timeout_ms=session_timeout_ms,
            fetch_wait_ms=fetch_wait_ms,
            kafka_options=kafka_options or {},
        )
        self._commits = OffsetCommits(self._inputs.commit)
        self._timers = Timers(self.engines, self._inputs.append)
        self._desks = DeskNotices(hub, replica)
        self._drops = DeskDrops(hub, self.execute, desk_grace_seconds, metrics)
        self._gauges = PoolGauges(metrics)
        self._logger = get_logger("vaxel.routing.engine")

    def require_ready(self) -> None:
        """Raise Unavailable while the engines rebuild from the log (at start or after a rebalance):
        what they would answer then is not yet true."""
        if not self.ready.is_set():
            raise Unavailable("routing is rebuilding its state from its log; retry shortly")

    def engine(self, pool: str) -> RoutingEngine:
        engine = self.engines.get(pool)
        if engine is None:
            engine = self.engines[pool] = RoutingEngine(pool, self._policy)
        return engine

    def pool_of_agent(self, agent_id: str) -> str | None:
        for pool, engine in self.engines.items():
            try:
                engine.agent(agent_id)
            except VaxelError:
                continue
            return pool
        return None

    def agent_state(self, pool: str, agent_id: str) -> routing_pb2.AgentState:
        """What a desk shows: presence, held work, open offers with their context."""
        return self._desks.agent_state(self.engine(pool), agent_id)

    def desk_dropped(self, pool: str, agent_id: str) -> None:
        """A desk stream of the agent ended without a sign-out: through the log (:mod:`.drops`)."""
        self._drops.drop(pool, agent_id)

    async def execute(self, pool: str, record: inputs_pb2.RoutingInput) -> Outcome:
        """Append ``record`` to the pool's log and wait until the engine applied it: its outcome,
        or the engine's error (InvalidArgument, NotFound, ...) raised here."""
        record.input_id = record.input_id or str(uuid.uuid4())
        record.pool = pool
        record.schema_version = INPUT_SCHEMA_VERSION
        if not record.HasField("occurred_at"):
            record.occurred_at.CopyFrom(ts(time.time()))
        return await self._replies.wait(record.input_id, self._inputs.append(pool, record))

    async def start(self) -> None:
        await self._inputs.start(_Assignments(self))

    async def reset(self, assigned: list[TopicPartition]) -> None:
        """New partitions: rebuild every engine from the start of the log."""
        if not self._inputs.started:
            return
        self._timers.cancel_all()
        self._commits.reset()
        self.engines.clear()
        await self._inputs.reset(assigned)
        self._check_caught_up()

    def _check_caught_up(self) -> None:
        if self.ready.is_set() or not self._inputs.started:
            return
        if self._inputs.caught_up():
            for pool, engine in self.engines.items():
                for timer in engine.pending_timers():
                    self._timers.arm(pool, timer)
            self._gauges.publish(self.engines)
            self.ready.set()
            self._logger.info("routing_state_rebuilt", pools=len(self.engines))
            self._drops.absent(self.engines)  # agents logged in whose desks did not come back here

    async def run(self) -> None:
        if not self._inputs.started:
            raise RuntimeError("start() first")
        try:
            while not self._stopping:
                batches = await self._inputs.read()
                if batches is None:
                    continue
                if batches:
                    await self._process(batches)
                    continue
                self._check_caught_up()
                if self.ready.is_set():
                    self._gauges.publish_if_due(self.engines)  # the last changes before a quiet spell
        finally:
            self._inputs.stop_reading()

    async def _process(self, batches: Batches) -> None:
        events: list[TopicEvent] = []
        hub_work: list[tuple[str, Notice]] = []
        resolved: list[tuple[str, Result]] = []
        commits: dict[TopicPartition, int] = {}
        for tp, record, live in self._inputs.unapplied(batches):
            await self._apply(record, live, events, hub_work, resolved)
            if live:
                commits[tp] = record.offset + 1
        if events:
            await publish_events(self._publisher, self._progress, events)
        if commits:
            self._commits.later(commits)
        for pool, notice in hub_work:
            self._desks.notify(self.engines.get(pool), notice)
        self._replies.resolve(resolved)
        self._check_caught_up()
        if self.ready.is_set():
            self._gauges.publish_if_due(self.engines)

    async def _apply(
        self,
        record: ConsumerRecord[bytes, bytes],
        live: bool,
        events: list[TopicEvent],
        hub_work: list[tuple[str, Notice]],
        resolved: list[tuple[str, Result]],
    ) -> None:
        message = inputs_pb2.RoutingInput()
        try:
            message.ParseFromString(record.value or b"")
            if not message.input_id or not message.pool:
                raise ValueError("missing input_id or pool")
            command = command_of(message, self._personal.open(message))
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
        if isinstance(command, EraseCustomer) and command.customer_ref:
            # Forgotten in memory first, then the keys: from here on no record of the customer opens,
            # whether this is the erasure's first application or a replay after a crash before this line.
            self._personal.destroy_customer(command.tenant_id, command.customer_ref)
        if not live:
            self._metrics.replayed.inc()
            return
        resolved.append((message.input_id, outcome))
        for index, notice in enumerate(outcome.notices):
            events.append(notice_event(message, index, notice, engine.now, self._personal))
            if isinstance(notice, InteractionOffered) and notice.expires_at <= time.time():
                # Decided late (a broker pause, a backlog): never shown to a desk already expired; its
                # expiry, written now, finds it late and offers it again (offers.offer_expired).
                continue
            hub_work.append((message.pool, notice))
            self._metrics.count_offer(notice)
        for timer in outcome.timers:
            self._timers.arm(message.pool, timer)

    async def stop(self) -> None:
        self._stopping = True
        self._timers.cancel_all()
        await self._commits.stop()
        await self._inputs.stop()
