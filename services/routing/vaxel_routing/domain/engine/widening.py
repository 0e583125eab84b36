"""Widening: the queue's overflow rules relax proficiency by a level or move the work to another queue
after their waits; and the end of the wait for the customer's last agent.
"""

from __future__ import annotations

from vaxel_routing.domain.commands import LastAgentWaitOver, Outcome, Widen
from vaxel_routing.domain.engine import lanes, timers
from vaxel_routing.domain.engine._state import MAX_QUEUE_MOVES, EngineState, stable_id
from vaxel_routing.domain.model import Work
from vaxel_routing.domain.notices import InteractionTransferred


def arm_overflow(st: EngineState, work: Work, out: Outcome) -> None:
    queue = st.queues[work.queue_id]
    if work.steps_done < len(queue.overflow):
        step = queue.overflow[work.steps_done]
        timers.arm(
            st,
            out,
            max(st.now, work.queued_at + step.after_seconds),
            Widen(
                stable_id("widen", work.interaction_id, work.queue_id, str(work.steps_done)),
                work.interaction_id,
            ),
        )


def widen(st: EngineState, command: Widen, out: Outcome) -> None:
    work = st.work.get(command.interaction_id)
    if work is not None and work.state == "waiting":
        lanes.dequeue(st, work)
        moved = apply_due_steps(st, work, out)
        lanes.enqueue(st, work, out, notify=moved)
        arm_overflow(st, work, out)


def last_agent_wait_over(st: EngineState, command: LastAgentWaitOver, out: Outcome) -> None:
    work = st.work.get(command.interaction_id)
    if work is not None and work.state == "waiting" and work.personal_agent:
        back_to_queue(st, work, out)


def back_to_queue(st: EngineState, work: Work, out: Outcome) -> None:
    """Work waiting for one agent (the customer's last agent, or a transfer to them) stops waiting:
    it goes to its queue's lane, keeping its place."""
    lanes.dequeue(st, work)
    work.personal_agent = ""
    lanes.enqueue(st, work, out, notify=False)


def apply_due_steps(st: EngineState, work: Work, out: Outcome) -> bool:
    """Apply the overflow steps whose time has come; True when the work moved to another queue."""
    moved = False
    waited = st.now - work.queued_at
    while True:
        queue = st.queues[work.queue_id]
        if work.steps_done >= len(queue.overflow):
            return moved
        step = queue.overflow[work.steps_done]
        if step.after_seconds > waited:
            return moved
        work.steps_done += 1
        if step.to_queue_id:
            target = st.queues.get(step.to_queue_id)
            if target is None or work.moves >= MAX_QUEUE_MOVES or target.tenant_id != work.tenant_id:
                continue
            out.notices.append(
                InteractionTransferred(
                    tenant_id=work.tenant_id, interaction_id=work.interaction_id, to_queue_id=target.queue_id
                )
            )
            work.queue_id = target.queue_id
            work.level = 0
            work.steps_done = 0
            work.moves += 1
            moved = True
        elif step.relax_by:
            work.level = min(work.level + 1, queue.relaxations())


__all__ = ["apply_due_steps", "arm_overflow", "back_to_queue", "last_agent_wait_over", "widen"]
