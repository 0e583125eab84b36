"""gRPC server bootstrap: ``grpc.aio`` with health, reflection and the shared interceptors.

The interceptors, outermost first: logging (binds ``request_id`` and the method),
metrics (request count by code, latency), authentication (the service's
:class:`~vaxel_common.auth.Authenticator`) and error mapping (domain errors to
status codes; anything else is INTERNAL without details). Health reports
NOT_SERVING until :meth:`GrpcServer.set_serving` and again on shutdown. Overload: beyond
:data:`MAX_CONCURRENT_RPCS` calls in flight a new call gets RESOURCE_EXHAUSTED.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import grpc
import structlog
from google.protobuf import any_pb2, duration_pb2
from google.rpc.error_details_pb2 import RetryInfo
from google.rpc.status_pb2 import Status
from grpc import aio
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from vaxel_common.auth import AllowAll, Authenticator, principal_var
from vaxel_common.errors import (
    AlreadyExists,
    DeadlineExceeded,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    VaxelError,
)
from vaxel_common.logging import get_logger
from vaxel_common.metrics import PlatformMetrics

__all__ = [
    "MAX_CONCURRENT_RPCS",
    "RETRY_AFTER_MS",
    "Context",
    "GrpcServer",
    "retry_trailers",
    "status_code_of",
]

# grpc-stubs type the handler objects loosely; the interceptor works on them as Any.
Context = aio.ServicerContext[Any, Any]
Handler = Any

# Calls in flight at once (long-lived desk streams included); beyond it a call is refused at once with
# RESOURCE_EXHAUSTED ("Concurrent RPC limit exceeded!"), which a client can tell from a failure.
MAX_CONCURRENT_RPCS = 10_000

_UNAUTHENTICATED_METHODS = ("/grpc.health.v1.Health/", "/grpc.reflection.")

_CODES: dict[type[VaxelError], grpc.StatusCode] = {
    InvalidArgument: grpc.StatusCode.INVALID_ARGUMENT,
    NotFound: grpc.StatusCode.NOT_FOUND,
    AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    FailedPrecondition: grpc.StatusCode.FAILED_PRECONDITION,
    PermissionDenied: grpc.StatusCode.PERMISSION_DENIED,
    Unauthenticated: grpc.StatusCode.UNAUTHENTICATED,
    Unavailable: grpc.StatusCode.UNAVAILABLE,
    ResourceExhausted: grpc.StatusCode.RESOURCE_EXHAUSTED,
    DeadlineExceeded: grpc.StatusCode.DEADLINE_EXCEEDED,
}


def status_code_of(exc: VaxelError) -> grpc.StatusCode:
    """The gRPC status a domain error maps to."""
    for cls in type(exc).__mro__:
        if issubclass(cls, VaxelError) and cls in _CODES:
            return _CODES[cls]
    return grpc.StatusCode.UNKNOWN


# The trailing metadata entry holding a refusal's retry delay in whole milliseconds (plain text, for
# clients that do not decode google.rpc.Status details).
RETRY_AFTER_MS = "retry-after-ms"
_STATUS_DETAILS = "grpc-status-details-bin"


def retry_trailers(exc: ResourceExhausted) -> tuple[tuple[str, str | bytes], ...]:
    """Trailing metadata of a RESOURCE_EXHAUSTED answer: ``retry-after-ms`` and the google.rpc.Status
    with a RetryInfo detail (what ``grpc_status.rpc_status.from_call`` reads)."""
    delay_ms = max(1, round(exc.retry_after_seconds * 1000))
    delay = duration_pb2.Duration()
    delay.FromMilliseconds(delay_ms)
    detail = any_pb2.Any()
    detail.Pack(RetryInfo(retry_delay=delay))
    status = Status(code=grpc.StatusCode.RESOURCE_EXHAUSTED.value[0], message=exc.message, details=[detail])
    return ((RETRY_AFTER_MS, str(delay_ms)), (_STATUS_DETAILS, status.SerializeToString()))


class _Interceptor(aio.ServerInterceptor):  # type: ignore[type-arg]  # the stubs declare it generic
    """Logging, metrics, authentication and error mapping around every RPC."""

    def __init__(self, service: str, metrics: PlatformMetrics, authenticator: Authenticator) -> None:
        self._service = service
        self._metrics = metrics
        self._auth = authenticator
        self._log = get_logger("vaxel.grpc")
        # Until the service is ready (replicas loaded, state rebuilt) its RPCs answer UNAVAILABLE:
        # a caller retries instead of acting on a half-built state.
        self.ready = False

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler]],
        details: grpc.HandlerCallDetails,
    ) -> Handler:
        handler: Handler = await continuation(details)
        if handler is None:
            return handler
        method: str = details.method
        public = method.startswith(_UNAUTHENTICATED_METHODS)
        if handler.unary_unary or handler.stream_unary:
            kind = "unary_unary" if handler.unary_unary else "stream_unary"
            inner = handler.unary_unary or handler.stream_unary

            async def unary(request: Any, context: Context) -> Any:
                async with self._call(method, public, context) as call:
                    response = await inner(request, context)
                    call.ok()
                    return response
                return None  # pragma: no cover  (the context manager aborted)

            return _replace(handler, kind, unary)

        kind = "unary_stream" if handler.unary_stream else "stream_stream"
        inner_stream = handler.unary_stream or handler.stream_stream

        async def streaming(request: Any, context: Context) -> None:
            # Handlers either yield (async generators) or write (coroutines, like grpc_health's
            # Watch); writing every yielded item serves both through one coroutine.
            async with self._call(method, public, context) as call:
                result = inner_stream(request, context)
                if hasattr(result, "__aiter__"):
                    async for item in result:
                        await context.write(item)
                else:
                    await result
                call.ok()

        return _replace(handler, kind, streaming)

    def _call(self, method: str, public: bool, context: Context) -> _Call:
        return _Call(self, method, public, context)


class _Call:
    """One RPC's bookkeeping: an async context manager so unary and streaming share it."""

    def __init__(self, owner: _Interceptor, method: str, public: bool, context: Context) -> None:
        self.owner = owner
        self.method = method
        self.public = public
        self.context = context
        self.code = grpc.StatusCode.UNKNOWN
        self.start = 0.0
        self._token: Any = None

    def ok(self) -> None:
        self.code = grpc.StatusCode.OK

    async def __aenter__(self) -> _Call:
        self.start = time.perf_counter()
        structlog.contextvars.bind_contextvars(request_id=str(uuid.uuid4()), rpc=self.method)
        if not self.public and not self.owner.ready:
            self.code = grpc.StatusCode.UNAVAILABLE
            self._finish()
            await self.context.abort(self.code, "starting: not serving yet, retry shortly")
        if not self.public:
            metadata = {k: v for k, v in (self.context.invocation_metadata() or ()) if isinstance(v, str)}
            try:
                principal = await self.owner._auth.authenticate(self.method, metadata)
            except VaxelError as exc:
                # __aexit__ does not run when __aenter__ raises: account for the call here.
                self.code = status_code_of(exc)
                self._finish()
                await self.context.abort(self.code, exc.message)
            self._token = principal_var.set(principal)
            if principal.tenant_id:
                structlog.contextvars.bind_contextvars(tenant_id=principal.tenant_id)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any
    ) -> bool:
        try:
            if isinstance(exc, VaxelError):
                await self._abort(exc)
            elif exc is not None and not isinstance(exc, aio.AbortError | GeneratorExit):
                if isinstance(exc, Exception):
                    self.owner._log.exception("rpc_failed", error_type=type(exc).__name__)
                    self.code = grpc.StatusCode.INTERNAL
                    await self.context.abort(grpc.StatusCode.INTERNAL, "internal error")
            elif exc is not None:
                code = self.context.code()
                self.code = code if isinstance(code, grpc.StatusCode) else self.code
            return False
        finally:
            self._finish()

    async def _abort(self, exc: VaxelError) -> None:
        self.code = status_code_of(exc)
        if self.code in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION):
            self.owner._log.info("rpc_rejected", code=self.code.name, reason=exc.message)
        if isinstance(exc, ResourceExhausted):
            await self.context.abort(self.code, exc.message, trailing_metadata=retry_trailers(exc))
        await self.context.abort(self.code, exc.message)

    def _finish(self) -> None:
        elapsed = time.perf_counter() - self.start
        service = self.owner._service
        self.owner._metrics.grpc_requests.labels(service, self.method, self.code.name).inc()
        self.owner._metrics.grpc_latency.labels(service, self.method).observe(elapsed)
        if self._token is not None:
            principal_var.reset(self._token)
            self._token = None
        structlog.contextvars.unbind_contextvars("request_id", "rpc", "tenant_id", "interaction_id")


def _replace(handler: Handler, kind: str, behaviour: Any) -> Handler:
    factory = {
        "unary_unary": grpc.unary_unary_rpc_method_handler,
        "stream_unary": grpc.stream_unary_rpc_method_handler,
        "unary_stream": grpc.unary_stream_rpc_method_handler,
        "stream_stream": grpc.stream_stream_rpc_method_handler,
    }[kind]
    return factory(
        behaviour,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


class GrpcServer:
    """A ``grpc.aio`` server with the real health service, reflection and the shared interceptors."""

    def __init__(
        self,
        service: str,
        metrics: PlatformMetrics,
        host: str = "127.0.0.1",
        port: int = 0,
        authenticator: Authenticator | None = None,
        max_concurrent_rpcs: int = MAX_CONCURRENT_RPCS,
    ) -> None:
        self.service = service
        self._interceptor = _Interceptor(service, metrics, authenticator or AllowAll())
        self.server = aio.server(
            interceptors=[self._interceptor],
            maximum_concurrent_rpcs=max_concurrent_rpcs,
            options=[
                # gRPC core holds calls the event loop has not picked up yet as "pending" and cancels
                # them silently (CANCELLED, nothing logged) beyond 1,000 (soft) / 3,000 (hard): a burst
                # of ~2,000 calls got that. Let them wait instead; the limit below is the overload answer.
                ("grpc.server.max_pending_requests", max_concurrent_rpcs),
                ("grpc.server.max_pending_requests_hard_limit", max_concurrent_rpcs),
            ],
        )
        self.health = health.aio.HealthServicer()  # type: ignore[attr-defined]  # untyped submodule
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self._names: list[str] = []
        self.port = self.server.add_insecure_port(f"{host}:{port}")
        self.host = host

    def add(self, register: Callable[[Any, aio.Server], None], servicer: Any, full_name: str) -> None:
        """Register a servicer (``add_XServicer_to_server``) under its full service name."""
        register(servicer, self.server)
        self._names.append(full_name)

    async def start(self) -> None:
        names: Sequence[str] = (*self._names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name)
        reflection.enable_server_reflection((*names, reflection.SERVICE_NAME), self.server)
        await self._set_all(health_pb2.HealthCheckResponse.NOT_SERVING)
        await self.server.start()

    async def set_serving(self) -> None:
        self._interceptor.ready = True
        await self._set_all(health_pb2.HealthCheckResponse.SERVING)

    async def set_not_serving(self) -> None:
        """Report NOT_SERVING while running (a consumer stalled); calls are still answered."""
        await self._set_all(health_pb2.HealthCheckResponse.NOT_SERVING)

    async def stop(self, grace: float) -> None:
        """NOT_SERVING first, so load balancers drain, then stop accepting and finish in-flight calls."""
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)

    async def _set_all(self, status: Any) -> None:
        await self.health.set("", status)
        for name in self._names:
            await self.health.set(name, status)
