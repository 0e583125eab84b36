"""The state of one pool's engine, shared by the engine's parts (plain data, no decisions).

The parts (lanes, eligibility, matching, offers, ...) are modules of functions over one
:class:`EngineState`; :class:`~vaxel_routing.domain.engine.RoutingEngine` composes them. Slots
everywhere: a decision reads these attributes many times.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass, field

from sortedcontainers import SortedList

from vaxel_common.errors import NotFound
from vaxel_common.ids import deterministic_id
from vaxel_routing.domain.commands import Timer
from vaxel_routing.domain.model import (
    AgentProfile,
    Channel,
    HistoryEntry,
    Offer,
    Presence,
    QueueSpec,
    RoutingPolicy,
    Work,
)

Lane = tuple[str, int, int]  # (queue id, relax level, channel) or ("@" + agent id, 0, channel)
LaneItem = tuple[float, int, str]  # (deadline key, arrival sequence, interaction id)
AgentEntry = tuple[tuple[float, ...], int, int, str]  # (strategy key, sequence, agent version, agent id)

MAX_QUEUE_MOVES = 3
MAX_CUSTOMERS_REMEMBERED = 100_000
MAX_CLOSED_OFFERS = 100_000


stable_id = deterministic_id


@dataclass(slots=True)
class AgentState:
    profile: AgentProfile
    presence: Presence = Presence.OFFLINE
    reason: str = ""
    load: dict[Channel, int] = field(default_factory=dict)
    work: dict[str, None] = field(default_factory=dict)  # interaction ids, offered or held
    idle_since: float = 0.0
    version: int = 0
    lanes: list[Lane] = field(default_factory=list)
    lanes_by_channel: dict[Channel, list[LaneState]] = field(default_factory=dict)
    capacity: dict[Channel, int] = field(default_factory=dict)
    skill_score: dict[str, int] = field(default_factory=dict)

    @property
    def logged_in(self) -> bool:
        return self.presence is not Presence.OFFLINE

    def occupancy(self) -> float:
        capacity = self.capacity
        return sum(n / capacity[ch] for ch, n in self.load.items() if n)

    def channels_with_room(self) -> list[Channel]:
        """The channels one more piece of work fits on (none unless ready)."""
        if self.presence is not Presence.AVAILABLE:
            return []
        used = self.occupancy()
        capacity = self.capacity
        return [
            ch for ch in self.lanes_by_channel if capacity[ch] > 0 and used + 1 / capacity[ch] <= 1.0 + 1e-9
        ]

    def can_take(self, channel: Channel) -> bool:
        """Ready, and one more of ``channel`` fits: the shares of capacity in use add up to at most 1
        (one voice call fills an agent; two chats of three and one e-mail of five leave room)."""
        if self.presence is not Presence.AVAILABLE:
            return False
        cap = self.profile.capacity_of(channel)
        return cap > 0 and self.occupancy() + 1 / cap <= 1.0 + 1e-9

    def shown_presence(self) -> Presence:
        if self.presence is not Presence.AVAILABLE:
            return self.presence
        return Presence.BUSY if self.work else Presence.AVAILABLE


@dataclass(slots=True)
class LaneState:
    lane: Lane
    work: SortedList = field(default_factory=SortedList)  # LaneItem, most urgent first
    agents: list[AgentEntry] = field(default_factory=list)  # a heap of the free agents eligible
    staffed: int = 0
    head: LaneItem | None = None  # the most urgent waiting work, kept for quick looks

    def add(self, item: LaneItem) -> None:
        self.work.add(item)
        if self.head is None or item < self.head:
            self.head = item

    def remove(self, item: LaneItem) -> None:
        self.work.remove(item)
        if item == self.head:
            self.head = self.work[0] if self.work else None


@dataclass(slots=True)
class EngineState:
    """Everything one pool's engine knows. Not thread-safe: one writer."""

    pool: str
    policy: RoutingPolicy
    now: float = 0.0  # the decision time: the latest record time applied (never goes back)
    record_at: float = 0.0  # the time of the record being applied (when it was written)
    seq: int = 0
    queues: dict[str, QueueSpec] = field(default_factory=dict)
    tenant_queues: dict[str, dict[str, None]] = field(default_factory=dict)
    tenant_agents: dict[str, dict[str, None]] = field(default_factory=dict)
    agents: dict[str, AgentState] = field(default_factory=dict)
    work: dict[str, Work] = field(default_factory=dict)
    offers: dict[str, Offer] = field(default_factory=dict)
    lanes: dict[Lane, LaneState] = field(default_factory=dict)
    timers: dict[str, Timer] = field(default_factory=dict)
    # agent id -> its dropped desk's grace: (timer id, due time, grace seconds)
    desk_grace: dict[str, tuple[str, float, float]] = field(default_factory=dict)
    closed_offers: OrderedDict[str, tuple[str, str]] = field(
        default_factory=OrderedDict
    )  # offer -> (how it closed, agent)
    handle_ema: dict[tuple[str, Channel], float] = field(default_factory=dict)
    history: OrderedDict[tuple[str, str], deque[HistoryEntry]] = field(default_factory=OrderedDict)

    def agent(self, agent_id: str) -> AgentState:
        state = self.agents.get(agent_id)
        if state is None:
            raise NotFound(f"agent {agent_id!r} not found")
        return state


__all__ = [
    "MAX_CLOSED_OFFERS",
    "MAX_CUSTOMERS_REMEMBERED",
    "MAX_QUEUE_MOVES",
    "AgentEntry",
    "AgentState",
    "EngineState",
    "Lane",
    "LaneItem",
    "LaneState",
    "stable_id",
]
