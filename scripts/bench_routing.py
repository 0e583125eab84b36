"""Routing figures for ``make bench``: decision cost in process at scale, memory, and end to end.

In process: 100 tenants x 10 queues, agents certified for two tenants each, every agent busy
so work piles up to the waiting target; then a mix of decisions (new work arriving, an agent
wrapping up and taking the most urgent work it may, accepting) is timed one by one. The same
at a tenth of the size shows whether the cost grows with agents or waiting work.

End to end: agents on real desk streams accept every offer and wrap up at once; interactions
are submitted at a fixed rate; the latency is from the submit call to the offer arriving at
the desk (through the routing log and back).
"""

from __future__ import annotations

import asyncio
import gc
import random
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

from grpc import aio

from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.supervisor import Platform
from vaxel_routing.domain.commands import Accept, Login, SetPresence, Submit, UpsertAgent, WrapUp
from vaxel_routing.domain.engine import RoutingEngine
from vaxel_routing.domain.model import AgentProfile, Channel, Presence, QueueSpec, SkillRequirement


@dataclass
class DecisionFigures:
    agents: int
    queues: int
    waiting: int
    decisions: int
    p50_us: float
    p99_us: float
    per_second: float
    memory_per_10k_waiting_mb: float


def _queues(tenants: int, per_tenant: int) -> list[QueueSpec]:
    return [
        QueueSpec(
            queue_id=f"t{t}-q{q}",
            tenant_id=f"t{t}",
            language=("sv-SE", "de-DE", "en-US")[t % 3],
            channels=(Channel.VOICE, Channel.CHAT),
            required_skills=(SkillRequirement(f"skill{q % 4}", 2),),
            thresholds=((Channel.VOICE, 20.0 + q), (Channel.CHAT, 60.0)),
            version=1,
        )
        for t in range(tenants)
        for q in range(per_tenant)
    ]


class _Load:
    """A pool at scale: 10 queues per tenant, agents certified for two tenants each."""

    def __init__(self, agents: int, tenants: int) -> None:
        self.rng = random.Random(1)  # noqa: S311  (reproducible load, not secrets)
        self.engine = RoutingEngine()
        self.queues = _queues(tenants, 10)
        self.now = 1_800_000_000.0
        self.seq = 0
        self.held: list[tuple[str, str]] = []
        for queue in self.queues:  # the engine learns each queue from its first work
            self.engine.apply(Submit(f"seed-{queue.queue_id}", queue, Channel.VOICE), self.now)
        for a in range(agents):
            t = a % tenants
            profile = AgentProfile(
                agent_id=f"a{a}",
                languages=(("sv", "de", "en")[t % 3],),
                skills=tuple((f"skill{s}", self.rng.randint(2, 5)) for s in range(4)),
                tenants=(f"t{t}", f"t{(t + 3) % tenants}"),
                version=1,
            )
            self.engine.apply(UpsertAgent(profile), self.now)
            self.engine.apply(Login(profile.agent_id), self.now)
            self.engine.apply(SetPresence(profile.agent_id, Presence.AVAILABLE), self.now)
        self.accept_first()

    def submit(self) -> None:
        self.seq += 1
        self.now += 0.001
        queue = self.queues[self.rng.randrange(len(self.queues))]
        channel = self.rng.choice((Channel.VOICE, Channel.CHAT))
        self.engine.apply(Submit(f"i{self.seq}", queue, channel), self.now)

    def wrap_up_one(self) -> None:
        index = self.rng.randrange(len(self.held))
        self.held[index], self.held[-1] = self.held[-1], self.held[index]
        agent_id, interaction_id = self.held.pop()
        self.engine.apply(WrapUp(agent_id, interaction_id, "ok"), self.now)

    def accept_first(self) -> None:
        for offer in (
            list(self.engine._offers.values())[:1] if self.held else list(self.engine._offers.values())
        ):
            self.engine.apply(Accept(offer.agent_id, offer.offer_id), self.now)
            self.held.append((offer.agent_id, offer.interaction_id))


def bench_decisions(agents: int, tenants: int, waiting: int, samples: int = 5000) -> DecisionFigures:
    load = _Load(agents, tenants)
    for _ in range(max(0, waiting - 10_000 - load.engine.waiting_count())):
        load.submit()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for _ in range(10_000):
        load.submit()
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename"))
    costs: list[float] = []
    steps = (load.submit, load.wrap_up_one, load.accept_first)
    for i in range(samples):
        load.now += 0.01
        started = time.perf_counter()
        steps[i % 3]()
        costs.append(time.perf_counter() - started)
    costs.sort()
    return DecisionFigures(
        agents=agents,
        queues=len(load.queues),
        waiting=load.engine.waiting_count(),
        decisions=len(costs),
        p50_us=costs[len(costs) // 2] * 1e6,
        p99_us=costs[int(len(costs) * 0.99)] * 1e6,
        per_second=len(costs) / sum(costs),
        memory_per_10k_waiting_mb=grown / 1e6,
    )


async def _setup(platform: Platform, agents: int) -> tuple[str, tuple[tuple[str, str], ...], list[str]]:
    ops = platform.admin_metadata
    async with aio.insecure_channel(platform.processes["client-tenant"].grpc_target) as channel:
        admin = tenant_pb2_grpc.AdminServiceStub(channel)
        tenants = tenant_pb2_grpc.TenantServiceStub(channel)
        tenant = (
            await admin.CreateTenant(
                tenant_pb2.CreateTenantRequest(
                    name="Bench", country="SE", time_zone="Europe/Stockholm", languages=["sv-SE"]
                ),
                metadata=ops,
            )
        ).tenant
        queue = (
            await tenants.CreateQueue(
                tenant_pb2.CreateQueueRequest(
                    tenant_id=tenant.tenant_id, name="Q", channels=[types_pb2.CHANNEL_CHAT], language="sv-SE"
                ),
                metadata=ops,
            )
        ).queue
    async with aio.insecure_channel(platform.processes["routing"].grpc_target) as channel:
        admin_r = routing_pb2_grpc.AgentAdminServiceStub(channel)
        ids = []
        for i in range(agents):
            agent = routing_pb2.Agent(
                agent_id=f"bench-{i}-{uuid.uuid4().hex[:6]}",
                languages=["sv"],
                tenant_ids=[tenant.tenant_id],
                capacity=[routing_pb2.ChannelCapacity(channel=types_pb2.CHANNEL_CHAT, capacity=5)],
            )
            await admin_r.UpsertAgent(routing_pb2.UpsertAgentRequest(agent=agent), metadata=ops)
            ids.append(agent.agent_id)
    return tenant.tenant_id, (("authorization", ops[0][1]),), [queue.queue_id, *ids]


async def _bot(
    desk: routing_pb2_grpc.AgentDeskServiceAsyncStub,
    agent_id: str,
    ops: tuple[tuple[str, str], ...],
    offered_at: dict[str, float],
) -> None:
    """An agent who accepts every offer and wraps it up at once, noting when each offer arrived."""
    outbox: asyncio.Queue[routing_pb2.ConnectRequest | None] = asyncio.Queue()
    outbox.put_nowait(routing_pb2.ConnectRequest(login=routing_pb2.Login(agent_id=agent_id)))
    ready = routing_pb2.SetPresence(presence=types_pb2.PRESENCE_AVAILABLE)
    outbox.put_nowait(routing_pb2.ConnectRequest(set_presence=ready))

    async def requests() -> AsyncIterator[routing_pb2.ConnectRequest]:
        while (item := await outbox.get()) is not None:
            yield item

    async for update in desk.Connect(requests(), metadata=ops):
        if update.WhichOneof("update") == "offer":
            offer = update.offer
            offered_at.setdefault(offer.interaction_id, time.perf_counter())
            outbox.put_nowait(
                routing_pb2.ConnectRequest(accept_offer=routing_pb2.AcceptOffer(offer_id=offer.offer_id))
            )
            wrap = routing_pb2.WrapUp(interaction_id=offer.interaction_id)
            outbox.put_nowait(routing_pb2.ConnectRequest(wrap_up=wrap))


async def _at_rate(
    routing: routing_pb2_grpc.RoutingServiceAsyncStub,
    request: routing_pb2.SubmitInteractionRequest,
    ops: tuple[tuple[str, str], ...],
    rate: int,
    seconds: float,
) -> tuple[dict[str, float], float]:
    """Submit at ``rate`` per second for ``seconds``; (interaction id -> submit start, elapsed)."""
    submitted: dict[str, float] = {}

    async def one() -> None:
        t0 = time.perf_counter()
        try:
            reply = await routing.SubmitInteraction(request, metadata=ops, timeout=30)
        except aio.AioRpcError:
            return  # counted as not submitted
        submitted[reply.interaction_id] = t0

    started = time.perf_counter()
    sent = 0
    pending: set[asyncio.Task[None]] = set()
    while time.perf_counter() - started < seconds:
        delay = started + sent / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one())
        pending.add(task)
        task.add_done_callback(pending.discard)
        sent += 1
    await asyncio.gather(*pending, return_exceptions=True)
    return submitted, time.perf_counter() - started


async def bench_end_to_end(platform: Platform, rates: tuple[int, ...], seconds: float = 8.0) -> list[str]:
    """Submit → offer at the desk, at each fixed rate; returns printable lines."""
    tenant_id, ops, (queue_id, *agent_ids) = await _setup(platform, 20)
    offered_at: dict[str, float] = {}
    lines: list[str] = []
    async with aio.insecure_channel(platform.processes["routing"].grpc_target) as channel:
        desk = routing_pb2_grpc.AgentDeskServiceStub(channel)
        routing = routing_pb2_grpc.RoutingServiceStub(channel)
        desks = [asyncio.create_task(_bot(desk, a, ops, offered_at)) for a in agent_ids]
        await asyncio.sleep(1.0)
        request = routing_pb2.SubmitInteractionRequest(
            tenant_id=tenant_id, queue_id=queue_id, channel=types_pb2.CHANNEL_CHAT, language="sv-SE"
        )
        for rate in rates:
            submitted, elapsed = await _at_rate(routing, request, ops, rate, seconds)
            await asyncio.sleep(2.0)
            latencies = sorted(offered_at[i] - t0 for i, t0 in submitted.items() if i in offered_at)
            if len(latencies) < 10:
                lines.append(f"  {rate:>5}/s: too few offers ({len(latencies)})")
                continue
            p50 = latencies[len(latencies) // 2] * 1000
            p99 = latencies[int(len(latencies) * 0.99)] * 1000
            lines.append(
                f"  {rate:>5}/s asked: {len(submitted) / elapsed:>6,.0f}/s submitted, "
                f"{len(latencies):>5} offered; submit→offer p50 {p50:.1f} ms, p99 {p99:.1f} ms (target p99 <= 50)"
            )
        for task in desks:
            task.cancel()
        await asyncio.gather(*desks, return_exceptions=True)
    return lines


def report(platform: Platform | None) -> None:
    print("\nrouting engine, in process (mixed decisions: arrivals, wrap-ups taking work, accepts)")
    for agents, tenants, waiting in ((1_000, 10, 15_000), (10_000, 100, 50_000)):
        f = bench_decisions(agents, tenants, waiting)
        print(
            f"  {f.agents:>6} agents {f.queues:>5} queues {f.waiting:>6} waiting: "
            f"p50 {f.p50_us:>6.1f} µs  p99 {f.p99_us:>6.1f} µs  ({f.per_second:,.0f} decisions/s; target p99 <= 100)"
        )
        print(f"  memory per 10,000 waiting interactions: {f.memory_per_10k_waiting_mb:.1f} MB")
    if platform is not None:
        print("routing end to end (submit → offer on a desk stream, 20 agents, real broker)")
        for line in asyncio.run(bench_end_to_end(platform, (100, 1000))):
            print(line)


__all__ = ["bench_decisions", "bench_end_to_end", "report"]
