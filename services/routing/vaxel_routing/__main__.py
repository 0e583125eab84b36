"""``python -m vaxel_routing``: run the routing service."""

from __future__ import annotations

import asyncio

from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel_common.service import ServiceRuntime, run_main
from vaxel_common.topics import TENANT_CONFIG
from vaxel_routing import SERVICE_NAME
from vaxel_routing.adapters.config_replica import ConfigReplicaHandler
from vaxel_routing.adapters.servicers import RoutingServicer
from vaxel_routing.domain import Intake, QueueReplica
from vaxel_routing.settings import RoutingSettings


def build(settings: RoutingSettings) -> ServiceRuntime:
    runtime = ServiceRuntime(SERVICE_NAME, settings)
    replica = QueueReplica()
    # Every instance keeps the whole replica: no group, read from the start on each start.
    config = runtime.consume([TENANT_CONFIG.name], ConfigReplicaHandler(replica), commit=False)

    async def replica_loaded() -> None:
        await asyncio.wait_for(config.caught_up.wait(), timeout=settings.dependency_timeout_seconds)
        runtime.log.info("replica_loaded", queues=len(replica))

    runtime.on_ready(replica_loaded)
    runtime.grpc.add(
        routing_pb2_grpc.add_RoutingServiceServicer_to_server,
        RoutingServicer(Intake(replica), runtime.publisher),
        routing_pb2.DESCRIPTOR.services_by_name["RoutingService"].full_name,
    )
    return runtime


if __name__ == "__main__":
    raise SystemExit(run_main(SERVICE_NAME, RoutingSettings, build))
