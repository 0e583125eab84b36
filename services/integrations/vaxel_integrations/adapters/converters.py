"""Between the domain and the wire: the webhook body (JSON) and the API's messages."""

from __future__ import annotations

import json

from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp

from vaxel.events.v1 import events_pb2
from vaxel.integrations.v1 import integrations_pb2
from vaxel_common.events import EVENT_TYPES, payload_of
from vaxel_integrations.domain.model import Delivery, DeliveryState, Endpoint

__all__ = [
    "DELIVERABLE_TYPES",
    "delivery_to_pb",
    "endpoint_to_pb",
    "state_from_pb",
    "ts",
    "webhook_body",
]

# What a tenant may receive: its interactions, surveys and service-level alerts. Never configuration
# records (they carry key digests), nor agent events (agents are the provider's, shared by tenants).
DELIVERABLE_TYPES = frozenset(
    t for t in EVENT_TYPES if t != "tenant.config_changed" and not t.startswith("agent.")
)


def ts(seconds: float | None) -> Timestamp | None:
    if seconds is None:
        return None
    stamp = Timestamp()
    stamp.FromMicroseconds(round(seconds * 1_000_000))
    return stamp


def webhook_body(delivery_id: str, event: events_pb2.Event) -> bytes:
    """The JSON a webhook receives. Personal fields are sealed on the topics (only routing's keys open
    them) and are left out; the tenant reads them through the interaction-log API."""
    payload = type(payload_of(event))()
    payload.CopyFrom(payload_of(event))
    if "personal" in payload.DESCRIPTOR.fields_by_name:
        payload.ClearField("personal")
    body = {
        "delivery_id": delivery_id,
        "event_id": event.event_id,
        "event_type": event.event_type,
        "tenant_id": event.tenant_id,
        "occurred_at": event.occurred_at.ToJsonString(),
        "interaction_id": event.interaction_id,
        "schema_version": event.schema_version,
        "data": json_format.MessageToDict(payload, preserving_proto_field_name=True),
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def endpoint_to_pb(endpoint: Endpoint) -> integrations_pb2.Endpoint:
    return integrations_pb2.Endpoint(
        endpoint_id=endpoint.endpoint_id,
        tenant_id=endpoint.tenant_id,
        url=endpoint.url,
        event_types=sorted(endpoint.event_types),
        description=endpoint.description,
        created_at=ts(endpoint.created_at),
    )


def delivery_to_pb(d: Delivery) -> integrations_pb2.Delivery:
    return integrations_pb2.Delivery(
        delivery_id=d.delivery_id,
        endpoint_id=d.endpoint_id,
        event_id=d.event_id,
        event_type=d.event_type,
        state=int(d.state),  # type: ignore[arg-type]  # DeliveryState mirrors the proto enum's numbers
        attempts=d.attempts,
        last_status=d.last_status,
        last_error=d.last_error,
        created_at=ts(d.created_at),
        next_attempt_at=ts(d.next_attempt_at),
        delivered_at=ts(d.delivered_at),
    )


def state_from_pb(state: int) -> DeliveryState | None:
    """None for UNSPECIFIED (every state); unknown numbers are refused by the caller."""
    return DeliveryState(state) if state in DeliveryState._value2member_map_ else None
