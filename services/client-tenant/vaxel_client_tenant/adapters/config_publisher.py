"""The full state of every changed entity, for the compacted tenant-configuration topic.

Events go to the outbox in the write's transaction; the relay publishes them (see outbox.py)."""

from __future__ import annotations

import hashlib

from google.protobuf import any_pb2
from google.protobuf.message import Message

from vaxel.events.v1 import events_pb2
from vaxel_client_tenant import SERVICE_NAME
from vaxel_client_tenant.adapters.outbox import ConfigOutbox
from vaxel_common.events import deterministic_id, new_event
from vaxel_vocabulary.entities import ConfigEntity


class ConfigPublisher:
    def __init__(self, outbox: ConfigOutbox) -> None:
        self._outbox = outbox

    def changed(
        self, tenant_id: str, entity_type: ConfigEntity, entity_id: str, version: int, state: Message
    ) -> None:
        """The entity's full state at ``version``."""
        packed = any_pb2.Any()
        packed.Pack(state)
        self._publish(
            tenant_id,
            events_pb2.TenantConfigChanged(
                entity_type=entity_type, entity_id=entity_id, version=version, state=packed
            ),
        )

    def deleted(self, tenant_id: str, entity_type: ConfigEntity, entity_id: str, version: int) -> None:
        """A tombstone: replicas drop the entity."""
        self._publish(
            tenant_id,
            events_pb2.TenantConfigChanged(
                entity_type=entity_type, entity_id=entity_id, version=version, deleted=True
            ),
        )

    def _publish(self, tenant_id: str, change: events_pb2.TenantConfigChanged) -> None:
        # The id is derived from entity, version and state: republishing the same change is recognisably
        # the same, and a replacement at the same version (a contract version set again for its date) is
        # a new event that consumers deduplicating by id do not drop.
        state = hashlib.sha256(change.SerializeToString(deterministic=True)).hexdigest()
        event_id = deterministic_id(
            "config", change.entity_type, change.entity_id, str(change.version), state
        )
        event = new_event(change, tenant_id=tenant_id, producer=SERVICE_NAME, event_id=event_id)
        self._outbox.add(event)
