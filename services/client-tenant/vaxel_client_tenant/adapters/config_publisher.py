"""Publishes the full state of every changed entity on the compacted tenant-configuration topic."""

from __future__ import annotations

from google.protobuf import any_pb2
from google.protobuf.message import Message

from vaxel.events.v1 import events_pb2
from vaxel_client_tenant import SERVICE_NAME
from vaxel_common.events import deterministic_id, new_event
from vaxel_common.publisher import EventPublisher
from vaxel_common.topics import TENANT_CONFIG


class ConfigPublisher:
    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    async def changed(
        self, tenant_id: str, entity_type: str, entity_id: str, version: int, state: Message
    ) -> None:
        packed = any_pb2.Any()
        packed.Pack(state)
        payload = events_pb2.TenantConfigChanged(
            entity_type=entity_type, entity_id=entity_id, version=version, state=packed
        )
        event = new_event(
            payload,
            tenant_id=tenant_id,
            producer=SERVICE_NAME,
            event_id=deterministic_id("config", entity_type, entity_id, str(version)),
        )
        await self._publisher.publish(TENANT_CONFIG, event)

    async def deleted(self, tenant_id: str, entity_type: str, entity_id: str, version: int) -> None:
        """A tombstone: replicas drop the entity."""
        payload = events_pb2.TenantConfigChanged(
            entity_type=entity_type, entity_id=entity_id, version=version, deleted=True
        )
        event = new_event(
            payload,
            tenant_id=tenant_id,
            producer=SERVICE_NAME,
            event_id=deterministic_id("config", entity_type, entity_id, str(version)),
        )
        await self._publisher.publish(TENANT_CONFIG, event)
