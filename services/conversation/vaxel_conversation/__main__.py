"""``python -m vaxel_conversation``: run the conversation service."""

from __future__ import annotations

import asyncio

from vaxel.conversation.v1 import conversation_pb2 as pb
from vaxel.conversation.v1 import conversation_pb2_grpc as pb_grpc
from vaxel_common.api_keys import ReplicatedKeys
from vaxel_common.service import ServiceRuntime, run_main
from vaxel_common.topics import CONVERSATION_MESSAGES, INTERACTION_EVENTS, TENANT_CONFIG
from vaxel_conversation import SERVICE_NAME
from vaxel_conversation.adapters.chat import ChatServicer
from vaxel_conversation.adapters.conversations import Conversations
from vaxel_conversation.adapters.decoding import lenient_register
from vaxel_conversation.adapters.hub import Hub
from vaxel_conversation.adapters.routing_client import RoutingClient
from vaxel_conversation.adapters.servicers import ConversationServicer
from vaxel_conversation.domain.handling import HandlingBook
from vaxel_conversation.domain.transcript import TranscriptBook
from vaxel_conversation.metrics import ConversationMetrics
from vaxel_conversation.settings import ConversationSettings
from vaxel_vocabulary.config_replica import TenantConfigReplica

_CHAT_REQUESTS = {"StartChat": pb.StartChatRequest, "Chat": pb.ChatRequest}
_CONVERSATION_REQUESTS = {
    "GetTranscript": pb.GetTranscriptRequest,
    "PostMessage": pb.PostMessageRequest,
    "WatchTranscript": pb.WatchTranscriptRequest,
    "SendSignal": pb.SendSignalRequest,
}


def build(settings: ConversationSettings) -> ServiceRuntime:
    admin_key = settings.admin_api_key.get_secret_value() if settings.admin_api_key else None
    keys = ReplicatedKeys(admin_key)
    runtime = ServiceRuntime(SERVICE_NAME, settings, authenticator=keys)
    metrics = ConversationMetrics.create(runtime.registry)
    hub = Hub()
    conversations = Conversations(
        TranscriptBook(settings.max_messages_per_transcript),
        HandlingBook(),
        runtime.publisher,
        hub,
        metrics,
        settings.holder_wait_seconds,
    )
    routing = RoutingClient(settings.routing_target, admin_key, settings.routing_timeout_seconds)
    # Every start reads the three topics from their beginning (no group, nothing committed): the keys,
    # the transcripts and who holds each interaction are rebuilt; duplicates change nothing.
    consumers = [
        runtime.consume([TENANT_CONFIG.name], TenantConfigReplica(keys), commit=False),
        runtime.consume([CONVERSATION_MESSAGES.name], conversations.on_message_event, commit=False),
        runtime.consume([INTERACTION_EVENTS.name], conversations.on_interaction_event, commit=False),
    ]

    async def caught_up() -> None:
        for consumer in consumers:
            await asyncio.wait_for(
                consumer.caught_up.wait(), timeout=settings.dependency_timeout_seconds + 600
            )
        conversations.ready = True
        runtime.log.info(
            "transcripts_loaded",
            transcripts=len(conversations.book),
            interactions=len(conversations.handling),
        )

    async def stop() -> None:
        conversations.ready = False
        hub.close_all("the service is stopping: resume from the last message seen")
        await routing.close()

    runtime.on_ready(caught_up)
    runtime.on_stop(stop)
    runtime.grpc.add(
        lenient_register(pb_grpc.add_ChatServiceServicer_to_server, _CHAT_REQUESTS),
        ChatServicer(conversations, routing, metrics, settings.wait_poll_seconds),
        pb.DESCRIPTOR.services_by_name["ChatService"].full_name,
    )
    runtime.grpc.add(
        lenient_register(pb_grpc.add_ConversationServiceServicer_to_server, _CONVERSATION_REQUESTS),
        ConversationServicer(conversations, metrics),
        pb.DESCRIPTOR.services_by_name["ConversationService"].full_name,
    )
    return runtime


if __name__ == "__main__":
    raise SystemExit(run_main(SERVICE_NAME, ConversationSettings, build))
