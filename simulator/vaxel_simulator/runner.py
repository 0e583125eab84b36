"""Drives the demo world through the platform's public gRPC APIs: onboarding over the tenant API,
customers over the routing API, agents over their desk streams."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from collections import Counter
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
from google.protobuf.duration_pb2 import Duration
from grpc import aio

from vaxel.interactions.v1 import interactions_pb2, interactions_pb2_grpc
from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_cli.onboarding import onboard
from vaxel_cli.output import channel_name
from vaxel_cli.spec import TenantSpec
from vaxel_simulator.scenario import (
    CHAT,
    EMAIL,
    SOCIAL,
    VOICE,
    AgentPlan,
    QueuePlan,
    TenantPlan,
    World,
    arrival_rate,
    next_arrival,
)

__all__ = ["OnboardedQueue", "OnboardedTenant", "Simulation"]

Metadata = tuple[tuple[str, str], ...]
# Of those served, how many answer the survey sent when the interaction ends, and what they give:
# (weights of scores 1..5) by disposition.
_SURVEY_ANSWERED = 0.3
_SCORE_WEIGHTS = {
    "solved": (1, 1, 3, 10, 12),
    "follow_up": (3, 5, 8, 5, 2),
    "complaint": (10, 8, 4, 2, 1),
    "cancellation": (8, 6, 6, 3, 1),
}
_COMMENTS = {1: "Not helpful at all", 2: "Took too long", 3: "OK", 4: "Helpful agent", 5: "Excellent service"}
_DISPOSITIONS = (
    ("solved", ("praise",)),
    ("solved", ()),
    ("solved", ("sales_lead",)),
    ("follow_up", ("defect",)),
    ("complaint", ("complaint",)),
    ("cancellation", ("cancellation",)),
)


@dataclass(frozen=True, slots=True)
class OnboardedQueue:
    queue_id: str
    plan: QueuePlan


@dataclass(frozen=True, slots=True)
class OnboardedTenant:
    tenant_id: str
    key: Metadata
    plan: TenantPlan
    queues: tuple[OnboardedQueue, ...]
    skills: dict[str, str]  # skill name -> skill id


@dataclass
class Tally:
    """What the simulated people did (shown in the live view, asserted by the end-to-end test)."""

    counts: Counter[str] = field(default_factory=Counter)
    submitted: dict[str, str] = field(default_factory=dict)  # interaction id -> tenant id

    def add(self, what: str) -> None:
        self.counts[what] += 1


def tenant_spec(plan: TenantPlan) -> TenantSpec:
    """A demo company as an onboarding file (what ``vaxel tenant onboard`` reads from YAML)."""
    return TenantSpec.model_validate(
        {
            "tenant": {
                "name": plan.name,
                "country": plan.country,
                "time_zone": plan.time_zone,
                "languages": list(plan.languages),
            },
            "skills": [{"name": skill} for skill in dict.fromkeys(q.skill for q in plan.queues)],
            "queues": [
                {
                    "name": q.name,
                    "channels": [channel_name(c) for c in q.channels],
                    "language": q.language,
                    "required_skills": [{"skill": q.skill, "min_proficiency": 2}],
                    "service_level_targets": [
                        {
                            "channel": channel_name(c),
                            "target_percent": q.target_percent,
                            "threshold": q.threshold_seconds,
                            "business_hours_clock": c == EMAIL,
                        }
                        for c in q.channels
                    ],
                    "short_abandon_threshold": 5,
                }
                for q in plan.queues
            ],
        }
    )


class Simulation:
    def __init__(
        self,
        targets: dict[str, str],
        ops_key: str,
        world: World,
        *,
        speed: float = 60.0,
        scale: float = 1.0,
        seed: int = 7,
    ) -> None:
        self.targets = targets
        self.ops: Metadata = (("authorization", f"Bearer {ops_key}"),)
        self.world = world
        self.speed = speed
        self.scale = scale
        self.rng = random.Random(seed)  # noqa: S311  (simulation, not secrets)
        self.tenants: list[OnboardedTenant] = []
        self.tally = Tally()
        self._started = time.monotonic()
        self._sim_start = datetime.now(UTC)
        self._channels: dict[str, aio.Channel] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        self._closing = asyncio.Event()
        self._ids = itertools.count(1)
        # Interactions no agent has wrapped up and no customer has given up on (id -> tenant key).
        self._open: dict[str, Metadata] = {}
        self._handling: set[asyncio.Task[None]] = set()
        self._customers: set[asyncio.Task[None]] = set()
        self._surveys: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ time

    def sim_now(self) -> datetime:
        return self._sim_start + timedelta(seconds=(time.monotonic() - self._started) * self.speed)

    def real(self, simulated_seconds: float) -> float:
        return simulated_seconds / self.speed

    # ------------------------------------------------------------------ set-up

    def channel(self, service: str) -> aio.Channel:
        if service not in self._channels:
            self._channels[service] = aio.insecure_channel(self.targets[service])
        return self._channels[service]

    async def onboard(self) -> list[OnboardedTenant]:
        for plan in self.world.tenants:
            done = await onboard(self.channel("client-tenant"), self.ops, tenant_spec(plan))
            queues = tuple(OnboardedQueue(done.queues[q.name].queue_id, q) for q in plan.queues)
            self.tenants.append(OnboardedTenant(done.tenant_id, done.metadata, plan, queues, done.skills))
        agents = routing_pb2_grpc.AgentAdminServiceStub(self.channel("routing"))
        by_name = {t.plan.name: t for t in self.tenants}
        for agent in self.world.agents:
            served = [by_name[n] for n in agent.tenants if n in by_name]
            await agents.UpsertAgent(
                routing_pb2.UpsertAgentRequest(
                    agent=routing_pb2.Agent(
                        agent_id=agent.name,
                        site_id=agent.site.site_id,
                        time_zone=agent.site.time_zone,
                        languages=list(agent.languages),
                        skills=[
                            routing_pb2.SkillLevel(skill_id=skill_id, proficiency=self.rng.randint(2, 5))
                            for t in served
                            for skill_id in t.skills.values()
                        ],
                        tenant_ids=[t.tenant_id for t in served],
                        wrap_up=Duration(seconds=max(1, round(self.real(30)))),
                    )
                ),
                metadata=self.ops,
                timeout=10,
            )
        return self.tenants

    async def wait_until_routable(self, timeout: float = 30.0) -> None:
        """Routing follows the configuration topic: wait until it knows every queue."""
        routing = routing_pb2_grpc.RoutingServiceStub(self.channel("routing"))
        deadline = time.monotonic() + timeout
        for tenant in self.tenants:
            for queue in tenant.queues:
                while True:
                    try:
                        await routing.SubmitInteraction(
                            routing_pb2.SubmitInteractionRequest(queue_id=queue.queue_id),
                            metadata=tenant.key,
                            timeout=5,
                        )
                    except grpc.RpcError as err:
                        if err.code() == grpc.StatusCode.INVALID_ARGUMENT:
                            break  # the queue is known; the empty request was refused
                        if time.monotonic() > deadline:
                            raise
                    await asyncio.sleep(0.2)

    # ------------------------------------------------------------------ running

    def spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def run(self, duration: float | None = None) -> None:
        """Agents and customers until ``stop``, or for ``duration`` real seconds and then ``close``."""
        for agent in self.world.agents:
            self.spawn(self._agent(agent))
        for tenant in self.tenants:
            for queue in tenant.queues:
                self.spawn(self._arrivals(tenant, queue))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=duration)
        if self._stopping.is_set():
            await self.stop()
        else:
            await self.close()

    async def close(self, timeout: float = 30.0) -> None:
        """End the day: no new customers; those still waiting give up; agents finish and wrap up.

        Afterwards every interaction submitted has a final outcome (handled and wrapped up, or
        abandoned), which is what the end-to-end test compares across the services.
        """
        self._closing.set()
        deadline = time.monotonic() + timeout
        if self._customers:  # patience runs out on the simulated clock
            await asyncio.wait(self._customers, timeout=timeout / 3)
        routing = routing_pb2_grpc.RoutingServiceStub(self.channel("routing"))
        while self._open and time.monotonic() < deadline:
            for interaction_id, key in list(self._open.items()):
                # A no-op for routing when an agent already answered: that one ends by wrap-up.
                with contextlib.suppress(grpc.RpcError):
                    await routing.AbandonInteraction(
                        routing_pb2.AbandonInteractionRequest(interaction_id=interaction_id),
                        metadata=key,
                        timeout=10,
                    )
            await asyncio.sleep(0.5)
            if self._handling:
                await asyncio.wait(self._handling, timeout=max(0.1, deadline - time.monotonic()))
            for interaction_id, key in list(self._open.items()):
                with contextlib.suppress(grpc.RpcError):
                    reply = await routing.GetInteractionStatus(
                        routing_pb2.GetInteractionStatusRequest(interaction_id=interaction_id),
                        metadata=key,
                        timeout=10,
                    )
                    if reply.state in ("done", "abandoned"):
                        del self._open[interaction_id]
        if self._surveys:  # the last customers served answer their surveys
            await asyncio.wait(self._surveys, timeout=max(0.1, deadline - time.monotonic()))
        await self.stop()

    async def stop(self) -> None:
        self._stopping.set()
        tasks = self._tasks | self._customers | self._surveys
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for channel in self._channels.values():
            await channel.close(None)

    async def _arrivals(self, tenant: OnboardedTenant, queue: OnboardedQueue) -> None:
        while not self._stopping.is_set():
            rate = arrival_rate(queue.plan, tenant.plan, self.sim_now(), self.scale)
            await asyncio.sleep(next_arrival(self.rng, rate))
            if self._closing.is_set():
                return
            customer = asyncio.get_running_loop().create_task(self._customer(tenant, queue))
            self._customers.add(customer)
            customer.add_done_callback(self._customers.discard)

    async def _customer(self, tenant: OnboardedTenant, queue: OnboardedQueue) -> None:
        routing = routing_pb2_grpc.RoutingServiceStub(self.channel("routing"))
        channel = self.rng.choice(queue.plan.channels)
        n = next(self._ids)
        customer = f"cust-{self.rng.randrange(3000)}"
        contact = types_pb2.Contact()
        if channel == CHAT:
            contact.chat_session_id = f"chat-{n}"
        elif channel == EMAIL:
            contact.email_address = f"{customer}@example.com"
        elif channel == SOCIAL:
            contact.social_handle = f"@{customer.replace('-', '_')}"
        request = routing_pb2.SubmitInteractionRequest(
            queue_id=queue.queue_id,
            channel=channel,  # type: ignore[arg-type]
            language=queue.plan.language,
            customer_ref=customer,
            contact=contact,
            subject="Order question" if channel == EMAIL else "",
            text="Where is my booking? Flight delayed" if channel == SOCIAL else "",
            escalate=channel in (SOCIAL, CHAT),
            idempotency_key=f"sim-{self._sim_start.timestamp():.0f}-{n}",
        )
        for attempt in range(3):
            try:
                reply = await routing.SubmitInteraction(request, metadata=tenant.key, timeout=10)
                break
            except grpc.RpcError as err:
                # A reply lost to a deadline may hide an interaction routing took: try again with the
                # same idempotency key, as a client should, and routing answers with the same one.
                retry = err.code() in (grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAVAILABLE)
                if not retry or attempt == 2:
                    self.tally.add(f"submit_failed_{err.code().name.lower()}")
                    return
                await asyncio.sleep(0.5)
        self.tally.add("submitted")
        self.tally.submitted[reply.interaction_id] = tenant.tenant_id
        self._open[reply.interaction_id] = tenant.key
        if channel == VOICE and self.rng.random() < 0.05:
            with contextlib.suppress(grpc.RpcError):
                await routing.RequestCallback(
                    routing_pb2.RequestCallbackRequest(interaction_id=reply.interaction_id),
                    metadata=tenant.key,
                    timeout=10,
                )
                self.tally.add("callback_requested")
            return
        if channel in (EMAIL, SOCIAL):
            return  # they wait for an answer, however long
        patience = self.rng.expovariate(1 / queue.plan.patience_seconds)
        await asyncio.sleep(self.real(patience))
        # Out of patience: hang up (a no-op for routing when an agent already answered; the SLA
        # service counts the real abandons).
        with contextlib.suppress(grpc.RpcError):
            await routing.AbandonInteraction(
                routing_pb2.AbandonInteractionRequest(interaction_id=reply.interaction_id),
                metadata=tenant.key,
                timeout=10,
            )

    async def _survey_answer(self, interaction_id: str, disposition: str) -> None:
        """The customer answers the survey the interaction log sent when the interaction ended."""
        tenant_id = self.tally.submitted.get(interaction_id)
        key = next((t.key for t in self.tenants if t.tenant_id == tenant_id), None)
        if key is None:
            return
        log = interactions_pb2_grpc.InteractionLogServiceStub(self.channel("interaction-log"))
        score = self.rng.choices(range(1, 6), weights=_SCORE_WEIGHTS.get(disposition, (1, 1, 1, 1, 1)))[0]
        request = interactions_pb2.RecordSurveyAnswerRequest(
            interaction_id=interaction_id,
            score=score,
            comment=_COMMENTS[score] if self.rng.random() < 0.4 else "",
        )
        await asyncio.sleep(self.real(self.rng.uniform(60, 600)))
        for _ in range(10):  # the survey goes out once the log has recorded the end
            try:
                await log.RecordSurveyAnswer(request, metadata=key, timeout=10)
            except grpc.RpcError as err:
                if err.code() not in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.NOT_FOUND):
                    self.tally.add(f"survey_failed_{err.code().name.lower()}")
                    return
                await asyncio.sleep(1.0)
            else:
                self.tally.add("survey_answered")
                return

    async def _agent(self, plan: AgentPlan) -> None:  # noqa: PLR0915  (one agent's working life)
        desk = routing_pb2_grpc.AgentDeskServiceStub(self.channel("routing"))
        outbox: asyncio.Queue[routing_pb2.ConnectRequest] = asyncio.Queue()

        async def requests() -> AsyncIterator[routing_pb2.ConnectRequest]:
            while True:
                yield await outbox.get()

        def send(**action: object) -> None:
            outbox.put_nowait(routing_pb2.ConnectRequest(request_id=f"r{next(self._ids)}", **action))  # type: ignore[arg-type]

        call = desk.Connect(requests(), metadata=self.ops)
        send(login=routing_pb2.Login(agent_id=plan.name))
        on_shift: bool | None = None
        handling: dict[str, asyncio.Task[None]] = {}

        async def shifts() -> None:
            nonlocal on_shift
            while True:
                working = plan.site.working(self.sim_now())
                if working != on_shift:
                    on_shift = working
                    presence = types_pb2.PRESENCE_AVAILABLE if working else types_pb2.PRESENCE_NOT_READY
                    send(
                        set_presence=routing_pb2.SetPresence(
                            presence=presence, reason="" if working else "off shift"
                        )
                    )
                await asyncio.sleep(2)

        async def handle(offer: routing_pb2.Offer) -> None:
            aht = next(
                q.plan.aht_seconds for t in self.tenants for q in t.queues if q.queue_id == offer.queue_id
            )
            talk = aht * self.rng.lognormvariate(0, 0.4) * 0.85
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(self.real(talk))
                send(
                    end_interaction=routing_pb2.EndInteraction(
                        interaction_id=offer.interaction_id, reason="done"
                    )
                )
            await asyncio.sleep(self.real(aht * 0.1))
            disposition, tags = self.rng.choice(_DISPOSITIONS)
            send(
                wrap_up=routing_pb2.WrapUp(
                    interaction_id=offer.interaction_id, disposition=disposition, tags=list(tags)
                )
            )
            self.tally.add("wrapped_up")
            self._open.pop(offer.interaction_id, None)
            if self.rng.random() < _SURVEY_ANSWERED:
                survey = asyncio.get_running_loop().create_task(
                    self._survey_answer(offer.interaction_id, disposition)
                )
                self._surveys.add(survey)
                survey.add_done_callback(self._surveys.discard)
            handling.pop(offer.interaction_id, None)

        shift_task = asyncio.get_running_loop().create_task(shifts())
        try:
            async for update in call:
                kind = update.WhichOneof("update")
                if kind == "offer":
                    offer = update.offer
                    roll = self.rng.random()
                    if roll < plan.accept_probability:
                        send(accept_offer=routing_pb2.AcceptOffer(offer_id=offer.offer_id))
                        self.tally.add("accepted")
                        task = asyncio.get_running_loop().create_task(handle(offer))
                        handling[offer.interaction_id] = task
                        self._handling.add(task)
                        task.add_done_callback(self._handling.discard)
                    elif roll < plan.accept_probability + plan.reject_probability:
                        send(reject_offer=routing_pb2.RejectOffer(offer_id=offer.offer_id, reason="busy"))
                        self.tally.add("rejected")
                    else:
                        self.tally.add("not_answered")
                elif kind == "state":
                    state = update.state
                    if (
                        on_shift
                        and state.presence == types_pb2.PRESENCE_NOT_READY
                        and state.reason == "missed offer"
                    ):
                        send(set_presence=routing_pb2.SetPresence(presence=types_pb2.PRESENCE_AVAILABLE))
                elif kind == "customer_left":
                    held = handling.get(update.customer_left.interaction_id)
                    if held is not None:
                        held.cancel()
        except grpc.RpcError:
            self.tally.add("desk_dropped")
        finally:
            shift_task.cancel()
            for task in handling.values():
                task.cancel()
            call.cancel()
