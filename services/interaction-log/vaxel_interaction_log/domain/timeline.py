"""An interaction's current state, derived from its history (never from arrival order)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class StoredEvent:
    event_id: str
    event_type: str
    tenant_id: str
    interaction_id: str
    agent_id: str
    occurred_at: datetime
    queue_id: str
    channel: int


@dataclass(frozen=True, slots=True)
class InteractionRecord:
    interaction_id: str
    tenant_id: str
    queue_id: str
    channel: int
    created_at: datetime | None
    timeline: tuple[StoredEvent, ...]


def project(interaction_id: str, tenant_id: str, events: Iterable[StoredEvent]) -> InteractionRecord:
    """Order by event time (event id breaks ties) and fold: the same events give the same record."""
    ordered = tuple(sorted(events, key=lambda e: (e.occurred_at, e.event_id)))
    created = next((e for e in ordered if e.event_type == "interaction.created"), None)
    return InteractionRecord(
        interaction_id=interaction_id,
        tenant_id=tenant_id,
        queue_id=created.queue_id if created else "",
        channel=created.channel if created else 0,
        created_at=created.occurred_at if created else None,
        timeline=ordered,
    )
