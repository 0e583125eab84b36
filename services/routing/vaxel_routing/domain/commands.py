"""The engine's inputs and outputs.

Every input is a command read, in order, from the routing-inputs log of one pool; its
``at`` is when it happened (a timer's due time for timer commands). The engine turns each
into notices (the events it publishes, :mod:`vaxel_routing.domain.notices`), timers (commands to
feed back at a later time) and a reply (:mod:`vaxel_routing.domain.replies`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vaxel_routing.domain.model import AgentProfile, Channel, Presence, QueueSpec
from vaxel_routing.domain.notices import Notice
from vaxel_routing.domain.replies import Placement, Reply


@dataclass(frozen=True, slots=True)
class UpsertAgent:
    profile: AgentProfile


@dataclass(frozen=True, slots=True)
class Login:
    agent_id: str


@dataclass(frozen=True, slots=True)
class Logout:
    agent_id: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class SetPresence:
    agent_id: str
    presence: Presence
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Submit:
    """New work. ``queue`` is the queue's configuration as the front door saw it (newest version wins)."""

    interaction_id: str
    queue: QueueSpec
    channel: Channel
    language: str = ""
    customer_ref: str = ""
    priority: int = 0
    kind: str = "inbound"
    not_before: float = 0.0


@dataclass(frozen=True, slots=True)
class Abandon:
    """The customer left (hung up, closed the chat) before or while connected."""

    interaction_id: str
    tenant_id: str


@dataclass(frozen=True, slots=True)
class RequestCallback:
    """The customer takes the callback offer: leave the live queue, keep the place in line."""

    interaction_id: str
    tenant_id: str
    not_before: float = 0.0


@dataclass(frozen=True, slots=True)
class Accept:
    agent_id: str
    offer_id: str


@dataclass(frozen=True, slots=True)
class Reject:
    agent_id: str
    offer_id: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class End:
    """Handling is over (the call ended, the chat closed); the agent goes to wrap-up for it."""

    agent_id: str
    interaction_id: str
    reason: str = "completed"


@dataclass(frozen=True, slots=True)
class WrapUp:
    agent_id: str
    interaction_id: str
    disposition: str = ""
    tags: tuple[str, ...] = ()
    notes: str = ""
    follow_up_at: float = 0.0


@dataclass(frozen=True, slots=True)
class Transfer:
    """Hand connected work to another queue (``to_queue``) or to one agent (``to_agent_id``)."""

    agent_id: str
    interaction_id: str
    to_queue: QueueSpec | None = None
    to_agent_id: str = ""


@dataclass(frozen=True, slots=True)
class EraseCustomer:
    """Forget the customer: their history goes, and work still held keeps no reference to them.
    An empty ``customer_ref`` (the erasure record's key was destroyed already) changes nothing."""

    tenant_id: str
    customer_ref: str


@dataclass(frozen=True, slots=True)
class DeskDropped:
    """The agent's last desk stream ended without a sign-out: unless the desk logs in again within
    ``grace`` seconds, the agent stops being offered work (see ``agents.desk_grace_over``)."""

    agent_id: str
    grace: float


# Timer commands: produced by the engine's own timers, carrying their timer id.


@dataclass(frozen=True, slots=True)
class OfferExpired:
    timer_id: str
    offer_id: str


@dataclass(frozen=True, slots=True)
class Widen:
    timer_id: str
    interaction_id: str


@dataclass(frozen=True, slots=True)
class CallbackDue:
    timer_id: str
    interaction_id: str


@dataclass(frozen=True, slots=True)
class WrapUpExpired:
    timer_id: str
    interaction_id: str


@dataclass(frozen=True, slots=True)
class LastAgentWaitOver:
    timer_id: str
    interaction_id: str


@dataclass(frozen=True, slots=True)
class DeskGraceOver:
    timer_id: str
    agent_id: str


Command = (
    UpsertAgent
    | Login
    | Logout
    | SetPresence
    | Submit
    | Abandon
    | RequestCallback
    | Accept
    | Reject
    | End
    | WrapUp
    | Transfer
    | EraseCustomer
    | DeskDropped
    | OfferExpired
    | Widen
    | CallbackDue
    | WrapUpExpired
    | LastAgentWaitOver
    | DeskGraceOver
)
TimerCommand = OfferExpired | Widen | CallbackDue | WrapUpExpired | LastAgentWaitOver | DeskGraceOver


@dataclass(frozen=True, slots=True)
class Timer:
    due: float
    command: TimerCommand


@dataclass(slots=True)
class Outcome:
    """What applying one command gave: events to publish, timers to arm, the answer to its sender."""

    notices: list[Notice] = field(default_factory=list)
    timers: list[Timer] = field(default_factory=list)
    reply: Reply | None = None

    def placement(self) -> Placement:
        """The answer to a submission or a callback request (TypeError for any other command's)."""
        if not isinstance(self.reply, Placement):
            raise TypeError(f"no placement in this outcome ({type(self.reply).__name__})")
        return self.reply


__all__ = [
    "Abandon",
    "Accept",
    "CallbackDue",
    "Command",
    "DeskDropped",
    "DeskGraceOver",
    "End",
    "EraseCustomer",
    "LastAgentWaitOver",
    "Login",
    "Logout",
    "Notice",
    "OfferExpired",
    "Outcome",
    "Reject",
    "RequestCallback",
    "SetPresence",
    "Submit",
    "Timer",
    "TimerCommand",
    "Transfer",
    "UpsertAgent",
    "Widen",
    "WrapUp",
    "WrapUpExpired",
]
