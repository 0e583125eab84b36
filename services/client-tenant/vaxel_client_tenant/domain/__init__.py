"""The pure core of client-tenant: tenants, queues and their validation rules."""

from vaxel_client_tenant.domain.directory import TenantDirectory
from vaxel_client_tenant.domain.ports import InMemoryTenantRepository, TenantRepository
from vaxel_vocabulary.model import (
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
