"""The CLI's side of the wire: one gRPC channel per service, the key in every call's metadata,
and :func:`run`, which turns every failure into one line on stderr and an exit code."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cached_property
from types import TracebackType
from typing import TypeVar

import grpc
import typer
from grpc import aio

from vaxel.conversation.v1 import conversation_pb2_grpc
from vaxel.integrations.v1 import integrations_pb2_grpc
from vaxel.interactions.v1 import interactions_pb2_grpc
from vaxel.routing.v1 import routing_pb2_grpc
from vaxel.sla.v1 import sla_pb2_grpc
from vaxel.tenant.v1 import tenant_pb2, tenant_pb2_grpc
from vaxel_cli._metadata import Metadata, bearer
from vaxel_cli.errors import CliError, UsageError
from vaxel_cli.settings import CliSettings

__all__ = ["Caller", "Connection", "describe", "exit_with", "run"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Caller:
    """Whom the key belongs to: a tenant (its own data only) or provider ops (every tenant)."""

    tenant_id: str | None

    @property
    def is_ops(self) -> bool:
        return self.tenant_id is None


class Connection:
    """Channels opened on first use, closed on exit; use inside :func:`run`."""

    def __init__(self, settings: CliSettings) -> None:
        self.settings = settings
        self._channels: dict[str, aio.Channel] = {}

    @property
    def timeout(self) -> float:
        return self.settings.timeout_seconds

    @cached_property
    def metadata(self) -> Metadata:
        """The key as call metadata (read once; a missing key is a UsageError on first use)."""
        return bearer(self.settings.key())

    def channel(self, service: str) -> aio.Channel:
        if service not in self._channels:
            self._channels[service] = aio.insecure_channel(self.settings.target(service))
        return self._channels[service]

    def admin(self) -> tenant_pb2_grpc.AdminServiceAsyncStub:
        return tenant_pb2_grpc.AdminServiceStub(self.channel("client-tenant"))

    def tenants(self) -> tenant_pb2_grpc.TenantServiceAsyncStub:
        return tenant_pb2_grpc.TenantServiceStub(self.channel("client-tenant"))

    def routing(self) -> routing_pb2_grpc.RoutingServiceAsyncStub:
        return routing_pb2_grpc.RoutingServiceStub(self.channel("routing"))

    def interactions(self) -> interactions_pb2_grpc.InteractionLogServiceAsyncStub:
        return interactions_pb2_grpc.InteractionLogServiceStub(self.channel("interaction-log"))

    def sla(self) -> sla_pb2_grpc.SlaServiceAsyncStub:
        return sla_pb2_grpc.SlaServiceStub(self.channel("sla"))

    def webhooks(self) -> integrations_pb2_grpc.WebhookServiceAsyncStub:
        return integrations_pb2_grpc.WebhookServiceStub(self.channel("integrations"))

    def tenant_events(self) -> integrations_pb2_grpc.TenantEventsServiceAsyncStub:
        return integrations_pb2_grpc.TenantEventsServiceStub(self.channel("integrations"))

    def conversation(self) -> conversation_pb2_grpc.ConversationServiceAsyncStub:
        return conversation_pb2_grpc.ConversationServiceStub(self.channel("conversation"))

    async def caller(self) -> Caller:
        """Ask the tenant API whose key this is. A tenant key reads its own tenant when it names none;
        the ops key has no tenant of its own (INVALID_ARGUMENT: it must name one); a tenant key without config:read is refused
        (its tenant stays unknown: ``tenant_id`` ""). Other statuses are raised as they come."""
        try:
            reply = await self.admin().GetTenant(
                tenant_pb2.GetTenantRequest(tenant_id=""), metadata=self.metadata, timeout=self.timeout
            )
        except aio.AioRpcError as err:
            code = err.code()
            if code == grpc.StatusCode.INVALID_ARGUMENT:
                return Caller(None)
            if code == grpc.StatusCode.PERMISSION_DENIED:
                return Caller("")
            raise
        return Caller(reply.tenant.tenant_id)

    async def tenant_scope(self, tenant: str) -> str:
        """The tenant id to send: the one given (the service checks the key may act on it), else
        none for a tenant key (it acts on its own); the ops key must name one."""
        if tenant:
            return tenant
        if (await self.caller()).is_ops:
            raise UsageError("error: the ops key acts for every tenant: name one with --tenant TENANT_ID")
        return ""

    async def list_queues(self, tenant_id: str = "") -> list[tenant_pb2.Queue]:
        """Every queue of the caller's tenant (ops: of ``tenant_id``), page by page."""
        queues: list[tenant_pb2.Queue] = []
        token = ""
        while True:
            reply = await self.tenants().ListQueues(
                tenant_pb2.ListQueuesRequest(tenant_id=tenant_id, page_size=1000, page_token=token),
                metadata=self.metadata,
                timeout=self.timeout,
            )
            queues += reply.queues
            token = reply.next_page_token
            if not token:
                return queues

    async def queues(self, tenant_id: str, wanted: list[str]) -> dict[str, str]:
        """queue id -> name of the queues given by id or by name (any case), or of every queue when
        none is given. Names are looked up with config:read; a key without it gives ids, shown as given.
        An unknown name is passed on as an id, for the service to answer NOT_FOUND."""
        try:
            listed = await self.list_queues(tenant_id)
        except aio.AioRpcError as err:
            if err.code() != grpc.StatusCode.PERMISSION_DENIED or not wanted:
                raise
            listed = []
        names = {q.queue_id: q.name for q in listed}
        if not wanted:
            return names
        found: dict[str, str] = {}
        for value in wanted:
            named = [i for i, name in names.items() if name.casefold() == value.casefold()]
            if value in names or not named:
                found[value] = names.get(value, value)
            elif len(named) == 1:
                found[named[0]] = names[named[0]]
            else:
                raise CliError(f"error: {len(named)} queues are named {value!r}: give the queue id")
        return found

    async def queue_id(self, tenant_id: str, name_or_id: str) -> str:
        """One queue given by id or by name (see :meth:`queues`)."""
        return next(iter(await self.queues(tenant_id, [name_or_id])))

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close(None)
        self._channels.clear()

    async def __aenter__(self) -> Connection:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def run(settings: CliSettings, work: Callable[[Connection], Awaitable[T]]) -> T:
    """Run ``work`` with a connection; a failure is printed as one line each and exits non-zero."""

    async def main() -> T:
        async with Connection(settings) as connection:
            return await work(connection)

    try:
        return asyncio.run(main())
    except CliError as err:
        raise exit_with(err) from None
    except aio.AioRpcError as err:
        print(f"error: {describe(err)}", file=sys.stderr)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        raise typer.Exit(130) from None


def exit_with(err: CliError) -> typer.Exit:
    """Print ``err`` to stderr; the exit to raise."""
    for line in err.lines:
        print(line, file=sys.stderr)
    return typer.Exit(err.exit_code)


def describe(err: aio.AioRpcError) -> str:
    """``CODE: detail`` on one line."""
    detail = " ".join((err.details() or "").split())
    return f"{err.code().name}: {detail}" if detail else err.code().name
