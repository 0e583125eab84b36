"""An interaction's record, derived from its event history (never from arrival order).

The adapters turn each stored event into a :class:`LoggedEvent` (plain values, no protobuf);
:func:`project` folds an interaction's events into an :class:`InteractionRecord`. The fold
first drops duplicate event ids and orders by (occurred_at, event_id), so any arrival order
of the same set of events, with any number of redeliveries, gives the same record.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

__all__ = ["InteractionRecord", "LoggedEvent", "Outcome", "project"]


class Outcome(Enum):
    """How the interaction ended (or that it has not yet)."""

    WAITING = "waiting"
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    DEFLECTED = "deflected"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """One interaction event, as much of it as the log needs. Unused fields stay empty."""

    event_id: str
    event_type: str
    tenant_id: str
    interaction_id: str
    occurred_at: datetime
    agent_id: str = ""
    queue_id: str = ""
    channel: int = 0
    customer_ref: str = ""
    language: str = ""
    subject: str = ""
    reason: str = ""
    disposition: str = ""
    tags: tuple[str, ...] = ()
    notes: str = ""
    survey_score: int = 0
    survey_comment: str = ""


@dataclass(frozen=True, slots=True)
class InteractionRecord:
    interaction_id: str
    tenant_id: str
    queue_id: str = ""
    channel: int = 0
    customer_ref: str = ""
    language: str = ""
    subject: str = ""
    created_at: datetime | None = None
    queued_at: datetime | None = None
    offered_at: datetime | None = None
    connected_at: datetime | None = None
    ended_at: datetime | None = None
    abandoned_at: datetime | None = None
    wrapped_up_at: datetime | None = None
    agent_id: str = ""
    outcome: Outcome = Outcome.WAITING
    waiting_seconds: float | None = None
    talk_seconds: float | None = None
    handle_seconds: float | None = None
    disposition: str = ""
    tags: tuple[str, ...] = ()
    notes: str = ""
    survey_score: int = 0
    survey_comment: str = ""
    timeline: tuple[LoggedEvent, ...] = field(default=())

    @property
    def started_at(self) -> datetime | None:
        """When the interaction began: its created event, else its first known event."""
        if self.created_at is not None:
            return self.created_at
        return self.timeline[0].occurred_at if self.timeline else None


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def project(interaction_id: str, tenant_id: str, events: Iterable[LoggedEvent]) -> InteractionRecord:
    """Fold the interaction's events (any order, duplicates allowed) into its record."""
    unique = {
        e.event_id: e for e in events if e.tenant_id == tenant_id and e.interaction_id == interaction_id
    }
    ordered = tuple(sorted(unique.values(), key=lambda e: (e.occurred_at, e.event_id)))
    first: dict[str, LoggedEvent] = {}
    last: dict[str, LoggedEvent] = {}
    queue_id = ""
    agent_id = ""
    for event in ordered:
        first.setdefault(event.event_type, event)
        last[event.event_type] = event
        if event.queue_id:
            queue_id = event.queue_id  # created, queued, abandoned, transferred: the latest queue
        if event.event_type in ("interaction.offered", "interaction.connected") and event.agent_id:
            agent_id = event.agent_id
    connected_events = [e for e in ordered if e.event_type == "interaction.connected"]
    if connected_events:  # the agent who handled it: the last connection's, not a later offer's
        agent_id = connected_events[-1].agent_id or agent_id

    def at(kind: str, *, latest: bool = False) -> datetime | None:
        chosen = (last if latest else first).get(kind)
        return chosen.occurred_at if chosen else None

    created = first.get("interaction.created")
    wrapped = last.get("interaction.wrapped_up")
    survey = last.get("survey.answered")
    ended = first.get("interaction.ended")
    connected_at = at("interaction.connected")
    abandoned_at = at("interaction.abandoned")
    created_at = at("interaction.created")
    queued_at = at("interaction.queued")
    ended_at = at("interaction.ended", latest=True)
    wrapped_at = at("interaction.wrapped_up", latest=True)

    if connected_at is not None:
        outcome = Outcome.ANSWERED
    elif abandoned_at is not None:
        outcome = Outcome.ABANDONED
    elif "deflected.by_faq" in first:
        outcome = Outcome.DEFLECTED
    elif ended is not None:
        outcome = Outcome.CLOSED
    else:
        outcome = Outcome.WAITING

    wait_from = queued_at or created_at
    talk = _seconds(connected_at, ended_at)
    return InteractionRecord(
        interaction_id=interaction_id,
        tenant_id=tenant_id,
        queue_id=queue_id,
        channel=created.channel if created else 0,
        customer_ref=created.customer_ref if created else "",
        language=created.language if created else "",
        subject=created.subject if created else "",
        created_at=created_at,
        queued_at=queued_at,
        offered_at=at("interaction.offered"),
        connected_at=connected_at,
        ended_at=ended_at,
        abandoned_at=abandoned_at,
        wrapped_up_at=wrapped_at,
        agent_id=agent_id,
        outcome=outcome,
        waiting_seconds=_seconds(wait_from, connected_at or abandoned_at),
        talk_seconds=talk,
        handle_seconds=_seconds(connected_at, wrapped_at) if wrapped_at and connected_at else talk,
        disposition=wrapped.disposition if wrapped else "",
        tags=tuple(sorted(set(wrapped.tags))) if wrapped else (),
        notes=wrapped.notes if wrapped else "",
        survey_score=survey.survey_score if survey else 0,
        survey_comment=survey.survey_comment if survey else "",
        timeline=ordered,
    )
