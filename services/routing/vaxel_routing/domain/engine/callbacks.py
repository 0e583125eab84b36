"""Callbacks: waiting work the customer turns into a callback (keeping its place), and callbacks scheduled for later."""

from __future__ import annotations

from vaxel_common.errors import FailedPrecondition
from vaxel_routing.domain.commands import CallbackDue, Outcome, RequestCallback
from vaxel_routing.domain.engine import arrivals, lanes, timers
from vaxel_routing.domain.engine._state import EngineState, stable_id
from vaxel_routing.domain.model import Channel, Work
from vaxel_routing.domain.notices import CallbackRequested, CallbackScheduled


def request_callback(st: EngineState, command: RequestCallback, out: Outcome) -> None:
    work = arrivals.tenant_work(st, command.interaction_id, command.tenant_id)
    if work.channel is Channel.CALLBACK:
        return  # asked twice
    if work.state != "waiting":
        raise FailedPrecondition(f"only waiting interactions turn into callbacks (this one is {work.state})")
    lanes.dequeue(st, work)
    work.channel = Channel.CALLBACK
    work.kind = "callback"
    work.personal_agent = ""
    out.notices.append(
        CallbackRequested(
            tenant_id=work.tenant_id,
            interaction_id=work.interaction_id,
            queue_id=work.queue_id,
            not_before=command.not_before,
        )
    )
    if command.not_before > st.now:
        schedule(st, work, command.not_before, out)
    else:
        out.notices.append(
            CallbackScheduled(
                tenant_id=work.tenant_id, interaction_id=work.interaction_id, scheduled_for=st.now
            )
        )
        lanes.enqueue(st, work, out)
    out.reply = lanes.placement(st, work)


def schedule(st: EngineState, work: Work, not_before: float, out: Outcome) -> None:
    work.state = "scheduled"
    work.not_before = not_before
    out.notices.append(
        CallbackScheduled(
            tenant_id=work.tenant_id, interaction_id=work.interaction_id, scheduled_for=not_before
        )
    )
    timers.arm(
        st, out, not_before, CallbackDue(stable_id("callback-due", work.interaction_id), work.interaction_id)
    )


def callback_due(st: EngineState, command: CallbackDue, out: Outcome) -> None:
    work = st.work.get(command.interaction_id)
    if work is not None and work.state == "scheduled":
        lanes.enqueue(st, work, out)


__all__ = ["callback_due", "request_callback", "schedule"]
