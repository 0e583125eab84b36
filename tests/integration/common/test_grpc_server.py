"""The gRPC bootstrap in-process over loopback: health, reflection, error mapping, metrics, auth hook."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping

import grpc
import pytest
from grpc import aio
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from prometheus_client import CollectorRegistry

from tests.fixtures.platform import sample
from vaxel.sla.v1 import sla_pb2, sla_pb2_grpc
from vaxel_common.auth import Principal
from vaxel_common.errors import Unauthenticated
from vaxel_common.grpc_server import GrpcServer
from vaxel_common.metrics import PlatformMetrics
from vaxel_sla.adapters.servicers import SlaServicer
from vaxel_sla.domain.alerts import AlertBook
from vaxel_sla.domain.book import ServiceLevelBook
from vaxel_sla.domain.facts import InteractionFact, Step
from vaxel_sla.domain.terms import QueueTerms, TermsReplica

pytestmark = pytest.mark.integration
SLA_SERVICE = sla_pb2.DESCRIPTOR.services_by_name["SlaService"].full_name


class KeyAuthenticator:
    """Accepts one key, for tenant t1."""

    async def authenticate(self, method: str, metadata: Mapping[str, str]) -> Principal:
        if metadata.get("x-api-key") != "good":
            raise Unauthenticated("bad key")
        return Principal(subject="k1", tenant_id="t1", scopes=frozenset({"reports:read"}))


@pytest.fixture
async def starting() -> AsyncIterator[tuple[GrpcServer, CollectorRegistry]]:
    """A started server that has not said it is ready."""
    registry = CollectorRegistry()
    terms = TermsReplica()
    terms.apply_queue(QueueTerms("t1", "q1", channels=(1,)))
    book = ServiceLevelBook()
    book.apply(InteractionFact("e1", "t1", "i1", Step.CREATED, time.time(), queue_id="q1", channel=1))
    srv = GrpcServer("test", PlatformMetrics.create(registry), authenticator=KeyAuthenticator())
    srv.add(sla_pb2_grpc.add_SlaServiceServicer_to_server, SlaServicer(book, terms, AlertBook()), SLA_SERVICE)
    await srv.start()
    yield srv, registry
    await srv.stop(0)


@pytest.fixture
async def server(starting: tuple[GrpcServer, CollectorRegistry]) -> tuple[GrpcServer, CollectorRegistry]:
    """A ready server."""
    await starting[0].set_serving()
    return starting


class TestHealthAndReflection:
    async def test_not_serving_until_ready_then_serving(
        self, starting: tuple[GrpcServer, CollectorRegistry]
    ) -> None:
        srv, _ = starting
        async with aio.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)
            before = await health.Check(health_pb2.HealthCheckRequest(service=SLA_SERVICE))
            assert before.status == health_pb2.HealthCheckResponse.NOT_SERVING
            await srv.set_serving()
            after = await health.Check(health_pb2.HealthCheckRequest(service=SLA_SERVICE))
            assert after.status == health_pb2.HealthCheckResponse.SERVING

    async def test_rpcs_are_unavailable_until_ready(
        self, starting: tuple[GrpcServer, CollectorRegistry]
    ) -> None:
        srv, _ = starting
        async with aio.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            stub = sla_pb2_grpc.SlaServiceStub(channel)
            with pytest.raises(aio.AioRpcError) as err:
                await stub.GetQueueStatistics(
                    sla_pb2.GetQueueStatisticsRequest(queue_id="q1"), metadata=(("x-api-key", "good"),)
                )
            assert err.value.code() == grpc.StatusCode.UNAVAILABLE
            await srv.set_serving()
            reply = await stub.GetQueueStatistics(
                sla_pb2.GetQueueStatisticsRequest(queue_id="q1"), metadata=(("x-api-key", "good"),)
            )
            assert reply.statistics.offered == 1

    async def test_reflection_lists_the_service(self, server: tuple[GrpcServer, CollectorRegistry]) -> None:
        srv, _ = server
        async with aio.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            stub = reflection_pb2_grpc.ServerReflectionStub(channel)
            call = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
            reply = await call.read()
            names = {s.name for s in reply.list_services_response.service}
            assert SLA_SERVICE in names


class TestInterceptors:
    async def test_missing_key_is_unauthenticated_and_counted(
        self, server: tuple[GrpcServer, CollectorRegistry]
    ) -> None:
        srv, registry = server
        async with aio.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            stub = sla_pb2_grpc.SlaServiceStub(channel)
            with pytest.raises(aio.AioRpcError) as err:
                await stub.GetQueueStatistics(sla_pb2.GetQueueStatisticsRequest(queue_id="q1"))
            assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert (
            registry.get_sample_value(
                "vaxel_grpc_requests_total",
                {
                    "service": "test",
                    "method": "/vaxel.sla.v1.SlaService/GetQueueStatistics",
                    "code": "UNAUTHENTICATED",
                },
            )
            == 1.0
        )

    async def test_principal_scopes_the_tenant(self, server: tuple[GrpcServer, CollectorRegistry]) -> None:
        srv, _ = server
        key = (("x-api-key", "good"),)
        async with aio.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            stub = sla_pb2_grpc.SlaServiceStub(channel)
            own = await stub.GetQueueStatistics(
                sla_pb2.GetQueueStatisticsRequest(queue_id="q1"), metadata=key
            )
            assert own.statistics.tenant_id == "t1"
            assert own.statistics.offered == 1
            with pytest.raises(aio.AioRpcError) as err:
                await stub.GetQueueStatistics(
                    sla_pb2.GetQueueStatisticsRequest(tenant_id="t2", queue_id="q1"), metadata=key
                )
            assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED

    async def test_domain_error_maps_to_invalid_argument_with_the_field(
        self, server: tuple[GrpcServer, CollectorRegistry]
    ) -> None:
        srv, registry = server
        async with aio.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            stub = sla_pb2_grpc.SlaServiceStub(channel)
            with pytest.raises(aio.AioRpcError) as err:
                await stub.GetQueueStatistics(
                    sla_pb2.GetQueueStatisticsRequest(), metadata=(("x-api-key", "good"),)
                )
            assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
            assert (err.value.details() or "").startswith("queue_id:")
        from prometheus_client import generate_latest  # noqa: PLC0415

        text = generate_latest(registry).decode()
        assert sample(text, "vaxel_grpc_request_duration_seconds_count", service="test") >= 1


async def test_calls_beyond_the_limit_are_refused_as_resource_exhausted() -> None:
    """Overload is a clear RESOURCE_EXHAUSTED (long-lived streams count), never a silent CANCELLED."""
    srv = GrpcServer("test", PlatformMetrics.create(CollectorRegistry()), max_concurrent_rpcs=3)
    await srv.start()
    await srv.set_serving()
    try:
        async with aio.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)
            watches = [health.Watch(health_pb2.HealthCheckRequest()) for _ in range(3)]
            for watch in watches:
                assert (await watch.read()).status == health_pb2.HealthCheckResponse.SERVING
            with pytest.raises(grpc.RpcError) as refused:
                await health.Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            watches[0].cancel()
            await asyncio.sleep(0.2)
            answer = await health.Check(health_pb2.HealthCheckRequest(), timeout=5)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
            for watch in watches[1:]:
                watch.cancel()
    finally:
        await srv.stop(0)
