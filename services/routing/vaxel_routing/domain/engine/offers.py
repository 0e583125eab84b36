"""Offers: one agent at a time, with a timeout; accept, reject, expiry, and the capacity an offer holds."""

from __future__ import annotations

from vaxel_common.errors import FailedPrecondition, NotFound, PermissionDenied
from vaxel_routing.domain.commands import Accept, OfferExpired, Outcome, Reject
from vaxel_routing.domain.engine import agents, lanes, matching, timers, widening
from vaxel_routing.domain.engine._state import MAX_CLOSED_OFFERS, AgentState, EngineState, stable_id
from vaxel_routing.domain.model import Channel, Offer, Presence, Work
from vaxel_routing.domain.notices import (
    CallbackDialled,
    InteractionConnected,
    InteractionOffered,
    OfferAccepted,
    OfferRejected,
    OfferTimedOut,
)
from vaxel_routing.domain.replies import Accepted

UNSEEN_REASON = "expired unseen"  # the reason of an offer withdrawn so: not the agent's miss


def make_offer(st: EngineState, work: Work, agent: AgentState, out: Outcome) -> None:
    lanes.dequeue(st, work)
    work.attempts += 1
    offer = Offer(
        offer_id=stable_id("offer", work.interaction_id, str(work.attempts)),
        interaction_id=work.interaction_id,
        agent_id=agent.profile.agent_id,
        attempt=work.attempts,
        expires_at=st.now + st.policy.offer_timeout_seconds,
    )
    work.state = "offered"
    work.offer = offer
    st.offers[offer.offer_id] = offer
    agent.work[work.interaction_id] = None
    agent.load[work.channel] = agent.load.get(work.channel, 0) + 1
    out.notices.append(
        InteractionOffered(
            tenant_id=work.tenant_id,
            interaction_id=work.interaction_id,
            agent_id=agent.profile.agent_id,
            offer_id=offer.offer_id,
            expires_at=offer.expires_at,
            attempt=offer.attempt,
        )
    )
    timers.arm(
        st, out, offer.expires_at, OfferExpired(stable_id("offer-expiry", offer.offer_id), offer.offer_id)
    )
    agent.version += 1  # its heap entries are stale now; whoever made the offer re-indexes it


def own_offer(st: EngineState, agent_id: str, offer_id: str) -> tuple[AgentState, Offer, Work]:
    agent = st.agent(agent_id)
    offer = st.offers.get(offer_id)
    if offer is None:
        closed = st.closed_offers.get(offer_id)
        if closed is None:
            raise NotFound(f"offer {offer_id!r} not found")
        if closed[1] != agent_id:
            raise PermissionDenied("the offer was made to another agent")
        raise FailedPrecondition(f"offer {offer_id!r} is closed ({closed[0]})")
    if offer.agent_id != agent_id:
        raise PermissionDenied("the offer was made to another agent")
    return agent, offer, st.work[offer.interaction_id]


def accept(st: EngineState, command: Accept, out: Outcome) -> None:
    closed = st.closed_offers.get(command.offer_id)
    if closed is not None and closed == ("accepted", command.agent_id):
        return  # the same accept again
    agent, offer, work = own_offer(st, command.agent_id, command.offer_id)
    close_offer(st, offer, "accepted")
    work.offer = None
    work.state = "connected"
    work.agent_id = agent.profile.agent_id
    work.connected_at = st.now
    tenant_id, interaction_id, agent_id = work.tenant_id, work.interaction_id, agent.profile.agent_id
    notices = out.notices
    notices.append(
        OfferAccepted(
            tenant_id=tenant_id, interaction_id=interaction_id, agent_id=agent_id, offer_id=offer.offer_id
        )
    )
    if work.channel is Channel.CALLBACK:  # the agent dials the customer, then they are connected
        notices.append(CallbackDialled(tenant_id=tenant_id, interaction_id=interaction_id, agent_id=agent_id))
    notices.append(
        InteractionConnected(
            tenant_id=tenant_id, interaction_id=interaction_id, agent_id=agent_id, offer_id=offer.offer_id
        )
    )
    out.reply = Accepted(interaction_id)


def close_offer(st: EngineState, offer: Offer, how: str) -> None:
    del st.offers[offer.offer_id]
    st.timers.pop(stable_id("offer-expiry", offer.offer_id), None)
    st.closed_offers[offer.offer_id] = (how, offer.agent_id)
    if len(st.closed_offers) > MAX_CLOSED_OFFERS:
        st.closed_offers.popitem(last=False)


def reject(st: EngineState, command: Reject, out: Outcome) -> None:
    agent, _, work = own_offer(st, command.agent_id, command.offer_id)
    withdraw_offer(st, work, out, reason=command.reason or "rejected")
    matching.changed(st, agent, out)


def withdraw_offer(
    st: EngineState,
    work: Work,
    out: Outcome,
    *,
    reason: str = "",
    timed_out: bool = False,
    exclude: bool = True,
) -> AgentState:
    """Take an open offer back (rejected for ``reason``, or ``timed_out``): the agent's room returns,
    the work goes back to its place (offered to the same agent again unless ``exclude``)."""
    offer = work.offer
    if offer is None:  # pragma: no cover  (callers check the state)
        raise FailedPrecondition("no open offer")
    close_offer(st, offer, "expired" if timed_out else "rejected")
    agent = st.agents[offer.agent_id]
    release(st, agent, work)
    work.offer = None
    if exclude:
        work.excluded[agent.profile.agent_id] = None
    agent_id = agent.profile.agent_id
    out.notices.append(
        OfferTimedOut(
            tenant_id=work.tenant_id,
            interaction_id=work.interaction_id,
            agent_id=agent_id,
            offer_id=offer.offer_id,
        )
        if timed_out
        else OfferRejected(
            tenant_id=work.tenant_id,
            interaction_id=work.interaction_id,
            agent_id=agent_id,
            offer_id=offer.offer_id,
            reason=reason,
        )
    )
    if work.personal_agent == agent.profile.agent_id:
        work.personal_agent = ""
    work.state = "waiting"
    widening.apply_due_steps(st, work, out)
    widening.arm_overflow(st, work, out)
    if exclude and len(work.excluded) > 1 and everyone_excluded(st, work):
        # every eligible agent said no: start the round again, the last one still skipped
        work.excluded = {agent.profile.agent_id: None}
    lanes.enqueue(st, work, out, notify=False)
    return agent


def everyone_excluded(st: EngineState, work: Work) -> bool:
    lane = st.lanes.get(lanes.lane_of(work))
    return lane is not None and lane.staffed <= len(work.excluded)


def release(st: EngineState, agent: AgentState, work: Work) -> None:
    agent.work.pop(work.interaction_id, None)
    left = agent.load.get(work.channel, 0) - 1
    if left > 0:
        agent.load[work.channel] = left
    else:
        agent.load.pop(work.channel, None)
    if not agent.work:
        agent.idle_since = st.now


def offer_expired(st: EngineState, command: OfferExpired, out: Outcome) -> None:
    """An offer's timeout, written when due: a miss (the agent goes NOT_READY, the next is offered).
    Written late (its record's time after the expiry: the runner stamps a timer with its due time when
    it fires on time, with the time it was written when routing was down or paused then, or when the
    offer was decided already expired), the agent could not have answered in time: the offer is
    withdrawn as unseen and offered again, the agent's presence untouched. Only record times decide,
    so a replay repeats it."""
    offer = st.offers.get(command.offer_id)
    if offer is None:
        return
    work = st.work[offer.interaction_id]
    if st.record_at > offer.expires_at:
        agent = withdraw_offer(st, work, out, reason=UNSEEN_REASON, exclude=False)
        matching.changed(st, agent, out)
        return
    agent = withdraw_offer(st, work, out, timed_out=True)
    if st.policy.not_ready_after_missed_offer and agent.presence is Presence.AVAILABLE:
        agent.presence = Presence.NOT_READY
        agent.reason = "missed offer"
        agents.presence_notice(st, agent, out)
    matching.changed(st, agent, out)


__all__ = [
    "UNSEEN_REASON",
    "accept",
    "close_offer",
    "everyone_excluded",
    "make_offer",
    "offer_expired",
    "own_offer",
    "reject",
    "release",
    "withdraw_offer",
]
