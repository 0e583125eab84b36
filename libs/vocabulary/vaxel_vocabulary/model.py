"""Client companies and their queues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum


class TenantStatus(Enum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Channel(Enum):
    VOICE = "voice"
    CHAT = "chat"
    EMAIL = "email"
    SOCIAL = "social"
    CALLBACK = "callback"
    OUTBOUND = "outbound"


@dataclass(frozen=True, slots=True)
class Tenant:
    tenant_id: str
    name: str
    country: str
    time_zone: str
    languages: tuple[str, ...]
    status: TenantStatus
    created_at: datetime
    version: int = 1
    # Days interaction-log keeps the tenant's interactions after they end; 0: the platform's default.
    data_retention_days: int = 0


# The longest retention a tenant may set (ten years); interaction-log's default applies at 0.
MAX_DATA_RETENTION_DAYS = 3650


class ServiceLevelFormula(Enum):
    """How a tenant's contract counts service level (see the SLA service)."""

    ANSWERED_WITHIN_OVER_ANSWERED = "answered_within_over_answered"
    ANSWERED_WITHIN_OVER_ANSWERED_AND_ABANDONED = "answered_within_over_answered_and_abandoned"
    ANSWERED_WITHIN_OVER_OFFERED_EXCLUDING_SHORT_ABANDONS = (
        "answered_within_over_offered_excluding_short_abandons"
    )
    ANSWERED_AND_ABANDONED_WITHIN_OVER_OFFERED = "answered_and_abandoned_within_over_offered"


class AfterHoursAction(Enum):
    CLOSED_MESSAGE = "closed_message"
    VOICEMAIL = "voicemail"
    CALLBACK = "callback"
    OVERFLOW = "overflow"


@dataclass(frozen=True, slots=True)
class Skill:
    skill_id: str
    tenant_id: str
    name: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class SkillRequirement:
    skill_id: str
    # 1 (novice) to 5 (expert)
    min_proficiency: int


@dataclass(frozen=True, slots=True)
class ServiceLevelTarget:
    """``target_percent`` of interactions answered within ``threshold_seconds`` on ``channel``; on the
    business-hours clock (first response to e-mail and social) when ``business_hours_clock``."""

    channel: Channel
    target_percent: float
    threshold_seconds: int
    business_hours_clock: bool = False


@dataclass(frozen=True, slots=True)
class OverflowRule:
    """After ``after_seconds`` of waiting: relax the skill requirements, or move to ``to_queue_id``."""

    after_seconds: int
    relax_skills: bool = False
    to_queue_id: str = ""


@dataclass(frozen=True, slots=True)
class Queue:
    queue_id: str
    tenant_id: str
    name: str
    channels: tuple[Channel, ...]
    language: str
    time_zone: str
    priority: int
    version: int = 1
    required_skills: tuple[SkillRequirement, ...] = ()
    service_level_targets: tuple[ServiceLevelTarget, ...] = ()
    service_level_formula: ServiceLevelFormula = (
        ServiceLevelFormula.ANSWERED_WITHIN_OVER_ANSWERED_AND_ABANDONED
    )
    short_abandon_seconds: int = 5
    # Offer a callback when the estimated wait exceeds this; 0: never.
    callback_offer_after_seconds: int = 0
    after_hours_action: AfterHoursAction = AfterHoursAction.CLOSED_MESSAGE
    after_hours_queue_id: str = ""
    after_hours_message: str = ""
    overflow_rules: tuple[OverflowRule, ...] = ()
