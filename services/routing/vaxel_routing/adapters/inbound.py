"""Interactions submitted over Kafka (``vaxel.interactions.inbound.v1``): the same front door as the API.

Each record is an Event with an ``interaction_created`` payload; its event id is the
idempotency key, so a redelivered record routes nothing twice. A record the front door
refuses (unknown queue, wrong channel, malformed contact) is dead-lettered with the reason.

A record over its tenant's limits (rate, submissions in flight) is **delayed**, not dead-lettered:
the handler waits the retry delay and submits it again, until it passes. Each record is a customer
a channel connector has already accepted; dead-lettering it would drop that customer until somebody
replays the dead letters by hand, while the topic holds a backlog durably and the consumer's lag
(``vaxel_consumer_lag``) shows it. The price: records behind it on the same partition wait too. A
shutdown ends the wait (the record is not committed: the next start takes it again), so SIGTERM is
never held up by a limited tenant.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from vaxel.events.v1 import events_pb2
from vaxel.routing.v1 import routing_pb2
from vaxel_common.consumer import RejectedEvent
from vaxel_common.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied, Unavailable
from vaxel_routing.adapters.front_door import FrontDoor
from vaxel_routing.domain.errors import TenantLimited

# The longest single wait for a limited record; it then tries again (a stop is never held longer).
MAX_WAIT_SECONDS = 1.0


class InboundHandler:
    def __init__(self, front_door: FrontDoor, stopping: Callable[[], bool]) -> None:
        self._door = front_door
        self._stopping = stopping

    async def __call__(self, event: events_pb2.Event) -> None:
        if event.WhichOneof("payload") != "interaction_created":
            raise RejectedEvent(f"inbound takes interaction.created events, not {event.event_type}")
        created = event.interaction_created
        request = routing_pb2.SubmitInteractionRequest(
            tenant_id=event.tenant_id,
            queue_id=created.queue_id,
            channel=created.channel,
            language=created.language,
            customer_ref=created.customer_ref,
            contact=created.contact,
            subject=created.subject,
            idempotency_key=f"inbound:{event.event_id}",
            text=created.attributes.get("text", ""),
            urgency=min(10, max(0, created.priority)),
        )
        while True:
            try:
                await self._door.submit(event.tenant_id, request)
                return
            except TenantLimited as exc:
                if self._stopping():
                    raise Unavailable(
                        "stopping: a limited inbound record is left for the next start"
                    ) from exc
                await asyncio.sleep(min(exc.retry_after_seconds, MAX_WAIT_SECONDS))
            except (InvalidArgument, NotFound, PermissionDenied, FailedPrecondition) as exc:
                raise RejectedEvent(exc.message) from exc
