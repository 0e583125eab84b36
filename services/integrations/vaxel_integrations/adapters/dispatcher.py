"""The lanes of every endpoint (one task each), woken when the intake stores new deliveries, plus the
housekeeping: the pending gauge and the purge of old deliveries."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterable

from vaxel_common.logging import get_logger
from vaxel_integrations.adapters.sender import Lane, LaneSettings
from vaxel_integrations.adapters.store import IntegrationsStore
from vaxel_integrations.domain.model import Endpoint
from vaxel_integrations.metrics import IntegrationsMetrics

__all__ = ["Dispatcher"]

_GAUGE_SECONDS = 5.0
_PURGE_SECONDS = 3600.0


class Dispatcher:
    def __init__(
        self,
        store: IntegrationsStore,
        metrics: IntegrationsMetrics,
        settings: LaneSettings,
        keep_seconds: float,
    ) -> None:
        self._store = store
        self._metrics = metrics
        self._settings = settings
        self._keep_seconds = keep_seconds
        self._lanes: dict[str, tuple[Lane, asyncio.Task[None]]] = {}
        self._stopping = asyncio.Event()
        self._housekeeping: asyncio.Task[None] | None = None
        self._log = get_logger("vaxel.integrations.dispatcher")

    def start(self, endpoints: Iterable[Endpoint]) -> None:
        for endpoint in endpoints:
            self.add(endpoint)
        self._housekeeping = asyncio.create_task(self._keep_house(), name="webhook-housekeeping")

    def add(self, endpoint: Endpoint) -> None:
        lane = Lane(endpoint, self._store, self._metrics, self._settings)
        task = asyncio.create_task(lane.run(), name=f"webhook-lane:{endpoint.endpoint_id}")
        self._lanes[endpoint.endpoint_id] = (lane, task)
        self._metrics.track_tenant(endpoint.tenant_id)
        self._metrics.endpoints.set(len(self._lanes))

    async def remove(self, endpoint_id: str) -> None:
        held = self._lanes.pop(endpoint_id, None)
        self._metrics.endpoints.set(len(self._lanes))
        if held is not None:
            await self._end(*held)

    def wake(self, endpoint_ids: Iterable[str]) -> None:
        for endpoint_id in endpoint_ids:
            held = self._lanes.get(endpoint_id)
            if held is not None:
                held[0].wake()

    async def stop(self) -> None:
        self._stopping.set()
        if self._housekeeping is not None:
            self._housekeeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._housekeeping
        lanes, self._lanes = list(self._lanes.values()), {}
        await asyncio.gather(*(self._end(lane, task) for lane, task in lanes))

    @staticmethod
    async def _end(lane: Lane, task: asyncio.Task[None]) -> None:
        """Stop a lane: it finishes the round in flight (its outcomes are stored), else it is cancelled
        and the round's deliveries, still pending in the store, are attempted again (at least once)."""
        lane.stop()
        with contextlib.suppress(TimeoutError, asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=15)

    async def _keep_house(self) -> None:
        purged_at = 0.0
        while not self._stopping.is_set():
            try:
                self._metrics.pending.set(self._store.pending())
                now = time.time()
                if now - purged_at >= _PURGE_SECONDS:
                    purged_at = now
                    purged = self._store.purge(now - self._keep_seconds)
                    if purged:
                        self._log.info("webhook_deliveries_purged", deliveries=purged)
            except Exception as exc:  # the next round tries again
                self._log.warning("webhook_housekeeping_failed", error_type=type(exc).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), timeout=_GAUGE_SECONDS)
