"""Properties of the routing engine under random traffic (hypothesis, stateful).

A state machine drives one pool's :class:`RoutingEngine` the way the runner does: every
request and every fired timer is an input with an id, applied in log order at its time
(a timer at its due time, and only while the engine still holds it armed); the events of
an input get the runner's ids. Traffic: submissions over two tenants, five queues (one
with a newer version), every channel, languages and skills; presence changes; offers
accepted, rejected or left to time out; ends (a callback's dial outcome among them),
wrap-ups with follow-up callbacks, transfers to a queue and to an agent, abandons,
callback requests, timers fired again, agents' profiles changed, and crashes: a fresh
engine replays the log so far and carries on in place of the old one.

After every step: no interaction is with two agents; no agent is over its capacity; every
interaction is in exactly one of waiting, offered, assigned, ended, and the engine's other
views (lanes, offers, the agents' work) agree; no event id is used twice; every offer goes to
an agent who serves the interaction's tenant and language when it is made. After a replay:
the same events (ids and content), the same timers and errors, input by input, and the
same state. A command the engine refuses changes nothing.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from vaxel_common.errors import VaxelError
from vaxel_common.ids import deterministic_id
from vaxel_routing.domain.commands import (
    Abandon,
    Accept,
    Command,
    End,
    Login,
    Logout,
    Notice,
    Reject,
    RequestCallback,
    SetPresence,
    Submit,
    Timer,
    Transfer,
    UpsertAgent,
    WrapUp,
)
from vaxel_routing.domain.engine import RoutingEngine
from vaxel_routing.domain.model import (
    AgentProfile,
    Channel,
    OverflowStep,
    Presence,
    QueueSpec,
    RoutingPolicy,
    SkillRequirement,
    Strategy,
    Work,
)
from vaxel_routing.domain.notices import InteractionOffered
from vaxel_routing.domain.replies import PoolCounts

T0 = 1_800_000_000.0
TENANTS = ("acme", "globex")

SUPPORT = QueueSpec(
    "q-acme-support",
    "acme",
    "sv-SE",
    (Channel.VOICE, Channel.CHAT),
    required_skills=(SkillRequirement("billing", 4),),
    thresholds=((Channel.VOICE, 20.0), (Channel.CHAT, 60.0)),
    overflow=(OverflowStep(30, relax_by=2), OverflowStep(60, to_queue_id="q-acme-backup")),
    callback_offer_after_seconds=120.0,
    version=1,
)
QUEUES = (
    SUPPORT,
    replace(SUPPORT, required_skills=(SkillRequirement("billing", 2),), version=2),
    QueueSpec("q-acme-backup", "acme", "sv-SE", (Channel.VOICE, Channel.CHAT, Channel.EMAIL), version=1),
    QueueSpec(
        "q-acme-en",
        "acme",
        "en",
        (Channel.CHAT, Channel.EMAIL, Channel.SOCIAL),
        priority=1,
        required_skills=(SkillRequirement("tech", 2),),
        version=1,
    ),
    # Two queues that overflow into each other: work can come back to where it started.
    QueueSpec(
        "q-globex-main",
        "globex",
        "en",
        (Channel.VOICE, Channel.CHAT),
        required_skills=(SkillRequirement("tech", 4),),
        overflow=(OverflowStep(20, relax_by=1), OverflowStep(45, to_queue_id="q-globex-sales")),
        callback_offer_after_seconds=60.0,
        version=1,
    ),
    QueueSpec(
        "q-globex-sales",
        "globex",
        "de",
        (Channel.VOICE, Channel.EMAIL, Channel.SOCIAL),
        overflow=(OverflowStep(40, to_queue_id="q-globex-main"),),
        version=1,
    ),
)
CUSTOMERS = ("", "cust-1", "cust-2", "cust-3")
LIVE = ("waiting", "scheduled", "offered", "connected", "wrap_up")
# The four states the properties speak of, and the engine's states in each.
STATES = {
    "waiting": "waiting",
    "scheduled": "waiting",
    "offered": "offered",
    "connected": "assigned",
    "wrap_up": "assigned",
    "done": "ended",
    "abandoned": "ended",
}


def event_id(input_id: str, index: int, notice: Notice) -> str:
    """The id the runner gives the event of ``notice``, the ``index``-th of input ``input_id``."""
    if notice.kind == "interaction_created":
        return deterministic_id(notice.interaction_id, "created")
    return deterministic_id(input_id, str(index))


@dataclass(frozen=True, slots=True)
class Applied:
    """One input of the log and what the engine made of it."""

    input_id: str
    at: float
    command: Command
    events: tuple[tuple[str, Notice], ...]
    timers: tuple[Timer, ...]
    error: tuple[str, str] | None


def apply(engine: RoutingEngine, input_id: str, command: Command, at: float) -> Applied:
    try:
        out = engine.apply(command, at)
    except VaxelError as exc:
        return Applied(input_id, at, command, (), (), (type(exc).__name__, exc.message))
    events = tuple((event_id(input_id, i, n), n) for i, n in enumerate(out.notices))
    return Applied(input_id, at, command, events, tuple(out.timers), None)


@dataclass(frozen=True, slots=True)
class AgentView:
    presence: Presence
    shown: Presence
    reason: str
    occupancy: float
    work: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class StateView:
    """What the engine shows through its public reads."""

    snapshot: PoolCounts
    timers: list[Timer]
    work: list[tuple[Work | None, int, float]]
    agents: list[AgentView]
    history: list[list[object]]


def view(engine: RoutingEngine, machine: RoutingTraffic, *, waits: bool = True) -> StateView:
    work: list[tuple[Work | None, int, float]] = []
    for interaction_id in machine.interactions:
        item = engine.work(interaction_id)
        if item is None:
            work.append((None, 0, 0.0))
        else:
            work.append(
                (copy.deepcopy(item), engine.position(item), engine.estimated_wait(item) if waits else 0.0)
            )
    agents = []
    for agent_id in machine.agents:
        agent = engine.agent(agent_id)
        agents.append(
            AgentView(
                agent.presence,
                agent.shown_presence(),
                agent.reason,
                agent.occupancy(),
                tuple(w.interaction_id for w in engine.agent_work(agent_id)),
            )
        )
    history: list[list[object]] = [
        list(engine.history(tenant, customer)) for tenant in TENANTS for customer in CUSTOMERS if customer
    ]
    return StateView(engine.snapshot(), engine.pending_timers(), work, agents, history)


levels = st.sampled_from((5, 4, 3, 2, 1))  # the simplest agent (what hypothesis tries first) can do much
mostly = st.sampled_from((True, True, True, False))


@st.composite
def agent_profiles(draw: st.DrawFn, agent_id: str = "") -> AgentProfile:
    return AgentProfile(
        agent_id=agent_id,
        languages=draw(st.sampled_from((("sv", "en"), ("sv",), ("en", "de"), ("de",), ("sv", "en", "de")))),
        skills=(("billing", draw(levels)), ("tech", draw(levels))),
        tenants=draw(st.sampled_from((TENANTS, ("acme",), ("globex",)))),
        capacity=(
            (Channel.VOICE, draw(st.sampled_from((1, 1, 0)))),
            (Channel.CHAT, draw(st.integers(1, 3))),
            (Channel.EMAIL, draw(st.integers(1, 5))),
        ),
        wrap_up_seconds=draw(st.sampled_from((60.0, 5.0, 30.0))),
        version=1,
    )


policies = st.builds(
    RoutingPolicy,
    strategy=st.sampled_from(Strategy),
    not_ready_after_missed_offer=st.booleans(),
    last_agent_wait_seconds=st.sampled_from((0.0, 30.0)),
)
agent_ids = st.integers(0, 4)
steps = st.sampled_from((1.0, 5.0, 0.5, 2.0, 10.0, 16.0, 25.0, 35.0, 65.0, 130.0, 700.0, 3700.0))


class RoutingTraffic(RuleBasedStateMachine):
    """One pool's engine, the input log it was fed, and what the properties need to look at."""

    def __init__(self) -> None:
        super().__init__()
        self.engine = RoutingEngine()
        self.t = T0
        self.log: list[Applied] = []
        self.agents: dict[str, AgentProfile] = {}
        self.interactions: dict[str, None] = {}  # every interaction id seen, in order
        self.submitted: dict[str, Submit] = {}
        self.offers: dict[str, str] = {}  # every offer id seen -> its agent
        self.fired: list[Timer] = []
        self.event_ids: dict[str, str] = {}  # -> the input that published it
        self.replays = 0

    # ------------------------------------------------------------------ feeding the log

    def do(self, command: Command, at: float | None = None, input_id: str = "") -> Applied:
        input_id = input_id or f"input-{len(self.log)}"
        before = view(self.engine, self, waits=False)
        applied = apply(self.engine, input_id, command, self.t if at is None else at)
        self.log.append(applied)
        if applied.error is not None:
            assert view(self.engine, self, waits=False) == before, f"refused {command} changed the state"
        for eid, notice in applied.events:
            assert eid not in self.event_ids, (
                f"event id {eid} of {notice.kind} (input {input_id}) was published before "
                f"by input {self.event_ids[eid]}: consumers would drop this event as a duplicate"
            )
            self.event_ids[eid] = input_id
            if notice.interaction_id:
                self.interactions.setdefault(notice.interaction_id)
            if isinstance(notice, InteractionOffered):
                self.offered_to_an_eligible_agent(notice)
        for agent_id in self.agents:
            for work in self.engine.agent_work(agent_id):
                if work.offer is not None:
                    self.offers.setdefault(work.offer.offer_id, agent_id)
        return applied

    def offered_to_an_eligible_agent(self, offer: InteractionOffered) -> None:
        """Work is assigned only through offers: each goes to an agent who, when it is made, serves the
        interaction's tenant and its queue's language (routed, transferred to an agent, or overflowed)."""
        profile = self.engine.agent(offer.agent_id).profile
        work = self.engine.work(offer.interaction_id)
        assert work is not None
        language = next(q.language for q in QUEUES if q.queue_id == work.queue_id)
        assert offer.tenant_id == work.tenant_id
        assert work.tenant_id in profile.tenants, (
            f"{offer.interaction_id} of {work.tenant_id} offered to {offer.agent_id}, who serves {profile.tenants}"
        )
        assert profile.serves_language(language), (
            f"{offer.interaction_id} in {language} offered to {offer.agent_id}, who speaks {profile.languages}"
        )

    def agent_id(self, n: int) -> str:
        return list(self.agents)[n % len(self.agents)]

    def some(self, *states: str) -> bool:
        return any((w := self.engine.work(i)) is not None and w.state in states for i in self.interactions)

    def pick(self, data: st.DataObject, *states: str) -> Work:
        """An interaction in one of ``states`` if there is one, otherwise any (the engine refuses)."""
        fitting = [
            i for i in self.interactions if (w := self.engine.work(i)) is not None and w.state in states
        ]
        chosen = data.draw(st.sampled_from(fitting or list(self.interactions)))
        work = self.engine.work(chosen)
        assert work is not None
        return work

    def holder(self, work: Work, right: bool, other: int) -> str:
        owner = work.offer.agent_id if work.offer is not None else work.agent_id
        return owner if right and owner else self.agent_id(other)

    # ------------------------------------------------------------------ rules

    @initialize(
        policy=policies,
        profiles=st.lists(st.tuples(agent_profiles(), mostly), min_size=2, max_size=5),
    )
    def start(self, policy: RoutingPolicy, profiles: list[tuple[AgentProfile, bool]]) -> None:
        self.engine = RoutingEngine(policy=policy)
        for n, (drawn, ready) in enumerate(profiles):
            profile = replace(drawn, agent_id=f"agent-{n}")
            self.do(UpsertAgent(profile))
            self.agents[profile.agent_id] = profile
            if ready:
                self.ready(n)

    @rule(n=agent_ids)
    def ready(self, n: int) -> None:
        self.do(Login(self.agent_id(n)))
        self.do(SetPresence(self.agent_id(n), Presence.AVAILABLE))

    @rule(
        queue=st.sampled_from(QUEUES),
        channel=st.sampled_from(Channel),
        served=st.sampled_from((True, True, True, False)),
        customer=st.sampled_from(CUSTOMERS),
        priority=st.integers(0, 3),
        kind=st.sampled_from(("inbound", "inbound", "inbound", "callback", "voicemail")),
        later=st.sampled_from((0.0, 0.0, 0.0, 0.0, 90.0, 4000.0)),
    )
    def submit(
        self,
        queue: QueueSpec,
        channel: Channel,
        served: bool,
        customer: str,
        priority: int,
        kind: str,
        later: float,
    ) -> None:
        if served:
            channel = queue.channels[int(channel) % len(queue.channels)]
        interaction_id = f"i-{len(self.submitted)}"
        command = Submit(
            interaction_id,
            queue,
            channel,
            language=queue.language,
            customer_ref=customer,
            priority=priority,
            kind=kind if kind != "inbound" or not later else "callback",
            not_before=self.t + later if later else 0.0,
        )
        self.submitted[interaction_id] = command
        self.do(command)

    @precondition(lambda self: bool(self.submitted))
    @rule(data=st.data())
    def submit_again(self, data: st.DataObject) -> None:
        self.do(self.submitted[data.draw(st.sampled_from(sorted(self.submitted)))])

    @rule(n=agent_ids)
    def login(self, n: int) -> None:
        self.do(Login(self.agent_id(n)))

    @rule(n=agent_ids)
    def logout(self, n: int) -> None:
        self.do(Logout(self.agent_id(n), "end of shift"))

    @rule(
        n=agent_ids,
        presence=st.sampled_from(
            (Presence.AVAILABLE, Presence.AVAILABLE, Presence.BREAK, Presence.NOT_READY, Presence.BUSY)
        ),
        reason=st.sampled_from(("lunch", "")),
    )
    def set_presence(self, n: int, presence: Presence, reason: str) -> None:
        self.do(SetPresence(self.agent_id(n), presence, reason))

    @rule(n=agent_ids, data=st.data())
    def change_profile(self, n: int, data: st.DataObject) -> None:
        """Ops change an agent's languages, skills and tenants (capacity stays: held work stays held)."""
        held = self.agents[self.agent_id(n)]
        fresh = data.draw(agent_profiles(held.agent_id))
        profile = replace(fresh, capacity=held.capacity, version=held.version + 1)
        self.agents[held.agent_id] = profile
        self.do(UpsertAgent(profile))

    def open_offers(self) -> list[str]:
        return [o for o in self.offers if self.engine.offer(o) is not None]

    @precondition(lambda self: bool(self.offers))
    @rule(data=st.data(), accept=mostly, right=mostly, other=agent_ids)
    def answer_offer(self, data: st.DataObject, accept: bool, right: bool, other: int) -> None:
        """An answer to an open offer if there is one, otherwise to a closed one (too late)."""
        offer_id = data.draw(st.sampled_from(self.open_offers() or list(self.offers)))
        agent_id = self.offers[offer_id] if right else self.agent_id(other)
        self.do(Accept(agent_id, offer_id) if accept else Reject(agent_id, offer_id, "busy with another"))

    @precondition(lambda self: bool(self.open_offers()))
    @rule(data=st.data())
    def accept_open_offer(self, data: st.DataObject) -> None:
        offer_id = data.draw(st.sampled_from(self.open_offers()))
        self.do(Accept(self.offers[offer_id], offer_id))

    @rule(seconds=steps)
    def advance(self, seconds: float) -> None:
        """Time passes: the timers due fire in due order, as the runner appends them."""
        until = self.t + seconds
        while due := [t for t in self.engine.pending_timers() if t.due <= until]:
            timer = due[0]
            self.t = max(self.t, timer.due)
            self.fired.append(timer)
            self.do(timer.command, at=timer.due, input_id=timer.command.timer_id)
        self.t = until

    @precondition(lambda self: bool(self.fired))
    @rule(data=st.data())
    def fire_again(self, data: st.DataObject) -> None:
        """A timer record appended twice (re-armed after a restart before its record was applied)."""
        timer = data.draw(st.sampled_from(self.fired))
        self.do(timer.command, at=timer.due, input_id=timer.command.timer_id)

    @precondition(lambda self: self.some("connected"))
    @rule(
        data=st.data(),
        reason=st.sampled_from(("completed", "no_answer", "busy")),
        right=mostly,
        other=agent_ids,
    )
    def end(self, data: st.DataObject, reason: str, right: bool, other: int) -> None:
        """Handling is over; for a dialled callback ``reason`` is the dial outcome."""
        work = self.pick(data, "connected")
        self.do(End(self.holder(work, right, other), work.interaction_id, reason))

    @precondition(lambda self: self.some("wrap_up", "connected"))
    @rule(data=st.data(), follow_up=st.sampled_from((0.0, 0.0, 300.0, -1.0)), right=mostly, other=agent_ids)
    def wrap_up(self, data: st.DataObject, follow_up: float, right: bool, other: int) -> None:
        work = self.pick(data, "wrap_up", "connected")
        at = self.t + follow_up if follow_up else 0.0
        self.do(WrapUp(self.holder(work, right, other), work.interaction_id, "resolved", ("tag",), "", at))

    @precondition(lambda self: self.some("connected"))
    @rule(data=st.data(), queue=st.sampled_from(QUEUES), right=mostly, other=agent_ids)
    def transfer_to_queue(self, data: st.DataObject, queue: QueueSpec, right: bool, other: int) -> None:
        work = self.pick(data, "connected")
        self.do(Transfer(self.holder(work, right, other), work.interaction_id, to_queue=queue))

    @precondition(lambda self: self.some("connected"))
    @rule(data=st.data(), to=agent_ids, right=mostly, other=agent_ids)
    def transfer_to_agent(self, data: st.DataObject, to: int, right: bool, other: int) -> None:
        work = self.pick(data, "connected")
        self.do(Transfer(self.holder(work, right, other), work.interaction_id, to_agent_id=self.agent_id(to)))

    @precondition(lambda self: bool(self.interactions))
    @rule(data=st.data(), right_tenant=mostly)
    def abandon(self, data: st.DataObject, right_tenant: bool) -> None:
        work = self.pick(data, *LIVE)
        tenant = work.tenant_id if right_tenant else next(t for t in TENANTS if t != work.tenant_id)
        self.do(Abandon(work.interaction_id, tenant))

    @precondition(lambda self: bool(self.interactions))
    @rule(data=st.data(), later=st.sampled_from((0.0, 600.0)))
    def request_callback(self, data: st.DataObject, later: float) -> None:
        work = self.pick(data, "waiting")
        self.do(RequestCallback(work.interaction_id, work.tenant_id, self.t + later if later else 0.0))

    @rule()
    def crash_and_replay(self) -> None:
        """The process dies; a fresh engine replays the whole log so far and takes over."""
        fresh = RoutingEngine(policy=self.engine.policy)
        for n, applied in enumerate(self.log):
            again = apply(fresh, applied.input_id, applied.command, applied.at)
            assert again == applied, f"input {n} of {len(self.log)} ({applied.command}) differs on replay"
        assert view(fresh, self) == view(self.engine, self)
        self.engine = fresh
        self.replays += 1

    # ------------------------------------------------------------------ invariants

    @invariant()
    def no_agent_over_capacity(self) -> None:
        for agent_id, profile in self.agents.items():
            agent = self.engine.agent(agent_id)
            held = self.engine.agent_work(agent_id)
            used = sum(1 / profile.capacity_of(w.channel) for w in held)
            assert used <= 1.0 + 1e-9, (
                f"{agent_id} over capacity: {[(w.interaction_id, w.channel) for w in held]}"
            )
            assert agent.occupancy() == pytest.approx(used), f"{agent_id}: its load disagrees with its work"
            if agent.presence is Presence.OFFLINE:
                assert not held, f"{agent_id} is logged out holding {[w.interaction_id for w in held]}"

    @invariant()
    def every_interaction_in_one_place_with_at_most_one_agent(self) -> None:
        holders: dict[str, list[str]] = {}
        for agent_id in self.agents:
            for held in self.engine.agent_work(agent_id):
                holders.setdefault(held.interaction_id, []).append(agent_id)
        waiting = offered = 0
        for interaction_id in self.interactions:
            work = self.engine.work(interaction_id)
            assert work is not None, f"{interaction_id} was forgotten"
            assert work.state in STATES, f"{interaction_id} in an unknown state {work.state!r}"
            agents = holders.get(interaction_id, [])
            assert len(agents) <= 1, f"{interaction_id} is with {agents}"
            match STATES[work.state]:
                case "offered":
                    offered += 1
                    assert work.offer is not None, f"{interaction_id} is offered without an offer"
                    assert self.engine.offer(work.offer.offer_id) is work.offer
                    assert agents == [work.offer.agent_id], f"{interaction_id} offered, with {agents}"
                case "assigned":
                    assert work.offer is None, f"{interaction_id} is assigned and offered"
                    assert agents == [work.agent_id], (
                        f"{interaction_id} assigned to {work.agent_id}, with {agents}"
                    )
                case place:  # waiting or ended: with nobody
                    assert work.offer is None, f"{interaction_id} is {place} with an open offer"
                    assert not agents, f"{interaction_id} is {place} but with {agents}"
                    if work.state == "waiting":
                        waiting += 1
                        assert self.engine.position(work) >= 1
        assert self.engine.waiting_count() == waiting, (
            "the lanes hold other work than the waiting interactions"
        )
        assert self.engine.snapshot().offered == offered, "open offers that no interaction is in"


class TestRandomTraffic:
    def test_invariants_and_replays_hold_under_random_traffic(self) -> None:
        run_state_machine_as_test(
            RoutingTraffic,
            settings=settings(
                max_examples=120,
                stateful_step_count=100,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
