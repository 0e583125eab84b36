"""GetAgentUtilisation honours the call's deadline like the other long SLA calls (issue 18): it sums the
agents a slice at a time and checks the deadline (or the service's own limit) between slices. In-process
over loopback: a real gRPC server holding a book of many agents."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from grpc import aio
from prometheus_client import CollectorRegistry

from vaxel.sla.v1 import sla_pb2, sla_pb2_grpc
from vaxel_common.auth import Principal
from vaxel_common.grpc_server import GrpcServer
from vaxel_common.metrics import PlatformMetrics
from vaxel_sla.adapters.servicers import SlaServicer
from vaxel_sla.domain.alerts import AlertBook
from vaxel_sla.domain.book import ServiceLevelBook
from vaxel_sla.domain.facts import AgentFact, InteractionFact, Step
from vaxel_sla.domain.terms import TermsReplica

pytestmark = pytest.mark.integration
SLA_SERVICE = sla_pb2.DESCRIPTOR.services_by_name["SlaService"].full_name
AGENTS = 250
AVAILABLE = 2
NOW = time.time()


class OpsKey:
    async def authenticate(self, method: str, metadata: Mapping[str, str]) -> Principal:
        return Principal(subject="ops", tenant_id=None, scopes=frozenset({"reports:read"}))


def crowded_book() -> ServiceLevelBook:
    """``AGENTS`` agents, each available for the last hour and handling one call of tenant t1."""
    book = ServiceLevelBook()
    for n in range(AGENTS):
        agent, ident = f"a{n:03d}", f"i{n}"
        book.apply_agent(AgentFact(f"{agent}-in", agent, NOW - 3600, AVAILABLE, "sto"))
        book.apply(
            InteractionFact(f"{ident}-c", "t1", ident, Step.CREATED, NOW - 1900, queue_id="q", channel=1)
        )
        book.apply(InteractionFact(f"{ident}-a", "t1", ident, Step.CONNECTED, NOW - 1800, agent_id=agent))
        book.apply(InteractionFact(f"{ident}-w", "t1", ident, Step.WRAPPED_UP, NOW - 900, agent_id=agent))
    return book


Serve = Callable[[float], Awaitable[str]]


@pytest.fixture
async def serve() -> AsyncIterator[Serve]:
    """Starts a ready SLA server over the crowded book with the given work limit; returns its target."""
    book = crowded_book()
    servers: list[GrpcServer] = []

    async def start(max_work_seconds: float) -> str:
        srv = GrpcServer("test", PlatformMetrics.create(CollectorRegistry()), authenticator=OpsKey())
        servicer = SlaServicer(book, TermsReplica(), AlertBook(), max_work_seconds=max_work_seconds)
        srv.add(sla_pb2_grpc.add_SlaServiceServicer_to_server, servicer, SLA_SERVICE)
        await srv.start()
        await srv.set_serving()
        servers.append(srv)
        return f"127.0.0.1:{srv.port}"

    yield start
    for srv in servers:
        await srv.stop(0)


def _last_hour() -> sla_pb2.GetAgentUtilisationRequest:
    request = sla_pb2.GetAgentUtilisationRequest(to=Timestamp(seconds=int(NOW) + 1))
    getattr(request, "from").CopyFrom(Timestamp(seconds=int(NOW) - 3600))
    return request


class TestAgentUtilisationDeadline:
    async def test_within_its_limit_every_agent_is_summed(self, serve: Serve) -> None:
        target = await serve(60.0)
        async with aio.insecure_channel(target) as channel:
            reply = await sla_pb2_grpc.SlaServiceStub(channel).GetAgentUtilisation(_last_hour(), timeout=30)
        assert [a.agent_id for a in reply.agents] == [f"a{n:03d}" for n in range(AGENTS)]
        assert reply.sites["sto"].handling_seconds == pytest.approx(AGENTS * 900)

    async def test_past_the_services_limit_it_is_deadline_exceeded(self, serve: Serve) -> None:
        # A call without a deadline of its own: the service's limit (here a microsecond) stops it at the
        # first check, where before the whole period was summed however long it took.
        target = await serve(1e-6)
        async with aio.insecure_channel(target) as channel:
            stub = sla_pb2_grpc.SlaServiceStub(channel)
            with pytest.raises(aio.AioRpcError) as err:
                await stub.GetAgentUtilisation(_last_hour())
            assert err.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
            assert "deadline" in (err.value.details() or "")
            alerts = await stub.ListAlerts(
                sla_pb2.ListAlertsRequest(), timeout=5
            )  # the service still answers
            assert list(alerts.alerts) == []
