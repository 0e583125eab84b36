"""``python -m vaxel_routing``: run the routing service."""

from __future__ import annotations

import asyncio

from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel_common.api_keys import ReplicatedKeys
from vaxel_common.db import connect
from vaxel_common.deadletter import DeadLetterPublisher
from vaxel_common.service import ServiceRuntime, run_main
from vaxel_common.topics import INTERACTION_INBOUND, ROUTING_INPUTS, TENANT_CONFIG
from vaxel_routing import SERVICE_NAME
from vaxel_routing.adapters.config_replica import ConfigReplicaHandler
from vaxel_routing.adapters.data_keys import DataKeys
from vaxel_routing.adapters.desk_hub import DeskHub
from vaxel_routing.adapters.front_door import FrontDoor
from vaxel_routing.adapters.inbound import InboundHandler
from vaxel_routing.adapters.personal import PersonalData
from vaxel_routing.adapters.runner import EngineRunner
from vaxel_routing.adapters.servicers import (
    AgentAdminServicer,
    AgentDeskServicer,
    PersonalDataServicer,
    RoutingServicer,
)
from vaxel_routing.domain import ConfigReplica
from vaxel_routing.domain.limits import LimitBook
from vaxel_routing.metrics import RoutingMetrics
from vaxel_routing.settings import RoutingSettings


def build(settings: RoutingSettings) -> ServiceRuntime:
    admin_key = settings.admin_api_key.get_secret_value() if settings.admin_api_key else None
    keys = ReplicatedKeys(admin_key)
    runtime = ServiceRuntime(SERVICE_NAME, settings, authenticator=keys)
    replica = ConfigReplica()
    limits = LimitBook(settings.tenant_limits())
    replica_handler = ConfigReplicaHandler(replica, keys, limits)
    # Every instance keeps the whole replica: no group, read from the start on each start.
    config = runtime.consume([TENANT_CONFIG.name], replica_handler, commit=False)
    hub = DeskHub()
    metrics = RoutingMetrics.create(runtime.registry)
    data_keys = DataKeys(connect(settings.database_url, timeout=settings.dependency_timeout_seconds))
    personal = PersonalData(data_keys)
    runner = EngineRunner(
        bootstrap=settings.kafka_bootstrap,
        producer=runtime.producer,
        publisher=runtime.publisher,
        replica=replica,
        hub=hub,
        policy=settings.policy(),
        metrics=metrics,
        dead_letters=DeadLetterPublisher(
            runtime.producer, f"{SERVICE_NAME}-engine", runtime.metrics, SERVICE_NAME, [ROUTING_INPUTS.name]
        ),
        progress=runtime.progress,
        personal=personal,
        session_timeout_ms=settings.kafka_session_timeout_ms,
        reply_timeout_seconds=settings.reply_timeout_seconds,
        desk_grace_seconds=settings.desk_disconnect_grace_seconds,
        fetch_wait_ms=settings.log_fetch_wait_ms,
        kafka_options=runtime.kafka_options,
    )
    front_door = FrontDoor(
        replica,
        runner,
        runtime.publisher,
        replica_handler.queue_messages,
        settings.tenant_pools,
        limits,
        metrics,
        personal,
    )
    runtime.consume([INTERACTION_INBOUND.name], InboundHandler(front_door, lambda: runtime.stopping))
    tasks: list[asyncio.Task[None]] = []

    async def start_engine() -> None:
        await asyncio.wait_for(config.caught_up.wait(), timeout=settings.dependency_timeout_seconds)
        runtime.log.info("replica_loaded", queues=len(replica))
        await runner.start()
        task = asyncio.create_task(runner.run(), name="routing-engine")
        task.add_done_callback(engine_stopped)
        tasks.append(task)
        ready = asyncio.create_task(runner.ready.wait())
        await asyncio.wait(
            {ready, task}, timeout=settings.dependency_timeout_seconds + 60, return_when="FIRST_COMPLETED"
        )
        if not ready.done():
            ready.cancel()
            raise RuntimeError("the routing engine did not rebuild its state")

    def engine_stopped(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            runtime.log.error("routing_engine_failed", exc_info=task.exception())
            runtime.request_stop()

    async def stop_engine() -> None:
        await runner.stop()
        for task in tasks:
            task.cancel()
        data_keys.close()

    runtime.on_ready(start_engine)
    runtime.on_stop(stop_engine)
    for add, servicer, name in (
        (
            routing_pb2_grpc.add_RoutingServiceServicer_to_server,
            RoutingServicer(front_door, runner),
            "RoutingService",
        ),
        (
            routing_pb2_grpc.add_AgentAdminServiceServicer_to_server,
            AgentAdminServicer(runner),
            "AgentAdminService",
        ),
        (
            routing_pb2_grpc.add_PersonalDataServiceServicer_to_server,
            PersonalDataServicer(personal),
            "PersonalDataService",
        ),
        (
            routing_pb2_grpc.add_AgentDeskServiceServicer_to_server,
            AgentDeskServicer(runner, hub, front_door),
            "AgentDeskService",
        ),
    ):
        runtime.grpc.add(add, servicer, routing_pb2.DESCRIPTOR.services_by_name[name].full_name)
    return runtime


if __name__ == "__main__":
    raise SystemExit(run_main(SERVICE_NAME, RoutingSettings, build))
