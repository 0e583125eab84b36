"""The load of the end-to-end bench: tenants onboarded through the tenant API, agents on desk streams
who take every offer and finish it at once, customers submitting through the routing API at a fixed
rate, and a sample of interactions read back from the interaction log.

Every stage an interaction reaches is stamped with this process's ``perf_counter`` (one clock for
all stages), in :class:`Stamps`.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import grpc
from google.protobuf.duration_pb2 import Duration
from grpc import aio

from vaxel.interactions.v1 import interactions_pb2, interactions_pb2_grpc
from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.supervisor import Platform

__all__ = [
    "CLIENT_STAGES",
    "BenchQueue",
    "DeskAgent",
    "LogSampler",
    "Metadata",
    "Stamps",
    "onboard",
    "submit_at_rate",
]

Metadata = tuple[tuple[str, str], ...]

# Stages stamped by this process, in the order an interaction reaches them.
CLIENT_STAGES = ("submit_sent", "submitted", "offered", "accepted", "ended", "wrapped_up", "logged")
_LANGUAGE = "sv-SE"
_AVAILABLE = routing_pb2.SetPresence(presence=types_pb2.PRESENCE_AVAILABLE)
_CODE_NAMES = {code.value[0]: code.name for code in grpc.StatusCode}
_SCOPES = ["config:read", "config:write", "interactions:read", "interactions:write", "reports:read"]


@dataclass(frozen=True, slots=True)
class BenchQueue:
    """A fresh tenant with one chat queue, its own API key and the agents certified for it."""

    tenant_id: str
    queue_id: str
    key: Metadata
    agent_ids: tuple[str, ...]


@dataclass
class Stamps:
    """When each interaction reached each stage (``perf_counter`` seconds), and what failed."""

    at: dict[str, dict[str, float]] = field(default_factory=lambda: {s: {} for s in CLIENT_STAGES})
    queue_of: dict[str, BenchQueue] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # interaction ids in submit order
    failed: Counter[str] = field(default_factory=Counter)  # "<action>:<status code>"
    # Each failure with when it began (``perf_counter``): the soak puts them in the fault's window.
    failures: list[tuple[float, str]] = field(default_factory=list)
    wrapped: asyncio.Event = field(default_factory=asyncio.Event)

    def fail(self, label: str, at: float | None = None) -> None:
        """Count one failure ``label`` ("<action>:<status code>") that began ``at`` (default: now)."""
        self.failed[label] += 1
        self.failures.append((time.perf_counter() if at is None else at, label))

    def mark(self, stage: str, interaction_id: str, at: float | None = None) -> None:
        self.at[stage].setdefault(interaction_id, time.perf_counter() if at is None else at)

    def count(self, stage: str) -> int:
        return len(self.at[stage])

    def in_flight(self) -> int:
        """Submitted and not wrapped up yet."""
        return self.count("submitted") - self.count("wrapped_up")


async def onboard(
    platform: Platform, tenants: int, agents_per_tenant: int, capacity: int
) -> list[BenchQueue]:
    """``tenants`` fresh tenants, each with a chat queue, a key and its own agents; waits until routing
    knows every queue."""
    ops = platform.admin_metadata
    run = uuid.uuid4().hex[:6]
    made: list[BenchQueue] = []
    async with (
        aio.insecure_channel(platform.processes["client-tenant"].grpc_target) as tenant_channel,
        aio.insecure_channel(platform.processes["routing"].grpc_target) as routing_channel,
    ):
        admin = tenant_pb2_grpc.AdminServiceStub(tenant_channel)
        tenant_api = tenant_pb2_grpc.TenantServiceStub(tenant_channel)
        agents = routing_pb2_grpc.AgentAdminServiceStub(routing_channel)
        for t in range(tenants):
            tenant = (
                await admin.CreateTenant(
                    tenant_pb2.CreateTenantRequest(
                        name=f"Bench {run} {t}",
                        country="SE",
                        time_zone="Europe/Stockholm",
                        languages=[_LANGUAGE],
                    ),
                    metadata=ops,
                )
            ).tenant
            key = (
                await admin.IssueApiKey(
                    tenant_pb2.IssueApiKeyRequest(tenant_id=tenant.tenant_id, scopes=_SCOPES), metadata=ops
                )
            ).api_key
            md: Metadata = (("authorization", f"Bearer {key}"),)
            queue = (
                await tenant_api.CreateQueue(
                    tenant_pb2.CreateQueueRequest(
                        name="Chat", channels=[types_pb2.CHANNEL_CHAT], language=_LANGUAGE
                    ),
                    metadata=md,
                )
            ).queue
            ids = []
            for a in range(agents_per_tenant):
                agent = routing_pb2.Agent(
                    agent_id=f"bench-{run}-{t}-{a}",
                    languages=["sv"],
                    tenant_ids=[tenant.tenant_id],
                    capacity=[routing_pb2.ChannelCapacity(channel=types_pb2.CHANNEL_CHAT, capacity=capacity)],
                    wrap_up=Duration(seconds=5),
                )
                await agents.UpsertAgent(
                    routing_pb2.UpsertAgentRequest(agent=agent), metadata=ops, timeout=10
                )
                ids.append(agent.agent_id)
            made.append(BenchQueue(tenant.tenant_id, queue.queue_id, md, tuple(ids)))
        routing = routing_pb2_grpc.RoutingServiceStub(routing_channel)
        for made_queue in made:
            await _until_routable(routing, made_queue)
    return made


async def _until_routable(routing: routing_pb2_grpc.RoutingServiceAsyncStub, queue: BenchQueue) -> None:
    """Routing follows the configuration topic: an empty submission is refused as INVALID_ARGUMENT
    (not NOT_FOUND) once it knows the queue."""
    deadline = time.monotonic() + 30
    while True:
        try:
            await routing.SubmitInteraction(
                routing_pb2.SubmitInteractionRequest(queue_id=queue.queue_id), metadata=queue.key, timeout=5
            )
        except grpc.RpcError as err:
            if err.code() == grpc.StatusCode.INVALID_ARGUMENT:
                return
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.1)


class DeskAgent:
    """An agent on a desk stream who accepts every offer, ends it once the accept is confirmed and wraps
    it up once the end is confirmed: three requests, each answered after routing applied it. A dropped
    stream is counted (``desk:<code>``) and reconnected; the state sent on (re)connecting tells which
    work to carry on with."""

    def __init__(
        self, desk: routing_pb2_grpc.AgentDeskServiceAsyncStub, agent_id: str, ops: Metadata, stamps: Stamps
    ) -> None:
        self.desk = desk
        self.agent_id = agent_id
        self.ops = ops
        self.stamps = stamps
        self.ready = asyncio.Event()
        self._outbox: asyncio.Queue[routing_pb2.ConnectRequest | None] = asyncio.Queue()
        self._asked: dict[str, tuple[str, str]] = {}  # request id -> (action, interaction id)
        self._acting: set[str] = set()  # interaction ids with a request in flight
        self._ids = itertools.count(1)

    def _send(self, action: str, interaction_id: str, request: routing_pb2.ConnectRequest) -> None:
        request.request_id = f"{self.agent_id}-{next(self._ids)}"
        self._asked[request.request_id] = (action, interaction_id)
        if interaction_id:
            self._acting.add(interaction_id)
        self._outbox.put_nowait(request)

    async def run(self) -> None:
        """Work until cancelled."""
        while True:
            try:
                await self._session()
            except grpc.RpcError as err:
                self.stamps.fail(f"desk:{err.code().name}")
            self._outbox = asyncio.Queue()
            self._asked.clear()
            self._acting.clear()
            await asyncio.sleep(0.5)

    async def _session(self) -> None:
        outbox = self._outbox

        async def requests() -> AsyncIterator[routing_pb2.ConnectRequest]:
            while (request := await outbox.get()) is not None:
                yield request

        self._send("login", "", routing_pb2.ConnectRequest(login=routing_pb2.Login(agent_id=self.agent_id)))
        self._send("ready", "", routing_pb2.ConnectRequest(set_presence=_AVAILABLE))
        call = self.desk.Connect(requests(), metadata=self.ops)
        try:
            async for update in call:
                kind = update.WhichOneof("update")
                if kind == "offer":
                    self._offered(update.offer.interaction_id, update.offer.offer_id)
                elif kind == "reply":
                    self._replied(update.reply)
                elif kind == "state":
                    self._carry_on(update.state)
        finally:
            outbox.put_nowait(None)  # ends the request stream, so a dropped call leaves no task behind
            call.cancel()

    def _offered(self, interaction_id: str, offer_id: str) -> None:
        self.stamps.mark("offered", interaction_id)
        accept = routing_pb2.AcceptOffer(offer_id=offer_id)
        self._send("accept", interaction_id, routing_pb2.ConnectRequest(accept_offer=accept))

    def _carry_on(self, state: routing_pb2.AgentState) -> None:
        """After a reconnect: finish the held work; after a missed offer (not ready): back to work."""
        if state.presence == types_pb2.PRESENCE_NOT_READY and self.ready.is_set():
            self._send("ready", "", routing_pb2.ConnectRequest(set_presence=_AVAILABLE))
        for item in state.work:
            if item.interaction_id in self._acting:
                continue
            if item.state == "offered" and item.offer_id:
                self._offered(item.interaction_id, item.offer_id)
            elif item.state == "connected":
                self._end(item.interaction_id)
            elif item.state == "wrap_up":
                self._wrap_up(item.interaction_id)

    def _end(self, interaction_id: str) -> None:
        end = routing_pb2.EndInteraction(interaction_id=interaction_id, reason="done")
        self._send("end", interaction_id, routing_pb2.ConnectRequest(end_interaction=end))

    def _wrap_up(self, interaction_id: str) -> None:
        wrap = routing_pb2.WrapUp(interaction_id=interaction_id, disposition="solved")
        self._send("wrap_up", interaction_id, routing_pb2.ConnectRequest(wrap_up=wrap))

    def _replied(self, reply: routing_pb2.Reply) -> None:
        action, interaction_id = self._asked.pop(reply.request_id, ("", ""))
        self._acting.discard(interaction_id)
        if reply.code != grpc.StatusCode.OK.value[0]:
            self.stamps.fail(f"{action}:{_CODE_NAMES.get(reply.code, str(reply.code))}")
            return
        if action == "ready":
            self.ready.set()
        elif action == "accept":
            self.stamps.mark("accepted", interaction_id)
            self._end(interaction_id)
        elif action == "end":
            self.stamps.mark("ended", interaction_id)
            self._wrap_up(interaction_id)
        elif action == "wrap_up":
            self.stamps.mark("wrapped_up", interaction_id)
            self.stamps.wrapped.set()


async def submit_at_rate(
    routing: routing_pb2_grpc.RoutingServiceAsyncStub,
    queues: list[BenchQueue],
    stamps: Stamps,
    rate: float,
    seconds: float,
    *,
    give_up: float,
) -> tuple[float, float]:
    """Submit chats at ``rate`` per second (open loop: a submission does not wait for the one before)
    for ``seconds``, round robin over ``queues``; stops early when more than ``give_up`` interactions
    are in flight. Returns (start, end) in ``perf_counter`` seconds."""
    sequence = itertools.count()

    async def one(n: int) -> None:
        queue = queues[n % len(queues)]
        request = routing_pb2.SubmitInteractionRequest(
            queue_id=queue.queue_id,
            channel=types_pb2.CHANNEL_CHAT,
            language=_LANGUAGE,
            customer_ref=f"bench-{n % 5000}",
        )
        t0 = time.perf_counter()
        try:
            reply = await routing.SubmitInteraction(request, metadata=queue.key, timeout=30)
        except grpc.RpcError as err:
            stamps.fail(f"submit:{err.code().name}", t0)
            return
        stamps.mark("submit_sent", reply.interaction_id, t0)
        stamps.mark("submitted", reply.interaction_id)
        stamps.queue_of[reply.interaction_id] = queue
        stamps.order.append(reply.interaction_id)

    started = time.perf_counter()
    sent = 0
    pending: set[asyncio.Task[None]] = set()
    while (now := time.perf_counter()) - started < seconds:
        if stamps.in_flight() + len(pending) > give_up:
            break  # the platform has fallen this far behind: not sustained, stop piling on
        due = started + sent / rate
        if due > now:
            await asyncio.sleep(due - now)
            continue
        task = asyncio.create_task(one(next(sequence)))
        pending.add(task)
        task.add_done_callback(pending.discard)
        sent += 1
    ended = time.perf_counter()
    await asyncio.gather(*pending, return_exceptions=True)
    return started, ended


class LogSampler:
    """Reads a sample of interactions back from the interaction log (``GetInteraction`` with the
    tenant's key) once their wrap-up was confirmed at the desk, until the record shows the wrap-up;
    stamps ``logged`` then."""

    def __init__(
        self,
        log: interactions_pb2_grpc.InteractionLogServiceAsyncStub,
        stamps: Stamps,
        every: int,
        poll_seconds: float = 0.05,
    ) -> None:
        self.log = log
        self.stamps = stamps
        self.every = max(1, every)
        self.poll_seconds = poll_seconds
        self.sampled: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Follow the wrap-ups as they are stamped (until cancelled)."""
        seen = 0
        while True:
            await self.stamps.wrapped.wait()
            self.stamps.wrapped.clear()
            wrapped = list(self.stamps.at["wrapped_up"])
            for n, interaction_id in enumerate(wrapped[seen:], start=seen):
                if n % self.every == 0:
                    self.sampled.add(interaction_id)
                    task = asyncio.create_task(self._follow(interaction_id))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
            seen = len(wrapped)

    def pending(self) -> int:
        return len(self._tasks)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _follow(self, interaction_id: str) -> None:
        queue = self.stamps.queue_of[interaction_id]
        request = interactions_pb2.GetInteractionRequest(interaction_id=interaction_id)
        while True:
            with contextlib.suppress(grpc.RpcError):  # NOT_FOUND until the log has it
                reply = await self.log.GetInteraction(request, metadata=queue.key, timeout=5)
                if reply.interaction.HasField("wrapped_up_at"):
                    self.stamps.mark("logged", interaction_id)
                    return
            await asyncio.sleep(self.poll_seconds)
