"""Domain objects <-> protobuf messages."""

from __future__ import annotations

from vaxel.tenant.v1 import tenant_pb2
from vaxel.types.v1 import types_pb2
from vaxel_client_tenant.domain.model import Channel, Queue, Tenant, TenantStatus
from vaxel_common.errors import InvalidArgument

_CHANNEL_TO_PB = {c: types_pb2.Channel.Value(f"CHANNEL_{c.name}") for c in Channel}
_CHANNEL_FROM_PB = {v: k for k, v in _CHANNEL_TO_PB.items()}
_STATUS_TO_PB = {
    TenantStatus.ACTIVE: tenant_pb2.TENANT_STATUS_ACTIVE,
    TenantStatus.SUSPENDED: tenant_pb2.TENANT_STATUS_SUSPENDED,
}


def channels_from_pb(field: str, values: list[int]) -> list[Channel]:
    try:
        return [_CHANNEL_FROM_PB[types_pb2.Channel.ValueType(v)] for v in values]
    except KeyError as exc:
        raise InvalidArgument(field, f"unknown channel {exc.args[0]}") from None


def tenant_to_pb(tenant: Tenant) -> tenant_pb2.Tenant:
    message = tenant_pb2.Tenant(
        tenant_id=tenant.tenant_id,
        name=tenant.name,
        country=tenant.country,
        time_zone=tenant.time_zone,
        languages=list(tenant.languages),
        status=_STATUS_TO_PB[tenant.status],
    )
    message.created_at.FromDatetime(tenant.created_at)
    return message


def queue_to_pb(queue: Queue) -> tenant_pb2.Queue:
    return tenant_pb2.Queue(
        queue_id=queue.queue_id,
        tenant_id=queue.tenant_id,
        name=queue.name,
        channels=[_CHANNEL_TO_PB[c] for c in queue.channels],
        language=queue.language,
        time_zone=queue.time_zone,
        priority=queue.priority,
    )
