"""gRPC servicers of routing: convert, delegate to the front door or the engine runner, convert back."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC

import grpc

from vaxel.routing.v1 import inputs_pb2, routing_pb2, routing_pb2_grpc
from vaxel_common.auth import caller_tenant, current_principal
from vaxel_common.errors import FailedPrecondition, InvalidArgument, NotFound, PermissionDenied, VaxelError
from vaxel_common.grpc_server import Context, status_code_of
from vaxel_common.logging import get_logger
from vaxel_routing.adapters.converters import agent_from_pb, agent_to_pb, presence_pb, work_item_to_pb
from vaxel_routing.adapters.desk_hub import DeskHub
from vaxel_routing.adapters.front_door import FrontDoor
from vaxel_routing.adapters.personal import PersonalData
from vaxel_routing.adapters.runner import EngineRunner
from vaxel_vocabulary.scopes import CONFIG_READ, INTERACTIONS_READ, INTERACTIONS_WRITE

_END = routing_pb2.ConnectResponse()  # marks the end of a desk's requests in its outbox


class RoutingServicer(routing_pb2_grpc.RoutingServiceServicer):
    def __init__(self, front_door: FrontDoor, runner: EngineRunner) -> None:
        self._door = front_door
        self._runner = runner

    async def SubmitInteraction(  # noqa: N802  (gRPC method name)
        self, request: routing_pb2.SubmitInteractionRequest, context: Context
    ) -> routing_pb2.SubmitInteractionResponse:
        self._runner.require_ready()
        return await self._door.submit(caller_tenant(request.tenant_id, INTERACTIONS_WRITE), request)

    async def GetInteractionStatus(  # noqa: N802
        self, request: routing_pb2.GetInteractionStatusRequest, context: Context
    ) -> routing_pb2.GetInteractionStatusResponse:
        self._runner.require_ready()
        return self._door.status(caller_tenant(request.tenant_id, INTERACTIONS_READ), request.interaction_id)

    async def AbandonInteraction(  # noqa: N802
        self, request: routing_pb2.AbandonInteractionRequest, context: Context
    ) -> routing_pb2.AbandonInteractionResponse:
        self._runner.require_ready()
        await self._door.abandon(caller_tenant(request.tenant_id, INTERACTIONS_WRITE), request.interaction_id)
        return routing_pb2.AbandonInteractionResponse()

    async def RequestCallback(  # noqa: N802
        self, request: routing_pb2.RequestCallbackRequest, context: Context
    ) -> routing_pb2.RequestCallbackResponse:
        self._runner.require_ready()
        tenant_id = caller_tenant(request.tenant_id, INTERACTIONS_WRITE)
        wanted = request.not_before.ToDatetime(UTC) if request.HasField("not_before") else None
        when = await self._door.request_callback(tenant_id, request.interaction_id, wanted)
        response = routing_pb2.RequestCallbackResponse()
        response.scheduled_for.FromDatetime(when)
        return response

    async def GetRoutedQueue(  # noqa: N802
        self, request: routing_pb2.GetRoutedQueueRequest, context: Context
    ) -> routing_pb2.GetRoutedQueueResponse:
        self._runner.require_ready()
        return self._door.routed_queue(caller_tenant(request.tenant_id, CONFIG_READ), request.queue_id)

    async def EraseCustomer(  # noqa: N802
        self, request: routing_pb2.EraseCustomerRequest, context: Context
    ) -> routing_pb2.EraseCustomerResponse:
        self._runner.require_ready()
        await self._door.erase_customer(
            caller_tenant(request.tenant_id, INTERACTIONS_WRITE), request.customer_ref
        )
        return routing_pb2.EraseCustomerResponse()


def _ops_only(runner: EngineRunner) -> None:
    if current_principal().tenant_id is not None:
        raise PermissionDenied("agent administration takes the provider's key, not a tenant key")
    runner.require_ready()


class AgentAdminServicer(routing_pb2_grpc.AgentAdminServiceServicer):
    def __init__(self, runner: EngineRunner) -> None:
        self._runner = runner

    async def UpsertAgent(  # noqa: N802
        self, request: routing_pb2.UpsertAgentRequest, context: Context
    ) -> routing_pb2.UpsertAgentResponse:
        _ops_only(self._runner)
        profile = agent_from_pb(request.agent)
        engine = self._runner.engine(profile.pool)
        held_pool = self._runner.pool_of_agent(profile.agent_id)
        if held_pool is not None and held_pool != profile.pool:
            raise FailedPrecondition(f"the agent works in pool {held_pool!r}; moving pools is not supported")
        try:
            version = engine.agent(profile.agent_id).profile.version + 1
        except NotFound:
            version = 1
        message = agent_to_pb(profile)
        message.version = version
        await self._runner.execute(profile.pool, inputs_pb2.RoutingInput(upsert_agent=message))
        return routing_pb2.UpsertAgentResponse(agent=message)

    async def GetAgent(  # noqa: N802
        self, request: routing_pb2.GetAgentRequest, context: Context
    ) -> routing_pb2.GetAgentResponse:
        _ops_only(self._runner)
        pool = self._runner.pool_of_agent(request.agent_id)
        if pool is None:
            raise NotFound(f"agent {request.agent_id!r} not found")
        engine = self._runner.engine(pool)
        agent = engine.agent(request.agent_id)
        return routing_pb2.GetAgentResponse(
            agent=agent_to_pb(agent.profile),
            presence=presence_pb(agent.shown_presence()),
            presence_reason=agent.reason,
            work=[work_item_to_pb(w) for w in engine.agent_work(request.agent_id)],
        )


class PersonalDataServicer(routing_pb2_grpc.PersonalDataServiceServicer):
    """Internal: the data keys of routing's sealed fields, for the provider's own services."""

    def __init__(self, personal: PersonalData) -> None:
        self._personal = personal

    async def GetDataKeys(  # noqa: N802
        self, request: routing_pb2.GetDataKeysRequest, context: Context
    ) -> routing_pb2.GetDataKeysResponse:
        if current_principal().tenant_id is not None:
            raise PermissionDenied("data keys are for the provider's services, not a tenant key")
        return routing_pb2.GetDataKeysResponse(keys=self._personal.data_keys(request.key_ids))

    async def GetCustomerKey(  # noqa: N802
        self, request: routing_pb2.GetCustomerKeyRequest, context: Context
    ) -> routing_pb2.GetCustomerKeyResponse:
        if current_principal().tenant_id is not None:
            raise PermissionDenied("data keys are for the provider's services, not a tenant key")
        key_id, key = self._personal.customer_key(request.tenant_id, request.customer_ref)
        return routing_pb2.GetCustomerKeyResponse(key_id=key_id, key=key)


class AgentDeskServicer(routing_pb2_grpc.AgentDeskServiceServicer):
    """One bidirectional stream per agent desk; requests are answered with a Reply carrying their id.

    A stream that ends without a Logout (the desk's network, a closed browser, a gateway restart) is a
    dropped desk (``EngineRunner.desk_dropped``): unless a desk logs in again within the grace, the agent
    is logged out."""

    def __init__(self, runner: EngineRunner, hub: DeskHub, front_door: FrontDoor) -> None:
        self._runner = runner
        self._hub = hub
        self._door = front_door
        self._log = get_logger("vaxel.routing.desk")

    async def Connect(  # noqa: N802
        self, request_iterator: AsyncIterator[routing_pb2.ConnectRequest], context: Context
    ) -> AsyncIterator[routing_pb2.ConnectResponse]:
        if current_principal().tenant_id is not None:
            raise PermissionDenied("agent desks connect with the provider's key, not a tenant key")
        self._runner.require_ready()
        first = await anext(aiter(request_iterator), None)
        if first is None or first.WhichOneof("action") != "login" or not first.login.agent_id:
            raise InvalidArgument("login", "the first request on a desk stream is Login with the agent id")
        agent_id = first.login.agent_id
        pool = self._runner.pool_of_agent(agent_id)
        if pool is None:
            raise NotFound(f"agent {agent_id!r} not found")
        outbox = self._hub.attach(agent_id)
        signed_out = False
        try:
            await self._act(pool, agent_id, first)
            yield routing_pb2.ConnectResponse(reply=routing_pb2.Reply(request_id=first.request_id))
            yield routing_pb2.ConnectResponse(state=self._runner.agent_state(pool, agent_id))
            reader = asyncio.create_task(self._read(pool, agent_id, request_iterator, outbox))
            # The reader's end wakes the loop below (a task per message to wait on both costs more
            # than the message); were the marker dropped from a full outbox, the check after each
            # message still ends the stream once the reader is done and the outbox drained.
            reader.add_done_callback(lambda _: self._hub.wake(outbox, _END))
            try:
                while not (reader.done() and outbox.empty()):
                    update = await outbox.get()
                    if update is not _END:
                        yield update
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    signed_out = await reader
        finally:
            self._hub.detach(agent_id, outbox)
            if not signed_out:
                self._runner.desk_dropped(pool, agent_id)

    async def _read(
        self,
        pool: str,
        agent_id: str,
        requests: AsyncIterator[routing_pb2.ConnectRequest],
        outbox: asyncio.Queue[routing_pb2.ConnectResponse],
    ) -> bool:
        """Apply the desk's requests; True once the agent signed out (the stream's end is no drop)."""
        async for request in requests:
            reply = routing_pb2.Reply(request_id=request.request_id)
            try:
                if request.WhichOneof("action") == "login":
                    raise InvalidArgument("login", "already logged in on this stream")
                await self._act(pool, agent_id, request)
            except VaxelError as exc:
                reply.code = status_code_of(exc).value[0]
                reply.message = exc.message
            outbox.put_nowait(routing_pb2.ConnectResponse(reply=reply))
            if request.WhichOneof("action") == "logout" and reply.code == grpc.StatusCode.OK.value[0]:
                return True
        return False

    async def _act(self, pool: str, agent_id: str, request: routing_pb2.ConnectRequest) -> None:
        desk = inputs_pb2.AgentInput(agent_id=agent_id, request=request)
        if request.WhichOneof("action") == "transfer" and request.transfer.to_queue_id:
            engine = self._runner.engine(pool)
            work = engine.work(request.transfer.interaction_id)
            if work is None or work.agent_id != agent_id:
                raise NotFound(f"interaction {request.transfer.interaction_id!r} not found")
            desk.to_queue.CopyFrom(self._door.queue_message(work.tenant_id, request.transfer.to_queue_id))
        self._door.seal_desk_input(pool, desk)
        await self._runner.execute(pool, inputs_pb2.RoutingInput(agent=desk))
