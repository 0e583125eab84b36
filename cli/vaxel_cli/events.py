"""Events for people: topics by short name, personal data masked, one line per event (pure; no I/O).

Masking is by allowlist: every string in a payload is replaced by ``***`` unless its field is known
to carry no personal data (ids, language, reasons, dispositions, tags), so a field added to the
contract later is masked until someone decides otherwise. Customer references, contacts, subjects,
notes, survey comments and message text never show; read them through ``vaxel interactions``,
which applies the key's scopes. Configuration states pass (they are the tenant's own setup), except
an API key's secret hash.
"""

from __future__ import annotations

from datetime import UTC

from google.protobuf.any_pb2 import Any as AnyMessage
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.duration_pb2 import Duration
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from vaxel.events.v1 import events_pb2
from vaxel.tenant.v1 import tenant_pb2
from vaxel_common.topics import (
    AGENT_EVENTS,
    INTERACTION_EVENTS,
    INTERACTION_INBOUND,
    SLA_ALERTS,
    TENANT_CONFIG,
)

__all__ = ["EVENT_TOPICS", "MASK", "NOT_PERSONAL", "event_line", "masked", "topic_names"]

# Short names of the topics whose records are vaxel.events.v1.Event envelopes.
EVENT_TOPICS: dict[str, str] = {
    "interactions": INTERACTION_EVENTS.name,
    "agents": AGENT_EVENTS.name,
    "config": TENANT_CONFIG.name,
    "alerts": SLA_ALERTS.name,
    "inbound": INTERACTION_INBOUND.name,
}
DEFAULT_TOPICS = ("interactions", "agents", "config", "alerts")
MASK = "***"
# Payload string fields that carry no personal data; every other string is masked.
NOT_PERSONAL = frozenset(
    {
        "queue_id",
        "language",
        "offer_id",
        "reason",
        "to_queue_id",
        "to_agent_id",
        "disposition",
        "tags",
        "agent_id",
        "faq_id",
        "site_id",
        "entity_type",
        "entity_id",
        "alert_id",
    }
)


def topic_names(wanted: list[str]) -> list[str]:
    """Short names or full names -> full names; ValueError naming the unknown one."""
    names = []
    for value in wanted or DEFAULT_TOPICS:
        if value in EVENT_TOPICS:
            names.append(EVENT_TOPICS[value])
        elif value in EVENT_TOPICS.values():
            names.append(value)
        else:
            raise ValueError(f"unknown topic {value!r}: one of {', '.join(EVENT_TOPICS)} (or the full name)")
    return list(dict.fromkeys(names))


def masked(event: events_pb2.Event) -> events_pb2.Event:
    """A copy of ``event`` with personal data replaced by ``***`` (the envelope is never personal)."""
    copy = events_pb2.Event()
    copy.CopyFrom(event)
    field = copy.WhichOneof("payload")
    if field == "tenant_config_changed":
        _mask_secret(copy.tenant_config_changed.state)
    elif field is not None:
        _mask(getattr(copy, field))
    return copy


def _mask(message: Message) -> None:
    for field, value in message.ListFields():
        name = field.name
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            if name not in NOT_PERSONAL:
                for key in list(value):
                    value[key] = MASK if isinstance(value[key], str) else value[key]
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            if isinstance(value, Timestamp | Duration):
                continue
            for item in value if _repeated(field) else [value]:
                _mask(item)
        elif (
            field.type in (FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES)
            and name not in NOT_PERSONAL
        ):
            blank = MASK if field.type == FieldDescriptor.TYPE_STRING else MASK.encode()
            if _repeated(field):
                value[:] = [blank] * len(value)
            else:
                setattr(message, name, blank)


def _repeated(field: FieldDescriptor) -> bool:
    return bool(field.is_repeated)


def _mask_secret(state: AnyMessage) -> None:
    if state.Is(tenant_pb2.ApiKeyState.DESCRIPTOR):
        key = tenant_pb2.ApiKeyState()
        state.Unpack(key)
        key.secret_sha256 = MASK
        state.Pack(key)


def event_line(event: events_pb2.Event) -> str:
    """``2026-05-04T10:00:00.123Z interaction.created tenant=... interaction=... queue_id=... ...``
    of an already masked event."""
    at = event.occurred_at.ToDatetime(tzinfo=UTC)
    parts = [
        f"{at:%Y-%m-%dT%H:%M:%S}.{at.microsecond // 1000:03d}Z",
        event.event_type,
        f"tenant={event.tenant_id}",
    ]
    if event.interaction_id:
        parts.append(f"interaction={event.interaction_id}")
    if event.agent_id:
        parts.append(f"agent={event.agent_id}")
    field = event.WhichOneof("payload")
    if field is not None:
        parts += _fields(getattr(event, field), "")
    return " ".join(parts)


def _fields(message: Message, prefix: str) -> list[str]:
    out: list[str] = []
    for field, value in message.ListFields():
        name = prefix + field.name
        if isinstance(value, AnyMessage):
            continue  # configuration state: entity_type and entity_id say what changed
        if isinstance(value, Timestamp):
            out.append(f"{name}={value.ToDatetime(tzinfo=UTC):%Y-%m-%dT%H:%M:%SZ}")
        elif isinstance(value, Duration):
            out.append(f"{name}={value.ToTimedelta().total_seconds():g}s")
        elif field.message_type is not None and field.message_type.GetOptions().map_entry:
            out.append(f"{name}={{{','.join(f'{k}:{value[k]}' for k in sorted(value))}}}")
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            items = list(value) if _repeated(field) else [value]
            for n, item in enumerate(items):
                out += _fields(item, f"{name}[{n}]." if _repeated(field) else f"{name}.")
        elif field.enum_type is not None:
            out.append(f"{name}={_enum(field, value)}")
        elif _repeated(field):
            out.append(f"{name}={','.join(str(v) for v in value)}")
        else:
            out.append(f"{name}={value}")
    return out


def _enum(field: FieldDescriptor, value: int) -> str:
    """``CHANNEL_VOICE`` -> ``voice``; ``KIND_BREACH`` -> ``breach``."""
    enum_type = field.enum_type
    enum = enum_type.values_by_number.get(value) if enum_type is not None else None
    if enum_type is None or enum is None:
        return str(value)
    common = enum_type.values[0].name.rsplit("_", 1)[0] + "_"  # e.g. CHANNEL_ of CHANNEL_UNSPECIFIED
    return enum.name.removeprefix(common).lower()
