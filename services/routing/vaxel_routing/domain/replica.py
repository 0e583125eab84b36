"""Routing's local replica of the tenant configuration client-tenant publishes.

Routing never calls client-tenant on a hot path: it applies each published full state,
keeping the highest version per entity, so replays and duplicates change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from vaxel_common.errors import NotFound
from vaxel_routing.domain.model import QueueSpec
from vaxel_vocabulary.business_hours import BusinessHours
from vaxel_vocabulary.content import FaqEntry
from vaxel_vocabulary.faq_matching import FaqIndex


@dataclass(frozen=True, slots=True)
class QueueConfig:
    spec: QueueSpec
    time_zone: str
    after_hours_action: str = "closed_message"  # closed_message, voicemail, callback, overflow
    after_hours_queue_id: str = ""
    after_hours_message: str = ""

    @property
    def queue_id(self) -> str:
        return self.spec.queue_id

    @property
    def tenant_id(self) -> str:
        return self.spec.tenant_id

    @property
    def version(self) -> int:
        return self.spec.version


class ConfigReplica:
    def __init__(self) -> None:
        self._queues: dict[str, QueueConfig] = {}
        self._hours: dict[str, tuple[BusinessHours, int]] = {}
        self._guidelines: dict[str, tuple[str, int]] = {}
        self._faq: dict[str, dict[str, FaqEntry]] = {}
        self._faq_owner: dict[str, str] = {}
        self._faq_index: dict[str, FaqIndex] = {}  # built on first use after a change
        self._suspended: dict[str, int] = {}
        self._tenant_versions: dict[str, int] = {}

    # -- applying changes (each keeps the newest version) --

    def apply_queue(self, queue: QueueConfig) -> bool:
        held = self._queues.get(queue.queue_id)
        if held is not None and held.version >= queue.version:
            return False
        self._queues[queue.queue_id] = queue
        return True

    def remove_queue(self, queue_id: str, version: int) -> None:
        held = self._queues.get(queue_id)
        if held is not None and held.version <= version:
            del self._queues[queue_id]
            self._hours.pop(queue_id, None)
            self._guidelines.pop(queue_id, None)

    def apply_hours(self, queue_id: str, hours: BusinessHours, version: int) -> None:
        held = self._hours.get(queue_id)
        if held is None or held[1] < version:
            self._hours[queue_id] = (hours, version)

    def apply_guidelines(self, queue_id: str, text: str, version: int) -> None:
        held = self._guidelines.get(queue_id)
        if held is None or held[1] < version:
            self._guidelines[queue_id] = (text, version)

    def apply_faq(self, entry: FaqEntry) -> None:
        self._faq.setdefault(entry.tenant_id, {})[entry.faq_id] = entry
        self._faq_owner[entry.faq_id] = entry.tenant_id
        self._faq_index.pop(entry.tenant_id, None)

    def remove_faq(self, faq_id: str) -> None:
        tenant = self._faq_owner.pop(faq_id, None)
        if tenant is not None:
            self._faq.get(tenant, {}).pop(faq_id, None)
            self._faq_index.pop(tenant, None)

    def apply_tenant(self, tenant_id: str, suspended: bool, version: int) -> None:
        if self._tenant_versions.get(tenant_id, -1) >= version:
            return
        self._tenant_versions[tenant_id] = version
        if suspended:
            self._suspended[tenant_id] = version
        else:
            self._suspended.pop(tenant_id, None)

    # -- reading --

    def queue(self, tenant_id: str, queue_id: str) -> QueueConfig:
        """The queue, if it belongs to ``tenant_id``; otherwise NotFound (no hint that it exists)."""
        queue = self._queues.get(queue_id)
        if queue is None or queue.tenant_id != tenant_id:
            raise NotFound(f"queue {queue_id!r} not found")
        return queue

    def hours(self, queue_id: str) -> BusinessHours | None:
        held = self._hours.get(queue_id)
        return held[0] if held else None

    def guidelines(self, queue_id: str) -> str:
        held = self._guidelines.get(queue_id)
        return held[0] if held else ""

    def hours_version(self, queue_id: str) -> int:
        held = self._hours.get(queue_id)
        return held[1] if held else 0

    def guidelines_version(self, queue_id: str) -> int:
        held = self._guidelines.get(queue_id)
        return held[1] if held else 0

    def faq(self, tenant_id: str) -> list[FaqEntry]:
        return list(self._faq.get(tenant_id, {}).values())

    def faq_index(self, tenant_id: str) -> FaqIndex:
        """The tenant's FAQ indexed for matching (built once per change of its entries)."""
        index = self._faq_index.get(tenant_id)
        if index is None:
            index = self._faq_index[tenant_id] = FaqIndex(self.faq(tenant_id))
        return index

    def suspended(self, tenant_id: str) -> bool:
        return tenant_id in self._suspended

    def __len__(self) -> int:
        return len(self._queues)
