"""The projected service level in GetQueueStatistics (issue 18), in-process over loopback: a real gRPC
server over a book, called with a tenant's key."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping

import grpc
import pytest
from grpc import aio
from prometheus_client import CollectorRegistry

from vaxel.sla.v1 import sla_pb2, sla_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.auth import Principal
from vaxel_common.grpc_server import GrpcServer
from vaxel_common.metrics import PlatformMetrics
from vaxel_sla.adapters.servicers import SlaServicer
from vaxel_sla.domain.alerts import AlertBook
from vaxel_sla.domain.book import ServiceLevelBook
from vaxel_sla.domain.facts import AgentFact, InteractionFact, Step
from vaxel_sla.domain.terms import ChannelTarget, QueueTerms, TermsReplica

pytestmark = pytest.mark.integration
SLA_SERVICE = sla_pb2.DESCRIPTOR.services_by_name["SlaService"].full_name
VOICE = types_pb2.CHANNEL_VOICE
AVAILABLE = 2


class TenantKey:
    """The key of tenant t1."""

    async def authenticate(self, method: str, metadata: Mapping[str, str]) -> Principal:
        return Principal(subject="k1", tenant_id="t1", scopes=frozenset({"reports:read"}))


@pytest.fixture
async def stub() -> AsyncIterator[sla_pb2_grpc.SlaServiceAsyncStub]:
    """q1 of t1: three callers waiting for a minute (threshold 20 s) and nobody serving it; q2 of t1:
    one caller just arrived and an agent that has served q2 idle; q3 belongs to t2."""
    now = time.time()
    terms = TermsReplica()
    for tenant, queue in (("t1", "q1"), ("t1", "q2"), ("t2", "q3")):
        terms.apply_queue(
            QueueTerms(tenant, queue, targets={VOICE: ChannelTarget(0.8, 20)}, channels=(VOICE,))
        )
    book = ServiceLevelBook()
    for n in range(3):
        book.apply(
            InteractionFact(f"c{n}", "t1", f"i{n}", Step.CREATED, now - 60, queue_id="q1", channel=VOICE)
        )
    book.apply_agent(AgentFact("p", "a1", now - 3000, AVAILABLE))
    book.apply(InteractionFact("c9", "t1", "i9", Step.CREATED, now - 1300, queue_id="q2", channel=VOICE))
    book.apply(InteractionFact("a9", "t1", "i9", Step.CONNECTED, now - 1290, agent_id="a1"))
    book.apply(InteractionFact("w9", "t1", "i9", Step.WRAPPED_UP, now - 1000, agent_id="a1"))
    book.apply(InteractionFact("c8", "t1", "i8", Step.CREATED, now - 1, queue_id="q2", channel=VOICE))
    srv = GrpcServer("test", PlatformMetrics.create(CollectorRegistry()), authenticator=TenantKey())
    srv.add(sla_pb2_grpc.add_SlaServiceServicer_to_server, SlaServicer(book, terms, AlertBook()), SLA_SERVICE)
    await srv.start()
    await srv.set_serving()
    async with aio.insecure_channel(f"127.0.0.1:{srv.port}") as channel:
        yield sla_pb2_grpc.SlaServiceStub(channel)
    await srv.stop(0)


async def _projected(
    stub: sla_pb2_grpc.SlaServiceAsyncStub, queue_id: str
) -> list[sla_pb2.ProjectedServiceLevel]:
    reply = await stub.GetQueueStatistics(sla_pb2.GetQueueStatisticsRequest(queue_id=queue_id), timeout=10)
    return list(reply.statistics.projected)


class TestProjectedServiceLevel:
    async def test_nobody_serving_waiting_work_past_the_threshold_projects_zero(
        self, stub: sla_pb2_grpc.SlaServiceAsyncStub
    ) -> None:
        current, upcoming = await _projected(stub, "q1")
        assert (current.next, upcoming.next) == (False, True)
        assert (current.channel, current.service_level, current.target, current.agents) == (
            VOICE,
            0.0,
            0.8,
            0.0,
        )
        assert upcoming.HasField("service_level")
        assert upcoming.service_level == 0.0  # the last hour's callers keep coming, nobody answers them
        assert upcoming.interval_start.seconds - current.interval_start.seconds == 900
        assert upcoming.forecast_arrivals == pytest.approx(3 / 3600 * 900)

    async def test_an_idle_agent_answers_the_one_waiting_in_time(
        self, stub: sla_pb2_grpc.SlaServiceAsyncStub
    ) -> None:
        current, _ = await _projected(stub, "q2")
        assert current.agents == 1.0
        assert current.service_level > 0.9

    async def test_another_tenants_queue_is_not_found(self, stub: sla_pb2_grpc.SlaServiceAsyncStub) -> None:
        with pytest.raises(aio.AioRpcError) as err:
            await _projected(stub, "q3")
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
