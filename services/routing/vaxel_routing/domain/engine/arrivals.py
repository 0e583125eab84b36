"""Work arriving and leaving before it is handled: submissions (idempotent by interaction id) and abandons."""

from __future__ import annotations

from vaxel_common.errors import InvalidArgument, NotFound
from vaxel_routing.domain.commands import Abandon, LastAgentWaitOver, Outcome, Submit
from vaxel_routing.domain.engine import (
    callbacks,
    eligibility,
    handling,
    lanes,
    matching,
    offers,
    timers,
    widening,
)
from vaxel_routing.domain.engine._state import EngineState, stable_id
from vaxel_routing.domain.model import Channel, Work
from vaxel_routing.domain.notices import InteractionAbandoned, InteractionCreated


def submit(st: EngineState, command: Submit, out: Outcome) -> None:
    held = st.work.get(command.interaction_id)
    if held is not None:
        out.reply = lanes.placement(st, held, duplicate=True)
        return
    queue = eligibility.define_queue(st, command.queue)
    if command.channel not in queue.channels and command.channel is not Channel.CALLBACK:
        raise InvalidArgument("channel", "the queue does not serve this channel")
    st.seq += 1
    channel = command.channel
    if command.kind in ("callback", "voicemail", "follow_up"):
        channel = Channel.CALLBACK
    work = Work(
        interaction_id=command.interaction_id,
        tenant_id=queue.tenant_id,
        queue_id=queue.queue_id,
        channel=channel,
        customer_ref=command.customer_ref,
        arrived_at=st.now,
        key=lanes.deadline(st, queue, channel, st.now, command.priority),
        seq=st.seq,
        kind=command.kind,
        priority=command.priority,
    )
    st.work[work.interaction_id] = work
    out.notices.append(
        InteractionCreated(
            tenant_id=work.tenant_id,
            interaction_id=work.interaction_id,
            queue_id=queue.queue_id,
            channel=command.channel,
            language=command.language,
            customer_ref=command.customer_ref,
            priority=command.priority,
            work_kind=command.kind,
        )
    )
    if command.not_before > st.now:
        callbacks.schedule(st, work, command.not_before, out)
    else:
        last_agent = eligibility.last_agent_for(st, work)
        if last_agent:
            work.personal_agent = last_agent
            timers.arm(
                st,
                out,
                st.now + st.policy.last_agent_wait_seconds,
                LastAgentWaitOver(stable_id("last-agent", work.interaction_id), work.interaction_id),
            )
        join_queue(st, work, out)
    out.reply = lanes.placement(st, work)


def join_queue(st: EngineState, work: Work, out: Outcome) -> None:
    """Work joins its queue as an arrival does (a submission, a transfer into the queue): into its
    lane, offered at once if an agent is free, with the queue's overflow clock started now."""
    work.queued_at = st.now
    lanes.enqueue(st, work, out)
    widening.arm_overflow(st, work, out)


def tenant_work(st: EngineState, interaction_id: str, tenant_id: str) -> Work:
    work = st.work.get(interaction_id)
    if work is None or work.tenant_id != tenant_id:
        raise NotFound(f"interaction {interaction_id!r} not found")
    return work


def abandon(st: EngineState, command: Abandon, out: Outcome) -> None:
    work = tenant_work(st, command.interaction_id, command.tenant_id)
    match work.state:
        case "done" | "abandoned":
            return
        case "connected":
            handling.end_work(st, st.agents[work.agent_id], work, "customer_left", out)
            return
        case "wrap_up":
            return
        case "offered" if work.offer is not None:
            agent = st.agents[work.offer.agent_id]
            offers.close_offer(st, work.offer, "customer left")  # a later accept: "closed (customer left)"
            offers.release(st, agent, work)
            work.offer = None
            out.notices.append(
                InteractionAbandoned(
                    tenant_id=work.tenant_id,
                    interaction_id=work.interaction_id,
                    agent_id=agent.profile.agent_id,
                    queue_id=work.queue_id,
                    waited=st.now - work.arrived_at,
                )
            )
            close(st, work)
            matching.changed(st, agent, out)
            return
        case _:
            lanes.dequeue(st, work)
            out.notices.append(
                InteractionAbandoned(
                    tenant_id=work.tenant_id,
                    interaction_id=work.interaction_id,
                    queue_id=work.queue_id,
                    waited=st.now - work.arrived_at,
                )
            )
            close(st, work)


def close(st: EngineState, work: Work) -> None:
    # Timers of closed work find it closed and do nothing; drop the ones known by id now.
    for timer_id in (
        stable_id("callback-due", work.interaction_id),
        stable_id("last-agent", work.interaction_id),
        stable_id("widen", work.interaction_id, work.queue_id, str(work.steps_done)),
    ):
        st.timers.pop(timer_id, None)
    work.state = "abandoned"
    handling.forget(st, work)
    st.work[work.interaction_id].state = "abandoned"


__all__ = ["abandon", "close", "join_queue", "submit", "tenant_work"]
