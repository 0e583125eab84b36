"""What the conversation service answers to bad input: the field named, never a crash or a hang."""

from __future__ import annotations

import uuid

import grpc
import pytest

from tests.fixtures.conversation import (
    ChatStream,
    ChatTenant,
    chat_tenant,
    conversation,
    handled_chat,
    post,
    start_chat,
)
from tests.fixtures.platform import Metadata
from tests.fixtures.routing import upsert_agent
from vaxel.conversation.v1 import conversation_pb2 as pb
from vaxel.routing.v1 import routing_pb2
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel_common.supervisor import Platform

pytestmark = pytest.mark.integration


@pytest.fixture
def tenant(platform: Platform, channels: dict[str, grpc.Channel]) -> ChatTenant:
    return chat_tenant(platform, channels)


def _refused(call: object, code: grpc.StatusCode) -> str:
    """The details of an RpcError the call raised with ``code``."""
    with pytest.raises(grpc.RpcError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.code() == code, caught.value.details()
    return str(caught.value.details())


def _raw_unary(channel: grpc.Channel, method: str, data: bytes, metadata: Metadata) -> object:
    """Call ``method`` with bytes as they are (another language's client can send invalid UTF-8)."""
    call = channel.unary_unary(method, request_serializer=lambda b: b, response_deserializer=lambda b: b)
    return lambda: call(data, metadata=metadata, timeout=10)


def _with_bad_utf8(message: pb.StartChatRequest | pb.PostMessageRequest, marker: str) -> bytes:
    data = message.SerializeToString()
    assert marker.encode() in data
    return data.replace(marker.encode(), b"\xff\xfe" + b"x" * (len(marker) - 2))


def test_start_chat_refuses_oversized_and_invalid_text(
    platform: Platform, channels: dict[str, grpc.Channel], tenant: ChatTenant
) -> None:
    details = _refused(lambda: start_chat(channels, tenant, "å" * 4097), grpc.StatusCode.INVALID_ARGUMENT)
    assert details.startswith("text: 8194 bytes of UTF-8; at most 8192")
    details = _refused(lambda: start_chat(channels, tenant, "hej\x00"), grpc.StatusCode.INVALID_ARGUMENT)
    assert details.startswith("text: control character U+0000")
    details = _refused(lambda: start_chat(channels, tenant, "   "), grpc.StatusCode.INVALID_ARGUMENT)
    assert details.startswith("text: required")
    request = pb.StartChatRequest(queue_id=tenant.routed.queue_id, text="MARKERMARKER")
    raw = _raw_unary(
        channels["conversation"],
        "/vaxel.conversation.v1.ChatService/StartChat",
        _with_bad_utf8(request, "MARKERMARKER"),
        tenant.chat_key,
    )
    assert _refused(raw, grpc.StatusCode.INVALID_ARGUMENT) == "text: not valid UTF-8"
    details = _refused(
        lambda: pb_start(channels, tenant, queue_id="no-such-queue"), grpc.StatusCode.NOT_FOUND
    )
    assert "no-such-queue" in details


def pb_start(channels: dict[str, grpc.Channel], tenant: ChatTenant, **kw: str) -> object:
    from vaxel.conversation.v1 import conversation_pb2_grpc  # noqa: PLC0415  (one use)

    return conversation_pb2_grpc.ChatServiceStub(channels["conversation"]).StartChat(
        pb.StartChatRequest(text="hej", **kw), metadata=tenant.chat_key, timeout=10
    )


def test_keys_other_tenants_and_tokens(
    platform: Platform, channels: dict[str, grpc.Channel], tenant: ChatTenant
) -> None:
    started = start_chat(channels, tenant, "Hej")
    other = chat_tenant(platform, channels)
    # Another tenant's public key does not find the chat; a wrong token is refused.
    stranger = ChatStream(
        channels["conversation"], other.chat_key, started.interaction_id, started.chat_token
    )
    with pytest.raises(AssertionError, match="NOT_FOUND"):
        stranger.reply(stranger.join_id)
    stranger.close()
    guesser = ChatStream(channels["conversation"], tenant.chat_key, started.interaction_id, "guess")
    with pytest.raises(AssertionError, match=r"join\.chat_token"):
        guesser.reply(guesser.join_id)
    guesser.close()
    unknown = ChatStream(channels["conversation"], tenant.chat_key, str(uuid.uuid4()), started.chat_token)
    with pytest.raises(AssertionError, match="NOT_FOUND"):
        unknown.reply(unknown.join_id)
    unknown.close()
    # The public key reads nothing but its chats; the ops key starts no chat.
    read = pb.GetTranscriptRequest(interaction_id=started.interaction_id)
    _refused(
        lambda: conversation(channels).GetTranscript(read, metadata=tenant.chat_key, timeout=10),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    details = _refused(
        lambda: pb_start(channels, tenant.__class__(tenant.routed, platform.admin_metadata)),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    assert "chat:public" in details
    # Nor is a public key issued with other scopes.
    admin = tenant_pb2_grpc.AdminServiceStub(channels["client-tenant"])
    issue = tenant_pb2.IssueApiKeyRequest(tenant_id=tenant.tenant_id, scopes=["chat:public", "config:read"])
    details = _refused(
        lambda: admin.IssueApiKey(issue, metadata=platform.admin_metadata, timeout=10),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert details.startswith("scopes:")
    # An unknown interaction, for ops.
    unknown_read = pb.GetTranscriptRequest(tenant_id=tenant.tenant_id, interaction_id=str(uuid.uuid4()))
    details = _refused(
        lambda: conversation(channels).GetTranscript(
            unknown_read, metadata=platform.admin_metadata, timeout=10
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    assert details.startswith("interaction_id:")


def test_messages_on_the_stream_and_from_agents_name_the_field(
    platform: Platform, channels: dict[str, grpc.Channel], tenant: ChatTenant
) -> None:
    handled = handled_chat(platform, channels, tenant, "Hej")
    chat = handled.chat
    try:
        too_long = chat.say("x" * 8193)
        assert too_long.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
        assert too_long.message.startswith("send.text: 8193 bytes")
        bad = pb.AttachmentInput(
            name="a.png", media_type="image/png", size_bytes=10, sha256="beef", storage_ref="s3://x"
        )
        attached = chat.reply(chat.send(send=pb.SendMessage(text="bild", attachments=[bad])))
        assert attached.message.startswith("send.attachments[0].sha256:")
        good = pb.AttachmentInput(
            name="faktura.pdf",
            media_type="application/pdf",
            size_bytes=1234,
            sha256="ab" * 32,
            storage_ref="blob://tenant/faktura.pdf",
        )
        ok = chat.reply(chat.send(send=pb.SendMessage(attachments=[good])))
        assert ok.code == 0, ok.message
        unknown_mark = chat.reply(
            chat.send(mark_read=pb.MarkRead(message_id="nope", state=pb.READ_STATE_READ))
        )
        assert unknown_mark.message.startswith("mark_read.message_id:")
        # Another agent, certified for the tenant but not holding the chat, may not post or read it.
        other = upsert_agent(channels, platform, tenant.routed, "other")
        posting = pb.PostMessageRequest(
            tenant_id=tenant.tenant_id,
            interaction_id=handled.interaction_id,
            agent_id=other,
            author_kind=pb.AUTHOR_KIND_AGENT,
            text="Hej",
        )
        details = _refused(
            lambda: conversation(channels).PostMessage(posting, metadata=platform.admin_metadata, timeout=30),
            grpc.StatusCode.PERMISSION_DENIED,
        )
        assert details.startswith("agent_id:")
        reading = pb.GetTranscriptRequest(
            tenant_id=tenant.tenant_id, interaction_id=handled.interaction_id, agent_id=other
        )
        _refused(
            lambda: conversation(channels).GetTranscript(
                reading, metadata=platform.admin_metadata, timeout=30
            ),
            grpc.StatusCode.PERMISSION_DENIED,
        )
        # A tenant's own key posts nothing (agents post through the desk).
        _refused(
            lambda: conversation(channels).PostMessage(posting, metadata=tenant.routed.key, timeout=10),
            grpc.StatusCode.PERMISSION_DENIED,
        )
        # The agent's own bad input.
        holder = pb.PostMessageRequest(
            tenant_id=tenant.tenant_id,
            interaction_id=handled.interaction_id,
            agent_id=handled.agent_id,
            author_kind=pb.AUTHOR_KIND_CUSTOMER,
            text="Hej",
        )
        details = _refused(
            lambda: conversation(channels).PostMessage(holder, metadata=platform.admin_metadata, timeout=10),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert details.startswith("author_kind:")
        holder.author_kind = pb.AUTHOR_KIND_AGENT
        holder.text = "MARKERMARKER"
        raw = _raw_unary(
            channels["conversation"],
            "/vaxel.conversation.v1.ConversationService/PostMessage",
            _with_bad_utf8(holder, "MARKERMARKER"),
            platform.admin_metadata,
        )
        assert _refused(raw, grpc.StatusCode.INVALID_ARGUMENT) == "text: not valid UTF-8"
        # Once the agent ends the chat, the customer's messages are refused and the stream ends.
        end = routing_pb2.EndInteraction(interaction_id=handled.interaction_id)
        assert handled.desk.do(end_interaction=end).code == 0
        assert chat.next("ended").reason == "ended"  # type: ignore[attr-defined]
        details = _refused(
            lambda: post(channels, platform, handled, "Hej igen"), grpc.StatusCode.FAILED_PRECONDITION
        )
        assert details.startswith("interaction_id:")
        note = post(channels, platform, handled, "Löst i wrap-up", pb.AUTHOR_KIND_INTERNAL_NOTE)
        assert note.author_kind == pb.AUTHOR_KIND_INTERNAL_NOTE
    finally:
        chat.close()
        handled.desk.close()
