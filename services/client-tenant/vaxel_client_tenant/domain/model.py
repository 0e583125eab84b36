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
