"""Consumes interaction events into the SLA counters."""

from __future__ import annotations

from vaxel.events.v1 import events_pb2
from vaxel_sla.domain import OfferedCounts
from vaxel_sla.metrics import SlaMetrics


class InteractionEventHandler:
    def __init__(self, counts: OfferedCounts, metrics: SlaMetrics) -> None:
        self._counts = counts
        self._metrics = metrics

    async def __call__(self, event: events_pb2.Event) -> None:
        if event.WhichOneof("payload") != "interaction_created":
            return
        queue_id = event.interaction_created.queue_id
        if self._counts.record(event.event_id, event.tenant_id, queue_id):
            self._metrics.offered.labels(event.tenant_id, queue_id).inc()
