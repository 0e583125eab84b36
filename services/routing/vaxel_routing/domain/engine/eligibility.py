"""Eligibility: which lanes an agent may take work from, and which queues routing knows.

An agent serves a queue's lane at a relax level when certified for the queue's tenant, speaking
its language, and at the level's minimum proficiency in every required skill. Routing indexes
agents by these rules (:func:`eligible_lanes`); a transfer to one agent asks the same rules why not
(:func:`ineligibility`).
"""

from __future__ import annotations

from vaxel_common.errors import InvalidArgument, NotFound
from vaxel_routing.domain.engine import lanes, matching
from vaxel_routing.domain.engine._state import AgentState, EngineState, Lane, LaneState
from vaxel_routing.domain.errors import Ineligibility
from vaxel_routing.domain.model import AgentProfile, Channel, QueueSpec, Work


def compute_lanes(st: EngineState, agent: AgentState) -> None:
    served: list[Lane] = [("@" + agent.profile.agent_id, 0, int(ch)) for ch in Channel]
    agent.skill_score = {}
    for tenant in agent.profile.tenants:
        for queue_id in st.tenant_queues.get(tenant, {}):
            queue = st.queues[queue_id]
            served += eligible_lanes(st, agent, queue)
    agent.lanes = served
    by_channel: dict[Channel, list[LaneState]] = {}
    for lane in served:
        by_channel.setdefault(Channel(lane[2]), []).append(lanes.lane_state(st, lane))
    agent.lanes_by_channel = by_channel
    agent.capacity = {ch: agent.profile.capacity_of(ch) for ch in Channel}


def eligible_lanes(st: EngineState, agent: AgentState, queue: QueueSpec) -> list[Lane]:
    profile = agent.profile
    if _barrier(profile, queue) is not None:
        return []
    channels = [*dict.fromkeys([*queue.channels, Channel.CALLBACK])]
    served: list[Lane] = []
    for level in range(queue.relaxations() + 1):
        if _skilled(profile, queue, level):
            served += [(queue.queue_id, level, int(ch)) for ch in channels]
    if served:
        agent.skill_score[queue.queue_id] = sum(
            profile.proficiency(r.skill_id) for r in queue.required_skills
        )
    return served


def ineligibility(st: EngineState, agent: AgentState, work: Work) -> Ineligibility | None:
    """Why the agent may not take ``work`` where it stands (its queue, relax level and channel), or
    None when routing itself could offer it to them: the rules of :func:`eligible_lanes`."""
    profile = agent.profile
    queue = st.queues[work.queue_id]
    barrier = _barrier(profile, queue)
    if barrier is not None:
        return barrier
    if agent.capacity.get(work.channel, 0) <= 0:
        return Ineligibility.CHANNEL
    if not _skilled(profile, queue, work.level):
        return Ineligibility.SKILLS
    return None


def _barrier(profile: AgentProfile, queue: QueueSpec) -> Ineligibility | None:
    """What keeps the agent out of every lane of the queue: its tenant or its language."""
    if queue.tenant_id not in profile.tenants:
        return Ineligibility.TENANT
    if not profile.serves_language(queue.language):
        return Ineligibility.LANGUAGE
    return None


def _skilled(profile: AgentProfile, queue: QueueSpec, level: int) -> bool:
    return all(profile.proficiency(skill) >= minimum for skill, minimum in queue.minimums(level))


def join_lanes(st: EngineState, agent: AgentState) -> None:
    if agent.logged_in:
        for lane in agent.lanes:
            lanes.lane_state(st, lane).staffed += 1


def leave_lanes(st: EngineState, agent: AgentState) -> None:
    if agent.logged_in:
        for lane in agent.lanes:
            lanes.lane_state(st, lane).staffed -= 1


def define_queue(st: EngineState, spec: QueueSpec) -> QueueSpec:
    """Keep the newest configuration of a queue; a change re-indexes the agents of its tenant."""
    if not spec.queue_id or not spec.tenant_id:
        raise InvalidArgument("queue_id", "required")
    held = st.queues.get(spec.queue_id)
    if held is not None and held.version >= spec.version:
        return held
    if held is not None and held.tenant_id != spec.tenant_id:
        raise NotFound(f"queue {spec.queue_id!r} not found")
    st.queues[spec.queue_id] = spec
    st.tenant_queues.setdefault(spec.tenant_id, {})[spec.queue_id] = None
    for agent_id in st.tenant_agents.get(spec.tenant_id, {}):
        agent = st.agents[agent_id]
        leave_lanes(st, agent)
        compute_lanes(st, agent)
        join_lanes(st, agent)
        agent.version += 1
        matching.index(st, agent)  # re-index only; matching happens as work arrives
    return spec


def last_agent_for(st: EngineState, work: Work) -> str:
    if st.policy.last_agent_wait_seconds <= 0 or not work.customer_ref:
        return ""
    history = st.history.get((work.tenant_id, work.customer_ref))
    if not history:
        return ""
    agent = st.agents.get(history[-1].agent_id)
    if agent is None or not agent.logged_in:
        return ""
    if (work.queue_id, 0, int(work.channel)) not in agent.lanes:
        return ""
    return agent.profile.agent_id


__all__ = [
    "compute_lanes",
    "define_queue",
    "eligible_lanes",
    "ineligibility",
    "join_lanes",
    "last_agent_for",
    "leave_lanes",
]
