"""Who handles each interaction, from routing's lifecycle events: which agent holds it, who held it,
whether it waits or has ended, and so who may post to or read its transcript.

Routing decides; this only follows its events (``vaxel.interactions.events.v1``, in order per
interaction). An agent may post to the customer while connected; notes too in wrap-up; an agent who
holds, held or is offered the interaction may read it. The customer may post until it ended.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from vaxel_common.errors import FailedPrecondition, NotFound, PermissionDenied
from vaxel_conversation.domain.model import AuthorKind

__all__ = ["Handling", "HandlingBook", "Stage"]


class Stage(Enum):
    WAITING = "waiting"
    OFFERED = "offered"
    CONNECTED = "connected"
    WRAP_UP = "wrap_up"
    DONE = "done"
    ABANDONED = "abandoned"
    DEFLECTED = "deflected"

    @property
    def ended(self) -> bool:
        return self in _ENDED


_ENDED = frozenset({Stage.WRAP_UP, Stage.DONE, Stage.ABANDONED, Stage.DEFLECTED})


@dataclass(slots=True)
class Handling:
    tenant_id: str
    queue_id: str = ""
    stage: Stage = Stage.WAITING
    holder: str = ""
    offered_to: str = ""
    held_by: set[str] = field(default_factory=set)


class HandlingBook:
    """The handling state of every interaction seen on routing's events."""

    def __init__(self) -> None:
        self._items: dict[str, Handling] = {}

    def __len__(self) -> int:
        return len(self._items)

    def get(self, interaction_id: str) -> Handling | None:
        return self._items.get(interaction_id)

    def apply(
        self,
        event_type: str,
        tenant_id: str,
        interaction_id: str,
        agent_id: str = "",
        queue_id: str = "",
    ) -> Handling | None:
        """Apply one lifecycle event; the handling when it changed (None: not an event that matters)."""
        item = self._items.get(interaction_id)
        if item is None:
            item = self._items[interaction_id] = Handling(tenant_id, queue_id)
        elif item.tenant_id != tenant_id:
            return None
        stage = _STAGES.get(event_type)
        if stage is None:
            return None
        if queue_id:
            item.queue_id = queue_id
        if stage is Stage.OFFERED:
            item.offered_to = agent_id
        elif stage is Stage.CONNECTED and agent_id:
            item.holder = agent_id
            item.offered_to = ""
            item.held_by.add(agent_id)
        elif stage is Stage.WAITING:
            item.offered_to = ""
            if event_type == "interaction.transferred":
                item.holder = ""
        item.stage = stage
        return item

    def check_customer_post(self, interaction_id: str) -> None:
        """FailedPrecondition once the interaction ended (unknown yet: routing's events may lag)."""
        item = self._items.get(interaction_id)
        if item is not None and item.stage.ended:
            raise FailedPrecondition(f"interaction_id: the chat has ended ({item.stage.value})")

    def check_agent_post(self, tenant_id: str, interaction_id: str, agent_id: str, kind: AuthorKind) -> None:
        """PermissionDenied unless ``agent_id`` holds the interaction; FailedPrecondition once it
        ended (a note may still be written in wrap-up)."""
        item = self._items.get(interaction_id)
        if item is None or item.tenant_id != tenant_id:
            raise NotFound(f"interaction_id: interaction {interaction_id!r} not found")
        if item.holder != agent_id:
            raise PermissionDenied(
                f"agent_id: agent {agent_id!r} does not hold interaction {interaction_id!r}"
            )
        open_stages = (
            (Stage.CONNECTED, Stage.WRAP_UP) if kind is AuthorKind.INTERNAL_NOTE else (Stage.CONNECTED,)
        )
        if item.stage not in open_stages:
            raise FailedPrecondition(f"interaction_id: the interaction is {item.stage.value}")

    def check_agent_read(self, tenant_id: str, interaction_id: str, agent_id: str) -> None:
        """PermissionDenied unless ``agent_id`` holds, held or is offered the interaction."""
        item = self._items.get(interaction_id)
        if item is None or item.tenant_id != tenant_id:
            raise NotFound(f"interaction_id: interaction {interaction_id!r} not found")
        if agent_id not in item.held_by and agent_id != item.offered_to:
            raise PermissionDenied(
                f"agent_id: agent {agent_id!r} does not hold interaction {interaction_id!r}"
            )


_STAGES: dict[str, Stage] = {
    "interaction.created": Stage.WAITING,
    "interaction.queued": Stage.WAITING,
    "interaction.offered": Stage.OFFERED,
    "offer.rejected": Stage.WAITING,
    "offer.timed_out": Stage.WAITING,
    "offer.accepted": Stage.CONNECTED,
    "interaction.connected": Stage.CONNECTED,
    "interaction.transferred": Stage.WAITING,
    "interaction.ended": Stage.WRAP_UP,
    "interaction.wrapped_up": Stage.DONE,
    "interaction.abandoned": Stage.ABANDONED,
    "deflected.by_faq": Stage.DEFLECTED,
}
