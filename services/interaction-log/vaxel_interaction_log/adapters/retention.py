"""Per-tenant data retention: the tenants' settings from the configuration topic, and the purge.

The retention of a tenant is ``Tenant.data_retention_days`` from client-tenant (entity ``tenant``
on ``vaxel.tenants.config.v1``, read with the API key states), over the platform's default.
:class:`Purger` deletes expired interactions with their events in batches, one transaction per
batch on the writer thread: at start once the settings are read, every interval, and soon after a
tenant shortens its retention. The ids of purged interactions are kept for twice the events
topic's retention (no redelivery is older), so a late event of one is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from vaxel.events.v1 import events_pb2
from vaxel.tenant.v1 import tenant_pb2
from vaxel_common.logging import get_logger
from vaxel_common.topics import INTERACTION_EVENTS
from vaxel_interaction_log.adapters.ingest import WriterThread
from vaxel_interaction_log.adapters.store import PurgeResult, SqlInteractionStore
from vaxel_interaction_log.domain.retention import RetentionPolicy
from vaxel_interaction_log.metrics import InteractionLogMetrics
from vaxel_vocabulary.entities import ConfigEntity

__all__ = ["KEEP_PURGED_IDS", "Purger", "apply_retention_change"]

KEEP_PURGED_IDS = 2 * timedelta(milliseconds=INTERACTION_EVENTS.retention_ms)


def apply_retention_change(policy: RetentionPolicy, event: events_pb2.Event) -> bool:
    """Take a tenant's retention from a ``tenant`` change; True when it became shorter."""
    change = event.tenant_config_changed
    if change.entity_type != ConfigEntity.TENANT or change.deleted:
        return False
    tenant = tenant_pb2.Tenant()
    change.state.Unpack(tenant)
    return policy.set_tenant(tenant.tenant_id, tenant.data_retention_days)


class Purger:
    def __init__(
        self,
        store: SqlInteractionStore,
        writer: WriterThread,
        policy: RetentionPolicy,
        metrics: InteractionLogMetrics | None,
        *,
        interval_seconds: float = 3600.0,
        batch: int = 1000,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._writer = writer
        self._policy = policy
        self._metrics = metrics
        self._interval = interval_seconds
        self._batch = batch
        self._clock = clock
        self._wake = asyncio.Event()
        self._log = get_logger("vaxel.interaction-log.retention")

    def retention_shortened(self) -> None:
        """A tenant shortened its retention: purge soon, not at the next interval."""
        self._wake.set()

    async def purge(self) -> PurgeResult:
        """Purge every tenant's expired interactions now; the totals."""
        now = self._clock()
        interactions = events = 0
        for tenant_id in await self._writer.run(self._store.tenants):
            horizon = self._policy.horizon(tenant_id, now)
            mine = PurgeResult(0, 0)
            while True:
                done = await self._writer.run(self._store.purge_expired, tenant_id, horizon, self._batch)
                mine = PurgeResult(mine.interactions + done.interactions, mine.events + done.events)
                if self._metrics is not None:
                    self._metrics.purged.labels("interactions").inc(done.interactions)
                    self._metrics.purged.labels("events").inc(done.events)
                if done.interactions < self._batch:
                    break
            if mine.interactions:
                self._log.info(
                    "retention_purged",
                    reason="retention",
                    tenant_id=tenant_id,
                    retention_days=self._policy.days_of(tenant_id),
                    horizon=horizon.isoformat(),
                    interactions=mine.interactions,
                    events=mine.events,
                )
            interactions += mine.interactions
            events += mine.events
        await self._writer.run(self._store.forget_purged, now - KEEP_PURGED_IDS)
        await self._writer.run(self._store.maintain)
        return PurgeResult(interactions, events)

    async def run(self) -> None:
        """Purge now, then every interval or when woken; a failed round is logged and retried later."""
        while True:
            self._wake.clear()
            try:
                await self.purge()
            except Exception as exc:
                self._log.warning("retention_purge_failed", error=type(exc).__name__, detail=str(exc)[:200])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self._interval)
