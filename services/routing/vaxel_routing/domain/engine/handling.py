"""Handling: ending connected work, wrap-up (by the agent or its timer), and the customer history it leaves."""

from __future__ import annotations

from collections import deque

from vaxel_common.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from vaxel_routing.domain.commands import End, EraseCustomer, Outcome, Submit, WrapUp, WrapUpExpired
from vaxel_routing.domain.engine import arrivals, matching, offers, timers
from vaxel_routing.domain.engine._state import MAX_CUSTOMERS_REMEMBERED, AgentState, EngineState, stable_id
from vaxel_routing.domain.model import Channel, HistoryEntry, Work
from vaxel_routing.domain.notices import InteractionEnded, InteractionWrappedUp


def held(st: EngineState, agent_id: str, interaction_id: str, *states: str) -> tuple[AgentState, Work]:
    agent = st.agent(agent_id)
    work = st.work.get(interaction_id)
    if work is None:
        raise NotFound(f"interaction {interaction_id!r} not found")
    if work.agent_id != agent_id or work.state not in ("connected", "wrap_up"):
        raise PermissionDenied("the agent does not hold this interaction")
    if work.state not in states:
        raise FailedPrecondition(f"the interaction is in {work.state}")
    return agent, work


def end(st: EngineState, command: End, out: Outcome) -> None:
    work = st.work.get(command.interaction_id)
    if work is not None and work.state in ("wrap_up", "done") and work.agent_id == command.agent_id:
        return  # ended already
    agent, work = held(st, command.agent_id, command.interaction_id, "connected")
    end_work(st, agent, work, command.reason, out)


def end_work(st: EngineState, agent: AgentState, work: Work, reason: str, out: Outcome) -> None:
    work.state = "wrap_up"
    work.ended_at = st.now
    out.notices.append(
        InteractionEnded(
            tenant_id=work.tenant_id,
            interaction_id=work.interaction_id,
            agent_id=agent.profile.agent_id,
            reason=reason,
        )
    )
    timers.arm(
        st,
        out,
        st.now + agent.profile.wrap_up_seconds,
        WrapUpExpired(stable_id("wrap-up", work.interaction_id), work.interaction_id),
    )


def wrap_up(st: EngineState, command: WrapUp, out: Outcome) -> None:
    work = st.work.get(command.interaction_id)
    if work is not None and work.state == "done" and work.agent_id == command.agent_id:
        return
    if len(command.tags) > 20 or any(not t or len(t) > 50 for t in command.tags):
        raise InvalidArgument("tags", "at most 20 tags of 1 to 50 characters")
    if len(command.disposition) > 100:
        raise InvalidArgument("disposition", "at most 100 characters")
    if len(command.notes) > 4000:
        raise InvalidArgument("notes", "at most 4000 characters")
    if command.follow_up_at and command.follow_up_at <= st.now:
        raise InvalidArgument("follow_up_callback_at", "must be in the future")
    agent, work = held(st, command.agent_id, command.interaction_id, "connected", "wrap_up")
    if work.state == "connected":
        end_work(st, agent, work, "completed", out)
    finish(st, agent, work, command.disposition, command.tags, command.notes, command.follow_up_at, out)


def finish(
    st: EngineState,
    agent: AgentState,
    work: Work,
    disposition: str,
    tags: tuple[str, ...],
    notes: str,
    follow_up_at: float,
    out: Outcome,
) -> None:
    st.timers.pop(stable_id("wrap-up", work.interaction_id), None)
    work.state = "done"
    out.notices.append(
        InteractionWrappedUp(
            tenant_id=work.tenant_id,
            interaction_id=work.interaction_id,
            agent_id=agent.profile.agent_id,
            disposition=disposition,
            tags=tags,
            notes=notes,
            follow_up_callback_at=follow_up_at,
        )
    )
    handled = st.now - work.connected_at
    key = (work.queue_id, work.channel)
    ema = st.handle_ema.get(key)
    st.handle_ema[key] = handled if ema is None else 0.9 * ema + 0.1 * handled
    remember(st, work, agent.profile.agent_id, disposition)
    offers.release(st, agent, work)
    forget(st, work)
    if follow_up_at:
        queue = st.queues[work.queue_id]
        arrivals.submit(
            st,
            Submit(
                interaction_id=stable_id("follow-up", work.interaction_id),
                queue=queue,
                channel=Channel.CALLBACK,
                customer_ref=work.customer_ref,
                kind="follow_up",
                not_before=follow_up_at,
            ),
            out,
        )
        out.reply = None  # the wrap-up answers nothing about the follow-up
    matching.changed(st, agent, out)


def forget(st: EngineState, work: Work) -> None:
    """Done work leaves memory; a late duplicate of its commands finds nothing to change."""
    del st.work[work.interaction_id]
    done_marker(st, work)


def done_marker(st: EngineState, work: Work) -> None:
    # A compact record so that duplicates of Submit stay duplicates after the work is gone.
    st.work[work.interaction_id] = Work(
        interaction_id=work.interaction_id,
        tenant_id=work.tenant_id,
        queue_id=work.queue_id,
        channel=work.channel,
        customer_ref="",
        arrived_at=work.arrived_at,
        key=0.0,
        seq=0,
        state="done",
        agent_id=work.agent_id,
    )


def remember(st: EngineState, work: Work, agent_id: str, disposition: str) -> None:
    if not work.customer_ref:
        return
    key = (work.tenant_id, work.customer_ref)
    history = st.history.get(key)
    if history is None:
        history = st.history[key] = deque(maxlen=st.policy.history_per_customer)
        if len(st.history) > MAX_CUSTOMERS_REMEMBERED:
            st.history.popitem(last=False)
    else:
        st.history.move_to_end(key)
    history.append(
        HistoryEntry(work.interaction_id, work.queue_id, work.channel, agent_id, disposition, st.now)
    )


def erase_customer(st: EngineState, command: EraseCustomer, out: Outcome) -> None:
    """The customer's history forgotten and their reference dropped from the work still held, as a
    replay whose records no longer open (their key destroyed) would have built it."""
    if not command.customer_ref:
        return
    st.history.pop((command.tenant_id, command.customer_ref), None)
    for work in st.work.values():
        if work.tenant_id == command.tenant_id and work.customer_ref == command.customer_ref:
            work.customer_ref = ""


def wrap_up_expired(st: EngineState, command: WrapUpExpired, out: Outcome) -> None:
    work = st.work.get(command.interaction_id)
    if work is not None and work.state == "wrap_up":
        finish(st, st.agents[work.agent_id], work, "", (), "", 0.0, out)


__all__ = [
    "done_marker",
    "end",
    "end_work",
    "erase_customer",
    "finish",
    "forget",
    "held",
    "remember",
    "wrap_up",
    "wrap_up_expired",
]
