"""The configuration topic, read from the start: API key states, and each tenant's zone and
contract versions (for the reports). One reader feeds both replicas."""

from __future__ import annotations

from datetime import date

from vaxel.tenant.v1 import tenant_pb2
from vaxel_common.api_keys import ReplicatedKeys
from vaxel_interaction_log.adapters.report_converters import tariff_from_pb
from vaxel_interaction_log.domain.usage import TenantBook
from vaxel_vocabulary.config_replica import CONTRACT_VERSION, TENANT, Change, TenantConfigReplica

__all__ = ["ConfigHandler"]


class ConfigHandler(TenantConfigReplica):
    """Applies each tenant configuration change to the key replica and the tenant book."""

    def __init__(self, keys: ReplicatedKeys, tenants: TenantBook) -> None:
        super().__init__(keys)
        self._tenants = tenants
        self.on(TENANT, self._tenant)
        self.on(CONTRACT_VERSION, self._contract)

    def _tenant(self, change: Change[tenant_pb2.Tenant]) -> None:
        if change.value is not None:
            self._tenants.set_zone(change.value.tenant_id, change.value.time_zone)

    def _contract(self, change: Change[tenant_pb2.ContractVersion]) -> None:
        if change.value is not None:
            self._tenants.put_tariff(change.tenant_id, tariff_from_pb(change.value))
        else:
            # entity id: "<tenant id>/<effective from>"
            _, _, effective = change.entity_id.rpartition("/")
            self._tenants.remove_tariff(change.tenant_id, date.fromisoformat(effective))
