"""Routing end to end over real gRPC and the real broker: agents, offers, the desk stream, events."""

from __future__ import annotations

import time

import grpc
import pytest

from tests.fixtures.routing import Desk, RoutedTenant, interaction_events, routed_tenant, upsert_agent
from vaxel.events.v1 import events_pb2
from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.personal_events import open_event, sealed_key_id
from vaxel_common.supervisor import Platform

pytestmark = pytest.mark.integration


@pytest.fixture
def tenant(platform: Platform, channels: dict[str, grpc.Channel]) -> RoutedTenant:
    return routed_tenant(platform, channels)


def submit(
    channels: dict[str, grpc.Channel], tenant: RoutedTenant, **kw: object
) -> routing_pb2.SubmitInteractionResponse:
    stub = routing_pb2_grpc.RoutingServiceStub(channels["routing"])
    kw.setdefault("channel", types_pb2.CHANNEL_VOICE)
    request = routing_pb2.SubmitInteractionRequest(
        queue_id=tenant.queue_id,
        language="sv-SE",
        **kw,  # type: ignore[arg-type]
    )
    reply: routing_pb2.SubmitInteractionResponse = stub.SubmitInteraction(
        request, metadata=tenant.key, timeout=10
    )
    return reply


def routed(events: list[events_pb2.Event]) -> list[events_pb2.Event]:
    """The events routing published (the interaction log adds survey.sent to the same topic)."""
    return [e for e in events if e.producer == "routing"]


def test_an_interaction_is_offered_accepted_handled_and_wrapped_up(
    platform: Platform, channels: dict[str, grpc.Channel], tenant: RoutedTenant
) -> None:
    agent_id = upsert_agent(channels, platform, tenant, "anna")
    desk = Desk(channels["routing"], agent_id, platform.admin_metadata)
    try:
        state = desk.next("state")
        assert state.presence == types_pb2.PRESENCE_NOT_READY  # type: ignore[attr-defined]
        desk.ready()
        queued = submit(
            channels,
            tenant,
            customer_ref="cust-42",
            contact=types_pb2.Contact(phone_number="+46 70 123 45 67"),
        )
        assert queued.disposition == routing_pb2.DISPOSITION_QUEUED
        offer = desk.offer()
        assert offer.interaction_id == queued.interaction_id
        assert offer.guidelines == "Greet in Swedish."
        assert offer.customer_ref == "cust-42"
        assert desk.do(accept_offer=routing_pb2.AcceptOffer(offer_id=offer.offer_id)).code == 0
        end = routing_pb2.EndInteraction(interaction_id=offer.interaction_id)
        assert desk.do(end_interaction=end).code == 0
        wrap = routing_pb2.WrapUp(
            interaction_id=offer.interaction_id, disposition="resolved", tags=["billing"]
        )
        assert desk.do(wrap_up=wrap).code == 0
    finally:
        desk.close()
    kinds = [
        "interaction.created",
        "interaction.queued",
        "interaction.offered",
        "offer.accepted",
        "interaction.connected",
        "interaction.ended",
        "interaction.wrapped_up",
    ]
    events = interaction_events(
        platform, {queued.interaction_id}, lambda found: len(routed(found)) >= len(kinds)
    )
    events = routed(events)  # not the interaction log's survey request, which follows the end
    assert [e.event_type for e in events] == kinds
    # The contact is sealed on the topic; routing's PersonalDataService gives the provider's services the key.
    assert b"46701234567" not in events[0].SerializeToString()
    keys = routing_pb2_grpc.PersonalDataServiceStub(channels["routing"])
    request = routing_pb2.GetDataKeysRequest(key_ids=[sealed_key_id(events[0])])
    with pytest.raises(grpc.RpcError) as err:
        keys.GetDataKeys(request, metadata=tenant.key, timeout=5)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    found = keys.GetDataKeys(request, metadata=platform.admin_metadata, timeout=5).keys
    open_event(events[0], found.get)
    created = events[0].interaction_created
    assert created.contact.phone_number == "+46701234567"  # canonical E.164
    assert all(e.tenant_id == tenant.tenant_id for e in events)
    assert events[-1].interaction_wrapped_up.tags == ["billing"]


def test_reject_reoffers_and_offer_errors_are_clear(
    platform: Platform, channels: dict[str, grpc.Channel], tenant: RoutedTenant
) -> None:
    anna = Desk(
        channels["routing"], upsert_agent(channels, platform, tenant, "anna"), platform.admin_metadata
    )
    bo = Desk(channels["routing"], upsert_agent(channels, platform, tenant, "bo"), platform.admin_metadata)
    try:
        anna.ready()
        time.sleep(0.05)
        bo.ready()
        submit(channels, tenant)
        first = anna.offer()
        wrong = bo.do(accept_offer=routing_pb2.AcceptOffer(offer_id=first.offer_id))
        assert wrong.code == grpc.StatusCode.PERMISSION_DENIED.value[0]
        assert anna.do(reject_offer=routing_pb2.RejectOffer(offer_id=first.offer_id, reason="busy")).code == 0
        second = bo.offer()
        assert second.interaction_id == first.interaction_id
        assert second.attempt == 2
        late = anna.do(accept_offer=routing_pb2.AcceptOffer(offer_id=first.offer_id))
        assert late.code == grpc.StatusCode.FAILED_PRECONDITION.value[0]
        assert "closed" in late.message
        unknown = anna.do(accept_offer=routing_pb2.AcceptOffer(offer_id="no-such-offer"))
        assert unknown.code == grpc.StatusCode.NOT_FOUND.value[0]
    finally:
        anna.close()
        bo.close()


def test_a_reconnecting_desk_resumes_its_open_offer(
    platform: Platform, channels: dict[str, grpc.Channel], tenant: RoutedTenant
) -> None:
    agent_id = upsert_agent(channels, platform, tenant, "cy")
    desk = Desk(channels["routing"], agent_id, platform.admin_metadata)
    desk.ready()
    queued = submit(channels, tenant)
    offer = desk.offer()
    desk.close()
    again = Desk(channels["routing"], agent_id, platform.admin_metadata)
    try:
        state = again.next("state")
        assert [o.offer_id for o in state.offers] == [offer.offer_id]  # type: ignore[attr-defined]
        assert [w.interaction_id for w in state.work] == [queued.interaction_id]  # type: ignore[attr-defined]
        assert again.do(accept_offer=routing_pb2.AcceptOffer(offer_id=offer.offer_id)).code == 0
    finally:
        again.close()


def test_position_estimated_wait_and_abandon(
    platform: Platform, channels: dict[str, grpc.Channel], tenant: RoutedTenant
) -> None:
    stub = routing_pb2_grpc.RoutingServiceStub(channels["routing"])
    first = submit(channels, tenant)
    second = submit(channels, tenant)
    assert (first.position, second.position) == (1, 2)
    assert (
        second.estimated_wait.ToTimedelta().total_seconds()
        > first.estimated_wait.ToTimedelta().total_seconds()
    )
    status = stub.GetInteractionStatus(
        routing_pb2.GetInteractionStatusRequest(interaction_id=second.interaction_id), metadata=tenant.key
    )
    assert (status.state, status.position) == ("waiting", 2)
    stub.AbandonInteraction(
        routing_pb2.AbandonInteractionRequest(interaction_id=first.interaction_id), metadata=tenant.key
    )
    status = stub.GetInteractionStatus(
        routing_pb2.GetInteractionStatusRequest(interaction_id=second.interaction_id), metadata=tenant.key
    )
    assert status.position == 1
    events = interaction_events(
        platform,
        {first.interaction_id},
        lambda found: any(e.HasField("interaction_abandoned") for e in found),
    )
    assert [e.event_type for e in events][-1] == "interaction.abandoned"


def test_bad_input_gets_clear_errors(
    platform: Platform, channels: dict[str, grpc.Channel], tenant: RoutedTenant
) -> None:
    stub = routing_pb2_grpc.RoutingServiceStub(channels["routing"])
    cases = {
        "queue": (
            routing_pb2.SubmitInteractionRequest(queue_id="nope", channel=types_pb2.CHANNEL_VOICE),
            grpc.StatusCode.NOT_FOUND,
            "",
        ),
        "phone": (
            routing_pb2.SubmitInteractionRequest(
                queue_id=tenant.queue_id,
                channel=types_pb2.CHANNEL_VOICE,
                contact=types_pb2.Contact(phone_number="12ab"),
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
            "contact.phone_number:",
        ),
        "channel": (
            routing_pb2.SubmitInteractionRequest(queue_id=tenant.queue_id, channel=types_pb2.CHANNEL_EMAIL),
            grpc.StatusCode.INVALID_ARGUMENT,
            "channel:",
        ),
    }
    for name, (request, code, prefix) in cases.items():
        with pytest.raises(grpc.RpcError) as err:
            stub.SubmitInteraction(request, metadata=tenant.key, timeout=10)
        assert err.value.code() == code, name
        assert (err.value.details() or "").startswith(prefix), name
    other = routed_tenant(platform, channels)
    mine = submit(channels, tenant)
    with pytest.raises(grpc.RpcError) as err:
        stub.AbandonInteraction(
            routing_pb2.AbandonInteractionRequest(interaction_id=mine.interaction_id), metadata=other.key
        )
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.RpcError) as err:
        stub.SubmitInteraction(
            routing_pb2.SubmitInteractionRequest(
                tenant_id=other.tenant_id, queue_id=other.queue_id, channel=types_pb2.CHANNEL_VOICE
            ),
            metadata=tenant.key,
        )
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_faq_deflection_answers_first_and_escalation_queues(
    platform: Platform, channels: dict[str, grpc.Channel], tenant: RoutedTenant
) -> None:
    from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc  # noqa: PLC0415

    tenants = tenant_pb2_grpc.TenantServiceStub(channels["client-tenant"])
    tenants.CreateFaqEntry(
        tenant_pb2.CreateFaqEntryRequest(
            entry=tenant_pb2.FaqEntry(
                language="sv-SE",
                question="Hur byter jag abonnemang?",
                answer="I appen under Mina sidor.",
                keywords=["byta", "abonnemang"],
            )
        ),
        metadata=tenant.key,
    )
    deadline = time.monotonic() + 10
    attempt = 0
    while True:  # the FAQ entry reaches routing's replica through the config topic
        attempt += 1
        reply = submit(
            channels,
            tenant,
            channel=types_pb2.CHANNEL_CHAT,
            text="Hej! Jag vill byta abonnemang",
            idempotency_key=f"k{attempt}",
        )
        if reply.disposition == routing_pb2.DISPOSITION_DEFLECTED or time.monotonic() > deadline:
            break
        routing_pb2_grpc.RoutingServiceStub(channels["routing"]).AbandonInteraction(
            routing_pb2.AbandonInteractionRequest(interaction_id=reply.interaction_id), metadata=tenant.key
        )
        time.sleep(0.3)
    assert reply.disposition == routing_pb2.DISPOSITION_DEFLECTED
    assert reply.faq_answer == "I appen under Mina sidor."
    escalated = submit(
        channels,
        tenant,
        channel=types_pb2.CHANNEL_CHAT,
        text="Hej! Jag vill byta abonnemang",
        idempotency_key="k1-escalated",
        escalate=True,
    )
    assert escalated.disposition == routing_pb2.DISPOSITION_QUEUED
    # The matcher (vaxel_vocabulary.faq_matching) on the real submit path: a compound and an inflection
    # still deflect; turning the entry down or asking for a person queues.
    compound = submit(
        channels,
        tenant,
        channel=types_pb2.CHANNEL_CHAT,
        text="Byta mobilabonnemanget?",
        idempotency_key="k1-c",
    )
    assert compound.disposition == routing_pb2.DISPOSITION_DEFLECTED
    for key, text in (
        ("k1-not", "Jag vill inte byta abonnemang"),
        ("k1-person", "Jag vill byta abonnemang men prata med en människa"),
    ):
        queued = submit(channels, tenant, channel=types_pb2.CHANNEL_CHAT, text=text, idempotency_key=key)
        assert queued.disposition == routing_pb2.DISPOSITION_QUEUED, text
    events = interaction_events(platform, {reply.interaction_id}, lambda found: len(found) >= 2)
    assert [e.WhichOneof("payload") for e in events] == ["interaction_created", "deflected_by_faq"]


def test_agents_are_refused_to_tenant_keys_and_validated(
    platform: Platform, channels: dict[str, grpc.Channel], tenant: RoutedTenant
) -> None:
    admin = routing_pb2_grpc.AgentAdminServiceStub(channels["routing"])
    agent = routing_pb2.Agent(agent_id="x", languages=["sv"], tenant_ids=[tenant.tenant_id])
    with pytest.raises(grpc.RpcError) as err:
        admin.UpsertAgent(routing_pb2.UpsertAgentRequest(agent=agent), metadata=tenant.key)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.RpcError) as err:
        admin.GetAgent(routing_pb2.GetAgentRequest(agent_id="x"), metadata=tenant.key)
    assert err.value.code() == grpc.StatusCode.PERMISSION_DENIED
    bad = routing_pb2.Agent(
        agent_id="x",
        languages=["sv"],
        tenant_ids=[tenant.tenant_id],
        skills=[routing_pb2.SkillLevel(skill_id="s", proficiency=9)],
    )
    with pytest.raises(grpc.RpcError) as err:
        admin.UpsertAgent(routing_pb2.UpsertAgentRequest(agent=bad), metadata=platform.admin_metadata)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert (err.value.details() or "").startswith("agent.skills:")
