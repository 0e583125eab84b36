"""Routing over gRPC, for what the interaction log needs of it: ``EraseCustomer`` (erasure reaches
routing's log and memory), the data keys that open the personal fields of routing's events, and a
customer's key to seal what this service publishes about them (a survey answer's comment).

Called with the provider ops key (the key this service is configured with) naming the tenant; a
routing that does not answer is Unavailable: an erasure is answered UNAVAILABLE (every step of it is
idempotent, the caller retries), a consumed batch is retried.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence

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

    async def customer_key(self, tenant_id: str, customer_ref: str) -> tuple[str, bytes]:
        """The customer's data key at routing (id, key; created there if they had none)."""
        stub = routing_pb2_grpc.PersonalDataServiceStub(self._open_channel())
        request = routing_pb2.GetCustomerKeyRequest(tenant_id=tenant_id, customer_ref=customer_ref)
        try:
            reply = await stub.GetCustomerKey(request, metadata=self._metadata, timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            raise Unavailable(f"routing's data keys unavailable: {exc.code().name}") from exc
        return reply.key_id, reply.key

    async def close(self) -> None:
        if self._channel is not None:
            await self._channel.close(None)


class EventOpener:
    """Opens the sealed fields of an event in place, with keys fetched from routing and kept a while
    (``ttl_seconds``: a key erased since is forgotten here that much later at most; an event of an
    erased interaction is stored scrubbed anyway). :meth:`prefetch` asks routing once for every key a
    batch needs; a key routing no longer has is remembered as destroyed (it never comes back: routing
    commits a key before the first record sealed with it)."""

    def __init__(self, routing: RoutingClient, ttl_seconds: float = 300.0, max_keys: int = 100_000) -> None:
        self._routing = routing
        self._ttl = ttl_seconds
        self._max = max_keys
        self._keys: OrderedDict[str, tuple[bytes | None, float]] = OrderedDict()

    async def prefetch(self, events: Sequence[events_pb2.Event]) -> None:
        """Fetch, in one call, the keys of ``events`` that are not held."""
        now = time.monotonic()
        wanted = {key_id for event in events if (key_id := sealed_key_id(event))}
        missing = sorted(key_id for key_id in wanted if not self._fresh(key_id, now))
        if missing:
            self._remember(missing, await self._routing.data_keys(missing), now)

    async def open(self, event: events_pb2.Event) -> None:
        key_id = sealed_key_id(event)
        if not key_id:
            return
        now = time.monotonic()
        if not self._fresh(key_id, now):
            self._remember([key_id], await self._routing.data_keys([key_id]), now)
        key = self._keys[key_id][0]
        open_event(event, lambda _: key)  # without a key (destroyed) the fields stay sealed

    async def close(self) -> None:
        await self._routing.close()

    def _fresh(self, key_id: str, now: float) -> bool:
        held = self._keys.get(key_id)
        return held is not None and now - held[1] < self._ttl

    def _remember(self, key_ids: Sequence[str], found: dict[str, bytes], now: float) -> None:
        for key_id in key_ids:
            self._keys[key_id] = (found.get(key_id), now)
            self._keys.move_to_end(key_id)
        while len(self._keys) > self._max:
            self._keys.popitem(last=False)
