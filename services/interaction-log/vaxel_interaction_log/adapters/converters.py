"""Protobuf <-> domain: events into :class:`LoggedEvent`, records into ``Interaction`` messages."""

from __future__ import annotations

from datetime import datetime

from google.protobuf.timestamp_pb2 import Timestamp

from vaxel.events.v1 import events_pb2
from vaxel.interactions.v1 import interactions_pb2
from vaxel_common.errors import InvalidArgument
from vaxel_interaction_log.domain import InteractionRecord, LoggedEvent, Outcome
from vaxel_interaction_log.domain.search import Filter, channel_filter, from_micros, text_filter

__all__ = ["filter_from_pb", "logged_event", "outcome_from_pb", "record_to_pb", "scrub"]

_OUTCOME_TO_PB = {
    Outcome.WAITING: interactions_pb2.OUTCOME_WAITING,
    Outcome.ANSWERED: interactions_pb2.OUTCOME_ANSWERED,
    Outcome.ABANDONED: interactions_pb2.OUTCOME_ABANDONED,
    Outcome.DEFLECTED: interactions_pb2.OUTCOME_DEFLECTED,
    Outcome.CLOSED: interactions_pb2.OUTCOME_CLOSED,
}
_OUTCOME_FROM_PB = {v: k for k, v in _OUTCOME_TO_PB.items()}


def logged_event(event: events_pb2.Event) -> LoggedEvent:
    """The parts of an interaction event the log keeps in its records."""
    fields: dict[str, object] = {}
    match event.WhichOneof("payload"):
        case "interaction_created":
            c = event.interaction_created
            fields = {
                "queue_id": c.queue_id,
                "channel": int(c.channel),
                "customer_ref": c.customer_ref,
                "language": c.language,
                "subject": c.subject,
            }
        case "interaction_queued":
            fields = {"queue_id": event.interaction_queued.queue_id}
        case "interaction_abandoned":
            fields = {"queue_id": event.interaction_abandoned.queue_id}
        case "interaction_transferred":
            fields = {"queue_id": event.interaction_transferred.to_queue_id}
        case "interaction_ended":
            fields = {"reason": event.interaction_ended.reason}
        case "interaction_wrapped_up":
            w = event.interaction_wrapped_up
            fields = {"disposition": w.disposition, "tags": tuple(w.tags), "notes": w.notes}
        case "survey_answered":
            fields = {
                "survey_score": int(event.survey_answered.score),
                "survey_comment": event.survey_answered.comment,
            }
        case "callback_dialled":
            fields = {"agent_id": event.callback_dialled.agent_id}
        case _:
            pass
    fields.setdefault("agent_id", event.agent_id)
    return LoggedEvent(
        event_id=event.event_id,
        event_type=event.event_type,
        tenant_id=event.tenant_id,
        interaction_id=event.interaction_id,
        occurred_at=from_micros(event.occurred_at.seconds * 1_000_000 + event.occurred_at.nanos // 1000),
        **fields,  # type: ignore[arg-type]
    )


def scrub(event: events_pb2.Event) -> events_pb2.Event:
    """A copy of ``event`` without personal data (customer reference, contact, subject, free text)."""
    clean = events_pb2.Event()
    clean.CopyFrom(event)
    match clean.WhichOneof("payload"):
        case "interaction_created":
            created = clean.interaction_created
            created.customer_ref = ""
            created.subject = ""
            created.ClearField("contact")
        case "interaction_wrapped_up":
            clean.interaction_wrapped_up.notes = ""
        case "survey_answered":
            clean.survey_answered.comment = ""
        case "callback_requested":
            clean.callback_requested.phone_number = ""
        case _:
            pass
    return clean


def _ts(when: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(when)
    return stamp


def record_to_pb(record: InteractionRecord, *, timeline: bool = True) -> interactions_pb2.Interaction:
    message = interactions_pb2.Interaction(
        interaction_id=record.interaction_id,
        tenant_id=record.tenant_id,
        queue_id=record.queue_id,
        channel=record.channel,  # type: ignore[arg-type]  # enum values are ints on the wire
        customer_ref=record.customer_ref,
        language=record.language,
        subject=record.subject,
        agent_id=record.agent_id,
        outcome=_OUTCOME_TO_PB[record.outcome],
        waiting_seconds=record.waiting_seconds or 0.0,
        talk_seconds=record.talk_seconds or 0.0,
        handle_seconds=record.handle_seconds or 0.0,
        disposition=record.disposition,
        tags=list(record.tags),
        notes=record.notes,
        survey_score=record.survey_score,
        survey_comment=record.survey_comment,
    )
    for name in (
        "created_at",
        "queued_at",
        "offered_at",
        "connected_at",
        "ended_at",
        "abandoned_at",
        "wrapped_up_at",
    ):
        when: datetime | None = getattr(record, name)
        if when is not None:
            getattr(message, name).CopyFrom(_ts(when))
    if timeline:
        for event in record.timeline:
            message.timeline.append(
                interactions_pb2.TimelineEntry(
                    event_id=event.event_id,
                    event_type=event.event_type,
                    occurred_at=_ts(event.occurred_at),
                    agent_id=event.agent_id,
                )
            )
    return message


def outcome_from_pb(value: int, field: str) -> Outcome | None:
    if value == interactions_pb2.OUTCOME_UNSPECIFIED:
        return None
    if value not in _OUTCOME_FROM_PB:
        raise InvalidArgument(field, "not a known outcome")
    return _OUTCOME_FROM_PB[value]  # type: ignore[index]


def filter_from_pb(message: interactions_pb2.InteractionFilter, prefix: str = "filter.") -> Filter:
    return Filter(
        queue_id=text_filter(f"{prefix}queue_id", message.queue_id),
        channel=channel_filter(f"{prefix}channel", int(message.channel)),
        outcome=outcome_from_pb(int(message.outcome), f"{prefix}outcome"),
        agent_id=text_filter(f"{prefix}agent_id", message.agent_id),
        tag=text_filter(f"{prefix}tag", message.tag),
        disposition=text_filter(f"{prefix}disposition", message.disposition),
        customer_ref=text_filter(f"{prefix}customer_ref", message.customer_ref),
    )
