"""Routing answers UNAVAILABLE, never INTERNAL or a wrong NOT_FOUND, while it rebuilds its state at start.

Before SERVING the service's startup gate answers; after a rebalance (health SERVING, engines rebuilding)
the servicers' own readiness check does (``EngineRunner.require_ready``)."""

from __future__ import annotations

import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.fixtures.routing import routed_tenant, upsert_agent
from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel_common.supervisor import SERVICES, Platform, wait_serving

pytestmark = pytest.mark.integration


def _code_of(call: object) -> tuple[grpc.StatusCode, str]:
    try:
        if callable(call):
            call()
    except grpc.RpcError as exc:
        return exc.code(), exc.details() or ""
    return grpc.StatusCode.OK, ""


def _connect(
    desks: routing_pb2_grpc.AgentDeskServiceStub, agent_id: str, metadata: tuple[tuple[str, str]]
) -> None:
    login = routing_pb2.ConnectRequest(request_id="r1", login=routing_pb2.Login(agent_id=agent_id))
    next(iter(desks.Connect(iter([login]), metadata=metadata, timeout=2)))


def test_desk_stream_and_rpcs_answer_unavailable_while_routing_replays_its_log(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> None:
    tenant = routed_tenant(platform, channels)
    agent_id = upsert_agent(channels, platform, tenant, "replay")
    spec = next(s for s in SERVICES if s.name == "routing")
    assert platform.stop_service(spec.name) == 0
    proc = platform.start_service(spec)
    seen: list[tuple[str, grpc.StatusCode, str]] = []
    deadline = time.monotonic() + 60
    with grpc.insecure_channel(proc.grpc_target) as channel:
        desks = routing_pb2_grpc.AgentDeskServiceStub(channel)
        routing = routing_pb2_grpc.RoutingServiceStub(channel)
        admin = routing_pb2_grpc.AgentAdminServiceStub(channel)
        health = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if (
                _code_of(lambda: health.Check(health_pb2.HealthCheckRequest(), timeout=1))[0]
                != grpc.StatusCode.OK
            ):
                time.sleep(0.05)  # not listening yet
                continue
            seen.append(("Connect", *_code_of(lambda: _connect(desks, agent_id, platform.admin_metadata))))
            seen.append(
                (
                    "GetAgent",
                    *_code_of(
                        lambda: admin.GetAgent(
                            routing_pb2.GetAgentRequest(agent_id=agent_id),
                            metadata=platform.admin_metadata,
                            timeout=2,
                        )
                    ),
                )
            )
            seen.append(
                (
                    "GetRoutedQueue",
                    *_code_of(
                        lambda: routing.GetRoutedQueue(
                            routing_pb2.GetRoutedQueueRequest(queue_id=tenant.queue_id),
                            metadata=tenant.key,
                            timeout=2,
                        )
                    ),
                )
            )
            serving = health.Check(health_pb2.HealthCheckRequest(), timeout=2).status
            if serving == health_pb2.HealthCheckResponse.SERVING:
                break
            time.sleep(0.05)
    wait_serving(proc.grpc_target, 60, proc.process)
    answered = {(rpc, code) for rpc, code, _ in seen}
    wrong = [s for s in seen if s[1] in (grpc.StatusCode.INTERNAL, grpc.StatusCode.NOT_FOUND)]
    assert not wrong, wrong
    for rpc in ("Connect", "GetAgent", "GetRoutedQueue"):
        assert (rpc, grpc.StatusCode.UNAVAILABLE) in answered, seen
