"""Routing's ``EraseCustomer`` over gRPC: the erasure port that reaches routing's log and memory.

Called with the provider ops key naming the tenant (the key this service is configured with); a
routing that does not answer makes the erasure UNAVAILABLE, and the caller retries (every step of an
erasure is idempotent).
"""

from __future__ import annotations

import grpc

from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel_common.errors import Unavailable

__all__ = ["GrpcRoutingErasure"]


class GrpcRoutingErasure:
    def __init__(self, target: str, api_key: str | None, timeout_seconds: float = 15.0) -> None:
        self._target = target
        self._metadata = (("authorization", f"Bearer {api_key}"),) if api_key else ()
        self._timeout = timeout_seconds
        self._channel: grpc.aio.Channel | None = None

    async def forget_customer(self, tenant_id: str, customer_ref: str) -> None:
        if not self._target:
            raise Unavailable("routing's address is not configured (ROUTING_TARGET): erasure cannot reach it")
        if self._channel is None:  # created on the running loop
            self._channel = grpc.aio.insecure_channel(self._target)
        stub = routing_pb2_grpc.RoutingServiceStub(self._channel)
        request = routing_pb2.EraseCustomerRequest(tenant_id=tenant_id, customer_ref=customer_ref)
        try:
            await stub.EraseCustomer(request, metadata=self._metadata, timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            raise Unavailable(f"routing did not erase the customer: {exc.code().name}") from exc

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close(None)
