"""gRPC servicer of the routing API: convert, delegate, publish, convert back."""

from __future__ import annotations

from vaxel.events.v1 import events_pb2
from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel_common.auth import current_principal
from vaxel_common.events import deterministic_id, new_event
from vaxel_common.grpc_server import Context
from vaxel_common.publisher import EventPublisher
from vaxel_common.topics import INTERACTION_EVENTS
from vaxel_routing import SERVICE_NAME
from vaxel_routing.domain import Intake, Submission


class RoutingServicer(routing_pb2_grpc.RoutingServiceServicer):
    def __init__(self, intake: Intake, publisher: EventPublisher) -> None:
        self._intake = intake
        self._publisher = publisher

    async def SubmitInteraction(  # noqa: N802  (gRPC method name)
        self, request: routing_pb2.SubmitInteractionRequest, context: Context
    ) -> routing_pb2.SubmitInteractionResponse:
        tenant_id = current_principal().tenant_scope(request.tenant_id)
        submitted = self._intake.submit(
            Submission(
                tenant_id=tenant_id,
                queue_id=request.queue_id,
                channel=int(request.channel),
                language=request.language,
                idempotency_key=request.idempotency_key,
            )
        )
        if submitted.new:
            iid = submitted.interaction_id
            created = events_pb2.InteractionCreated(
                queue_id=request.queue_id,
                channel=request.channel,
                language=request.language,
                customer_ref=request.customer_ref,
                contact=request.contact,
                subject=request.subject,
            )
            queued = events_pb2.InteractionQueued(queue_id=request.queue_id, position=submitted.position)
            await self._publisher.publish(
                INTERACTION_EVENTS,
                *(
                    new_event(
                        payload,
                        tenant_id=tenant_id,
                        producer=SERVICE_NAME,
                        interaction_id=iid,
                        event_id=deterministic_id(iid, step),
                    )
                    for payload, step in ((created, "created"), (queued, "queued:1"))
                ),
            )
        return routing_pb2.SubmitInteractionResponse(
            interaction_id=submitted.interaction_id, position=submitted.position
        )
