"""Transfers over real gRPC and the real broker (issue 17 fault 6): a transfer to an agent obeys
routing's eligibility, and a transfer into a queue starts that queue's overflow clock."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf import duration_pb2

from tests.fixtures.routing import (
    Desk,
    RoutedTenant,
    interaction_events,
    routed_tenant,
    upsert_agent,
    wait_until_routed,
)
from vaxel.routing.v1 import routing_pb2
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.supervisor import Platform

from .test_agent_desk import routed, submit

pytestmark = pytest.mark.integration


def desk_of(platform: Platform, channels: dict[str, grpc.Channel], tenant: RoutedTenant, name: str) -> Desk:
    desk = Desk(channels["routing"], upsert_agent(channels, platform, tenant, name), platform.admin_metadata)
    desk.ready()
    return desk


def connected(desk: Desk, channels: dict[str, grpc.Channel], tenant: RoutedTenant) -> str:
    queued = submit(channels, tenant)
    offer = desk.offer()
    assert offer.interaction_id == queued.interaction_id
    assert desk.do(accept_offer=routing_pb2.AcceptOffer(offer_id=offer.offer_id)).code == 0
    return queued.interaction_id


def test_a_transfer_to_an_agent_of_another_tenant_is_refused_naming_the_reason(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> None:
    ours, theirs = routed_tenant(platform, channels), routed_tenant(platform, channels)
    anna = desk_of(platform, channels, ours, "anna")
    stranger = desk_of(platform, channels, theirs, "stranger")  # serves only the other tenant
    try:
        interaction_id = connected(anna, channels, ours)
        to_stranger = routing_pb2.Transfer(interaction_id=interaction_id, to_agent_id=stranger.agent_id)
        refused = anna.do(transfer=to_stranger)
        assert refused.code == grpc.StatusCode.FAILED_PRECONDITION.value[0]
        assert refused.message.startswith(f"to_agent_id: agent {stranger.agent_id!r} ")
        assert refused.message.endswith("(tenant)")
        with pytest.raises(TimeoutError):
            stranger.offer(timeout=1.0)
        # anna still holds the customer: she ends and wraps up as usual
        assert anna.do(end_interaction=routing_pb2.EndInteraction(interaction_id=interaction_id)).code == 0
        assert anna.do(wrap_up=routing_pb2.WrapUp(interaction_id=interaction_id)).code == 0
    finally:
        anna.close()
        stranger.close()
    events = routed(
        interaction_events(
            platform, {interaction_id}, lambda found: any(e.HasField("interaction_wrapped_up") for e in found)
        )
    )
    assert not [e for e in events if e.HasField("interaction_transferred")]
    assert {e.agent_id for e in events if e.agent_id} == {anna.agent_id}


def test_a_transfer_into_a_queue_overflows_by_that_queue_s_rule(
    platform: Platform, channels: dict[str, grpc.Channel]
) -> None:
    tenant = routed_tenant(platform, channels)
    tenants = tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
    expert = tenants.CreateSkill(tenant_pb2.CreateSkillRequest(name="Escalations"), metadata=tenant.key).skill
    tier2 = tenants.CreateQueue(
        tenant_pb2.CreateQueueRequest(
            name="Tier 2",
            channels=[types_pb2.CHANNEL_VOICE],
            language="sv-SE",
            configuration=tenant_pb2.Queue(
                # nobody has the skill: only the overflow rule can get the customer answered
                required_skills=[tenant_pb2.SkillRequirement(skill_id=expert.skill_id, min_proficiency=5)],
                overflow_rules=[
                    tenant_pb2.OverflowRule(
                        after=duration_pb2.Duration(seconds=2), to_queue_id=tenant.queue_id
                    )
                ],
            ),
        ),
        metadata=tenant.key,
    ).queue
    wait_until_routed(channels, tenant, lambda held: held.queue_version >= tier2.version, tier2.queue_id)
    anna = desk_of(platform, channels, tenant, "anna")
    bo = Desk(channels["routing"], upsert_agent(channels, platform, tenant, "bo"), platform.admin_metadata)
    try:
        interaction_id = connected(anna, channels, tenant)
        bo.ready()  # serves Support, not Tier 2
        to_tier2 = routing_pb2.Transfer(interaction_id=interaction_id, to_queue_id=tier2.queue_id)
        assert anna.do(transfer=to_tier2).code == 0
        offer = bo.offer(timeout=15.0)  # after Tier 2's 2 s, back in Support
        assert offer.interaction_id == interaction_id
    finally:
        anna.close()
        bo.close()
    events = routed(
        interaction_events(
            platform,
            {interaction_id},
            lambda found: len([e for e in found if e.HasField("interaction_transferred")]) >= 2,
        )
    )
    moves = [e for e in events if e.HasField("interaction_transferred")]
    assert [(e.agent_id, e.interaction_transferred.to_queue_id) for e in moves[:2]] == [
        (anna.agent_id, tier2.queue_id),
        ("", tenant.queue_id),
    ]
    waited = moves[1].occurred_at.ToDatetime() - moves[0].occurred_at.ToDatetime()
    assert waited.total_seconds() >= 2
