"""What the domain needs from storage; adapters implement it (SQL), tests may use the in-memory one."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Protocol

from vaxel_vocabulary.model import Queue, Skill, Tenant

if TYPE_CHECKING:
    from vaxel_client_tenant.domain.keys import ApiKey
    from vaxel_vocabulary.business_hours import BusinessHours
    from vaxel_vocabulary.contact_points import ContactKind, ContactPoint
    from vaxel_vocabulary.content import CallGuidelines, ContractVersion, FaqEntry


class TenantRepository(Protocol):
    def add_tenant(self, tenant: Tenant) -> None: ...

    def update_tenant(self, tenant: Tenant) -> None: ...

    def get_tenant(self, tenant_id: str) -> Tenant | None: ...

    def add_queue(self, queue: Queue) -> None: ...

    def get_queue(self, queue_id: str) -> Queue | None: ...

    def update_queue(self, queue: Queue) -> None: ...

    def delete_queue(self, queue_id: str) -> None:
        """The queue with its business hours and contact points."""
        ...

    def add_skill(self, skill: Skill) -> None: ...

    def skills(self, tenant_id: str) -> list[Skill]:
        """The tenant's skills ordered by name."""
        ...

    def list_queues(self, tenant_id: str, after: str, limit: int) -> list[Queue]:
        """The tenant's queues with ids greater than ``after``, ordered by id, at most ``limit``."""
        ...

    def set_hours(self, queue_id: str, hours: BusinessHours, version: int) -> None: ...

    def get_hours(self, queue_id: str) -> tuple[BusinessHours, int] | None: ...

    def add_contact_point(self, point: ContactPoint) -> None: ...

    def find_contact_point(self, kind: ContactKind, address: str) -> ContactPoint | None: ...

    def contact_points(self, tenant_id: str, queue_id: str) -> list[ContactPoint]:
        """The tenant's contact points, of one queue when ``queue_id`` is set, ordered by kind and address."""
        ...

    def delete_contact_point(self, contact_point_id: str) -> None: ...

    def add_faq(self, entry: FaqEntry) -> None: ...

    def faq(self, tenant_id: str, language: str) -> list[FaqEntry]:
        """The tenant's FAQ entries (of one language when given), ordered by question."""
        ...

    def delete_faq(self, faq_id: str) -> None: ...

    def set_guidelines(self, guidelines: CallGuidelines) -> None: ...

    def get_guidelines(self, queue_id: str) -> CallGuidelines | None: ...

    def add_contract(self, contract: ContractVersion) -> None:
        """Adds a version, replacing one with the same effective date."""
        ...

    def contracts(self, tenant_id: str) -> list[ContractVersion]:
        """Every version, oldest first."""
        ...

    def add_key(self, key: ApiKey) -> None: ...

    def update_key(self, key: ApiKey) -> None: ...

    def get_key(self, key_id: str) -> ApiKey | None: ...


class InMemoryTenantRepository:
    """A repository in a dict: for unit tests of the rules, not for running the service."""

    def __init__(self) -> None:
        self._tenants: dict[str, Tenant] = {}
        self._queues: dict[str, Queue] = {}
        self._keys: dict[str, ApiKey] = {}
        self._skills: dict[str, Skill] = {}
        self._hours: dict[str, tuple[BusinessHours, int]] = {}
        self._points: dict[str, ContactPoint] = {}
        self._faq: dict[str, FaqEntry] = {}
        self._guidelines: dict[str, CallGuidelines] = {}
        self._contracts: dict[tuple[str, date], ContractVersion] = {}

    def add_faq(self, entry: FaqEntry) -> None:
        self._faq[entry.faq_id] = entry

    def faq(self, tenant_id: str, language: str) -> list[FaqEntry]:
        mine = [e for e in self._faq.values() if e.tenant_id == tenant_id and language in ("", e.language)]
        return sorted(mine, key=lambda e: e.question)

    def delete_faq(self, faq_id: str) -> None:
        self._faq.pop(faq_id, None)

    def set_guidelines(self, guidelines: CallGuidelines) -> None:
        self._guidelines[guidelines.queue_id] = guidelines

    def get_guidelines(self, queue_id: str) -> CallGuidelines | None:
        return self._guidelines.get(queue_id)

    def add_contract(self, contract: ContractVersion) -> None:
        self._contracts[(contract.tenant_id, contract.effective_from)] = contract

    def contracts(self, tenant_id: str) -> list[ContractVersion]:
        return sorted(
            (c for (t, _), c in self._contracts.items() if t == tenant_id), key=lambda c: c.effective_from
        )

    def add_contact_point(self, point: ContactPoint) -> None:
        self._points[point.contact_point_id] = point

    def find_contact_point(self, kind: ContactKind, address: str) -> ContactPoint | None:
        return next((p for p in self._points.values() if p.kind is kind and p.address == address), None)

    def contact_points(self, tenant_id: str, queue_id: str) -> list[ContactPoint]:
        mine = [p for p in self._points.values() if p.tenant_id == tenant_id and queue_id in ("", p.queue_id)]
        return sorted(mine, key=lambda p: (p.kind.value, p.address))

    def delete_contact_point(self, contact_point_id: str) -> None:
        self._points.pop(contact_point_id, None)

    def set_hours(self, queue_id: str, hours: BusinessHours, version: int) -> None:
        self._hours[queue_id] = (hours, version)

    def get_hours(self, queue_id: str) -> tuple[BusinessHours, int] | None:
        return self._hours.get(queue_id)

    def add_tenant(self, tenant: Tenant) -> None:
        self._tenants[tenant.tenant_id] = tenant

    def update_tenant(self, tenant: Tenant) -> None:
        self._tenants[tenant.tenant_id] = tenant

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        return self._tenants.get(tenant_id)

    def add_queue(self, queue: Queue) -> None:
        self._queues[queue.queue_id] = queue

    def get_queue(self, queue_id: str) -> Queue | None:
        return self._queues.get(queue_id)

    def update_queue(self, queue: Queue) -> None:
        self._queues[queue.queue_id] = queue

    def delete_queue(self, queue_id: str) -> None:
        self._queues.pop(queue_id, None)
        self._hours.pop(queue_id, None)
        self._points = {k: p for k, p in self._points.items() if p.queue_id != queue_id}

    def add_skill(self, skill: Skill) -> None:
        self._skills[skill.skill_id] = skill

    def skills(self, tenant_id: str) -> list[Skill]:
        return sorted((s for s in self._skills.values() if s.tenant_id == tenant_id), key=lambda s: s.name)

    def list_queues(self, tenant_id: str, after: str, limit: int) -> list[Queue]:
        mine = sorted(
            (q for q in self._queues.values() if q.tenant_id == tenant_id), key=lambda q: q.queue_id
        )
        return [q for q in mine if q.queue_id > after][:limit]

    def add_key(self, key: ApiKey) -> None:
        self._keys[key.key_id] = key

    def update_key(self, key: ApiKey) -> None:
        self._keys[key.key_id] = key

    def get_key(self, key_id: str) -> ApiKey | None:
        return self._keys.get(key_id)
