"""The delivery worker's consumer side: events -> deliveries stored -> offsets committed.

The handler keeps, per event, one delivery for each endpoint of the event's tenant that wants its type
(the delivery id derived from endpoint and event: a redelivered event makes the same ids, which the
store ignores). ``flush`` stores the batch's deliveries in one transaction and wakes their lanes; the
consumer commits the batch's offsets only after it returns, so an event acknowledged to Kafka always
has its deliveries stored (nothing lost on kill -9; at worst a batch is read and stored again).
"""

from __future__ import annotations

import time

from vaxel.events.v1 import events_pb2
from vaxel_integrations.adapters.converters import webhook_body
from vaxel_integrations.adapters.dispatcher import Dispatcher
from vaxel_integrations.adapters.store import IntegrationsStore
from vaxel_integrations.domain.model import EndpointBook, NewDelivery, delivery_id
from vaxel_integrations.metrics import IntegrationsMetrics

__all__ = ["Intake"]


class Intake:
    def __init__(
        self,
        store: IntegrationsStore,
        book: EndpointBook,
        dispatcher: Dispatcher,
        metrics: IntegrationsMetrics,
        deliverable: frozenset[str],
    ) -> None:
        self._store = store
        self._book = book
        self._dispatcher = dispatcher
        self._metrics = metrics
        self._deliverable = deliverable
        self._buffer: list[NewDelivery] = []

    async def __call__(self, event: events_pb2.Event) -> None:
        if event.event_type not in self._deliverable:
            return
        endpoints = self._book.wanting(event.tenant_id, event.event_type)
        if not endpoints:
            return
        occurred = event.occurred_at.ToMicroseconds() / 1_000_000
        now = time.time()
        for endpoint in endpoints:
            did = delivery_id(endpoint.endpoint_id, event.event_id)
            self._buffer.append(
                NewDelivery(
                    did,
                    endpoint.endpoint_id,
                    event.tenant_id,
                    event.event_id,
                    event.event_type,
                    occurred,
                    now,
                    webhook_body(did, event),
                )
            )

    async def flush(self) -> None:
        if not self._buffer:
            return
        batch, self._buffer = self._buffer, []  # a failed store drops it: the batch is consumed again
        new = self._store.insert_deliveries(batch)
        for d in new:
            self._metrics.deliveries_created.labels(d.tenant_id).inc()
        self._dispatcher.wake({d.endpoint_id for d in new})
