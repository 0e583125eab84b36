"""The pure core of client-tenant: tenants, queues and their validation rules."""

from vaxel_client_tenant.domain.directory import TenantDirectory
from vaxel_client_tenant.domain.model import Channel, Queue, Tenant, TenantStatus
from vaxel_client_tenant.domain.ports import InMemoryTenantRepository, TenantRepository

__all__ = [
    "Channel",
    "InMemoryTenantRepository",
    "Queue",
    "Tenant",
    "TenantDirectory",
    "TenantRepository",
    "TenantStatus",
]
