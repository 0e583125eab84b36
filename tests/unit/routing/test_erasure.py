"""Erasure in the engine: the customer's history and references go, and a replay whose records no longer
open (their key destroyed: the customer reference empty) ends in the same state and decisions."""

from __future__ import annotations

from dataclasses import replace

from tests.unit.routing.test_engine import World, agent
from vaxel_routing.domain.commands import Accept, Command, EraseCustomer, Submit, WrapUp
from vaxel_routing.domain.engine import RoutingEngine
from vaxel_routing.domain.notices import InteractionCreated


def _served(w: World, iid: str, customer_ref: str) -> None:
    w.submit(iid, customer_ref=customer_ref)
    offer = w.last_offer(iid)
    w.do(Accept(offer.agent_id, offer.offer_id))
    w.do(WrapUp(offer.agent_id, iid, "resolved"))


class TestEraseCustomer:
    def test_the_history_and_the_references_are_forgotten(self) -> None:
        w = World()
        w.ready(agent("anna"))
        _served(w, "first", "cust-1")
        _served(w, "other", "cust-2")
        w.submit("waiting", customer_ref="cust-1")  # offered to anna, not accepted yet
        assert [h.interaction_id for h in w.engine.history("tele2", "cust-1")] == ["first"]
        assert w.do(EraseCustomer("tele2", "cust-1")).notices == []
        assert w.engine.history("tele2", "cust-1") == []
        assert [h.interaction_id for h in w.engine.history("tele2", "cust-2")] == ["other"]
        held = w.engine.work("waiting")
        assert held is not None
        assert held.customer_ref == ""
        assert held.state == "offered"  # the work itself goes on

    def test_another_tenants_customer_of_the_same_reference_is_kept(self) -> None:
        w = World()
        w.ready(agent("anna"))
        _served(w, "first", "cust-1")
        w.do(EraseCustomer("another-tenant", "cust-1"))
        assert [h.interaction_id for h in w.engine.history("tele2", "cust-1")] == ["first"]

    def test_an_erasure_whose_key_is_gone_changes_nothing(self) -> None:
        w = World()
        w.ready(agent("anna"))
        _served(w, "first", "cust-1")
        w.do(EraseCustomer("tele2", ""))
        assert [h.interaction_id for h in w.engine.history("tele2", "cust-1")] == ["first"]

    def test_a_replay_after_the_keys_are_destroyed_decides_the_same(self) -> None:
        w = World()
        w.ready(agent("anna"), agent("bo"))
        _served(w, "first", "cust-1")
        _served(w, "second", "cust-2")
        w.submit("third", customer_ref="cust-1")
        w.do(EraseCustomer("tele2", "cust-1"))
        w.submit("fourth", customer_ref="cust-2")

        def sealed_for_good(command: Command) -> Command:
            """What the runner opens once cust-1's key is destroyed."""
            if isinstance(command, Submit) and command.customer_ref == "cust-1":
                return replace(command, customer_ref="")
            if isinstance(command, EraseCustomer):
                return replace(command, customer_ref="")
            return command

        replayed = RoutingEngine()
        notices = [n for command, at in w.log for n in replayed.apply(sealed_for_good(command), at).notices]
        # The same decisions, event for event, except that cust-1's reference is no longer in them.
        assert [(n.kind, n.interaction_id) for n in notices] == [
            (n.kind, n.interaction_id) for n in w.notices
        ]
        created = {n.interaction_id: n.customer_ref for n in notices if isinstance(n, InteractionCreated)}
        assert created == {"first": "", "second": "cust-2", "third": "", "fourth": "cust-2"}
        assert replayed.history("tele2", "cust-1") == []
        assert replayed.history("tele2", "cust-2") == w.engine.history("tele2", "cust-2")
        assert replayed.snapshot() == w.engine.snapshot()
        assert {x.interaction_id: x.customer_ref for x in replayed.interactions()} == {
            x.interaction_id: x.customer_ref for x in w.engine.interactions()
        }
