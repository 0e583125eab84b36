"""What the domain needs from storage; adapters implement it (SQL), tests may use the in-memory one."""

from __future__ import annotations

from typing import Protocol

from vaxel_client_tenant.domain.model import Queue, Tenant


class TenantRepository(Protocol):
    def add_tenant(self, tenant: Tenant) -> None: ...

    def get_tenant(self, tenant_id: str) -> Tenant | None: ...

    def add_queue(self, queue: Queue) -> None: ...

    def get_queue(self, queue_id: str) -> Queue | None: ...

    def list_queues(self, tenant_id: str, after: str, limit: int) -> list[Queue]:
        """The tenant's queues with ids greater than ``after``, ordered by id, at most ``limit``."""
        ...


class InMemoryTenantRepository:
    """A repository in a dict: for unit tests of the rules, not for running the service."""

    def __init__(self) -> None:
        self._tenants: dict[str, Tenant] = {}
        self._queues: dict[str, Queue] = {}

    def add_tenant(self, tenant: Tenant) -> None:
        self._tenants[tenant.tenant_id] = tenant

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        return self._tenants.get(tenant_id)

    def add_queue(self, queue: Queue) -> None:
        self._queues[queue.queue_id] = queue

    def get_queue(self, queue_id: str) -> Queue | None:
        return self._queues.get(queue_id)

    def list_queues(self, tenant_id: str, after: str, limit: int) -> list[Queue]:
        mine = sorted(
            (q for q in self._queues.values() if q.tenant_id == tenant_id), key=lambda q: q.queue_id
        )
        return [q for q in mine if q.queue_id > after][:limit]
