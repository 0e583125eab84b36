"""The pure core of client-tenant: tenants, queues and their validation rules."""

from vaxel_client_tenant.domain.directory import TenantDirectory
from vaxel_client_tenant.domain.model import (
    AfterHoursAction,
    Channel,
    OverflowRule,
    Queue,
    ServiceLevelFormula,
    ServiceLevelTarget,
    Skill,
    SkillRequirement,
    Tenant,
    TenantStatus,
)
from vaxel_client_tenant.domain.ports import InMemoryTenantRepository, TenantRepository

__all__ = [
    "AfterHoursAction",
    "Channel",
    "InMemoryTenantRepository",
    "OverflowRule",
    "Queue",
    "ServiceLevelFormula",
    "ServiceLevelTarget",
    "Skill",
    "SkillRequirement",
    "Tenant",
    "TenantDirectory",
    "TenantRepository",
    "TenantStatus",
]
