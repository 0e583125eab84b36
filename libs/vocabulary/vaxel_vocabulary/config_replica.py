"""One replica of the tenant-configuration topic (``vaxel.tenants.config.v1``) for every service.

The service's config reader (the whole topic, no group, caught-up signal: ``runtime.consume``) hands
each event to a :class:`TenantConfigReplica`. The replica applies API key states and tenant
suspensions to the service's :class:`ReplicatedKeys` (first, before any other callback), decodes the entity types somebody subscribed to into typed values
and calls their callbacks with a :class:`Change`::

    replica = TenantConfigReplica(keys)
    replica.on(CONTRACT_VERSION, lambda change: book.put(change))

A tombstone (the entity was deleted) arrives as a change whose ``value`` is None. Business hours
without a zone of their own are read in the zone of their queue (the last queue state seen), else UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from vaxel.events.v1 import events_pb2
from vaxel.tenant.v1 import tenant_pb2
from vaxel_common.api_keys import KeyRecord, ReplicatedKeys
from vaxel_vocabulary.business_hours import BusinessHours
from vaxel_vocabulary.content import CallGuidelines, FaqEntry
from vaxel_vocabulary.converters import hours_from_pb
from vaxel_vocabulary.entities import ConfigEntity

__all__ = [
    "API_KEY",
    "BUSINESS_HOURS",
    "CALL_GUIDELINES",
    "CONTRACT_VERSION",
    "FAQ_ENTRY",
    "QUEUE",
    "TENANT",
    "Change",
    "Entity",
    "TenantConfigReplica",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Change(Generic[T]):
    """One entity's state at ``version``; ``value`` None: the entity was deleted."""

    tenant_id: str
    entity_id: str
    version: int
    value: T | None

    @property
    def deleted(self) -> bool:
        return self.value is None


@dataclass(frozen=True, slots=True)
class _Raw:
    """What a decoder sees: the envelope's change and the zone of the entity's queue, if known."""

    tenant_id: str
    change: events_pb2.TenantConfigChanged
    queue_zone: str


@dataclass(frozen=True, slots=True)
class Entity(Generic[T]):
    """An entity type and how its state decodes into ``T``."""

    type: ConfigEntity
    decode: Callable[[_Raw], T]


def _queue(raw: _Raw) -> tenant_pb2.Queue:
    queue = tenant_pb2.Queue()
    raw.change.state.Unpack(queue)
    queue.version = raw.change.version
    return queue


def _hours(raw: _Raw) -> BusinessHours:
    hours = tenant_pb2.BusinessHours()
    raw.change.state.Unpack(hours)
    return hours_from_pb(hours, hours.time_zone or raw.queue_zone or "UTC")


def _guidelines(raw: _Raw) -> CallGuidelines:
    guidelines = tenant_pb2.CallGuidelines()
    raw.change.state.Unpack(guidelines)
    return CallGuidelines(raw.change.entity_id, guidelines.text, raw.change.version)


def _faq(raw: _Raw) -> FaqEntry:
    entry = tenant_pb2.FaqEntry()
    raw.change.state.Unpack(entry)
    return FaqEntry(
        entry.faq_id, raw.tenant_id, entry.language, entry.question, entry.answer, tuple(entry.keywords)
    )


def _api_key(raw: _Raw) -> tenant_pb2.ApiKeyState:
    state = tenant_pb2.ApiKeyState()
    raw.change.state.Unpack(state)
    return state


def _tenant(raw: _Raw) -> tenant_pb2.Tenant:
    tenant = tenant_pb2.Tenant()
    raw.change.state.Unpack(tenant)
    return tenant


def _contract(raw: _Raw) -> tenant_pb2.ContractVersion:
    contract = tenant_pb2.ContractVersion()
    raw.change.state.Unpack(contract)
    return contract


TENANT = Entity(ConfigEntity.TENANT, _tenant)
API_KEY = Entity(ConfigEntity.API_KEY, _api_key)
QUEUE = Entity(ConfigEntity.QUEUE, _queue)
BUSINESS_HOURS = Entity(ConfigEntity.BUSINESS_HOURS, _hours)
CALL_GUIDELINES = Entity(ConfigEntity.CALL_GUIDELINES, _guidelines)
FAQ_ENTRY = Entity(ConfigEntity.FAQ_ENTRY, _faq)
# Entity id "<tenant id>/<effective from>"; the state is the message (see converters.contract_from_pb).
CONTRACT_VERSION = Entity(ConfigEntity.CONTRACT_VERSION, _contract)


class TenantConfigReplica:
    """A consumer handler for the configuration topic: keys replicated, subscribed entities dispatched."""

    def __init__(self, keys: ReplicatedKeys) -> None:
        self._keys = keys
        self._handlers: dict[str, list[Callable[[events_pb2.Event], None]]] = {}
        self._zones: dict[str, str] = {}
        self.on(API_KEY, self._key)
        self.on(TENANT, self._suspension)

    def on(self, entity: Entity[T], callback: Callable[[Change[T]], None]) -> None:
        """Call ``callback`` with every change of ``entity``'s type, in the topic's order."""

        def dispatch(event: events_pb2.Event) -> None:
            change = event.tenant_config_changed
            value = None
            if not change.deleted:
                value = entity.decode(_Raw(event.tenant_id, change, self._zones.get(change.entity_id, "")))
            callback(Change(event.tenant_id, change.entity_id, change.version, value))

        self._handlers.setdefault(entity.type.value, []).append(dispatch)

    def queue_zone(self, queue_id: str) -> str:
        """The zone of the last state seen of ``queue_id``; "" when none (or the queue has none)."""
        return self._zones.get(queue_id, "")

    def _key(self, change: Change[tenant_pb2.ApiKeyState]) -> None:
        if (state := change.value) is not None:
            scopes = frozenset(state.scopes)
            self._keys.apply_key(
                KeyRecord(state.key_id, state.tenant_id, scopes, state.secret_sha256, state.revoked)
            )

    def _suspension(self, change: Change[tenant_pb2.Tenant]) -> None:
        if (tenant := change.value) is not None:
            self._keys.set_suspended(tenant.tenant_id, tenant.status == tenant_pb2.TENANT_STATUS_SUSPENDED)

    async def __call__(self, event: events_pb2.Event) -> None:
        change = event.tenant_config_changed
        if change.entity_type == ConfigEntity.QUEUE and not change.deleted:
            self._zones[change.entity_id] = _queue(_Raw(event.tenant_id, change, "")).time_zone
        for dispatch in self._handlers.get(change.entity_type, ()):
            dispatch(event)
