"""Interactions submitted over Kafka (``vaxel.interactions.inbound.v1``): the same front door as the API.

Each record is an Event with an ``interaction_created`` payload; its event id is the
idempotency key, so a redelivered record routes nothing twice. A record the front door
refuses (unknown queue, wrong channel, malformed contact) is dead-lettered with the reason.
"""

from __future__ import annotations

from vaxel.events.v1 import events_pb2
from vaxel.routing.v1 import routing_pb2
from vaxel_common.consumer import RejectedEvent
from vaxel_common.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied
from vaxel_routing.adapters.front_door import FrontDoor


class InboundHandler:
    def __init__(self, front_door: FrontDoor) -> None:
        self._door = front_door

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
        try:
            await self._door.submit(event.tenant_id, request)
        except (InvalidArgument, NotFound, PermissionDenied, FailedPrecondition) as exc:
            raise RejectedEvent(exc.message) from exc
