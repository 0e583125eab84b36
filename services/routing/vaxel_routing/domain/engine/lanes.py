"""Lanes and their order: where waiting work sits, its deadline, its place and its estimated wait.

A lane is (queue, relax level, channel), or an agent's personal lane (transfers to them,
last-agent routing). Work in a lane is ordered by deadline: arrival + the queue's service-level
threshold for the channel, less a bonus per priority point. Earliest deadline first: a queue
near its threshold outranks one with time to spare, a long wait always rises to the top, and
work keeps its place through rejects, overflow and callbacks.
"""

from __future__ import annotations

from vaxel_routing.domain.commands import Outcome
from vaxel_routing.domain.engine import matching, offers
from vaxel_routing.domain.engine._state import EngineState, Lane, LaneState
from vaxel_routing.domain.model import DEFAULT_CAPACITY, DEFAULT_HANDLE_SECONDS, Channel, QueueSpec, Work
from vaxel_routing.domain.notices import InteractionQueued
from vaxel_routing.domain.replies import Placement


def waiting_count(st: EngineState) -> int:
    return sum(len(lane.work) for lane in st.lanes.values())


def position_of(st: EngineState, work: Work) -> int:
    """1-based place in its lane (0 when not waiting)."""
    if work.state != "waiting":
        return 0
    lane = st.lanes[lane_of(work)]
    return int(lane.work.bisect_left((work.key, work.seq, work.interaction_id))) + 1


def estimated_wait(st: EngineState, work: Work) -> float:
    """Seconds: the work ahead, times the queue's handle time, over the agents staffed for it."""
    if work.state == "scheduled":
        return max(0.0, work.not_before - st.now)
    return wait_at(st, work, position_of(st, work))


def wait_at(st: EngineState, work: Work, position: int) -> float:
    if position == 0:
        return 0.0
    lane = st.lanes[lane_of(work)]
    slots = max(1, lane.staffed) * DEFAULT_CAPACITY[work.channel]
    return position * handle_seconds(st, work.queue_id, work.channel) / slots


def handle_seconds(st: EngineState, queue_id: str, channel: Channel) -> float:
    return st.handle_ema.get((queue_id, channel), DEFAULT_HANDLE_SECONDS[channel])


def deadline(st: EngineState, queue: QueueSpec, channel: Channel, arrived: float, priority: int) -> float:
    boost = (queue.priority + priority) * st.policy.priority_weight_seconds
    return arrived + queue.threshold(channel) - boost


def placement(st: EngineState, work: Work, *, duplicate: bool = False) -> Placement:
    """Where the work stands: the reply to its submission or to a callback request."""
    queue = st.queues.get(work.queue_id)
    position = position_of(st, work)
    wait = wait_at(st, work, position) if work.state == "waiting" else estimated_wait(st, work)
    return Placement(
        interaction_id=work.interaction_id,
        state=work.state,
        position=position,
        estimated_wait=wait,
        callback_offered=bool(
            queue
            and queue.callback_offer_after_seconds > 0
            and work.channel is Channel.VOICE
            and work.state == "waiting"
            and wait > queue.callback_offer_after_seconds
        ),
        duplicate=duplicate,
    )


def lane_of(work: Work) -> Lane:
    if work.personal_agent:
        return ("@" + work.personal_agent, 0, int(work.channel))
    return (work.queue_id, work.level, int(work.channel))


def lane_state(st: EngineState, lane: Lane) -> LaneState:
    state = st.lanes.get(lane)
    if state is None:
        state = st.lanes[lane] = LaneState(lane)
    return state


def enqueue(st: EngineState, work: Work, out: Outcome, *, notify: bool = True) -> None:
    """Put waiting work in its lane; offer it at once if an agent is free."""
    work.state = "waiting"
    lane = lane_of(work)
    lane_state(st, lane).add((work.key, work.seq, work.interaction_id))
    if notify:
        queued_notice(st, work, out)
    agent = matching.pick_agent(st, lane, work)
    if agent is not None:
        offers.make_offer(st, work, agent, out)
        matching.index(st, agent)


def queued_notice(st: EngineState, work: Work, out: Outcome) -> None:
    position = position_of(st, work)
    out.notices.append(
        InteractionQueued(
            tenant_id=work.tenant_id,
            interaction_id=work.interaction_id,
            queue_id=work.queue_id,
            position=position,
            estimated_wait=wait_at(st, work, position),
        )
    )


def dequeue(st: EngineState, work: Work) -> None:
    if work.state == "waiting":
        st.lanes[lane_of(work)].remove((work.key, work.seq, work.interaction_id))


__all__ = [
    "deadline",
    "dequeue",
    "enqueue",
    "estimated_wait",
    "handle_seconds",
    "lane_of",
    "lane_state",
    "placement",
    "position_of",
    "queued_notice",
    "wait_at",
    "waiting_count",
]
