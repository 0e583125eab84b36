"""Matching free agents and waiting work.

Each lane keeps a heap of the free agents eligible for it, ordered by the pool's strategy
(longest idle, most skilled, least occupied); entries go stale when the agent's version moves
on and are dropped lazily. New work looks at one lane's heap; an agent freeing up looks at the
heads of its own lanes. Neither grows with the number of agents or of waiting interactions.
"""

from __future__ import annotations

import heapq

from vaxel_routing.domain.commands import Outcome
from vaxel_routing.domain.engine import offers
from vaxel_routing.domain.engine._state import AgentEntry, AgentState, EngineState, Lane, LaneItem, LaneState
from vaxel_routing.domain.model import Channel, Presence, Strategy, Work


def changed(st: EngineState, agent: AgentState, out: Outcome) -> None:
    """The agent's state changed: give it work if it has room, then index it where it has room left.

    Matching first means an agent who takes work at once leaves no heap entries behind."""
    agent.version += 1
    if agent.presence is Presence.AVAILABLE:
        match_agent(st, agent, out)
    index(st, agent)


def agent_key(st: EngineState, agent: AgentState, lane: Lane) -> tuple[float, ...]:
    match st.policy.strategy:
        case Strategy.MOST_SKILLED:
            return (-float(agent.skill_score.get(lane[0], 0)), agent.idle_since)
        case Strategy.LEAST_OCCUPIED:
            return (agent.occupancy(), agent.idle_since)
        case _:
            return (agent.idle_since,)


def compact(st: EngineState, lane: LaneState) -> None:
    lane.agents = [e for e in lane.agents if valid_entry(st, e)]
    heapq.heapify(lane.agents)


def valid_entry(st: EngineState, entry: AgentEntry) -> bool:
    agent = st.agents.get(entry[3])
    return agent is not None and agent.version == entry[2]


def pick_agent(st: EngineState, lane: Lane, work: Work) -> AgentState | None:
    state = st.lanes.get(lane)
    if state is None:
        return None
    heap = state.agents
    skipped: list[AgentEntry] = []
    found: AgentState | None = None
    channel = Channel(lane[2])
    while heap:
        entry = heap[0]
        agent = st.agents.get(entry[3])
        if agent is None or agent.version != entry[2] or not agent.can_take(channel):
            heapq.heappop(heap)
            continue
        if entry[3] in work.excluded:
            skipped.append(heapq.heappop(heap))
            continue
        found = agent
        break
    for entry in skipped:
        heapq.heappush(heap, entry)
    return found


def match_agent(st: EngineState, agent: AgentState, out: Outcome) -> None:
    """Give a free agent the most urgent work it may take, as long as it has room."""
    agent_id = agent.profile.agent_id
    while True:
        best: LaneItem | None = None
        for channel in agent.channels_with_room():
            for state in agent.lanes_by_channel[channel]:
                head = state.head
                if head is None:
                    continue
                if best is not None and head >= best:
                    continue
                if agent_id not in st.work[head[2]].excluded:
                    best = head
                    continue
                for item in state.work:  # rare: the agent turned the head down before
                    if best is not None and item >= best:
                        break
                    if agent_id not in st.work[item[2]].excluded:
                        best = item
                        break
        if best is None:
            return
        offers.make_offer(st, st.work[best[2]], agent, out)


def index(st: EngineState, agent: AgentState) -> None:
    """Heap entries for the agent's current state in every lane it has room in."""
    shared = st.policy.strategy is Strategy.LONGEST_IDLE
    key = (agent.idle_since,)
    agent_id = agent.profile.agent_id
    for channel in agent.channels_with_room():
        for state in agent.lanes_by_channel[channel]:
            st.seq += 1
            entry = (key if shared else agent_key(st, agent, state.lane), st.seq, agent.version, agent_id)
            heapq.heappush(state.agents, entry)
            if len(state.agents) > 4 * state.staffed + 64:
                compact(st, state)


__all__ = ["agent_key", "changed", "compact", "index", "match_agent", "pick_agent", "valid_entry"]
