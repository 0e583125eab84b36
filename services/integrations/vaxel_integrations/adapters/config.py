"""The configuration topic, replicated: API keys (authentication) and which tenants exist."""

from __future__ import annotations

from vaxel.tenant.v1 import tenant_pb2
from vaxel_common.api_keys import ReplicatedKeys
from vaxel_vocabulary.config_replica import TENANT, Change, TenantConfigReplica

__all__ = ["ConfigHandler"]


class ConfigHandler(TenantConfigReplica):
    def __init__(self, keys: ReplicatedKeys) -> None:
        super().__init__(keys)
        self.tenants: set[str] = set()
        self.on(TENANT, self._tenant)

    def _tenant(self, change: Change[tenant_pb2.Tenant]) -> None:
        if change.value is None:
            self.tenants.discard(change.entity_id)
        else:
            self.tenants.add(change.value.tenant_id)
