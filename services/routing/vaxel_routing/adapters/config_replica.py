"""Feeds the compacted tenant-configuration topic into the routing replica."""

from __future__ import annotations

from vaxel.events.v1 import events_pb2
from vaxel.tenant.v1 import tenant_pb2
from vaxel_routing.domain.replica import QueueConfig, QueueReplica


class ConfigReplicaHandler:
    def __init__(self, replica: QueueReplica) -> None:
        self._replica = replica

    async def __call__(self, event: events_pb2.Event) -> None:
        change = event.tenant_config_changed
        if change.entity_type != "queue":
            return
        if change.deleted:
            self._replica.remove(change.entity_id, change.version)
            return
        queue = tenant_pb2.Queue()
        change.state.Unpack(queue)
        self._replica.apply(
            QueueConfig(
                queue_id=queue.queue_id,
                tenant_id=queue.tenant_id,
                language=queue.language,
                time_zone=queue.time_zone,
                channels=frozenset(int(c) for c in queue.channels),
                version=change.version,
            )
        )
