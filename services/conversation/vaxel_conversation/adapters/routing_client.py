"""Routing over gRPC, for what a chat needs of it: submitting the chat, the wait while it waits, and
the abandon when the customer leaves. Called with the provider ops key naming the tenant; routing's
refusals come back as the same errors (its messages name the field), an unreachable routing as
Unavailable."""

from __future__ import annotations

import grpc

from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel.types.v1 import types_pb2
from vaxel_common.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unavailable,
    VaxelError,
)

__all__ = ["RoutingClient"]


def _error(exc: grpc.aio.AioRpcError, what: str) -> VaxelError:
    code, message = exc.code(), exc.details() or ""
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        field, _, reason = message.partition(": ")
        return InvalidArgument(field, reason) if reason else InvalidArgument("request", message)
    if code == grpc.StatusCode.NOT_FOUND:
        return NotFound(message)
    if code == grpc.StatusCode.FAILED_PRECONDITION:
        return FailedPrecondition(message)
    if code == grpc.StatusCode.PERMISSION_DENIED:
        return PermissionDenied(message)
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return ResourceExhausted(message, 1.0)
    return Unavailable(f"routing did not {what}: {code.name}")


class RoutingClient:
    def __init__(self, target: str, api_key: str | None, timeout_seconds: float = 10.0) -> None:
        self._target = target
        self._metadata = (("authorization", f"Bearer {api_key}"),) if api_key else ()
        self._timeout = timeout_seconds
        self._channel: grpc.aio.Channel | None = None

    def _stub(self) -> routing_pb2_grpc.RoutingServiceAsyncStub:
        if not self._target:
            raise Unavailable("routing's address is not configured (VAXEL_CONVERSATION_ROUTING_TARGET)")
        if self._channel is None:  # created on the running loop
            self._channel = grpc.aio.insecure_channel(self._target)
        return routing_pb2_grpc.RoutingServiceStub(self._channel)

    async def submit_chat(
        self, tenant_id: str, queue_id: str, language: str, text: str, idempotency_key: str
    ) -> routing_pb2.SubmitInteractionResponse:
        request = routing_pb2.SubmitInteractionRequest(
            tenant_id=tenant_id,
            queue_id=queue_id,
            channel=types_pb2.CHANNEL_CHAT,
            language=language,
            text=text,
            idempotency_key=idempotency_key,
        )
        try:
            return await self._stub().SubmitInteraction(
                request, metadata=self._metadata, timeout=self._timeout
            )
        except grpc.aio.AioRpcError as exc:
            raise _error(exc, "take the chat") from exc

    async def status(self, tenant_id: str, interaction_id: str) -> routing_pb2.GetInteractionStatusResponse:
        request = routing_pb2.GetInteractionStatusRequest(tenant_id=tenant_id, interaction_id=interaction_id)
        try:
            return await self._stub().GetInteractionStatus(
                request, metadata=self._metadata, timeout=self._timeout
            )
        except grpc.aio.AioRpcError as exc:
            raise _error(exc, "say where the chat stands") from exc

    async def abandon(self, tenant_id: str, interaction_id: str) -> None:
        request = routing_pb2.AbandonInteractionRequest(tenant_id=tenant_id, interaction_id=interaction_id)
        try:
            await self._stub().AbandonInteraction(request, metadata=self._metadata, timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            raise _error(exc, "abandon the chat") from exc

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close(None)
