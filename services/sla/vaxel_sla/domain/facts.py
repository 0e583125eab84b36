"""What the SLA service learns from events, as plain values, and how one interaction's facts merge.

Every merge is commutative and idempotent (first answer wins by time, the latest survey answer by
time, transfers by event id), so an interaction's record is the same whatever order its events
arrive in and however often: the book never depends on arrival order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, auto

__all__ = ["AgentFact", "InteractionFact", "InteractionRecord", "Step", "WaitState"]

VOICE, CHAT, EMAIL, SOCIAL, CALLBACK, OUTBOUND = 1, 2, 3, 4, 5, 6
PRESENCE_OFFLINE, PRESENCE_AVAILABLE, PRESENCE_BUSY, PRESENCE_WRAP_UP = 1, 2, 3, 4
# Logged in and not away (break, not ready): agents who take the queue's work now or soon.
PRESENCES_SERVING = frozenset({PRESENCE_AVAILABLE, PRESENCE_BUSY, PRESENCE_WRAP_UP})


class Step(Enum):
    CREATED = auto()
    QUEUED = auto()
    CONNECTED = auto()
    ABANDONED = auto()
    ENDED = auto()
    WRAPPED_UP = auto()
    TRANSFERRED = auto()
    SURVEY_ANSWERED = auto()
    DEFLECTED = auto()


class WaitState(Enum):
    PENDING = auto()  # facts arrived before the created event: not counted yet
    WAITING = auto()
    ANSWERED = auto()
    ABANDONED = auto()
    CLOSED = auto()  # ended unanswered without abandoning (closed message, deflected): not offered


@dataclass(frozen=True, slots=True)
class InteractionFact:
    """One interaction event, reduced to what service levels need. ``at`` is UTC epoch seconds."""

    event_id: str
    tenant_id: str
    interaction_id: str
    step: Step
    at: float
    queue_id: str = ""
    channel: int = 0
    customer_ref: str = ""
    agent_id: str = ""
    seconds: float = 0.0  # abandoned: waited; queued: estimated wait
    score: int = 0


@dataclass(frozen=True, slots=True)
class AgentFact:
    """An agent's presence from ``at`` on (log-out is OFFLINE)."""

    event_id: str
    agent_id: str
    at: float
    presence: int
    site_id: str = ""


@dataclass(slots=True)
class InteractionRecord:
    tenant_id: str
    interaction_id: str
    queue_id: str = ""
    channel: int = 0
    customer_ref: str = ""
    created_at: float | None = None
    answered_at: float | None = None
    agent_id: str = ""
    abandoned_at: float | None = None
    abandon_waited: float | None = None
    ended_at: float | None = None
    wrapped_up_at: float | None = None
    deflected: bool = False
    queued: tuple[float, float] | None = None  # (at, estimated wait)
    survey: tuple[float, int] | None = None  # (at, score)
    transfers: set[str] = field(default_factory=set)

    def merge(self, fact: InteractionFact) -> None:  # noqa: PLR0912  (one branch per step)
        match fact.step:
            case Step.CREATED:
                self.queue_id, self.channel, self.customer_ref = (
                    fact.queue_id,
                    fact.channel,
                    fact.customer_ref,
                )
                self.created_at = fact.at
            case Step.QUEUED:
                if self.queued is None or (fact.at, fact.seconds) > self.queued:
                    self.queued = (fact.at, fact.seconds)
            case Step.CONNECTED:
                if self.answered_at is None or (fact.at, fact.agent_id) < (self.answered_at, self.agent_id):
                    self.answered_at, self.agent_id = fact.at, fact.agent_id
            case Step.ABANDONED:
                if self.abandoned_at is None or fact.at < self.abandoned_at:
                    self.abandoned_at, self.abandon_waited = fact.at, fact.seconds
                if not self.queue_id:
                    self.queue_id = fact.queue_id
            case Step.ENDED:
                if self.ended_at is None or fact.at < self.ended_at:
                    self.ended_at = fact.at
            case Step.WRAPPED_UP:
                if self.wrapped_up_at is None or fact.at > self.wrapped_up_at:
                    self.wrapped_up_at = fact.at
            case Step.TRANSFERRED:
                self.transfers.add(fact.event_id)
            case Step.SURVEY_ANSWERED:
                if self.survey is None or (fact.at, fact.score) > self.survey:
                    self.survey = (fact.at, fact.score)
            case Step.DEFLECTED:
                self.deflected = True

    @property
    def state(self) -> WaitState:
        if self.created_at is None:
            return WaitState.PENDING
        if self.answered_at is not None:
            return WaitState.ANSWERED
        if self.abandoned_at is not None:
            return WaitState.ABANDONED
        if self.deflected or self.ended_at is not None:
            return WaitState.CLOSED
        return WaitState.WAITING

    @property
    def handle_seconds(self) -> float | None:
        """Talk + hold + wrap-up: from answer to the end of wrap-up."""
        if self.answered_at is None or self.wrapped_up_at is None:
            return None
        return max(0.0, self.wrapped_up_at - self.answered_at)

    def handling_span(self, now: float) -> tuple[float, float] | None:
        """When the agent was busy with it (answer to wrap-up, or to now while still handled)."""
        if self.answered_at is None:
            return None
        end = self.wrapped_up_at if self.wrapped_up_at is not None else now
        return (self.answered_at, max(self.answered_at, end))
