"""Consumes interaction, agent, configuration and alert events into the SLA book."""

from __future__ import annotations

from datetime import UTC, date

from vaxel.events.v1 import events_pb2
from vaxel.tenant.v1 import tenant_pb2
from vaxel_common.api_keys import ReplicatedKeys
from vaxel_sla.adapters.converters import KIND_OF_EVENT, contract_from_pb, fact_of, terms_from_pb
from vaxel_sla.domain.alerts import Alert, AlertBook, AlertKey
from vaxel_sla.domain.book import ServiceLevelBook
from vaxel_sla.domain.facts import AgentFact, WaitState
from vaxel_sla.domain.terms import TermsReplica
from vaxel_sla.metrics import SlaMetrics
from vaxel_vocabulary.business_hours import BusinessHours
from vaxel_vocabulary.config_replica import (
    BUSINESS_HOURS,
    CONTRACT_VERSION,
    QUEUE,
    TENANT,
    Change,
    TenantConfigReplica,
)

__all__ = ["AlertEventHandler", "ConfigHandler", "InteractionEventHandler"]

_CHANNELS = {1: "voice", 2: "chat", 3: "email", 4: "social", 5: "callback", 6: "outbound"}
_OFFERED = (WaitState.WAITING, WaitState.ANSWERED, WaitState.ABANDONED)


def channel_label(channel: int) -> str:
    return _CHANNELS.get(channel, "unspecified")


class InteractionEventHandler:
    """Interaction and agent events -> facts -> the book (idempotent: the book merges facts)."""

    def __init__(self, book: ServiceLevelBook, metrics: SlaMetrics) -> None:
        self._book = book
        self._metrics = metrics

    async def __call__(self, event: events_pb2.Event) -> None:
        fact = fact_of(event)
        if fact is None:
            return
        if isinstance(fact, AgentFact):
            self._book.apply_agent(fact)
            return
        before, after, record = self._book.apply(fact)
        if record is None or before is after:
            return
        labels = (record.tenant_id, record.queue_id, channel_label(record.channel))
        if before is WaitState.PENDING and after in _OFFERED:
            self._metrics.offered.labels(*labels).inc()
        if after is WaitState.ANSWERED:
            self._metrics.answered.labels(*labels).inc()
        elif after is WaitState.ABANDONED:
            self._metrics.abandoned.labels(*labels).inc()


class ConfigHandler(TenantConfigReplica):
    """The compacted tenant-configuration topic -> queue terms, business hours, the tenants' zones and
    contract versions, and API keys."""

    def __init__(self, terms: TermsReplica, keys: ReplicatedKeys) -> None:
        super().__init__(keys)
        self._terms = terms
        self.on(QUEUE, self._queue)
        self.on(BUSINESS_HOURS, self._hours)
        self.on(TENANT, self._tenant)
        self.on(CONTRACT_VERSION, self._contract)

    def _tenant(self, change: Change[tenant_pb2.Tenant]) -> None:
        if change.value is not None:
            self._terms.contracts.set_zone(change.value.tenant_id, change.value.time_zone)

    def _contract(self, change: Change[tenant_pb2.ContractVersion]) -> None:
        if change.value is not None:
            self._terms.contracts.put(change.tenant_id, contract_from_pb(change.value))
        else:
            # entity id: "<tenant id>/<effective from>"
            _, _, effective = change.entity_id.rpartition("/")
            self._terms.contracts.remove(change.tenant_id, date.fromisoformat(effective))

    def _queue(self, change: Change[tenant_pb2.Queue]) -> None:
        if change.value is None:
            self._terms.remove_queue(change.entity_id, change.version)
        else:
            self._terms.apply_queue(terms_from_pb(change.value))

    def _hours(self, change: Change[BusinessHours]) -> None:
        if change.value is not None:
            self._terms.apply_hours(change.entity_id, change.value, change.version)


class AlertEventHandler:
    """The alerts topic read back: which alerts are open (at start: after a restart)."""

    def __init__(self, alerts: AlertBook) -> None:
        self._alerts = alerts

    async def __call__(self, event: events_pb2.Event) -> None:
        if event.WhichOneof("payload") != "service_level_alert":
            return
        a = event.service_level_alert
        kind = KIND_OF_EVENT.get(a.kind)
        if kind is None:
            return
        alert = Alert(
            AlertKey(event.tenant_id, a.queue_id, int(a.channel), kind),
            a.alert_id,
            a.interval_start.ToDatetime(tzinfo=UTC),
            event.occurred_at.ToDatetime(tzinfo=UTC),
            a.service_level,
            a.target,
        )
        self._alerts.observe(alert, raised=a.state == a.STATE_RAISED)
