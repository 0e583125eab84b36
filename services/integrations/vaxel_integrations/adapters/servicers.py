"""gRPC servicers of the integrations API: convert, delegate, convert back.

A tenant key acts on its own tenant; the ops key names one (an unknown tenant is NOT_FOUND). Changing
endpoints and replaying need config:write, reading them config:read, the event stream interactions:read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from vaxel.integrations.v1 import integrations_pb2 as pb
from vaxel.integrations.v1 import integrations_pb2_grpc as pb_grpc
from vaxel_common.auth import caller_tenant
from vaxel_common.errors import InvalidArgument, NotFound
from vaxel_common.grpc_server import Context
from vaxel_common.ids import PROVIDER_TENANT_ID
from vaxel_integrations.adapters.converters import delivery_to_pb, endpoint_to_pb, state_from_pb
from vaxel_integrations.adapters.stream import EventStreams
from vaxel_integrations.adapters.webhooks import Webhooks
from vaxel_integrations.domain.model import check_event_types
from vaxel_vocabulary.scopes import CONFIG_READ, CONFIG_WRITE, INTERACTIONS_READ

__all__ = ["TenantEventsServicer", "WebhookServicer"]

TenantCheck = Callable[[str], bool]


def _tenant(requested: str, scope: str, known: TenantCheck) -> str:
    tenant_id = caller_tenant(requested, scope)
    if tenant_id == PROVIDER_TENANT_ID or not known(tenant_id):
        raise NotFound("tenant not found")
    return tenant_id


class WebhookServicer(pb_grpc.WebhookServiceServicer):
    def __init__(self, webhooks: Webhooks, known: TenantCheck) -> None:
        self._webhooks = webhooks
        self._known = known

    async def CreateEndpoint(  # noqa: N802  (gRPC method name)
        self, request: pb.CreateEndpointRequest, context: Context
    ) -> pb.CreateEndpointResponse:
        tenant_id = _tenant(request.tenant_id, CONFIG_WRITE, self._known)
        created = await self._webhooks.create(
            tenant_id, request.url, list(request.event_types), request.description
        )
        return pb.CreateEndpointResponse(endpoint=endpoint_to_pb(created.endpoint), secret=created.secret)

    async def ListEndpoints(  # noqa: N802
        self, request: pb.ListEndpointsRequest, context: Context
    ) -> pb.ListEndpointsResponse:
        tenant_id = _tenant(request.tenant_id, CONFIG_READ, self._known)
        return pb.ListEndpointsResponse(
            endpoints=[endpoint_to_pb(e) for e in self._webhooks.endpoints(tenant_id)]
        )

    async def DeleteEndpoint(  # noqa: N802
        self, request: pb.DeleteEndpointRequest, context: Context
    ) -> pb.DeleteEndpointResponse:
        tenant_id = _tenant(request.tenant_id, CONFIG_WRITE, self._known)
        await self._webhooks.delete(tenant_id, request.endpoint_id)
        return pb.DeleteEndpointResponse()

    async def ListDeliveries(  # noqa: N802
        self, request: pb.ListDeliveriesRequest, context: Context
    ) -> pb.ListDeliveriesResponse:
        tenant_id = _tenant(request.tenant_id, CONFIG_READ, self._known)
        state = state_from_pb(request.state)
        if state is None and request.state != pb.DELIVERY_STATE_UNSPECIFIED:
            raise InvalidArgument("state", "unknown")
        found = self._webhooks.deliveries(tenant_id, request.endpoint_id, state, request.limit)
        return pb.ListDeliveriesResponse(deliveries=[delivery_to_pb(d) for d in found])

    async def ReplayDeliveries(  # noqa: N802
        self, request: pb.ReplayDeliveriesRequest, context: Context
    ) -> pb.ReplayDeliveriesResponse:
        tenant_id = _tenant(request.tenant_id, CONFIG_WRITE, self._known)
        for name in ("from", "to"):
            if not request.HasField(name):
                raise InvalidArgument(name, "required")
        start = getattr(request, "from").ToMicroseconds() / 1e6
        end = request.to.ToMicroseconds() / 1e6
        count = self._webhooks.replay(
            tenant_id, request.endpoint_id, start, end, failed_only=request.failed_only
        )
        return pb.ReplayDeliveriesResponse(requeued=count)


class TenantEventsServicer(pb_grpc.TenantEventsServiceServicer):
    def __init__(self, streams: EventStreams, known: TenantCheck, deliverable: frozenset[str]) -> None:
        self._streams = streams
        self._known = known
        self._deliverable = deliverable

    async def StreamEvents(  # noqa: N802  (an async generator, as grpc.aio allows)
        self, request: pb.StreamEventsRequest, context: Context
    ) -> AsyncIterator[pb.StreamEventsResponse]:
        tenant_id = _tenant(request.tenant_id, INTERACTIONS_READ, self._known)
        types = check_event_types(request.event_types, self._deliverable)
        earliest = request.start == pb.STREAM_START_EARLIEST
        async for item in self._streams.stream(tenant_id, request.cursor, earliest=earliest, types=types):
            reply = pb.StreamEventsResponse(cursor=item.cursor)
            if item.event is not None:
                reply.event.CopyFrom(item.event)
            yield reply
