"""Records applied late (a restart, a broker pause): expiries nobody could answer, and event times."""

from __future__ import annotations

import pytest

from tests.unit.routing.test_engine import World, agent
from vaxel.routing.v1 import inputs_pb2
from vaxel_common.db import connect
from vaxel_common.errors import FailedPrecondition
from vaxel_routing.adapters.converters import ts
from vaxel_routing.adapters.data_keys import DataKeys
from vaxel_routing.adapters.personal import PersonalData
from vaxel_routing.adapters.runner.events import notice_event
from vaxel_routing.domain.commands import Abandon, Accept, OfferExpired, Outcome
from vaxel_routing.domain.engine import RoutingEngine
from vaxel_routing.domain.engine.offers import UNSEEN_REASON
from vaxel_routing.domain.model import Presence
from vaxel_routing.domain.notices import OfferRejected, OfferTimedOut


def expiry_of(out: Outcome) -> OfferExpired:
    return next(t.command for t in out.timers if isinstance(t.command, OfferExpired))


def test_an_expiry_written_after_its_due_time_is_no_miss_and_the_work_is_offered_again() -> None:
    w = World()
    w.ready(agent("anna"))
    out = w.submit("i1")
    first = w.last_offer("i1")
    # routing was down when it came due: the runner writes the expiry on restart, stamped then
    w.do(expiry_of(out), after=120.0)
    assert not [n for n in w.notices if isinstance(n, OfferTimedOut)]
    withdrawn = [n for n in w.notices if isinstance(n, OfferRejected)]
    assert [(n.offer_id, n.reason) for n in withdrawn] == [(first.offer_id, UNSEEN_REASON)]
    assert w.engine.agent("anna").presence is Presence.AVAILABLE
    again = w.last_offer("i1")
    assert (again.agent_id, again.attempt) == ("anna", 2)
    assert again.expires_at == w.t + w.engine.policy.offer_timeout_seconds  # a fresh timeout
    w.do(Accept("anna", again.offer_id))
    assert w.engine.work("i1").state == "connected"  # type: ignore[union-attr]


def test_an_expiry_on_time_is_still_a_miss() -> None:
    w = World()
    w.ready(agent("anna"), agent("bo"))
    w.submit("i1")
    w.fire_due(w.t + 15)  # at its due time exactly
    assert [n.kind for n in w.notices if isinstance(n, OfferTimedOut)] == ["offer_timed_out"]
    assert w.engine.agent("anna").presence is Presence.NOT_READY
    assert w.last_offer("i1").agent_id == "bo"


def test_a_late_expiry_replays_the_same() -> None:
    w = World()
    w.ready(agent("anna"), agent("bo"))
    out = w.submit("i1")
    w.do(expiry_of(out), after=300.0)
    w.fire_due(w.t + 15)  # the second offer, on time: a miss
    replayed = RoutingEngine()
    notices = [n for command, at in w.log for n in replayed.apply(command, at).notices]
    assert notices == w.notices
    assert replayed.snapshot() == w.engine.snapshot()


def test_the_decision_time_never_goes_back() -> None:
    w = World()
    w.ready(agent("anna"))
    w.submit("i1")
    decided = w.engine.now
    offer = w.last_offer("i1")
    # an accept stamped earlier than what was applied before it: decided at the pool's time
    w.engine.apply(Accept("anna", offer.offer_id), decided - 30.0)
    assert w.engine.now == decided
    assert w.engine.work("i1").connected_at == decided  # type: ignore[union-attr]


def test_an_accept_after_the_customer_left_is_refused_customer_left() -> None:
    w = World()
    w.ready(agent("anna"))
    w.submit("i1")
    offer = w.last_offer("i1")
    w.do(Abandon("i1", "tele2"))
    with pytest.raises(FailedPrecondition, match="customer left"):
        w.do(Accept("anna", offer.offer_id))
    assert w.engine.agent("anna").presence is Presence.AVAILABLE
    assert not w.engine.agent("anna").work


def test_events_are_stamped_with_the_decision_time_not_the_record_time() -> None:
    w = World()
    w.ready(agent("anna"))
    w.submit("i1")
    decided = w.engine.now
    offer = w.last_offer("i1")
    late = inputs_pb2.RoutingInput(input_id="accept-1", pool="default", occurred_at=ts(decided - 30.0))
    out = w.engine.apply(Accept("anna", offer.offer_id), decided - 30.0)
    personal = PersonalData(DataKeys(connect("sqlite://:memory:")))
    stamps = [
        notice_event(late, i, notice, w.engine.now, personal)[1].occurred_at.ToNanoseconds()
        for i, notice in enumerate(out.notices)
    ]
    assert stamps == sorted(stamps)
    assert stamps[0] == round(decided * 1e9)  # not 30 s before the offer it accepts
