"""gRPC servicer of the interaction query API, scoped to the caller's tenant."""

from __future__ import annotations

from vaxel.interactions.v1 import interactions_pb2, interactions_pb2_grpc
from vaxel_common.auth import current_principal
from vaxel_common.errors import InvalidArgument, NotFound
from vaxel_common.grpc_server import Context
from vaxel_interaction_log.adapters.store import EventStore
from vaxel_interaction_log.domain import InteractionRecord, project


def _to_pb(record: InteractionRecord) -> interactions_pb2.Interaction:
    message = interactions_pb2.Interaction(
        interaction_id=record.interaction_id,
        tenant_id=record.tenant_id,
        queue_id=record.queue_id,
        channel=record.channel,  # type: ignore[arg-type]  # enum values are ints on the wire
    )
    if record.created_at is not None:
        message.created_at.FromDatetime(record.created_at)
    for event in record.timeline:
        entry = message.timeline.add(
            event_id=event.event_id, event_type=event.event_type, agent_id=event.agent_id
        )
        entry.occurred_at.FromDatetime(event.occurred_at)
    return message


class InteractionLogServicer(interactions_pb2_grpc.InteractionLogServiceServicer):
    def __init__(self, store: EventStore) -> None:
        self._store = store

    async def GetInteraction(  # noqa: N802  (gRPC method name)
        self, request: interactions_pb2.GetInteractionRequest, context: Context
    ) -> interactions_pb2.GetInteractionResponse:
        tenant_id = current_principal().tenant_scope(request.tenant_id)
        if not request.interaction_id:
            raise InvalidArgument("interaction_id", "required")
        events = self._store.events_of(tenant_id, request.interaction_id)
        if not events:
            raise NotFound(f"interaction {request.interaction_id!r} not found")
        record = project(request.interaction_id, tenant_id, events)
        return interactions_pb2.GetInteractionResponse(interaction=_to_pb(record))
