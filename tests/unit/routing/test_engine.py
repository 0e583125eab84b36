"""The routing engine: matching, offers, capacity, urgency, widening, callbacks, replay."""

from __future__ import annotations

import random

import pytest

from vaxel_common.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from vaxel_routing.domain.commands import (
    Abandon,
    Accept,
    Command,
    End,
    Login,
    Logout,
    Notice,
    Outcome,
    Reject,
    RequestCallback,
    SetPresence,
    Submit,
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
)
from vaxel_routing.domain.notices import InteractionAbandoned, InteractionOffered

T0 = 1_800_000_000.0

SUPPORT = QueueSpec(
    queue_id="q-support",
    tenant_id="tele2",
    language="sv-SE",
    channels=(Channel.VOICE, Channel.CHAT),
    required_skills=(SkillRequirement("billing", 3),),
    thresholds=((Channel.VOICE, 20.0), (Channel.CHAT, 60.0)),
    callback_offer_after_seconds=120.0,
    version=1,
)


def agent(
    agent_id: str, *, billing: int = 4, tenants: tuple[str, ...] = ("tele2",), **kw: object
) -> AgentProfile:
    return AgentProfile(
        agent_id=agent_id,
        languages=("sv",),
        skills=(("billing", billing),),
        tenants=tenants,
        version=1,
        **kw,  # type: ignore[arg-type]
    )


class World:
    """An engine, a clock and the notices so far, with the ceremony of commands folded away."""

    def __init__(self, policy: RoutingPolicy | None = None) -> None:
        self.engine = RoutingEngine(policy=policy)
        self.t = T0
        self.notices: list[Notice] = []
        self.log: list[tuple[Command, float]] = []

    def do(self, command: Command, after: float = 0.0) -> Outcome:
        self.t += after
        out = self.engine.apply(command, self.t)
        self.log.append((command, self.t))
        self.notices += out.notices
        return out

    def ready(self, *profiles: AgentProfile) -> None:
        for p in profiles:
            self.do(UpsertAgent(p))
            self.do(Login(p.agent_id))
            self.do(SetPresence(p.agent_id, Presence.AVAILABLE), after=1.0)

    def submit(
        self, iid: str, channel: Channel = Channel.VOICE, queue: QueueSpec = SUPPORT, **kw: object
    ) -> Outcome:
        return self.do(Submit(iid, queue, channel, language="sv-SE", **kw), after=1.0)  # type: ignore[arg-type]

    def offers(self, agent_id: str = "") -> list[InteractionOffered]:
        return [
            n
            for n in self.notices
            if isinstance(n, InteractionOffered) and (not agent_id or n.agent_id == agent_id)
        ]

    def last_offer(self, iid: str) -> InteractionOffered:
        return [n for n in self.offers() if n.interaction_id == iid][-1]

    def fire_due(self, until: float) -> None:
        """Fire every timer due up to ``until``, in due order, as the runner would."""
        while True:
            due = [t for t in self.engine.pending_timers() if t.due <= until]
            if not due:
                self.t = max(self.t, until)
                return
            timer = due[0]
            self.t = max(self.t, timer.due)
            self.do(timer.command)


def test_work_goes_to_the_longest_idle_eligible_agent() -> None:
    w = World()
    w.ready(agent("anna"), agent("bo"), agent("novice", billing=2))
    w.submit("i1")
    assert [n.agent_id for n in w.offers()] == ["anna"]
    w.submit("i2")
    assert [n.agent_id for n in w.offers()] == ["anna", "bo"]
    w.submit("i3")
    assert len(w.offers()) == 2  # the novice lacks the skill level
    assert w.engine.position(w.engine.work("i3")) == 1  # type: ignore[arg-type]


def test_language_and_certification_are_required() -> None:
    w = World()
    w.ready(
        AgentProfile(
            agent_id="de", languages=("de",), skills=(("billing", 5),), tenants=("tele2",), version=1
        ),
        agent("other-tenant", tenants=("zalando",)),
    )
    w.submit("i1")
    assert w.offers() == []


def test_accept_connects_and_wrap_up_frees_the_agent_for_the_next() -> None:
    w = World()
    w.ready(agent("anna"))
    w.submit("i1")
    w.submit("i2")
    offer = w.last_offer("i1")
    w.do(Accept("anna", offer.offer_id))
    assert w.engine.work("i1").state == "connected"  # type: ignore[union-attr]
    w.do(End("anna", "i1"), after=100)
    assert len(w.offers()) == 1  # wrap-up holds the slot
    w.do(WrapUp("anna", "i1", disposition="resolved", tags=("billing",)), after=10)
    assert w.last_offer("i2").agent_id == "anna"
    kinds = [n.kind for n in w.notices if n.interaction_id == "i1"]
    assert kinds == [
        "interaction_created",
        "interaction_queued",
        "interaction_offered",
        "offer_accepted",
        "interaction_connected",
        "interaction_ended",
        "interaction_wrapped_up",
    ]


def test_timers_cancelled_by_accept_and_wrap_up_are_no_longer_armed() -> None:
    """The runner skips appending a timer the engine no longer holds: firing it would change nothing."""
    w = World()
    w.ready(agent("anna"))
    out = w.submit("i1")
    expiry = [t.command.timer_id for t in out.timers]
    assert expiry
    assert all(w.engine.timer_armed(t) for t in expiry)
    w.do(Accept("anna", w.last_offer("i1").offer_id))
    assert not any(w.engine.timer_armed(t) for t in expiry)
    ended = w.do(End("anna", "i1"), after=10)
    wrap = [t.command.timer_id for t in ended.timers]
    assert wrap
    assert all(w.engine.timer_armed(t) for t in wrap)
    w.do(WrapUp("anna", "i1", disposition="resolved"), after=1)
    assert not any(w.engine.timer_armed(t) for t in wrap)


def test_reject_reoffers_to_the_next_agent_keeping_the_place() -> None:
    w = World()
    w.ready(agent("anna"), agent("bo"))
    w.submit("i1")
    first = w.last_offer("i1")
    w.do(Reject("anna", first.offer_id, "wrong language"))
    second = w.last_offer("i1")
    assert second.agent_id == "bo"
    assert second.attempt == 2
    assert second.offer_id != first.offer_id


def test_an_unanswered_offer_times_out_and_the_agent_goes_not_ready() -> None:
    w = World()
    w.ready(agent("anna"), agent("bo"))
    w.submit("i1")
    w.fire_due(w.t + 15)
    assert [n.kind for n in w.notices if n.kind == "offer_timed_out"] == ["offer_timed_out"]
    assert w.engine.agent("anna").presence is Presence.NOT_READY
    assert w.last_offer("i1").agent_id == "bo"


def test_offer_errors_are_clear() -> None:
    w = World()
    w.ready(agent("anna"), agent("bo"))
    w.submit("i1")
    offer_id = w.last_offer("i1").offer_id
    with pytest.raises(PermissionDenied):
        w.do(Accept("bo", offer_id))
    with pytest.raises(NotFound):
        w.do(Accept("anna", "no-such-offer"))
    w.fire_due(w.t + 16)
    with pytest.raises(FailedPrecondition):
        w.do(Accept("anna", offer_id))
    with pytest.raises(NotFound):
        w.do(Accept("nobody", offer_id))


def test_never_two_live_offers_and_never_over_capacity() -> None:
    w = World()
    w.ready(agent("chat", capacity=((Channel.CHAT, 3),)))
    for i in range(5):
        w.submit(f"c{i}", Channel.CHAT)
    assert len(w.offers("chat")) == 3
    assert w.engine.agent("chat").occupancy() == pytest.approx(1.0)
    w.submit("v1", Channel.VOICE)
    assert w.engine.work("v1").state == "waiting"  # type: ignore[union-attr]


def test_voice_fills_an_agent_and_chats_share_one() -> None:
    w = World()
    w.ready(agent("anna"))
    w.submit("e1", Channel.CHAT)
    w.submit("v1", Channel.VOICE)
    assert [n.interaction_id for n in w.offers()] == ["e1"]  # a chat in hand leaves no room for a call
    w.submit("e2", Channel.CHAT)
    assert [n.interaction_id for n in w.offers()] == ["e1", "e2"]


def test_a_queue_near_its_threshold_outranks_one_with_time_to_spare() -> None:
    relaxed = QueueSpec(
        queue_id="q-sales",
        tenant_id="tele2",
        language="sv-SE",
        channels=(Channel.VOICE,),
        thresholds=((Channel.VOICE, 120.0),),
        version=1,
    )
    w = World()
    w.ready(agent("anna"))
    w.do(SetPresence("anna", Presence.BREAK, "lunch"))
    w.submit("slow", queue=relaxed)  # arrives first, but has 120 s
    w.submit("fast")  # 20 s threshold: deadline earlier
    w.do(SetPresence("anna", Presence.AVAILABLE), after=1)
    assert w.offers()[0].interaction_id == "fast"


def test_long_waits_are_never_starved_by_newer_urgent_work() -> None:
    relaxed = QueueSpec(
        "q-sales", "tele2", "sv-SE", (Channel.VOICE,), thresholds=((Channel.VOICE, 120.0),), version=1
    )
    w = World()
    w.ready(agent("anna"))
    w.do(SetPresence("anna", Presence.BREAK, "meeting"))
    w.submit("old", queue=relaxed)
    w.t += 200  # the old one is past its deadline now
    w.submit("new")
    w.do(SetPresence("anna", Presence.AVAILABLE))
    assert w.offers()[0].interaction_id == "old"


def test_priority_and_most_skilled_strategy() -> None:
    w = World(RoutingPolicy(strategy=Strategy.MOST_SKILLED))
    w.ready(agent("good", billing=3), agent("best", billing=5))
    w.submit("i1")
    assert w.offers()[0].agent_id == "best"


def test_widening_relaxes_proficiency_then_overflows() -> None:
    backup = QueueSpec("q-backup", "tele2", "sv-SE", (Channel.VOICE,), version=1)
    strict = QueueSpec(
        "q-strict",
        "tele2",
        "sv-SE",
        (Channel.VOICE,),
        required_skills=(SkillRequirement("billing", 5),),
        overflow=(OverflowStep(30, relax_by=2), OverflowStep(60, to_queue_id="q-backup")),
        version=1,
    )
    w = World()
    w.submit("seed", queue=backup)
    w.do(Abandon("seed", "tele2"))
    w.ready(agent("mid", billing=3))
    w.submit("i1", queue=strict)
    assert w.offers() == []
    w.fire_due(w.t + 31)
    assert w.last_offer("i1").agent_id == "mid"

    w2 = World()
    w2.submit("seed", queue=backup)
    w2.do(Abandon("seed", "tele2"))
    w2.ready(agent("low", billing=1, tenants=("tele2",)))
    w2.submit("i1", queue=strict)
    w2.fire_due(w2.t + 61)
    assert w2.engine.work("i1").queue_id == "q-backup"  # type: ignore[union-attr]
    assert w2.last_offer("i1").agent_id == "low"


def test_callback_offered_when_the_wait_is_long_and_it_keeps_its_place() -> None:
    w = World()
    w.ready(agent("anna"))
    w.do(SetPresence("anna", Presence.BREAK, "training"))
    replies = [w.submit(f"i{i}").placement() for i in range(3)]
    assert replies[2].position == 3
    assert replies[2].callback_offered is True  # 3 x 240 s over 1 agent > 120 s
    w.do(RequestCallback("i0", "tele2"))
    w.do(SetPresence("anna", Presence.AVAILABLE))
    assert w.offers()[0].interaction_id == "i0"  # first in line still, now as a callback
    assert w.engine.work("i0").channel is Channel.CALLBACK  # type: ignore[union-attr]


def test_scheduled_callback_waits_for_its_time() -> None:
    w = World()
    w.ready(agent("anna"))
    w.submit("cb", kind="callback", not_before=T0 + 3600)
    assert w.offers() == []
    w.fire_due(T0 + 3601)
    assert w.last_offer("cb").agent_id == "anna"


def test_abandon_while_waiting_and_while_offered() -> None:
    w = World()
    w.ready(agent("anna"))
    w.submit("i1")
    w.submit("i2")
    w.do(Abandon("i2", "tele2"), after=30)
    w.do(Abandon("i1", "tele2"), after=1)
    abandoned = [n for n in w.notices if isinstance(n, InteractionAbandoned)]
    assert [n.interaction_id for n in abandoned] == ["i2", "i1"]
    assert abandoned[0].waited == pytest.approx(30)
    assert w.engine.agent("anna").occupancy() == 0
    with pytest.raises(NotFound):
        w.do(Abandon("i1", "another-tenant"))


def test_transfer_to_an_agent_and_to_a_queue() -> None:
    other = QueueSpec("q-other", "tele2", "sv-SE", (Channel.VOICE,), version=1)
    w = World()
    w.submit("seed", queue=other)  # the engine learns queues as work names them
    w.do(Abandon("seed", "tele2"))
    w.ready(agent("anna"), agent("bo"))
    w.submit("i1")
    w.do(Accept("anna", w.last_offer("i1").offer_id))
    w.do(Transfer("anna", "i1", to_agent_id="bo"))
    assert w.last_offer("i1").agent_id == "bo"
    w.do(Accept("bo", w.last_offer("i1").offer_id))
    w.do(Transfer("bo", "i1", to_queue=other))
    assert w.last_offer("i1").agent_id == "anna"
    with pytest.raises(InvalidArgument):
        w.do(Transfer("anna", "i1"))


def test_logout_needs_wrapped_up_work_and_returns_open_offers() -> None:
    w = World()
    w.ready(agent("anna"), agent("bo"))
    w.do(SetPresence("bo", Presence.BREAK, "coffee"))
    w.submit("i1")
    w.do(Logout("anna"))
    assert w.engine.work("i1").state == "waiting"  # type: ignore[union-attr]
    w.do(SetPresence("bo", Presence.AVAILABLE))
    w.do(Accept("bo", w.last_offer("i1").offer_id))
    with pytest.raises(FailedPrecondition):
        w.do(Logout("bo"))


def test_duplicate_commands_change_nothing() -> None:
    w = World()
    w.ready(agent("anna"))
    w.submit("i1")
    again = w.submit("i1")
    assert again.notices == []
    assert again.placement().duplicate is True
    offer_id = w.last_offer("i1").offer_id
    w.do(Accept("anna", offer_id))
    assert w.do(Accept("anna", offer_id)).notices == []
    w.do(WrapUp("anna", "i1", "resolved"))
    assert w.do(WrapUp("anna", "i1", "resolved")).notices == []
    timers = w.engine.pending_timers()
    for timer in timers:
        w.do(timer.command)
        assert w.do(timer.command).notices == []


def test_last_agent_routing_within_a_bounded_wait() -> None:
    w = World(RoutingPolicy(last_agent_wait_seconds=30))
    w.ready(agent("anna"), agent("bo"))
    w.submit("first", customer_ref="cust-1")
    assert w.last_offer("first").agent_id == "anna"
    w.do(Accept("anna", w.last_offer("first").offer_id))
    w.do(WrapUp("anna", "first", "resolved"))
    w.do(SetPresence("anna", Presence.BREAK, "coffee"))
    w.submit("second", customer_ref="cust-1")
    assert w.offers()[-1].interaction_id == "first"  # bo is free, but anna gets a chance first
    w.fire_due(w.t + 31)
    assert w.last_offer("second").agent_id == "bo"
    assert [h.interaction_id for h in w.engine.history("tele2", "cust-1")] == ["first"]


def test_a_replay_makes_the_same_decisions() -> None:  # noqa: PLR0912  (one random walk, all kinds of command)
    """Random traffic, then the same commands into a fresh engine: the same notices, in order."""
    rng = random.Random(7)  # noqa: S311  (reproducible traffic, not secrets)
    w = World()
    agents = [agent(f"a{i}", billing=rng.randint(2, 5)) for i in range(8)]
    w.ready(*agents)
    for step in range(400):
        roll = rng.random()
        if roll < 0.4:
            w.submit(
                f"i{step}", rng.choice([Channel.VOICE, Channel.CHAT]), customer_ref=f"c{rng.randint(1, 20)}"
            )
        elif roll < 0.6 and w.engine.open_offers():
            offer = rng.choice(sorted(w.engine.open_offers(), key=lambda o: o.offer_id))
            if rng.random() < 0.8:
                w.do(Accept(offer.agent_id, offer.offer_id))
            else:
                w.do(Reject(offer.agent_id, offer.offer_id))
        elif roll < 0.8:
            held = [x for x in w.engine.interactions() if x.state == "connected"]
            if held:
                x = rng.choice(held)
                w.do(WrapUp(x.agent_id, x.interaction_id, "resolved"))
        elif roll < 0.85:
            waiting = [x for x in w.engine.interactions() if x.state == "waiting"]
            if waiting:
                w.do(Abandon(rng.choice(waiting).interaction_id, "tele2"))
        else:
            w.fire_due(w.t + rng.uniform(0, 20))
            for a in agents:
                if w.engine.agent(a.agent_id).presence is Presence.NOT_READY:
                    w.do(SetPresence(a.agent_id, Presence.AVAILABLE))
        for a in agents:
            assert w.engine.agent(a.agent_id).occupancy() <= 1.0 + 1e-9
    replayed = RoutingEngine()
    notices: list[Notice] = []
    for command, at in w.log:
        notices += replayed.apply(command, at).notices
    assert notices == w.notices
    assert replayed.snapshot() == w.engine.snapshot()
    live_offers = [n.interaction_id for n in w.notices if n.kind == "interaction_offered"]
    assert len(live_offers) > 50
