"""A desk stream that drops without a sign-out (issue 17, fault 12), against the real routing server:
a desk back within the grace keeps the agent as they were; past it the agent is logged out and their
offer goes to another agent. The session's platform runs routing with a 3 s grace."""

from __future__ import annotations

import time

import grpc
import pytest

from tests.fixtures.platform import DESK_GRACE_SECONDS, eventually
from tests.fixtures.routing import Desk, routed_tenant, submit, upsert_agent
from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.supervisor import Platform

pytestmark = pytest.mark.integration


def agent_now(
    channels: dict[str, grpc.Channel], platform: Platform, agent_id: str
) -> routing_pb2.GetAgentResponse:
    admin = routing_pb2_grpc.AgentAdminServiceStub(channels["routing"])
    reply: routing_pb2.GetAgentResponse = admin.GetAgent(
        routing_pb2.GetAgentRequest(agent_id=agent_id), metadata=platform.admin_metadata, timeout=10
    )
    return reply


def test_a_desk_that_reconnects_within_the_grace_stays_logged_in(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> None:
    tenant = routed_tenant(platform, channels)
    agent_id = upsert_agent(channels, platform, tenant, "greta")
    first = Desk(channels["routing"], agent_id, platform.admin_metadata)
    first.ready()
    first.close()  # dropped: no Logout
    again = Desk(channels["routing"], agent_id, platform.admin_metadata)
    try:
        state = again.next("state")
        assert state.presence == types_pb2.PRESENCE_AVAILABLE  # type: ignore[attr-defined]
        time.sleep(2 * DESK_GRACE_SECONDS + 1)  # past the grace of the drop: nothing may happen
        now = agent_now(channels, platform, agent_id)
        assert now.presence == types_pb2.PRESENCE_AVAILABLE
        assert now.presence_reason == ""
        queued = submit(channels, tenant)
        assert again.offer(timeout=20).interaction_id == queued.interaction_id  # still offered work
    finally:
        again.close()


def test_past_the_grace_the_agent_is_logged_out_and_the_offer_goes_to_another(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> None:
    tenant = routed_tenant(platform, channels)
    anna = upsert_agent(channels, platform, tenant, "anna")
    bo = upsert_agent(channels, platform, tenant, "bo")
    anna_desk = Desk(channels["routing"], anna, platform.admin_metadata)
    anna_desk.ready()
    time.sleep(0.05)  # anna idle longest: the offer is hers
    bo_desk = Desk(channels["routing"], bo, platform.admin_metadata)
    try:
        bo_desk.ready()
        queued = submit(channels, tenant)
        assert anna_desk.offer(timeout=20).interaction_id == queued.interaction_id
        anna_desk.close()  # dropped while holding the offer

        def logged_out() -> routing_pb2.GetAgentResponse:
            now = agent_now(channels, platform, anna)
            assert now.presence == types_pb2.PRESENCE_OFFLINE
            return now

        now = eventually(logged_out, timeout=30)
        # Logged out for the drop, not gone NOT_READY for a missed offer (the offer's own timeout is 15 s).
        assert now.presence_reason == "desk disconnected"
        assert not now.work
        assert bo_desk.offer(timeout=30).interaction_id == queued.interaction_id
    finally:
        bo_desk.close()
