"""The pools' gauges: waiting interactions and agents by presence, from each engine's counts.

They count every agent and waiting interaction of every pool, so they are set at most every
``GAUGE_SECONDS``, not per batch.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

from vaxel_routing.domain.engine import RoutingEngine
from vaxel_routing.metrics import GAUGED_PRESENCES, RoutingMetrics

__all__ = ["GAUGE_SECONDS", "PoolGauges"]

GAUGE_SECONDS = 0.5


class PoolGauges:
    def __init__(self, metrics: RoutingMetrics) -> None:
        self._metrics = metrics
        self._due = 0.0

    def publish(self, engines: Mapping[str, RoutingEngine]) -> None:
        self._due = time.monotonic() + GAUGE_SECONDS
        for pool, engine in engines.items():
            counts = engine.snapshot()
            self._metrics.waiting.labels(pool).set(counts.waiting)
            for presence in GAUGED_PRESENCES:
                self._metrics.agents.labels(pool, presence.name.lower()).set(counts.agents_in(presence))

    def publish_if_due(self, engines: Mapping[str, RoutingEngine]) -> None:
        if time.monotonic() >= self._due:
            self.publish(engines)
