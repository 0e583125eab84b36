"""The agent's side and the back office: ``vaxel.conversation.v1.ConversationService``.

The desk gateway calls with the provider's key and names the agent, as routing's agent desk does
today (issue 16 brings real sign-in); the agent must hold the interaction. A tenant key with
``interactions:read`` reads its own tenant's transcripts; a public chat key reads nothing here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import grpc
import structlog

from vaxel.conversation.v1 import conversation_pb2 as pb
from vaxel.conversation.v1 import conversation_pb2_grpc as pb_grpc
from vaxel_common.auth import current_principal
from vaxel_common.errors import InvalidArgument, NotFound, PermissionDenied
from vaxel_common.grpc_server import Context
from vaxel_conversation.adapters.conversations import Conversations
from vaxel_conversation.adapters.converters import (
    attachments_from_pb,
    author_kind_from_pb,
    message_to_pb,
    read_state_from_pb,
)
from vaxel_conversation.adapters.decoding import check
from vaxel_conversation.adapters.hub import Closed, ReadMarked, StageChanged, Typed
from vaxel_conversation.adapters.streams import read_mark_pb, typing_pb
from vaxel_conversation.domain.model import AuthorKind, Message
from vaxel_conversation.domain.rules import check_id, draft
from vaxel_conversation.metrics import ConversationMetrics
from vaxel_vocabulary.scopes import INTERACTIONS_READ

__all__ = ["ConversationServicer"]

_ENDED = {"wrap_up": "ended", "done": "ended", "abandoned": "abandoned", "deflected": "deflected"}


@dataclass(frozen=True, slots=True)
class _Caller:
    tenant_id: str
    agent_id: str  # "" for the back office (tenant key) and provider ops without an agent


def _reader(tenant_id: str, agent_id: str) -> _Caller:
    """Who reads: the desk (ops key) naming tenant and agent, ops naming the tenant, or a tenant key."""
    principal = current_principal()
    if principal.tenant_id is None:
        if not tenant_id:
            raise InvalidArgument("tenant_id", "required with the provider's key")
        return _Caller(check_id("tenant_id", tenant_id), check_id("agent_id", agent_id, required=False))
    principal.require(INTERACTIONS_READ)
    if agent_id:
        raise PermissionDenied("agent_id: an agent's desk calls with the provider's key")
    return _Caller(principal.tenant_scope(tenant_id), "")


def _desk(tenant_id: str, agent_id: str) -> _Caller:
    """Who posts: the desk gateway (provider's key) naming the tenant and the agent."""
    if current_principal().tenant_id is not None:
        raise PermissionDenied("agents post through the desk, with the provider's key naming the agent")
    if not tenant_id:
        raise InvalidArgument("tenant_id", "required with the provider's key")
    return _Caller(check_id("tenant_id", tenant_id), check_id("agent_id", agent_id))


class ConversationServicer(pb_grpc.ConversationServiceServicer):
    def __init__(self, conversations: Conversations, metrics: ConversationMetrics) -> None:
        self._c = conversations
        self._metrics = metrics

    async def _readable(self, caller: _Caller, interaction_id: str) -> None:
        check_id("interaction_id", interaction_id)
        structlog.contextvars.bind_contextvars(interaction_id=interaction_id)
        if caller.agent_id:
            await self._c.until_allowed(
                lambda: self._c.handling.check_agent_read(caller.tenant_id, interaction_id, caller.agent_id)
            )
        elif self._c.book.find(caller.tenant_id, interaction_id) is None:
            handling = self._c.handling_of(interaction_id)
            if handling is None or handling.tenant_id != caller.tenant_id:
                raise NotFound(f"interaction_id: interaction {interaction_id!r} not found")

    async def GetTranscript(  # noqa: N802  (gRPC method name)
        self, request: pb.GetTranscriptRequest, context: Context
    ) -> pb.GetTranscriptResponse:
        check(request)
        caller = _reader(request.tenant_id, request.agent_id)
        self._c.require_ready()
        await self._readable(caller, request.interaction_id)
        transcript = self._c.book.find(caller.tenant_id, request.interaction_id)
        handling = self._c.handling_of(request.interaction_id)
        session = self._c.book.find_chat(caller.tenant_id, request.interaction_id)
        return pb.GetTranscriptResponse(
            interaction_id=request.interaction_id,
            tenant_id=caller.tenant_id,
            queue_id=(session.queue_id if session else "") or (handling.queue_id if handling else ""),
            messages=[message_to_pb(m) for m in (transcript.messages if transcript else [])],
        )

    async def PostMessage(  # noqa: N802
        self, request: pb.PostMessageRequest, context: Context
    ) -> pb.PostMessageResponse:
        check(request)
        caller = _desk(request.tenant_id, request.agent_id)
        self._c.require_ready()
        structlog.contextvars.bind_contextvars(interaction_id=request.interaction_id)
        kind = author_kind_from_pb(request.author_kind)
        if kind not in (AuthorKind.AGENT, AuthorKind.INTERNAL_NOTE):
            raise InvalidArgument("author_kind", "AGENT or INTERNAL_NOTE")
        message = draft(
            caller.tenant_id,
            request.interaction_id,
            kind,
            caller.agent_id,
            request.text,
            attachments_from_pb(request.attachments),
            request.idempotency_key,
        )
        await self._c.until_allowed(
            lambda: self._c.handling.check_agent_post(
                caller.tenant_id, request.interaction_id, caller.agent_id, kind
            )
        )
        return pb.PostMessageResponse(message=message_to_pb(await self._c.post(message)))

    async def SendSignal(  # noqa: N802
        self, request: pb.SendSignalRequest, context: Context
    ) -> pb.SendSignalResponse:
        check(request)
        caller = _desk(request.tenant_id, request.agent_id)
        self._c.require_ready()
        interaction_id = check_id("interaction_id", request.interaction_id)
        await self._c.until_allowed(
            lambda: self._c.handling.check_agent_post(
                caller.tenant_id, interaction_id, caller.agent_id, AuthorKind.AGENT
            )
        )
        signal = request.WhichOneof("signal")
        if signal == "typing":
            self._c.hub.publish(
                interaction_id, Typed(AuthorKind.AGENT, caller.agent_id, request.typing.typing)
            )
        elif signal == "mark_read":
            transcript = self._c.book.transcript(caller.tenant_id, interaction_id)
            if transcript.get(request.mark_read.message_id) is None:
                raise InvalidArgument("mark_read.message_id", "not a message of this transcript")
            state = read_state_from_pb(request.mark_read.state, "mark_read.state")
            self._c.hub.publish(
                interaction_id,
                ReadMarked(AuthorKind.AGENT, caller.agent_id, request.mark_read.message_id, state),
            )
        else:
            raise InvalidArgument("signal", "typing or mark_read")
        return pb.SendSignalResponse()

    async def WatchTranscript(  # noqa: N802
        self, request: pb.WatchTranscriptRequest, context: Context
    ) -> AsyncIterator[pb.WatchTranscriptResponse]:
        check(request)
        caller = _reader(request.tenant_id, request.agent_id)
        self._c.require_ready()
        await self._readable(caller, request.interaction_id)
        interaction_id = request.interaction_id
        outbox = self._c.hub.subscribe(interaction_id)
        self._metrics.streams.labels("agent").inc()
        try:
            transcript = self._c.book.find(caller.tenant_id, interaction_id)
            backlog = (
                transcript.after(request.after_message_id, field="after_message_id") if transcript else []
            )
            if request.after_message_id and transcript is None:
                raise InvalidArgument("after_message_id", "not a message of this transcript")
            last = 0
            for message in backlog:
                last = message.sequence
                yield pb.WatchTranscriptResponse(message=message_to_pb(message))
            handling = self._c.handling_of(interaction_id)
            if handling is not None and handling.stage.value in ("done", "abandoned", "deflected"):
                yield pb.WatchTranscriptResponse(ended=pb.ChatEnded(reason=_ENDED[handling.stage.value]))
                return
            while True:
                update = await outbox.get()
                if isinstance(update, Message) and update.sequence > last:
                    last = update.sequence
                    yield pb.WatchTranscriptResponse(message=message_to_pb(update))
                elif isinstance(update, Typed) and update.author_kind is AuthorKind.CUSTOMER:
                    yield pb.WatchTranscriptResponse(typing=typing_pb(update))
                elif isinstance(update, ReadMarked) and update.author_kind is AuthorKind.CUSTOMER:
                    yield pb.WatchTranscriptResponse(read_mark=read_mark_pb(update))
                elif isinstance(update, StageChanged) and update.stage.value in (
                    "done",
                    "abandoned",
                    "deflected",
                ):
                    yield pb.WatchTranscriptResponse(ended=pb.ChatEnded(reason=_ENDED[update.stage.value]))
                    return
                elif isinstance(update, Closed):
                    await context.abort(grpc.StatusCode.UNAVAILABLE, update.reason)
        finally:
            with contextlib.suppress(Exception):
                self._c.hub.unsubscribe(interaction_id, outbox)
            self._metrics.streams.labels("agent").dec()
            await asyncio.sleep(0)
