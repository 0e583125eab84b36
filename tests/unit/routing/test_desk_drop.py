"""A dropped desk (issue 17, fault 12): through the log, a grace, then the agent stops holding offers."""

from __future__ import annotations

from tests.unit.routing.test_engine import World, agent
from vaxel_routing.domain.commands import Accept, DeskDropped, DeskGraceOver, Login
from vaxel_routing.domain.engine import RoutingEngine
from vaxel_routing.domain.engine.agents import DESK_DROPPED_REASON
from vaxel_routing.domain.model import Channel, Presence
from vaxel_routing.domain.notices import AgentLoggedOut, OfferRejected

GRACE = 30.0


def grace_timers(w: World) -> list[str]:
    return [t.command.timer_id for t in w.engine.pending_timers() if isinstance(t.command, DeskGraceOver)]


class TestDeskDropped:
    def test_a_desk_back_within_the_grace_changes_nothing(self) -> None:
        w = World()
        w.ready(agent("anna"), agent("bo"))
        w.submit("i1")
        assert w.last_offer("i1").agent_id == "anna"
        w.do(DeskDropped("anna", GRACE), after=1)
        assert len(grace_timers(w)) == 1
        w.do(Login("anna"), after=10)  # the desk reconnects
        assert grace_timers(w) == []
        w.do(Accept("anna", w.last_offer("i1").offer_id), after=1)  # the offer was hers still
        w.fire_due(w.t + 2 * GRACE)
        assert w.engine.agent("anna").presence is Presence.AVAILABLE
        assert not [n for n in w.notices if isinstance(n, AgentLoggedOut)]

    def test_past_the_grace_the_agent_is_logged_out_and_the_offer_goes_to_the_next(self) -> None:
        w = World()
        w.ready(agent("anna"), agent("bo"))
        w.submit("i1")
        first = w.last_offer("i1")
        assert first.agent_id == "anna"
        w.do(DeskDropped("anna", GRACE), after=1)
        (timer,) = [t for t in w.engine.pending_timers() if isinstance(t.command, DeskGraceOver)]
        assert timer.due == w.t + GRACE
        w.t = timer.due - 0.5
        w.do(timer.command)  # as the runner writes it: stamped with its due time
        anna = w.engine.agent("anna")
        assert anna.presence is Presence.OFFLINE
        assert anna.reason == DESK_DROPPED_REASON
        assert [n.reason for n in w.notices if isinstance(n, AgentLoggedOut)] == [DESK_DROPPED_REASON]
        withdrawn = [n for n in w.notices if isinstance(n, OfferRejected) and n.offer_id == first.offer_id]
        assert len(withdrawn) == 1
        assert w.last_offer("i1").agent_id == "bo"

    def test_an_agent_holding_work_stays_logged_in_not_ready_with_it(self) -> None:
        w = World()
        w.ready(agent("anna", capacity=((Channel.CHAT, 3),)), agent("bo"))
        w.submit("c1", channel=Channel.CHAT)
        w.do(Accept("anna", w.last_offer("c1").offer_id))
        w.submit("c2", channel=Channel.CHAT)
        assert w.last_offer("c2").agent_id == "anna"
        w.do(DeskDropped("anna", GRACE), after=1)
        w.fire_due(w.t + GRACE + 1)
        anna = w.engine.agent("anna")
        assert anna.presence is Presence.NOT_READY
        assert anna.reason == DESK_DROPPED_REASON
        assert list(anna.work) == ["c1"]  # the chat in hand is not lost
        assert w.engine.work("c1").state == "connected"  # type: ignore[union-attr]
        assert w.last_offer("c2").agent_id == "bo"

    def test_a_second_drop_counts_from_itself(self) -> None:
        w = World()
        w.ready(agent("anna"))
        w.do(DeskDropped("anna", GRACE), after=1)
        (first,) = grace_timers(w)
        w.do(Login("anna"), after=5)
        w.do(DeskDropped("anna", GRACE), after=20)
        (second,) = grace_timers(w)
        assert second != first
        w.do(DeskGraceOver(first, "anna"), after=6)  # the first drop's timer, late: changes nothing
        assert w.engine.agent("anna").presence is Presence.AVAILABLE
        w.fire_due(w.t + GRACE)
        assert w.engine.agent("anna").presence is Presence.OFFLINE

    def test_a_grace_over_written_late_starts_the_grace_again(self) -> None:
        """Routing was down when the grace ended (a restart drops every desk on its way down): the desk
        could not have come back in time, so it gets the grace again from the record's time."""
        w = World()
        w.ready(agent("anna"))
        w.do(DeskDropped("anna", GRACE), after=1)
        (timer,) = [t for t in w.engine.pending_timers() if isinstance(t.command, DeskGraceOver)]
        w.t = timer.due + 20  # written 20 s late, stamped with the time it was written
        w.do(timer.command)
        assert w.engine.agent("anna").presence is Presence.AVAILABLE
        (again,) = [t for t in w.engine.pending_timers() if isinstance(t.command, DeskGraceOver)]
        assert again.due == w.t + GRACE
        w.do(Login("anna"), after=5)  # the desk is back after the restart: nothing happens
        w.fire_due(w.t + 2 * GRACE)
        assert w.engine.agent("anna").presence is Presence.AVAILABLE
        w.do(DeskDropped("anna", GRACE), after=1)
        w.fire_due(w.t + GRACE)  # on time this time
        assert w.engine.agent("anna").presence is Presence.OFFLINE

    def test_a_drop_of_an_agent_not_logged_in_arms_nothing(self) -> None:
        w = World()
        w.ready(agent("anna"))
        w.do(DeskDropped("anna", GRACE))
        w.fire_due(w.t + GRACE + 1)
        assert w.engine.agent("anna").presence is Presence.OFFLINE
        w.do(DeskDropped("anna", GRACE), after=1)
        assert grace_timers(w) == []

    def test_a_replay_decides_the_same(self) -> None:
        w = World()
        w.ready(agent("anna"), agent("bo"))
        w.submit("i1")
        w.do(DeskDropped("anna", GRACE), after=1)
        w.do(Login("anna"), after=3)
        w.do(DeskDropped("anna", GRACE), after=1)
        w.fire_due(w.t + GRACE + 1)
        again = RoutingEngine()
        notices = []
        for command, at in w.log:
            notices += again.apply(command, at).notices
        assert notices == w.notices
        assert again.agent("anna").presence is Presence.OFFLINE
