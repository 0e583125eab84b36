"""The configuration entity types on ``vaxel.tenants.config.v1`` (``TenantConfigChanged.entity_type``).

A ``StrEnum``: the value is what travels on the wire, so producers and consumers name an entity type
from here and never spell the string.
"""

from __future__ import annotations

from enum import StrEnum


class ConfigEntity(StrEnum):
    TENANT = "tenant"
    API_KEY = "api_key"
    SKILL = "skill"
    QUEUE = "queue"
    BUSINESS_HOURS = "business_hours"
    CONTACT_POINT = "contact_point"
    FAQ_ENTRY = "faq_entry"
    CALL_GUIDELINES = "call_guidelines"
    CONTRACT_VERSION = "contract_version"


__all__ = ["ConfigEntity"]
