"""Building, naming and (de)serialising the ``vaxel.events.v1.Event`` envelope.

Event types are the payload's ``oneof`` field name with the first underscore turned
into a dot and the rest kept, e.g. ``interaction_created`` -> ``interaction.created``;
:data:`EVENT_TYPES` lists them all, derived from the contract so it cannot drift.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from google.protobuf.message import DecodeError as ProtobufDecodeError
from google.protobuf.message import Message

from vaxel.events.v1 import events_pb2
from vaxel_common.errors import DecodeError
from vaxel_common.ids import PROVIDER_TENANT_ID, deterministic_id

__all__ = [
    "EVENT_TYPES",
    "PROVIDER_TENANT_ID",
    "SCHEMA_VERSION",
    "Event",
    "decode_event",
    "deterministic_id",
    "encode_event",
    "event_type_of",
    "event_type_of_field",
    "new_event",
    "payload_of",
]

Event = events_pb2.Event
SCHEMA_VERSION = 1

_PAYLOAD_FIELDS = [f.name for f in events_pb2.Event.DESCRIPTOR.oneofs_by_name["payload"].fields]


def event_type_of_field(field: str) -> str:
    """``interaction_created`` -> ``interaction.created``; ``offer_timed_out`` -> ``offer.timed_out``."""
    head, _, tail = field.partition("_")
    return f"{head}.{tail}"


EVENT_TYPES: dict[str, str] = {event_type_of_field(f): f for f in _PAYLOAD_FIELDS}
_FIELD_BY_MESSAGE: dict[str, str] = {
    events_pb2.Event.DESCRIPTOR.fields_by_name[f].message_type.full_name: f  # type: ignore[union-attr]
    for f in _PAYLOAD_FIELDS
}


def event_type_of(payload: Message) -> str:
    """The event type of an envelope carrying ``payload``; TypeError for a message that is no payload."""
    field = _FIELD_BY_MESSAGE.get(payload.DESCRIPTOR.full_name)
    if field is None:
        raise TypeError(f"{payload.DESCRIPTOR.full_name} is not an event payload")
    return event_type_of_field(field)


def new_event(
    payload: Message,
    *,
    tenant_id: str,
    producer: str,
    interaction_id: str = "",
    agent_id: str = "",
    correlation_id: str = "",
    event_id: str | None = None,
    occurred_at: datetime | None = None,
) -> events_pb2.Event:
    """Wrap ``payload`` in an envelope. ``occurred_at`` must be timezone-aware; it is stored as UTC."""
    event_type = event_type_of(payload)
    field = EVENT_TYPES[event_type]
    when = occurred_at or datetime.now(UTC)
    if when.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    event = events_pb2.Event(
        event_id=event_id or str(uuid.uuid4()),
        event_type=event_type,
        tenant_id=tenant_id,
        producer=producer,
        schema_version=SCHEMA_VERSION,
        interaction_id=interaction_id,
        agent_id=agent_id,
        correlation_id=correlation_id,
    )
    event.occurred_at.FromDatetime(when.astimezone(UTC))
    getattr(event, field).CopyFrom(payload)
    return event


def payload_of(event: events_pb2.Event) -> Message:
    """The event's payload message."""
    field = event.WhichOneof("payload")
    if field is None:
        raise DecodeError("event has no payload")
    return getattr(event, field)  # type: ignore[no-any-return]


def encode_event(event: events_pb2.Event) -> bytes:
    """Serialise an event for Kafka."""
    return event.SerializeToString(deterministic=True)


def decode_event(data: bytes | None) -> events_pb2.Event:
    """Parse and validate an event; raises :class:`DecodeError` with the reason."""
    if not data:
        raise DecodeError("empty record value")
    event = events_pb2.Event()
    try:
        event.ParseFromString(data)
    except ProtobufDecodeError as exc:
        raise DecodeError(f"not a vaxel.events.v1.Event: {exc}") from exc
    field = event.WhichOneof("payload")
    missing = [
        name
        for name, ok in (
            ("event_id", event.event_id),
            ("tenant_id", event.tenant_id),
            ("payload", field),
            ("occurred_at", event.HasField("occurred_at")),
        )
        if not ok
    ]
    if missing:
        raise DecodeError(f"missing {', '.join(missing)}")
    if field is not None and event.event_type != event_type_of_field(field):
        raise DecodeError(f"event_type {event.event_type!r} does not match payload {field!r}")
    if event.schema_version > SCHEMA_VERSION:
        raise DecodeError(f"schema_version {event.schema_version} is newer than {SCHEMA_VERSION}")
    return event
