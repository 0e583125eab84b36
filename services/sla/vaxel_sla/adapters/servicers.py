"""gRPC servicer of the SLA API, scoped to the caller's tenant."""

from __future__ import annotations

from vaxel.sla.v1 import sla_pb2, sla_pb2_grpc
from vaxel_common.auth import current_principal
from vaxel_common.errors import InvalidArgument
from vaxel_common.grpc_server import Context
from vaxel_sla.domain import OfferedCounts


class SlaServicer(sla_pb2_grpc.SlaServiceServicer):
    def __init__(self, counts: OfferedCounts) -> None:
        self._counts = counts

    async def GetQueueStatistics(  # noqa: N802  (gRPC method name)
        self, request: sla_pb2.GetQueueStatisticsRequest, context: Context
    ) -> sla_pb2.GetQueueStatisticsResponse:
        tenant_id = current_principal().tenant_scope(request.tenant_id)
        if not request.queue_id:
            raise InvalidArgument("queue_id", "required")
        statistics = sla_pb2.QueueStatistics(
            tenant_id=tenant_id,
            queue_id=request.queue_id,
            offered=self._counts.offered(tenant_id, request.queue_id),
        )
        return sla_pb2.GetQueueStatisticsResponse(statistics=statistics)
