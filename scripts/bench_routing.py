"""Routing figures for ``make bench``: decision cost in process at scale, and memory.

In process: 100 tenants x 10 queues, agents certified for two tenants each, every agent busy
so work piles up to the waiting target; then a mix of decisions (new work arriving, an agent
wrapping up and taking the most urgent work it may, accepting) is timed one by one. The same
at a tenth of the size shows whether the cost grows with agents or waiting work.

End to end (submit -> offer -> accept through the real broker, and on to the interaction log and
SLA) is measured by :mod:`scripts.bench_e2e`.
"""

from __future__ import annotations

import gc
import random
import time
import tracemalloc
from dataclasses import dataclass

from scripts._bench_results import Results
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
        for offer in self.engine.open_offers()[:1] if self.held else self.engine.open_offers():
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


def report(results: Results) -> None:
    """Print the in-process figures and add them to ``results`` (end to end: :mod:`scripts.bench_e2e`)."""
    print("\nrouting engine, in process (mixed decisions: arrivals, wrap-ups taking work, accepts)")
    for agents, tenants, waiting in ((1_000, 10, 15_000), (10_000, 100, 50_000)):
        f = bench_decisions(agents, tenants, waiting)
        print(
            f"  {f.agents:>6} agents {f.queues:>5} queues {f.waiting:>6} waiting: "
            f"p50 {f.p50_us:>6.1f} µs  p99 {f.p99_us:>6.1f} µs  ({f.per_second:,.0f} decisions/s; target p99 <= 100)"
        )
        print(f"  memory per 10,000 waiting interactions: {f.memory_per_10k_waiting_mb:.1f} MB")
        scale = f"{f.agents:,} agents, {f.queues:,} queues, {f.waiting:,} waiting"
        results.add("routing", f"decision p50, {scale}", f.p50_us, "µs")
        results.add("routing", f"decision p99, {scale}", f.p99_us, "µs", "target <= 100")
        results.add("routing", f"decisions, {scale}", f.per_second, "/s")
        results.add("routing", f"memory per 10,000 waiting, {scale}", f.memory_per_10k_waiting_mb, "MB")


__all__ = ["bench_decisions", "report"]
