"""Transfers obey routing's eligibility (issue 17 fault 6), and a transfer into a queue starts
that queue's overflow clock as an arrival does."""

from __future__ import annotations

import pytest

from vaxel_common.errors import FailedPrecondition
from vaxel_common.grpc_server import status_code_of
from vaxel_routing.domain.commands import Abandon, Accept, Logout, SetPresence, Transfer, WrapUp
from vaxel_routing.domain.errors import Ineligibility, TransferRefused
from vaxel_routing.domain.model import AgentProfile, Channel, OverflowStep, Presence, QueueSpec
from vaxel_routing.domain.notices import InteractionTransferred

from .test_engine import World, agent

BACKUP = QueueSpec("q-backup", "tele2", "sv-SE", (Channel.VOICE, Channel.CHAT), version=1)
TIERED = QueueSpec(
    "q-tiered",
    "tele2",
    "sv-SE",
    (Channel.VOICE, Channel.CHAT),
    overflow=(OverflowStep(30, to_queue_id="q-backup"),),
    version=1,
)


def connected(w: World, iid: str, agent_id: str = "anna") -> None:
    w.submit(iid)
    offer = w.last_offer(iid)
    assert offer.agent_id == agent_id
    w.do(Accept(agent_id, offer.offer_id))


def know_queues(w: World, *queues: QueueSpec) -> None:
    """The engine learns queues as work names them."""
    for queue in queues:
        w.submit("seed-" + queue.queue_id, queue=queue)
        w.do(Abandon("seed-" + queue.queue_id, "tele2"))


def transferred_to_busy_bo() -> World:
    """anna transfers i1 to bo, who is on a call (i2) and then not ready."""
    w = World()
    w.ready(agent("anna"), agent("bo"))
    connected(w, "i1")
    connected(w, "i2", "bo")
    w.do(SetPresence("bo", Presence.NOT_READY, "after call"))
    w.do(Transfer("anna", "i1", to_agent_id="bo"))
    return w


class TestTransferToAnAgent:
    @pytest.mark.parametrize(
        ("profile", "reason"),
        [
            (agent("bo", tenants=("zalando",)), Ineligibility.TENANT),
            (
                AgentProfile(
                    "bo", languages=("de",), skills=(("billing", 5),), tenants=("tele2",), version=1
                ),
                Ineligibility.LANGUAGE,
            ),
            (agent("bo", billing=2), Ineligibility.SKILLS),
            (agent("bo", capacity=((Channel.VOICE, 0),)), Ineligibility.CHANNEL),
        ],
    )
    def test_an_ineligible_agent_is_refused_and_the_work_stays(
        self, profile: AgentProfile, reason: Ineligibility
    ) -> None:
        w = World()
        w.ready(agent("anna"), profile)
        connected(w, "i1")
        before = len(w.notices)
        with pytest.raises(TransferRefused) as refused:
            w.do(Transfer("anna", "i1", to_agent_id="bo"))
        assert refused.value.reason is reason
        assert isinstance(refused.value, FailedPrecondition)
        assert status_code_of(refused.value).name == "FAILED_PRECONDITION"
        assert refused.value.message.startswith("to_agent_id: agent 'bo' ")
        assert f"({reason.value})" in refused.value.message
        work = w.engine.work("i1")
        assert work is not None
        assert (work.state, work.agent_id) == ("connected", "anna")
        assert not [n for n in w.notices[before:] if isinstance(n, InteractionTransferred)]
        assert w.offers("bo") == []
        w.do(WrapUp("anna", "i1"))  # anna still holds it

    def test_an_agent_of_the_right_tenant_at_the_work_s_level_is_offered_it(self) -> None:
        w = World()
        w.ready(agent("anna"), agent("bo", tenants=("zalando", "tele2")))
        connected(w, "i1")
        w.do(Transfer("anna", "i1", to_agent_id="bo"))
        assert w.last_offer("i1").agent_id == "bo"

    def test_a_busy_eligible_agent_gets_it_when_they_have_room(self) -> None:
        w = transferred_to_busy_bo()
        work = w.engine.work("i1")
        assert work is not None
        assert (work.state, work.personal_agent) == ("waiting", "bo")
        w.do(WrapUp("bo", "i2"))
        assert w.offers("bo")[-1].interaction_id == "i2"  # not ready: still no new offer
        w.do(SetPresence("bo", Presence.AVAILABLE))
        assert w.last_offer("i1").agent_id == "bo"


class TestTransferToAQueue:
    def test_the_target_queue_s_overflow_counts_from_the_transfer(self) -> None:
        w = World()
        know_queues(w, BACKUP, TIERED)
        w.ready(agent("anna"))
        connected(w, "i1")
        w.t += 100  # talked long enough that every wait counted from arrival is over
        w.do(Transfer("anna", "i1", to_queue=TIERED))
        work = w.engine.work("i1")
        assert work is not None
        assert (work.state, work.queue_id) == ("waiting", "q-tiered")
        transferred_at = w.t
        w.fire_due(transferred_at + 29)
        assert work.queue_id == "q-tiered"
        w.fire_due(transferred_at + 31)
        assert work.queue_id == "q-backup"
        moves = [n for n in w.notices if isinstance(n, InteractionTransferred) and not n.agent_id]
        assert [n.to_queue_id for n in moves] == ["q-backup"]

    def test_the_overflow_timer_is_armed_at_the_transfer(self) -> None:
        w = World()
        know_queues(w, BACKUP, TIERED)
        w.ready(agent("anna"))
        connected(w, "i1")
        out = w.do(Transfer("anna", "i1", to_queue=TIERED), after=50)
        assert [t.due - w.t for t in out.timers] == [pytest.approx(30)]


class TestWaitingForAnAgent:
    def test_work_waiting_for_an_agent_who_logs_out_goes_back_to_its_queue(self) -> None:
        w = transferred_to_busy_bo()
        w.do(SetPresence("anna", Presence.NOT_READY, "coffee"))
        w.do(WrapUp("bo", "i2"))
        w.do(Logout("bo"))
        work = w.engine.work("i1")
        assert work is not None
        assert (work.state, work.personal_agent, work.queue_id) == ("waiting", "", "q-support")
        assert w.engine.position(work) == 1
        w.do(SetPresence("anna", Presence.AVAILABLE))
        assert w.last_offer("i1").agent_id == "anna"
