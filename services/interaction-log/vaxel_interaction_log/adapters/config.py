"""The configuration topic, read from the start: API key states, and each tenant's zone and
contract versions (for the reports). One reader feeds both replicas."""

from __future__ import annotations

from datetime import date

from vaxel.events.v1 import events_pb2
from vaxel.tenant.v1 import tenant_pb2
from vaxel_common.api_keys import ReplicatedKeys, apply_config_change
from vaxel_interaction_log.adapters.report_converters import tariff_from_pb
from vaxel_interaction_log.domain.usage import TenantBook

__all__ = ["ConfigHandler"]


class ConfigHandler:
    """Applies each tenant configuration change to the key replica and the tenant book."""

    def __init__(self, keys: ReplicatedKeys, tenants: TenantBook) -> None:
        self._keys = keys
        self._tenants = tenants

    async def __call__(self, event: events_pb2.Event) -> None:
        apply_config_change(self._keys, event)
        change = event.tenant_config_changed
        match change.entity_type, change.deleted:
            case "tenant", False:
                tenant = tenant_pb2.Tenant()
                change.state.Unpack(tenant)
                self._tenants.set_zone(tenant.tenant_id, tenant.time_zone)
            case "contract_version", False:
                contract = tenant_pb2.ContractVersion()
                change.state.Unpack(contract)
                self._tenants.put_tariff(event.tenant_id, tariff_from_pb(contract))
            case "contract_version", True:
                # entity id: "<tenant id>/<effective from>"
                _, _, effective = change.entity_id.rpartition("/")
                self._tenants.remove_tariff(event.tenant_id, date.fromisoformat(effective))
