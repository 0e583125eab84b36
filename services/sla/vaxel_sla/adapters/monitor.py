"""The live loop: every few seconds, judge each queue's current interval, publish alert changes,
refresh the gauges; every hour, seal what is older than the horizon."""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from datetime import UTC, datetime

from aiokafka.errors import KafkaError

from vaxel_common.events import new_event
from vaxel_common.logging import get_logger
from vaxel_common.publisher import EventPublisher
from vaxel_common.topics import SLA_ALERTS
from vaxel_sla import SERVICE_NAME
from vaxel_sla.adapters.converters import alert_payload
from vaxel_sla.adapters.events import channel_label
from vaxel_sla.domain.alerts import AlertBook, AlertChange, Assessment, assess
from vaxel_sla.domain.book import ServiceLevelBook, estimated_wait
from vaxel_sla.domain.erlang import agents_for
from vaxel_sla.domain.intervals import interval_start, service_level
from vaxel_sla.domain.outlook import SERVING_WINDOW_SECONDS, ForecastCache, project_queue
from vaxel_sla.domain.terms import QueueTerms, TermsReplica
from vaxel_sla.domain.utilisation import QueueAgents, by_site, by_tenant
from vaxel_sla.metrics import PROJECTED_INTERVALS, SlaMetrics, kind_label
from vaxel_sla.settings import SlaSettings

__all__ = ["Monitor"]

# The projection round gives the event loop a turn after this much work.
_YIELD_AFTER_SECONDS = 0.02


class Monitor:
    def __init__(
        self,
        book: ServiceLevelBook,
        terms: TermsReplica,
        alerts: AlertBook,
        publisher: EventPublisher,
        metrics: SlaMetrics,
        settings: SlaSettings,
        forecasts: ForecastCache | None = None,
    ) -> None:
        self._book = book
        self._forecasts = forecasts if forecasts is not None else ForecastCache()
        self._terms = terms
        self._alerts = alerts
        self._publisher = publisher
        self._metrics = metrics
        self._settings = settings
        self._log = get_logger("vaxel.sla.monitor")
        self._stopping = asyncio.Event()
        self._sealed_at = 0.0
        self._utilised_at = float("-inf")
        self._projected_at = float("-inf")

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                await self.evaluate(time.time())
            except KafkaError as exc:  # alerts not published stay wanted: the next round retries
                self._log.warning("sla_alert_publish_failed", error_type=type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=self._settings.evaluate_seconds)

    def stop(self) -> None:
        self._stopping.set()

    async def evaluate(self, now: float) -> list[AlertChange]:
        """One round: gauges, assessments, alert changes published; returns the changes."""
        at = datetime.fromtimestamp(now, UTC)
        available = self._book.available_agents(now)
        assessments = []
        for terms in self._terms.all():
            assessments.extend(self._assess_queue(terms, at, now, available))
        changes = self._alerts.evaluate(assessments, at)
        for change in changes:
            event = new_event(
                alert_payload(change.alert, change.raised, change.service_level),
                tenant_id=change.alert.key.tenant_id,
                producer=SERVICE_NAME,
                event_id=change.event_id,
                occurred_at=at,
            )
            await self._publisher.publish(SLA_ALERTS, event)
            self._alerts.observe(change.alert, change.raised)
            key = change.alert.key
            kind = kind_label(key.kind)
            self._metrics.alerts_open.labels(
                key.tenant_id, key.queue_id, channel_label(key.channel), kind
            ).set(1 if change.raised else 0)
            if change.raised:
                self._metrics.alerts_raised.labels(kind).inc()
            self._log.info(
                "sla_alert_raised" if change.raised else "sla_alert_cleared",
                tenant_id=key.tenant_id,
                queue_id=key.queue_id,
                kind=kind,
                service_level=round(change.service_level, 4),
                target=change.alert.target,
            )
        self._metrics.late_dropped.set(self._book.late_dropped)
        if now - self._utilised_at >= self._settings.utilisation_seconds:
            self._utilised_at = now
            self._export_utilisation(now)
        if now - self._projected_at >= self._settings.projection_seconds:
            self._projected_at = now
            await self._export_projection(now)
        self._metrics.interactions_held.set(len(self._book))
        if now - self._sealed_at >= 3600:
            self._sealed_at = now
            forgotten = self._book.seal(now - self._settings.seal_after_hours * 3600, self._terms.all(), now)
            if forgotten:
                self._log.info("sla_intervals_sealed", interactions=forgotten)
        return changes

    def _export_utilisation(self, now: float) -> None:
        """Occupancy and utilisation per site and each tenant's share over the last hour."""
        agents = self._book.agent_utilisation(now - 3600, now, now)
        for site, figures in by_site(agents).items():
            if figures.occupancy is not None:
                self._metrics.occupancy.labels(site or "unknown").set(figures.occupancy)
            if figures.utilisation is not None:
                self._metrics.utilisation.labels(site or "unknown").set(figures.utilisation)
        for tenant_id, figures in by_tenant(agents).items():
            if figures.occupancy is not None:
                self._metrics.tenant_share.labels(tenant_id).set(figures.occupancy)

    async def _export_projection(self, now: float) -> None:
        """Every queue channel's projected service level, current and next interval (NaN: nothing to judge)."""
        agents = self._book.queue_agents(now, now - SERVING_WINDOW_SECONDS)
        yielded = time.monotonic()
        for terms in self._terms.all():
            if (
                time.monotonic() - yielded > _YIELD_AFTER_SECONDS
            ):  # calls get in between; a stop ends the round
                await asyncio.sleep(0)
                yielded = time.monotonic()
                if self._stopping.is_set():
                    return
            queue = (terms.tenant_id, terms.queue_id)
            for lane in project_queue(
                self._book,
                terms,
                now,
                agents.get(queue, QueueAgents()),
                default_aht_seconds=self._settings.default_aht_seconds,
                forecasts=self._forecasts,
                forecast_method=self._settings.forecast_method,
            ):
                for interval, level in zip(PROJECTED_INTERVALS, (lane.current, lane.next), strict=True):
                    self._metrics.projected.labels(*queue, channel_label(lane.channel), interval).set(
                        math.nan if level is None else level
                    )

    def _assess_queue(self, terms: QueueTerms, at: datetime, now: float, available: int) -> list[Assessment]:
        terms = terms.at(at)  # judged by the contract version in force now
        waiting = self._book.waiting(terms.tenant_id, terms.queue_id)
        queue = (terms.tenant_id, terms.queue_id)
        self._metrics.waiting.labels(*queue).set(len(waiting))
        self._metrics.longest_wait.labels(*queue).set(now - waiting[0].created_at if waiting else 0)
        self._metrics.estimated_wait.labels(*queue).set(estimated_wait(waiting, now))
        self._metrics.agents_available.labels(*queue).set(available)
        start = interval_start(at, terms.time_zone, 15)
        required = 0
        out = []
        for channel in sorted(set(terms.channels) | set(self._book.channels(*queue))):
            stats = self._book.stats(terms, channel, start, 15, now)
            target = terms.target_for(channel)
            level = service_level(stats, terms.formula)
            lane = (*queue, channel_label(channel))
            self._metrics.track_lane(*lane)
            self._metrics.target.labels(*lane).set(target.target)
            self._metrics.service_level.labels(*lane).set(math.nan if level is None else level)
            rolling = self._book.rolling(terms, channel, now)
            if rolling.offered and not target.business_clock:
                required += agents_for(
                    rolling.offered / 4,
                    900,
                    rolling.aht_seconds or self._settings.default_aht_seconds,
                    target_service_level=target.target,
                    threshold_seconds=target.threshold_seconds,
                ).agents
            out.append(
                assess(
                    terms.tenant_id,
                    terms.queue_id,
                    channel,
                    start,
                    stats,
                    terms.formula,
                    target.target,
                    waiting,
                    available,
                    now,
                    min_contacts=self._settings.alert_min_contacts,
                    predict=not target.business_clock,
                )
            )
        self._metrics.agents_required.labels(*queue).set(required)
        return out
