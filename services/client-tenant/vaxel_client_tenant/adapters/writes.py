"""How every write RPC runs: bounded strings, one transaction, an idempotency key, then the relay.

``@write_rpc`` on a servicer method:

1. checks every string of the request (:func:`vaxel_vocabulary.limits.check_strings`);
2. opens one database transaction for the change, its outbox rows and the idempotency record: a refused
   or failed write leaves nothing behind, and a committed one always has its events queued;
3. with an ``idempotency_key``: the same key and the same request (byte for byte, deterministic
   serialization) within the caller's scope and the same RPC answer the first reply again without writing;
   the same key with a different request is INVALID_ARGUMENT naming ``idempotency_key``;
4. after the commit, waits up to ``publish_wait_seconds`` for the relay to publish the events (the reply
   does not depend on it: what is committed is published, now or after a restart).

The method body must not suspend (no awaiting I/O) inside the transaction: the connection is shared by
every request, and another request's statements must never run inside this one's transaction.
:func:`_run_now` enforces it.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime
from typing import Any, TypeVar

from google.protobuf.message import Message

from vaxel.tenant.v1 import tenant_pb2
from vaxel_client_tenant.adapters.outbox import ConfigOutbox, OutboxRelay
from vaxel_common.auth import current_principal
from vaxel_common.db import Database
from vaxel_common.errors import InvalidArgument
from vaxel_vocabulary.limits import check_strings

__all__ = ["Writes", "write_rpc"]

R = TypeVar("R", bound=Message)
# Reply fields never kept for a replay (the API key's secret is shown once).
_NOT_KEPT = {"IssueApiKey": ("api_key",)}


def _run_now(coroutine: Coroutine[Any, Any, R]) -> R:
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: R = done.value
        return result
    coroutine.close()
    raise RuntimeError("a write RPC suspended inside its transaction")


class Writes:
    """The transaction, idempotency records and relay wait shared by every write RPC."""

    def __init__(self, db: Database, outbox: ConfigOutbox, relay: OutboxRelay, wait_seconds: float) -> None:
        self._db = db
        self._outbox = outbox
        self._relay = relay
        self._wait = wait_seconds

    async def run(
        self, method: str, request: Message, reply_type: type[R], call: Callable[[], Coroutine[Any, Any, R]]
    ) -> R:
        key = str(getattr(request, "idempotency_key", ""))
        principal = current_principal()
        scope = principal.tenant_id or f"ops:{principal.subject}"
        digest = hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest()
        with self._db.transaction():
            if key:
                held = self._db.fetchone(
                    "SELECT request_sha256, response FROM idempotency_keys"
                    " WHERE scope = ? AND method = ? AND idempotency_key = ?",
                    (scope, method, key),
                )
                if held is not None:
                    if held[0] != digest:
                        raise InvalidArgument("idempotency_key", "used before with a different request")
                    return reply_type.FromString(base64.b64decode(held[1]))
            reply = _run_now(call())
            if key:
                kept = reply_type()
                kept.CopyFrom(reply)
                for field in _NOT_KEPT.get(method, ()):
                    kept.ClearField(field)
                self._db.execute(
                    "INSERT INTO idempotency_keys"
                    " (scope, method, idempotency_key, request_sha256, response, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        scope,
                        method,
                        key,
                        digest,
                        base64.b64encode(kept.SerializeToString()).decode(),
                        datetime.now(UTC).isoformat(),
                    ),
                )
        await self._relay.flush(self._outbox.last_added, self._wait)
        return reply


S = TypeVar("S")
Q = TypeVar("Q", bound=Message)


def write_rpc(
    method: Callable[[S, Q, Any], Awaitable[R]],
) -> Callable[[S, Q, Any], Awaitable[R]]:
    """Run a servicer's write method as described in the module docstring (``self._writes``)."""
    name = method.__name__
    reply_type: type[R] = getattr(tenant_pb2, f"{name}Response")

    @functools.wraps(method)
    async def wrapper(self: S, request: Q, context: Any) -> R:
        check_strings(request)
        writes: Writes = getattr(self, "_writes")  # noqa: B009  (every write servicer holds one)

        async def call() -> R:
            return await method(self, request, context)

        return await writes.run(name, request, reply_type, call)

    return wrapper
