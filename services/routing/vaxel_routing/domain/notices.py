"""What the engine tells the world: one frozen dataclass per event it publishes.

Every notice carries the envelope's tenant, interaction and agent; ``kind`` is the name of
its payload field in ``vaxel.events.v1.Event`` (``interaction_offered`` -> the
``interaction.offered`` event). The adapters turn them into events and desk messages
(:mod:`vaxel_routing.adapters.converters`); times are epoch seconds (UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from vaxel_routing.domain.model import Channel, Presence


@dataclass(frozen=True, slots=True, kw_only=True)
class Notice:
    """Something that happened; the base of every notice."""

    kind: ClassVar[str] = ""
    tenant_id: str  # "" for agent notices: published under the provider tenant
    interaction_id: str = ""
    agent_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class InteractionCreated(Notice):
    kind: ClassVar[str] = "interaction_created"
    queue_id: str
    channel: Channel
    language: str
    customer_ref: str
    priority: int
    work_kind: str  # inbound, callback, voicemail, follow_up, ...


@dataclass(frozen=True, slots=True, kw_only=True)
class InteractionQueued(Notice):
    kind: ClassVar[str] = "interaction_queued"
    queue_id: str
    position: int
    estimated_wait: float  # seconds


@dataclass(frozen=True, slots=True, kw_only=True)
class InteractionOffered(Notice):
    kind: ClassVar[str] = "interaction_offered"
    offer_id: str
    expires_at: float
    attempt: int


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferAccepted(Notice):
    kind: ClassVar[str] = "offer_accepted"
    offer_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferRejected(Notice):
    kind: ClassVar[str] = "offer_rejected"
    offer_id: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OfferTimedOut(Notice):
    kind: ClassVar[str] = "offer_timed_out"
    offer_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class InteractionConnected(Notice):
    kind: ClassVar[str] = "interaction_connected"
    offer_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class InteractionTransferred(Notice):
    kind: ClassVar[str] = "interaction_transferred"
    to_queue_id: str = ""
    to_agent_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class InteractionAbandoned(Notice):
    kind: ClassVar[str] = "interaction_abandoned"
    queue_id: str
    waited: float  # seconds


@dataclass(frozen=True, slots=True, kw_only=True)
class InteractionEnded(Notice):
    kind: ClassVar[str] = "interaction_ended"
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class InteractionWrappedUp(Notice):
    kind: ClassVar[str] = "interaction_wrapped_up"
    disposition: str
    tags: tuple[str, ...]
    notes: str
    follow_up_callback_at: float  # 0.0: none


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackRequested(Notice):
    kind: ClassVar[str] = "callback_requested"
    queue_id: str
    not_before: float  # 0.0: as soon as possible


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackScheduled(Notice):
    kind: ClassVar[str] = "callback_scheduled"
    scheduled_for: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CallbackDialled(Notice):
    """The callback's agent dials the customer (the agent is the envelope's)."""

    kind: ClassVar[str] = "callback_dialled"


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentLoggedIn(Notice):
    kind: ClassVar[str] = "agent_logged_in"
    site_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentLoggedOut(Notice):
    kind: ClassVar[str] = "agent_logged_out"
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentPresenceChanged(Notice):
    kind: ClassVar[str] = "agent_presence_changed"
    presence: Presence  # as shown: BUSY when ready and holding work
    reason: str


__all__ = [
    "AgentLoggedIn",
    "AgentLoggedOut",
    "AgentPresenceChanged",
    "CallbackDialled",
    "CallbackRequested",
    "CallbackScheduled",
    "InteractionAbandoned",
    "InteractionConnected",
    "InteractionCreated",
    "InteractionEnded",
    "InteractionOffered",
    "InteractionQueued",
    "InteractionTransferred",
    "InteractionWrappedUp",
    "Notice",
    "OfferAccepted",
    "OfferRejected",
    "OfferTimedOut",
]
