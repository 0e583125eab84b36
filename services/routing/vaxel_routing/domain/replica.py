"""The local replica of the queue configuration client-tenant publishes.

Routing never calls client-tenant on a hot path: it applies each published full
state, keeping the highest version per entity, so replays and duplicates change
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from vaxel_common.errors import NotFound


@dataclass(frozen=True, slots=True)
class QueueConfig:
    queue_id: str
    tenant_id: str
    language: str
    time_zone: str
    channels: frozenset[int]
    version: int


class QueueReplica:
    def __init__(self) -> None:
        self._queues: dict[str, QueueConfig] = {}

    def apply(self, queue: QueueConfig) -> bool:
        """Keep ``queue`` unless a newer version is held; True when it changed the replica."""
        held = self._queues.get(queue.queue_id)
        if held is not None and held.version >= queue.version:
            return False
        self._queues[queue.queue_id] = queue
        return True

    def remove(self, queue_id: str, version: int) -> None:
        held = self._queues.get(queue_id)
        if held is not None and held.version <= version:
            del self._queues[queue_id]

    def queue(self, tenant_id: str, queue_id: str) -> QueueConfig:
        """The queue, if it belongs to ``tenant_id``; otherwise NotFound (no hint that it exists)."""
        queue = self._queues.get(queue_id)
        if queue is None or queue.tenant_id != tenant_id:
            raise NotFound(f"queue {queue_id!r} not found")
        return queue

    def __len__(self) -> int:
        return len(self._queues)
