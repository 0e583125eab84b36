"""Endpoints, deliveries and which endpoints want an event (pure)."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from vaxel_common.errors import InvalidArgument
from vaxel_common.ids import deterministic_id

__all__ = [
    "Delivery",
    "DeliveryState",
    "Endpoint",
    "EndpointBook",
    "NewDelivery",
    "check_event_types",
    "delivery_id",
]

MAX_DESCRIPTION = 200


class DeliveryState(enum.IntEnum):
    PENDING = 1
    DELIVERED = 2
    FAILED = 3


@dataclass(frozen=True, slots=True)
class Endpoint:
    endpoint_id: str
    tenant_id: str
    url: str
    event_types: frozenset[str]  # empty: every type
    description: str
    created_at: float
    secret: str

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


@dataclass(frozen=True, slots=True)
class NewDelivery:
    """A delivery to make, as the intake stores it (body fixed now: every attempt sends the same bytes)."""

    delivery_id: str
    endpoint_id: str
    tenant_id: str
    event_id: str
    event_type: str
    occurred_at: float
    created_at: float
    body: bytes


@dataclass(frozen=True, slots=True)
class Delivery:
    delivery_id: str
    endpoint_id: str
    tenant_id: str
    event_id: str
    event_type: str
    state: DeliveryState
    attempts: int
    last_status: int
    last_error: str
    occurred_at: float
    created_at: float
    next_attempt_at: float | None
    delivered_at: float | None


def delivery_id(endpoint_id: str, event_id: str) -> str:
    """The same event to the same endpoint always has the same delivery id (redelivery deduplicates)."""
    return deterministic_id("webhook-delivery", endpoint_id, event_id)


def check_event_types(types: Iterable[str], known: frozenset[str]) -> frozenset[str]:
    """The requested types, each one a type endpoints may receive; INVALID_ARGUMENT names ``event_types``."""
    wanted = frozenset(types)
    unknown = sorted(wanted - known)
    if unknown:
        shown = ", ".join(t[:60] for t in unknown[:3])
        raise InvalidArgument("event_types", f"unknown or not deliverable: {shown}")
    return wanted


def check_description(description: str) -> str:
    if len(description) > MAX_DESCRIPTION:
        raise InvalidArgument("description", f"at most {MAX_DESCRIPTION} characters")
    return description


class EndpointBook:
    """The endpoints held in memory for the intake: by tenant, in creation order."""

    def __init__(self, endpoints: Iterable[Endpoint] = ()) -> None:
        self._by_tenant: dict[str, dict[str, Endpoint]] = {}
        for endpoint in endpoints:
            self.put(endpoint)

    def put(self, endpoint: Endpoint) -> None:
        self._by_tenant.setdefault(endpoint.tenant_id, {})[endpoint.endpoint_id] = endpoint

    def remove(self, tenant_id: str, endpoint_id: str) -> Endpoint | None:
        held = self._by_tenant.get(tenant_id, {})
        return held.pop(endpoint_id, None)

    def get(self, tenant_id: str, endpoint_id: str) -> Endpoint | None:
        return self._by_tenant.get(tenant_id, {}).get(endpoint_id)

    def of_tenant(self, tenant_id: str) -> list[Endpoint]:
        return list(self._by_tenant.get(tenant_id, {}).values())

    def wanting(self, tenant_id: str, event_type: str) -> list[Endpoint]:
        held = self._by_tenant.get(tenant_id)
        if not held:
            return []
        return [e for e in held.values() if e.wants(event_type)]

    def all(self) -> list[Endpoint]:
        return [e for held in self._by_tenant.values() for e in held.values()]

    def __len__(self) -> int:
        return sum(len(held) for held in self._by_tenant.values())
