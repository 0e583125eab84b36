"""Feeds the compacted tenant-configuration topic into routing's replica."""

from __future__ import annotations

from datetime import date

from vaxel.tenant.v1 import tenant_pb2
from vaxel_common.api_keys import ReplicatedKeys
from vaxel_routing.adapters.converters import queue_config_from_pb
from vaxel_routing.domain.limits import LimitBook
from vaxel_routing.domain.replica import ConfigReplica
from vaxel_vocabulary.business_hours import BusinessHours
from vaxel_vocabulary.config_replica import (
    BUSINESS_HOURS,
    CALL_GUIDELINES,
    CONTRACT_VERSION,
    FAQ_ENTRY,
    QUEUE,
    TENANT,
    Change,
    TenantConfigReplica,
)
from vaxel_vocabulary.content import CallGuidelines, FaqEntry
from vaxel_vocabulary.converters import limits_from_pb


class ConfigReplicaHandler(TenantConfigReplica):
    """Keeps :class:`ConfigReplica`, the tenants' contract limits (:class:`LimitBook`) and, for the
    routing log, the queue messages themselves."""

    def __init__(self, replica: ConfigReplica, keys: ReplicatedKeys, limits: LimitBook) -> None:
        super().__init__(keys)
        self._replica = replica
        self._limits = limits
        self.queue_messages: dict[str, tenant_pb2.Queue] = {}
        self.on(QUEUE, self._queue)
        self.on(BUSINESS_HOURS, self._hours)
        self.on(CALL_GUIDELINES, self._guidelines)
        self.on(FAQ_ENTRY, self._faq)
        self.on(TENANT, self._tenant)
        self.on(CONTRACT_VERSION, self._contract)

    def _queue(self, change: Change[tenant_pb2.Queue]) -> None:
        if change.value is None:
            self._replica.remove_queue(change.entity_id, change.version)
        elif self._replica.apply_queue(queue_config_from_pb(change.value)):
            self.queue_messages[change.entity_id] = change.value

    def _hours(self, change: Change[BusinessHours]) -> None:
        if change.value is not None:
            self._replica.apply_hours(change.entity_id, change.value, change.version)

    def _guidelines(self, change: Change[CallGuidelines]) -> None:
        if change.value is not None:
            self._replica.apply_guidelines(change.entity_id, change.value.text, change.version)

    def _faq(self, change: Change[FaqEntry]) -> None:
        if change.value is None:
            self._replica.remove_faq(change.entity_id)
        else:
            self._replica.apply_faq(change.value)

    def _tenant(self, change: Change[tenant_pb2.Tenant]) -> None:
        if change.value is not None:
            suspended = change.value.status == tenant_pb2.TENANT_STATUS_SUSPENDED
            self._replica.apply_tenant(change.value.tenant_id, suspended, change.version)
            self._limits.set_zone(change.value.tenant_id, change.value.time_zone)

    def _contract(self, change: Change[tenant_pb2.ContractVersion]) -> None:
        # entity id: "<tenant id>/<effective from>"; client-tenant writes a valid date, and an id
        # without one is no contract version of any tenant's: nothing to apply.
        try:
            effective = date.fromisoformat(change.entity_id.rpartition("/")[2])
        except ValueError:
            return
        if change.value is None:
            self._limits.remove(change.tenant_id, effective)
        else:
            self._limits.put(change.tenant_id, effective, limits_from_pb(change.value.limits))
