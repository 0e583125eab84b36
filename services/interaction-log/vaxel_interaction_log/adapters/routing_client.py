"""Routing over gRPC, for what the interaction log needs of it: ``EraseCustomer`` (erasure reaches
routing's log and memory) and the data keys that open the personal fields of routing's events.

Called with the provider ops key (the key this service is configured with) naming the tenant; a
routing that does not answer is Unavailable: an erasure is answered UNAVAILABLE (every step of it is
idempotent, the caller retries), a consumed batch is retried.
"""

from __future__ import annotations

import time
from collections import OrderedDict

import grpc

from vaxel.events.v1 import events_pb2
from vaxel.routing.v1 import routing_pb2, routing_pb2_grpc
from vaxel_common.errors import Unavailable
from vaxel_common.personal_events import open_event, sealed_key_id

__all__ = ["EventOpener", "RoutingClient"]


class RoutingClient:
    def __init__(self, target: str, api_key: str | None, timeout_seconds: float = 15.0) -> None:
        self._target = target
        self._metadata = (("authorization", f"Bearer {api_key}"),) if api_key else ()
        self._timeout = timeout_seconds
        self._channel: grpc.aio.Channel | None = None

    def _open_channel(self) -> grpc.aio.Channel:
        if not self._target:
            raise Unavailable("routing's address is not configured (ROUTING_TARGET)")
        if self._channel is None:  # created on the running loop
            self._channel = grpc.aio.insecure_channel(self._target)
        return self._channel

    async def forget_customer(self, tenant_id: str, customer_ref: str) -> None:
        stub = routing_pb2_grpc.RoutingServiceStub(self._open_channel())
        request = routing_pb2.EraseCustomerRequest(tenant_id=tenant_id, customer_ref=customer_ref)
        try:
            await stub.EraseCustomer(request, metadata=self._metadata, timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            raise Unavailable(f"routing did not erase the customer: {exc.code().name}") from exc

    async def data_keys(self, key_ids: list[str]) -> dict[str, bytes]:
        """The keys that still exist of these ids."""
        stub = routing_pb2_grpc.PersonalDataServiceStub(self._open_channel())
        request = routing_pb2.GetDataKeysRequest(key_ids=key_ids)
        try:
            reply = await stub.GetDataKeys(request, metadata=self._metadata, timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            raise Unavailable(f"routing's data keys unavailable: {exc.code().name}") from exc
        return dict(reply.keys)

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close(None)


class EventOpener:
    """Opens the sealed fields of an event in place, with keys fetched from routing and kept a while
    (``ttl_seconds``: a key erased since is forgotten here that much later at most; an event of an
    erased interaction is stored scrubbed anyway)."""

    def __init__(self, routing: RoutingClient, ttl_seconds: float = 300.0, max_keys: int = 100_000) -> None:
        self._routing = routing
        self._ttl = ttl_seconds
        self._max = max_keys
        self._keys: OrderedDict[str, tuple[bytes, float]] = OrderedDict()

    async def open(self, event: events_pb2.Event) -> None:
        key_id = sealed_key_id(event)
        if not key_id:
            return
        key = await self._key(key_id)
        open_event(event, lambda _: key)

    async def close(self) -> None:
        await self._routing.close()

    async def _key(self, key_id: str) -> bytes | None:
        now = time.monotonic()
        held = self._keys.get(key_id)
        if held is not None and now - held[1] < self._ttl:
            return held[0]
        key = (await self._routing.data_keys([key_id])).get(key_id)
        if key is None:  # destroyed: the fields stay sealed
            self._keys.pop(key_id, None)
            return None
        self._keys[key_id] = (key, now)
        self._keys.move_to_end(key_id)
        while len(self._keys) > self._max:
            self._keys.popitem(last=False)
        return key
