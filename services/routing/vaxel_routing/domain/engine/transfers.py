"""Transfers: connected work handed to another queue or to one agent.

Every transfer is blind: the transferring agent lets go at once (their room returns) and the work
waits again, keeping the place it earned. To one agent: the agent must be logged in and eligible
by the rules routing itself applies (tenant, language, channel, skills at the work's relax level;
:func:`eligibility.ineligibility`), else :class:`TransferRefused` and the agent keeps the work. An
eligible agent who is busy or not ready gets the offer when they next have room; rejecting it or
letting it time out sends the work back to its queue. To a queue: the work joins it as an arrival
does (:func:`arrivals.join_queue`), so the queue's overflow rules count from the transfer.
"""

from __future__ import annotations

from vaxel_common.errors import FailedPrecondition, InvalidArgument, NotFound
from vaxel_routing.domain.commands import Outcome, Transfer
from vaxel_routing.domain.engine import arrivals, eligibility, handling, lanes, matching, offers
from vaxel_routing.domain.engine._state import EngineState
from vaxel_routing.domain.errors import TransferRefused
from vaxel_routing.domain.model import Channel
from vaxel_routing.domain.notices import InteractionTransferred


def transfer(st: EngineState, command: Transfer, out: Outcome) -> None:
    if (command.to_queue is None) == (not command.to_agent_id):
        raise InvalidArgument("target", "name exactly one of to_queue_id and to_agent_id")
    agent, work = handling.held(st, command.agent_id, command.interaction_id, "connected")
    if command.to_agent_id:
        if command.to_agent_id == command.agent_id:
            raise InvalidArgument("to_agent_id", "cannot transfer to yourself")
        target = st.agent(command.to_agent_id)
        if not target.logged_in:
            raise FailedPrecondition("the agent is not logged in")
        refusal = eligibility.ineligibility(st, target, work)
        if refusal is not None:
            raise TransferRefused(command.to_agent_id, refusal)
    if command.to_queue is not None:
        if command.to_queue.tenant_id != work.tenant_id:
            raise NotFound(f"queue {command.to_queue.queue_id!r} not found")
        queue = eligibility.define_queue(st, command.to_queue)
        if work.channel not in queue.channels and work.channel is not Channel.CALLBACK:
            raise InvalidArgument("to_queue_id", "the queue does not serve this channel")
    out.notices.append(
        InteractionTransferred(
            tenant_id=work.tenant_id,
            interaction_id=work.interaction_id,
            agent_id=agent.profile.agent_id,
            to_queue_id=command.to_queue.queue_id if command.to_queue else "",
            to_agent_id=command.to_agent_id,
        )
    )
    offers.release(st, agent, work)
    work.agent_id = ""
    if command.to_queue is not None:
        work.excluded = {agent.profile.agent_id: None}
        work.queue_id = command.to_queue.queue_id
        work.level = 0
        work.steps_done = 0
        work.personal_agent = ""
        arrivals.join_queue(st, work, out)
    else:
        work.excluded = {}
        work.personal_agent = command.to_agent_id
        lanes.enqueue(st, work, out)
    matching.changed(st, agent, out)


__all__ = ["transfer"]
