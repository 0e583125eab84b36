"""A chat end to end over the real broker and gRPC: a customer with the tenant's public chat key
starts it, routing offers it to an agent on the desk, both exchange messages, typing notices and read
marks, the CLI prints the transcript; a reconnect resumes without loss or duplicates; leaving while
waiting abandons at routing."""

from __future__ import annotations

import uuid

import grpc
import pytest
from typer.testing import CliRunner

from tests.fixtures.conversation import (
    ChatStream,
    ChatTenant,
    chat_tenant,
    conversation,
    handled_chat,
    post,
    start_chat,
    transcript,
)
from tests.fixtures.platform import eventually
from tests.fixtures.routing import interaction_events
from vaxel.conversation.v1 import conversation_pb2 as pb
from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel_cli.app import app
from vaxel_common.supervisor import Platform

pytestmark = pytest.mark.integration


@pytest.fixture
def tenant(platform: Platform, channels: dict[str, grpc.Channel]) -> ChatTenant:
    return chat_tenant(platform, channels)


def test_a_chat_reaches_an_agent_and_both_sides_talk(
    platform: Platform, channels: dict[str, grpc.Channel], tenant: ChatTenant
) -> None:
    handled = handled_chat(platform, channels, tenant, "Hej, min faktura är fel")
    chat = handled.chat
    try:
        first = chat.message()
        assert first.text == "Hej, min faktura är fel"
        assert first.author_kind == pb.AUTHOR_KIND_CUSTOMER
        assert first.sequence == 1
        # The agent answers; the customer's stream shows it, with the agent's typing before.
        signal = pb.SendSignalRequest(
            tenant_id=tenant.tenant_id,
            interaction_id=handled.interaction_id,
            agent_id=handled.agent_id,
            typing=pb.Typing(typing=True),
        )
        conversation(channels).SendSignal(signal, metadata=platform.admin_metadata, timeout=15)
        typing = chat.next("typing")
        assert typing.author_kind == pb.AUTHOR_KIND_AGENT  # type: ignore[attr-defined]
        answer = post(channels, platform, handled, "Hej! Jag tittar på det.")
        assert (
            chat.message(where=lambda m: m.message_id == answer.message_id).text == "Hej! Jag tittar på det."
        )
        # A note is for agents only: the customer never sees it.
        note = post(channels, platform, handled, "Kunden verkar arg", pb.AUTHOR_KIND_INTERNAL_NOTE)
        # The customer writes back and marks the answer read; the agent's watch sees both.
        watch = conversation(channels).WatchTranscript(
            pb.WatchTranscriptRequest(
                tenant_id=tenant.tenant_id,
                interaction_id=handled.interaction_id,
                agent_id=handled.agent_id,
                after_message_id=note.message_id,
            ),
            metadata=platform.admin_metadata,
            timeout=30,
        )
        reply = chat.say("Tack, fakturanummer 4711", key="k-1")
        assert reply.code == 0, reply.message
        mark = chat.send(mark_read=pb.MarkRead(message_id=answer.message_id, state=pb.READ_STATE_READ))
        assert chat.reply(mark).code == 0
        seen = next(iter(watch))
        assert seen.message.message_id == reply.message_id
        assert seen.message.text == "Tack, fakturanummer 4711"
        read = next(iter(watch))
        assert read.read_mark.message_id == answer.message_id
        watch.cancel()  # type: ignore[no-untyped-call]
        shown = [u.message.message_id for u in chat.drain() if u.WhichOneof("update") == "message"]
        assert note.message_id not in shown
        assert reply.message_id in shown
    finally:
        chat.close()
        handled.desk.close()
    messages = transcript(channels, platform, tenant.tenant_id, handled.interaction_id)
    assert [m.text for m in messages] == [
        "Hej, min faktura är fel",
        "Hej! Jag tittar på det.",
        "Kunden verkar arg",
        "Tack, fakturanummer 4711",
    ]
    assert [m.sequence for m in messages] == [1, 2, 3, 4]
    assert messages[2].author_kind == pb.AUTHOR_KIND_INTERNAL_NOTE
    # The command line prints it, as a person reads it.
    result = CliRunner().invoke(
        app,
        [
            "--conversation-target",
            platform.processes["conversation"].grpc_target,
            "--client-tenant-target",
            platform.processes["client-tenant"].grpc_target,
            "--api-key",
            platform.admin_key,
            "transcript",
            handled.interaction_id,
            "--tenant",
            tenant.tenant_id,
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"interaction {handled.interaction_id}" in lines[0]
    assert "customer" in lines[1]
    assert "Hej, min faktura är fel" in lines[1]
    assert f"agent {handled.agent_id}" in lines[2]
    assert "Jag tittar på det." in lines[2]
    assert f"note {handled.agent_id}" in lines[3]
    assert "fakturanummer 4711" in lines[4]


def test_a_reconnect_resumes_after_the_last_message_seen(
    platform: Platform, channels: dict[str, grpc.Channel], tenant: ChatTenant
) -> None:
    handled = handled_chat(platform, channels, tenant, "Första")
    chat = handled.chat
    try:
        first = chat.message()
        second = chat.say("Andra", key="second")
        chat.message(where=lambda m: m.message_id == second.message_id)
    finally:
        chat.close()
    try:
        # While the customer is away the agent answers twice.
        one = post(channels, platform, handled, "Svar ett", idempotency_key="a1")
        two = post(channels, platform, handled, "Svar två", idempotency_key="a2")
        # The agent's resend of a message (the same key) is the same message, once.
        again = post(channels, platform, handled, "Svar ett", idempotency_key="a1")
        assert again.message_id == one.message_id
        back = ChatStream(
            channels["conversation"],
            tenant.chat_key,
            handled.interaction_id,
            handled.started.chat_token,
            last_message_id=second.message_id,
        )
        try:
            assert back.reply(back.join_id).code == 0
            got = [u.message for u in back.drain() if u.WhichOneof("update") == "message"]
            assert [m.message_id for m in got] == [one.message_id, two.message_id]
            # The customer's resend after a lost acknowledgement: the same id, not a new message.
            resent = back.say("Andra", key="second")
            assert resent.code == 0
            assert resent.message_id == second.message_id
        finally:
            back.close()
    finally:
        handled.desk.close()
    ids = [m.message_id for m in transcript(channels, platform, tenant.tenant_id, handled.interaction_id)]
    assert ids == [first.message_id, second.message_id, one.message_id, two.message_id]


def test_leaving_while_waiting_abandons_the_chat(
    platform: Platform, channels: dict[str, grpc.Channel], tenant: ChatTenant
) -> None:
    started = start_chat(channels, tenant, "Är det någon där?")  # no agent is on the desk
    assert started.disposition == pb.DISPOSITION_QUEUED
    assert started.wait.position >= 1
    chat = ChatStream(channels["conversation"], tenant.chat_key, started.interaction_id, started.chat_token)
    try:
        assert chat.reply(chat.join_id).code == 0
        wait = chat.next("wait")
        assert wait.state == "waiting"  # type: ignore[attr-defined]
        assert wait.position >= 1  # type: ignore[attr-defined]
        assert chat.reply(chat.send(leave=pb.Leave())).code == 0
        assert chat.next("ended").reason == "abandoned"  # type: ignore[attr-defined]
    finally:
        chat.close()
    status = routing_pb2_grpc.RoutingServiceStub(channels["routing"])

    def abandoned() -> None:
        reply = status.GetInteractionStatus(
            routing_pb2.GetInteractionStatusRequest(
                tenant_id=tenant.tenant_id, interaction_id=started.interaction_id
            ),
            metadata=platform.admin_metadata,
            timeout=5,
        )
        assert reply.state == "abandoned"

    eventually(abandoned, timeout=30)
    events = interaction_events(
        platform,
        {started.interaction_id},
        lambda found: any(e.event_type == "interaction.abandoned" for e in found),
    )
    assert any(e.event_type == "interaction.abandoned" for e in events)
    # A later message is refused, naming the field.
    again = ChatStream(channels["conversation"], tenant.chat_key, started.interaction_id, started.chat_token)
    try:
        assert again.reply(again.join_id).code == 0
        assert again.next("ended").reason == "abandoned"  # type: ignore[attr-defined]
    finally:
        again.close()
    assert uuid.UUID(started.interaction_id)
