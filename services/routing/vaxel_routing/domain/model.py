"""What routing knows about queues, agents and work: plain values, no I/O.

Times are seconds since the epoch (UTC) as floats, taken from the inputs, never from a
clock: the engine decides the same way on every replay.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum


class Channel(IntEnum):
    """Same numbers as ``vaxel.types.v1.Channel``."""

    VOICE = 1
    CHAT = 2
    EMAIL = 3
    SOCIAL = 4
    CALLBACK = 5
    OUTBOUND = 6


class Presence(IntEnum):
    """Same numbers as ``vaxel.types.v1.Presence``; BUSY and WRAP_UP are derived from the agent's work."""

    OFFLINE = 1
    AVAILABLE = 2
    BUSY = 3
    WRAP_UP = 4
    BREAK = 5
    NOT_READY = 6


class Strategy(IntEnum):
    """How the engine picks among eligible, free agents."""

    LONGEST_IDLE = 1
    MOST_SKILLED = 2
    LEAST_OCCUPIED = 3


DEFAULT_CAPACITY: dict[Channel, int] = {
    Channel.VOICE: 1,
    Channel.CALLBACK: 1,
    Channel.OUTBOUND: 1,
    Channel.CHAT: 3,
    Channel.EMAIL: 5,
    Channel.SOCIAL: 5,
}

# Default service-level threshold (seconds) by channel when the queue names none.
DEFAULT_THRESHOLD: dict[Channel, float] = {
    Channel.VOICE: 20.0,
    Channel.CALLBACK: 3600.0,
    Channel.OUTBOUND: 3600.0,
    Channel.CHAT: 60.0,
    Channel.EMAIL: 86_400.0,
    Channel.SOCIAL: 3600.0,
}

# Default handle time (seconds) per channel until the queue has its own history.
DEFAULT_HANDLE_SECONDS: dict[Channel, float] = {
    Channel.VOICE: 240.0,
    Channel.CALLBACK: 240.0,
    Channel.OUTBOUND: 240.0,
    Channel.CHAT: 420.0,
    Channel.EMAIL: 600.0,
    Channel.SOCIAL: 300.0,
}


@dataclass(frozen=True, slots=True)
class SkillRequirement:
    skill_id: str
    min_proficiency: int


@dataclass(frozen=True, slots=True)
class OverflowStep:
    """After ``after_seconds`` of waiting: lower every minimum proficiency by ``relax_by``,
    or move to ``to_queue_id`` (keeping the place the interaction earned)."""

    after_seconds: float
    relax_by: int = 0
    to_queue_id: str = ""


@dataclass(frozen=True, slots=True)
class QueueSpec:
    """The part of a queue's configuration the engine decides with (from the tenant replica)."""

    queue_id: str
    tenant_id: str
    language: str
    channels: tuple[Channel, ...] = ()
    priority: int = 0
    required_skills: tuple[SkillRequirement, ...] = ()
    thresholds: tuple[tuple[Channel, float], ...] = ()
    overflow: tuple[OverflowStep, ...] = ()
    callback_offer_after_seconds: float = 0.0
    version: int = 0

    def threshold(self, channel: Channel) -> float:
        for ch, seconds in self.thresholds:
            if ch == channel:
                return seconds
        return DEFAULT_THRESHOLD[channel]

    def relaxations(self) -> int:
        return sum(1 for step in self.overflow if step.relax_by and not step.to_queue_id)

    def minimums(self, level: int) -> tuple[tuple[str, int], ...]:
        """Skill minimums after ``level`` relaxing steps (never below 1: the skill stays required)."""
        steps = [s for s in self.overflow if s.relax_by and not s.to_queue_id][:level]
        relax = sum(s.relax_by for s in steps)
        return tuple((r.skill_id, max(1, r.min_proficiency - relax)) for r in self.required_skills)


@dataclass(frozen=True, slots=True)
class AgentProfile:
    """An agent as provider ops set them up."""

    agent_id: str
    pool: str = "default"
    site_id: str = ""
    time_zone: str = "UTC"
    languages: tuple[str, ...] = ()
    skills: tuple[tuple[str, int], ...] = ()
    tenants: tuple[str, ...] = ()
    capacity: tuple[tuple[Channel, int], ...] = ()
    wrap_up_seconds: float = 60.0
    version: int = 0

    def capacity_of(self, channel: Channel) -> int:
        for ch, n in self.capacity:
            if ch == channel:
                return n
        return DEFAULT_CAPACITY[channel]

    def proficiency(self, skill_id: str) -> int:
        for sid, level in self.skills:
            if sid == skill_id:
                return level
        return 0

    def serves_language(self, language: str) -> bool:
        """An agent for ``sv`` serves ``sv-SE``; ``sv-SE`` serves ``sv-SE`` and ``sv``."""
        base = language.split("-", maxsplit=1)[0].lower()
        for own in self.languages:
            if own.lower() == language.lower() or own.split("-")[0].lower() == base:
                return True
        return False


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One earlier interaction of a customer with a tenant, carried with offers."""

    interaction_id: str
    queue_id: str
    channel: Channel
    agent_id: str
    disposition: str
    ended_at: float


@dataclass(frozen=True, slots=True)
class RoutingPolicy:
    """Pool-wide settings (per deployment)."""

    strategy: Strategy = Strategy.LONGEST_IDLE
    offer_timeout_seconds: float = 15.0
    not_ready_after_missed_offer: bool = True
    priority_weight_seconds: float = 10.0
    last_agent_wait_seconds: float = 0.0
    history_per_customer: int = 5


@dataclass(slots=True)
class Offer:
    offer_id: str
    interaction_id: str
    agent_id: str
    attempt: int
    expires_at: float


@dataclass(slots=True)
class Work:
    """One interaction inside the engine."""

    interaction_id: str
    tenant_id: str
    queue_id: str
    channel: Channel
    customer_ref: str
    arrived_at: float
    key: float
    seq: int
    state: str = "waiting"  # waiting, scheduled, offered, connected, wrap_up, done
    level: int = 0
    personal_agent: str = ""
    attempts: int = 0
    offer: Offer | None = None
    agent_id: str = ""
    excluded: dict[str, None] = field(default_factory=dict)
    connected_at: float = 0.0
    ended_at: float = 0.0
    not_before: float = 0.0
    kind: str = "inbound"  # inbound, callback, voicemail, follow_up
    priority: int = 0
    steps_done: int = 0
    moves: int = 0
    queued_at: float = (
        0.0  # when it joined its queue (arrival, or a transfer into it): overflow counts from here
    )
